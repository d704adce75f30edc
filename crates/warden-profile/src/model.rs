//! The policy profile as admins write it (TOML or JSON).
//!
//! Every field that a profile may leave out is an `Option`, so that `extends` can
//! tell "not said" from "said": an unset field inherits from the parent, a set field
//! narrows it. Defaults are applied only after composition (see `resolve`).
//!
//! The JSON Schema in `schemas/profile.schema.json` is generated from these types;
//! the doc comments below become its descriptions, which editors show on hover.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
pub use warden_policy::{ConnectionTemplate, RuleMode};

/// A Warden policy profile: who may connect where, how, with which role, and every
/// Cortex Code managed setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Warden policy profile")]
pub struct Profile {
    /// JSON Schema reference for editors (JSON profiles only; TOML uses `#:schema`).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Path of a base profile, relative to this file. This profile can only narrow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Identity of the profile and of the bundles compiled from it.
    pub profile: Identity,
    /// Which Snowflake accounts connections may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Accounts>,
    /// Which authentication methods connections may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticators: Option<Authenticators>,
    /// The connection every endpoint must have, and role rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionRules>,
    /// Cortex Code managed settings (compiled into `managed-settings.json` and MDM keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cortex: Option<Cortex>,
    /// What the endpoint agent does about each rule: `off`, `audit` or `enforce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointRules>,
    /// Snowflake server-side objects that make a single role enforceable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snowflake: Option<Snowflake>,
    /// How the macOS configuration profile is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macos: Option<Macos>,
    /// Decisions this policy must reach; run by `warden test`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestCase>,
    /// Findings of this file accepted on purpose, each with a reason and an expiry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<LintException>,
}

/// One accepted finding: reported as suppressed until `expires`, then as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintException {
    /// The finding code to accept (`docs/findings/<code>.md`).
    pub code: String,
    /// Why it is accepted; required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Last day (UTC, `YYYY-MM-DD`) the exception holds; required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: Option<String>,
    /// Only findings at this JSON pointer (or below it), e.g. `/cortex/permissions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Identity of the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Stable identifier: lower-case letters, digits and `-`. Names the output folder,
    /// MDM payload identifiers and the bundle. Never reuse one for another fleet.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,62}$"))]
    pub id: String,
    /// Human-readable name, shown in MDM consoles.
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// Organization shown in MDM consoles. Inherited from the base profile when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Description shown in MDM consoles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Monotonic policy serial. Endpoints refuse a bundle whose serial is not above the
    /// last one they accepted; raise it on every change.
    pub serial: u64,
    /// Days a signed bundle stays valid (default 30, at most 90 without a warning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub bundle_lifetime_days: Option<u32>,
}

/// Account rules. Patterns are case-insensitive globs (`*` any run, `?` one character)
/// matched against the normalised account (`org-account`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// Accounts connections may use. Compiled into `tenant.allowedAccounts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Accounts that are refused even when an allow pattern matches. Compiled into
    /// `account(…)` entries of `permissions.deny` and enforced by the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

/// Authentication-method rules. Method names are case-insensitive (`externalbrowser`
/// and `EXTERNALBROWSER` are the same).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authenticators {
    /// The only methods allowed. When unset, every known method but the forbidden ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// Methods never allowed, for any account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden: Option<Vec<String>>,
    /// Per-account allowed methods (account glob → methods; an empty list means any
    /// method). A matching entry replaces `allowed`; an exact key beats a glob. Entries
    /// inherited through `extends` are narrowed to this profile's accounts and `allowed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_account: Option<BTreeMap<String, Vec<String>>>,
}

/// The connection endpoints must have, and role rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRules {
    /// Name of the connection every endpoint must have; it becomes the default
    /// connection and Cortex Code's `defaults.connectionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{1,64}$"))]
    pub required_name: Option<String>,
    /// Role the required connection uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// Roles no connection may use (case-insensitive globs), e.g. `ACCOUNTADMIN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden_roles: Option<Vec<String>>,
    /// Warehouse of the required connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_warehouse: Option<String>,
    /// Every connection must name a role explicitly (otherwise the user's default role,
    /// which the policy cannot see, applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_role: Option<bool>,
    /// How the agent writes the required connection when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<ConnectionTemplate>,
}

