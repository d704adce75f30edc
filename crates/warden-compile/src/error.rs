//! Why a profile that passed validation can still not be compiled.

/// A compile failure. Each variant names the profile value or artifact at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A backend produced a path that is not relative, uses `\`, or climbs with `..`.
    #[error("artifact path `{0}` is not a relative path with `/` separators")]
    InvalidArtifactPath(String),
    /// Two backends produced the same path.
    #[error("artifact `{0}` was produced twice")]
    DuplicateArtifact(String),
    /// A backend tried to write a path the compile pipeline owns.
    #[error("artifact `{0}` is reserved for the compile pipeline")]
    ReservedArtifact(String),
    /// A delivery backend ran before the signed bundle was added.
    #[error("delivery backend `{backend}` needs the signed bundle; add it with `add_bundle` first")]
    BundleMissing { backend: &'static str },
    /// The bundle was added twice.
    #[error("the signed bundle was already added")]
    BundleAlreadyAdded,
    /// A backend living in another crate failed; the message names the cause, since
    /// callers often print only the top-level message.
    #[error("backend `{backend}` failed: {source}")]
    Backend {
        backend: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The innermost account allow list is empty: Cortex Code's reading of an empty
    /// `tenant.allowedAccounts` is undocumented, so it is never written.
    #[error("`[accounts] allow` is empty; list the accounts Cortex Code may use")]
    EmptyAccountAllowList,
    /// An account pattern cannot be written inside `account(…)`.
    #[error("account pattern `{0}` cannot be written as `account({0})`")]
    InvalidAccountPattern(String),
    /// Removing forbidden methods left nothing; an empty list would mean "any method".
    #[error("no authentication method is left for {scope} once forbidden methods are removed")]
    NoMethodLeft { scope: String },
    /// The compiled file does not match Cortex Code's schema, which would put every
    /// client into restricted mode.
    #[error("the compiled managed-settings.json breaks Cortex Code's schema: {0}")]
    SchemaViolation(String),
    /// The base64 form of the file is over Cortex Code's limit for MDM delivery.
    #[error(
        "managed-settings.json is {size} bytes in base64; Cortex Code refuses more than {limit}"
    )]
    ManagedSettingsTooLarge { size: usize, limit: usize },
    /// A Snowflake name that is not a plain identifier.
    #[error("`{0}` is not a plain Snowflake identifier")]
    UnsafeIdentifier(String),
    /// A `read_schemas` entry that is not `DATABASE.SCHEMA`.
    #[error("`{0}` is not a `DATABASE.SCHEMA` name")]
    InvalidSchemaName(String),
    /// A service user whose token could not be restricted to a role.
    #[error(
        "`[snowflake.service_user]` needs `[snowflake] role`: a service user's token must be restricted to one role"
    )]
    ServiceUserWithoutRole,
    /// Grants were asked for, but there is no role to grant them to.
    #[error("`[snowflake]` lists warehouses, databases or schemas but no `role` to grant them to")]
    GrantsWithoutRole,
    /// An authentication policy method Snowflake does not accept.
    #[error(
        "`{method}` in authentication policy `{policy}` is not an AUTHENTICATION_METHODS value"
    )]
    UnknownPolicyMethod { policy: String, method: String },
    /// A person-user policy that lets people mint unrestricted tokens.
    #[error(
        "person policy `{0}` allows programmatic access tokens; person users could mint tokens without a role restriction"
    )]
    PersonPolicyAllowsPat(String),
    /// A service-user policy that would refuse the service user's own token.
    #[error(
        "service policy `{0}` does not allow `PROGRAMMATIC_ACCESS_TOKEN`, so the service user's token could not be used"
    )]
    ServicePolicyWithoutPat(String),
    /// A policy scoped to users that names none.
    #[error("authentication policy `{0}` applies to listed users but lists none")]
    PolicyWithoutUsers(String),
    /// The Cortex Code role is a system role or a forbidden one.
    #[error("`[snowflake] role = \"{role}\"` is {what}")]
    SystemRole { role: String, what: String },
    /// The service user is a well-known administrator.
    #[error("service user `{0}` is a well-known administrator name")]
    SystemUser(String),
    /// A token name Snowflake refuses.
    #[error("token name `{0}` may only use letters, digits and underscores")]
    InvalidPatName(String),
    /// A token lifetime outside what the policy allows.
    #[error("a token lifetime of {0} days is outside what the policies allow")]
    PatLifetime(u32),
    /// An account-wide person policy with no break-glass administrator.
    #[error("person policy `{0}` applies account-wide but no `break_glass_users` are listed")]
    NoBreakGlass(String),
    /// Break-glass users without a person policy to escape.
    #[error("`break_glass_users` needs a `[snowflake.person_policy]`")]
    BreakGlassWithoutPersonPolicy,
    /// An account-wide service policy without the explicit opt-in.
    #[error("service policy `{0}` applies account-wide without `confirm_account_wide = true`")]
    ServicePolicyAccountWide(String),
    /// A network rule without a service user to attach its policy to.
    #[error("`[snowflake.network]` needs a `[snowflake.service_user]`")]
    NetworkWithoutServiceUser,
    /// An IP range that is not an IPv4 address or CIDR range.
    #[error("`{0}` is not an IPv4 address or CIDR range")]
    InvalidIpRange(String),
    /// The profile asks for a signed `.mobileconfig` and none was signed.
    #[error(
        "the profile sets `[macos] sign_mobileconfig = true` but no signing certificate and key were given"
    )]
    MobileconfigNotSigned,
    /// Signing ran before the macOS backend wrote the profile to sign.
    #[error("`{0}` must be delivered before it can be signed")]
    MobileconfigMissing(String),
    /// The configuration profile could not be signed.
    #[error("cannot sign `{path}`: {source}")]
    MobileconfigSigning {
        path: String,
        #[source]
        source: warden_cms::CmsError,
    },
    /// Serialising an artifact failed.
    #[error("cannot serialise `{path}`")]
    Serialize {
        path: &'static str,
        #[source]
        source: serde_json::Error,
    },
}
