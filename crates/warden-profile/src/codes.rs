//! Every finding code a profile can produce. Codes are stable: renaming one breaks
//! users' CI filters. Each has a page in `docs/findings/<code>.md` and a fixture in
//! `tests/fixtures/profiles/invalid/<code>.toml` (both checked by tests).

use std::borrow::Cow;

use warden_diag::{CodeInfo, Severity};

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $summary:literal; )*) => {
        /// A profile finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case identifier.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// Documentation for SARIF rules and the docs test.
            pub fn info(self) -> CodeInfo {
                match self {
                    $( Code::$variant => CodeInfo { code: $code, severity: Severity::$sev, summary: $summary }, )*
                }
            }
        }
    };
}

codes! {
    SyntaxError = "syntax-error", Error, "The file is not valid TOML or JSON (or not UTF-8)";
    UnknownKey = "unknown-key", Error, "A key the profile schema does not define";
    WrongType = "wrong-type", Error, "A value of the wrong type";
    InvalidValue = "invalid-value", Error, "A value outside the allowed set, pattern or range";
    MissingKey = "missing-key", Error, "A required key is missing";
    SchemaViolation = "schema-violation", Error, "The profile breaks another rule of the schema";
    ExtendsNotFound = "extends-not-found", Error, "The base profile named by `extends` cannot be read";
    ExtendsCycle = "extends-cycle", Error, "Profiles extend each other in a cycle";
    ExtendsWidens = "extends-widens", Error, "A profile loosens a rule of the profile it extends";
    SerialBelowParent = "serial-below-parent", Error, "A profile's serial is lower than its base profile's";
    SerialTooLarge = "serial-too-large", Error, "A serial above 4294967295, more than a Windows REG_DWORD can carry";
    InvalidGlob = "invalid-glob", Error, "An account or role pattern is not a valid glob";
    InvalidPermissionPattern = "invalid-permission-pattern", Error, "A Cortex Code permission pattern is malformed";
    UnknownAuthenticator = "unknown-authenticator", Error, "An authentication method Snowflake does not know";
    RequiredAccountNotAllowed = "required-account-not-allowed", Error, "The required connection's account is not allowed by the policy";
    AllowAllAccounts = "allow-all-accounts", Warning, "An allow pattern admits every account";
    UnreachableDeny = "unreachable-deny", Warning, "A deny pattern that no allowed account can reach";
    AllAuthenticatorsForbidden = "all-authenticators-forbidden", Error, "No authentication method is left allowed";
    DefaultRoleForbidden = "default-role-forbidden", Error, "The default role is also a forbidden role";
    InvalidVersion = "invalid-version", Error, "A minimum version is not a semantic version";
    OnlyAllowMixesAccount = "only-allow-mixes-account", Warning, "`only_allow` mixes `account(…)` with tool patterns";
    BundleLifetimeTooLong = "bundle-lifetime-too-long", Warning, "Bundles would stay valid for more than 90 days";
    DangerouslyAllowAll = "dangerously-allow-all", Warning, "Users may bypass every approval prompt";
    RequiredConnectionIncomplete = "required-connection-incomplete", Warning, "The required connection has no template the agent can write";
    UnsafeIdentifier = "unsafe-identifier", Error, "A Snowflake object name that cannot be used safely in SQL";
    PlistUnrepresentable = "plist-unrepresentable", Error, "A value that a macOS property list cannot carry";
    InvalidTestCase = "invalid-test-case", Error, "A test case that names neither or both of a connection and a tool";
    SnowflakeSystemRole = "snowflake-system-role", Error, "The Cortex Code role is a Snowflake system role or a forbidden role";
    SnowflakeSystemUser = "snowflake-system-user", Error, "The service user is a well-known administrator or a break-glass user";
    PersonPolicyLockout = "person-policy-lockout", Error, "An account-wide person policy without break-glass administrators";
    ServicePolicyAccountWide = "service-policy-account-wide", Error, "The service policy would restrict every service user of the account";
    PatNameInvalid = "pat-name-invalid", Error, "A token name with characters other than letters, digits and `_`";
    PatLifetime = "pat-lifetime", Error, "A token lifetime outside 1 day to the policy's maximum";
    ExceptionWithoutReason = "exception-without-reason", Error, "A lint exception gives no reason";
    ExceptionInvalidExpiry = "exception-invalid-expiry", Error, "A lint exception has no expiry, or one that is not a YYYY-MM-DD date";
    ExceptionExpired = "exception-expired", Error, "A lint exception has expired and no longer suppresses its finding";
    // Cortex Code and MDM fidelity.
    RegistryValueTooLarge = "registry-value-too-large", Error, "A compiled MDM value is over what a registry policy value or Cortex Code accepts";
    OnlyAllowScopeAmbiguous = "only-allow-scope-ambiguous", Warning, "`only_allow` leaves a pattern type that Cortex Code's two readings decide differently";
    KeyNeedsNewerClient = "key-needs-newer-client", Warning, "The profile relies on a key its minimum client version does not guarantee";
    SharedMinimumVersion = "shared-minimum-version", Warning, "One shared minimum version cannot fit both the CLI and the Desktop version lines";
    CortexControlsDisabled = "cortex-controls-disabled", Warning, "`[cortex] enabled = false` leaves the profile's account and authentication rules to the agent";
    PerAccountNoMethodLeft = "per-account-no-method-left", Error, "An inherited per-account entry keeps none of the methods the profile allows";
    MobileconfigSignerMissing = "mobileconfig-signer-missing", Error, "The profile asks for a signed `.mobileconfig` but compile was given no certificate and key";
}

impl Code {
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// Codes measured on the compiled artifacts (`warden_compile::limits`), which
    /// `warden validate` and `warden compile` add after loading; their fixtures are
    /// checked by warden-compile's tests.
    pub const MEASURED_BY_COMPILE: &'static [Code] = &[Code::RegistryValueTooLarge];

    /// Codes `warden compile` raises from its own options, which `warden validate`
    /// does not have; their fixtures are checked by warden-cli's tests.
    pub const RAISED_BY_COMPILE_OPTIONS: &'static [Code] = &[Code::MobileconfigSignerMissing];
}

impl From<Code> for Cow<'static, str> {
    fn from(code: Code) -> Self {
        Cow::Borrowed(code.as_str())
    }
}

/// Documentation of every code, for SARIF.
pub fn all_code_info() -> Vec<CodeInfo> {
    Code::ALL.iter().map(|c| c.info()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{s} is not kebab-case"
            );
        }
    }
}