/// Cortex Code managed settings. Names are the snake_case forms of Cortex Code's
/// `managed-settings.json` keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cortex {
    /// Turns the account and authentication controls on or off (`enabled`, MDM key
    /// `CortexEnabled`). Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// MDM key `CortexManagedSettingsBase64Enabled` (plist bool on macOS, `REG_DWORD`
    /// 1/0 on Windows): whether Cortex Code applies the whole `managed-settings.json`
    /// the MDM embeds as `CortexManagedSettingsBase64`. Written only when set. Reading
    /// the embedded policy on Windows needs Cortex Code CLI 1.2.0 or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_settings_base64_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Required>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Files>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<Ui>,
}

/// Tool, skill, MCP, plugin and account rules (`permissions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Outcome when no rule decides. Always written explicitly (default `allow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<DefaultMode>,
    /// Allowlist of permission patterns (`read`, `bash(git:*)`, `mcp(…)`, `skill(…)`).
    /// `sql_execute` is written for both clients (`snowflake_sql_execute` for Desktop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_allow: Option<Vec<String>>,
    /// Denylist of permission patterns, checked first; a match always blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    /// Whether users may bypass approvals (`--dangerously-allow-all-tool-calls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangerously_allow_all: Option<bool>,
}

/// `permissions.defaultMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DefaultMode {
    Allow,
    Deny,
}

/// Behaviour users cannot override (`settings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// No conversation history is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_no_history_mode: Option<bool>,
    /// The OS sandbox is always on (CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_sandbox_enabled: Option<bool>,
    /// Pins the sandbox mode (CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_sandbox_mode: Option<SandboxMode>,
}

/// `settings.forceSandboxMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SandboxMode {
    #[serde(rename = "regular")]
    Regular,
    #[serde(rename = "autoAllow")]
    AutoAllow,
}

/// Minimum client versions (`required`, `cli.required`, `desktop.required`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Required {
    /// Minimum version for both clients (semver, e.g. `1.1.89`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_version: Option<String>,
    /// Minimum Cortex Code CLI version; overrides `minimum_version` for the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_minimum_version: Option<String>,
    /// Minimum Cortex Code Desktop version; overrides `minimum_version` for Desktop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop_minimum_version: Option<String>,
}

/// Defaults users may override (`defaults`, CLI only). `connectionName` is the
/// profile's required connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Cortex Code profile loaded at startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
}

/// `defaults.theme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Dark,
    Light,
    Pro,
}

/// Admin-supplied files (`files`, CLI only). Absolute paths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Files {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_file: Option<String>,
}

/// Managed banner and hidden options (`ui`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_managed_banner: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub banner_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_dangerous_options: Option<bool>,
}

/// Per-rule enforcement on endpoints. Unset rules use the documented defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRules {
    /// Keep Cortex Code's `managed-settings.json` exactly as signed (default enforce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_settings: Option<RuleMode>,
    /// The required connection exists (default audit; enforce writes it from the template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_connection: Option<RuleMode>,
    /// The default connection is the required one (default audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_connection: Option<RuleMode>,
    /// The required connection uses the default role (default audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RuleMode>,
    /// Connections to refused accounts, methods or roles (default audit; enforce moves
    /// them into a quarantine file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden_connections: Option<RuleMode>,
    /// Plaintext passwords and tokens in connection files (default audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext_secrets: Option<RuleMode>,
    /// Connection files 0600, the directory 0700, key and token files not readable by
    /// others (default enforce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_modes: Option<RuleMode>,
}

/// macOS delivery options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Macos {
    /// Also write `macos/<id>.signed.mobileconfig`: the same profile CMS-signed with
    /// the certificate and key given to `warden compile` (`--mobileconfig-cert`,
    /// `--mobileconfig-key`; RSA or ECDSA P-256). MDM consoles and System Settings show
    /// the signer, and Jamf Pro cannot edit a signed profile. Compile refuses the
    /// profile when no certificate is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_mobileconfig: Option<bool>,
}

/// Snowflake server side: the objects that make a single role a real boundary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snowflake {
    /// The least-privileged role connections use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Warehouses the role may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warehouses: Vec<String>,
    /// Databases the role may use (USAGE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<String>,
    /// Schemas (`DATABASE.SCHEMA`) whose tables and views the role may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_schemas: Vec<String>,
    /// A `TYPE = SERVICE` user granted only the role, with a role-restricted PAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_user: Option<ServiceUser>,
    /// Authentication policy for person users (must not allow PATs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_policy: Option<AuthenticationPolicy>,
    /// Authentication policy for service users (PATs with network policy evaluation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_policy: Option<AuthenticationPolicy>,
    /// Who holds the role-restricted token: `service_user` (default; the token is
    /// pinned to exactly one role) or `person_users` (people may mint tokens, but only
    /// restricted to a role they hold and never a blocked one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_route: Option<PatRoute>,
    /// Administrators who keep their interactive sign-in whatever the person policy
    /// says: they get a user-level policy, attached before any account-level change.
    /// Required whenever a person policy applies account-wide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub break_glass_users: Vec<String>,
    /// Name of the break-glass users' policy; default `BREAK_GLASS` in the person
    /// policy's schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_policy: Option<String>,
    /// `MAX_EXPIRY_IN_DAYS` of the policies' `PAT_POLICY`: no token lives longer
    /// (default: the token's `pat_days_to_expiry`, else 90; Snowflake allows 1 to 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_max_expiry_days: Option<u32>,
    /// A network rule and policy for the service user, which tokens need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkAccess>,
}

/// Which identities hold the Cortex Code token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatRoute {
    /// A `TYPE = SERVICE` user with one token restricted to the role; person users
    /// cannot create or use tokens.
    #[default]
    ServiceUser,
    /// Person users may mint tokens, but `REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS`
    /// forces a role restriction and `BLOCKED_ROLES_LIST` refuses the admin roles.
    PersonUsers,
}

/// A network rule (`TYPE = IPV4`, `MODE = INGRESS`) and a network policy using it,
/// attached to the service user. The policy is named by `service_user.network_policy`
/// (default `<SERVICE_USER>_NETWORK`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkAccess {
    /// Network rule name, fully qualified: `DB.SCHEMA.NAME`.
    #[schemars(regex(pattern = r"^[^.]+\.[^.]+\.[^.]+$"))]
    pub rule: String,
    /// IPv4 addresses or CIDR ranges the service user may connect from.
    #[schemars(length(min = 1))]
    pub allowed_ip_ranges: Vec<String>,
}

/// The service user and its token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceUser {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Existing network policy to attach (PATs need one by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<String>,
    /// Name of the programmatic access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_name: Option<String>,
    /// Days until the token expires (Snowflake recommends at most 90; at most
    /// `pat_max_expiry_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_days_to_expiry: Option<u32>,
}

/// An authentication policy and where it applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationPolicy {
    /// Policy name (a fully qualified `DB.SCHEMA.NAME` or a name in the setup schema).
    pub name: String,
    /// `AUTHENTICATION_METHODS`, e.g. `SAML`, `OAUTH`, `KEYPAIR`, `PROGRAMMATIC_ACCESS_TOKEN`.
    pub methods: Vec<String>,
    /// Apply account-wide by user type (`account`) or to the listed users only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_to: Option<PolicyScope>,
    /// Users the policy applies to when `apply_to = "users"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Service policy only: `true` confirms that `apply_to = "account"` is meant, which
    /// restricts every SERVICE and LEGACY_SERVICE user of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_account_wide: Option<bool>,
}

/// Where an authentication policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyScope {
    /// `ALTER ACCOUNT SET AUTHENTICATION POLICY … FOR ALL PERSON|SERVICE USERS`.
    Account,
    /// `ALTER USER … SET AUTHENTICATION POLICY …` for each listed user.
    Users,
}

/// A decision the policy must reach, checked by `warden test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// What the case shows.
    pub name: String,
    /// A connection, with the fields it would have in `connections.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<BTreeMap<String, TestValue>>,
    /// A Cortex Code tool invocation, e.g. `bash(rm -rf /)` or `mcp(https://x.example)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The decision: `allow` (compliant connection, permitted tool) or `deny`.
    pub expect: Expectation,
    /// Expected account status: `allowed`, `denied`, `unverifiable`, `not-evaluable`,
    /// `host-mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_account: Option<String>,
    /// The rule id that must decide, e.g. `accounts.deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_rule: Option<String>,
}

/// A connection field value in a test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TestValue {
    String(String),
    Bool(bool),
    Integer(i64),
}

/// The decision a test case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    Allow,
    Deny,
}
