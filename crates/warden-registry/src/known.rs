//! Registry locations and value names the product reads or writes.

use crate::value::{Hive, RegType};

/// A value name with the registry type it must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSpec {
    /// The value name.
    pub name: &'static str,
    /// The registry type, or `None` where the vendor documentation gives the
    /// logical type only (a string list) and not its registry encoding:
    /// confirm with the vendor before emitting such a value.
    pub reg_type: Option<RegType>,
}

/// Cortex Code's machine policy, per Snowflake's MDM documentation: only the
/// machine hive is read.
pub mod cortex_code {
    use super::*;

    /// Hive Cortex Code reads policy from.
    pub const HIVE: Hive = Hive::LocalMachine;
    /// Key Cortex Code reads policy from.
    pub const KEY: &str = r"Software\Policies\Microsoft\CortexCode";

    /// Turns the account and authentication controls on (1) or off (0).
    pub const ENABLED: ValueSpec = ValueSpec {
        name: "CortexEnabled",
        reg_type: Some(RegType::Dword),
    };
    /// Account globs both CLI and Desktop are locked to (a string list).
    pub const ALLOWED_ACCOUNTS: ValueSpec = ValueSpec {
        name: "CortexAllowedAccounts",
        reg_type: None,
    };
    /// Allowed authenticators, e.g. `OAUTH_AUTHORIZATION_CODE` (a string list).
    pub const ALLOWED_AUTH_METHODS: ValueSpec = ValueSpec {
        name: "CortexAllowedAuthMethods",
        reg_type: None,
    };
    /// Per-account authenticator lists, as one JSON string.
    pub const ALLOWED_AUTH_METHODS_BY_ACCOUNT: ValueSpec = ValueSpec {
        name: "CortexAllowedAuthMethodsByAccount",
        reg_type: Some(RegType::Sz),
    };
    /// Minimum version of both clients.
    pub const MINIMUM_VERSION: ValueSpec = ValueSpec {
        name: "CortexMinimumVersion",
        reg_type: Some(RegType::Sz),
    };
    /// Minimum CLI version.
    pub const CLI_MINIMUM_VERSION: ValueSpec = ValueSpec {
        name: "CortexCliMinimumVersion",
        reg_type: Some(RegType::Sz),
    };
    /// Minimum Desktop version.
    pub const DESKTOP_MINIMUM_VERSION: ValueSpec = ValueSpec {
        name: "CortexDesktopMinimumVersion",
        reg_type: Some(RegType::Sz),
    };
    /// The whole `managed-settings.json`, base64-encoded (as produced by
    /// `cortex managed-settings encode`). Over 256 KB, or invalid, makes Cortex
    /// Code deny connections; it also exceeds what `Registry.pol` (64 KiB per
    /// value) and Intune's ADMX editor (about 1,023 characters) can carry.
    pub const MANAGED_SETTINGS_BASE64: ValueSpec = ValueSpec {
        name: "CortexManagedSettingsBase64",
        reg_type: Some(RegType::Sz),
    };
    /// Enables [`MANAGED_SETTINGS_BASE64`]; a boolean, stored as `REG_DWORD`
    /// 1/0 like [`ENABLED`].
    pub const MANAGED_SETTINGS_BASE64_ENABLED: ValueSpec = ValueSpec {
        name: "CortexManagedSettingsBase64Enabled",
        reg_type: Some(RegType::Dword),
    };

    /// Every value above. Per-client (`CortexCli…`/`CortexDesktop…`) variants
    /// of the embedded settings exist but their exact names are not documented
    /// in the sources this list was built from, so they are not listed.
    pub const ALL: &[ValueSpec] = &[
        ENABLED,
        ALLOWED_ACCOUNTS,
        ALLOWED_AUTH_METHODS,
        ALLOWED_AUTH_METHODS_BY_ACCOUNT,
        MINIMUM_VERSION,
        CLI_MINIMUM_VERSION,
        DESKTOP_MINIMUM_VERSION,
        MANAGED_SETTINGS_BASE64,
        MANAGED_SETTINGS_BASE64_ENABLED,
    ];
}

/// The Warden agent's own policy key.
pub mod warden_agent {
    use super::*;

    /// Hive the agent reads its bundle from.
    pub const HIVE: Hive = Hive::LocalMachine;
    /// Key the agent reads its bundle from.
    pub const KEY: &str = r"SOFTWARE\Policies\Warden\Agent";

    /// The signed DSSE bundle, as its JSON text.
    pub const POLICY_BUNDLE: ValueSpec = ValueSpec {
        name: "PolicyBundle",
        reg_type: Some(RegType::Sz),
    };
    /// The bundle's serial, so Intune detection rules and scripts can compare
    /// versions without parsing the bundle.
    ///
    /// `REG_DWORD`, not `REG_QWORD`: ADMX `decimal` elements, Intune registry
    /// detection rules and most GPO tooling handle DWORDs only, and 2^32
    /// serials are ample (even one per second lasts until 2106). The signed
    /// serial inside the bundle stays authoritative; this copy is a hint.
    pub const POLICY_SERIAL: ValueSpec = ValueSpec {
        name: "PolicySerial",
        reg_type: Some(RegType::Dword),
    };

    /// Every value above.
    pub const ALL: &[ValueSpec] = &[POLICY_BUNDLE, POLICY_SERIAL];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::KeyPath;

    #[test]
    fn keys_are_valid_and_names_unique() {
        for (hive, key, all) in [
            (cortex_code::HIVE, cortex_code::KEY, cortex_code::ALL),
            (warden_agent::HIVE, warden_agent::KEY, warden_agent::ALL),
        ] {
            KeyPath::new(hive, key).unwrap();
            let names: std::collections::BTreeSet<_> = all.iter().map(|v| v.name).collect();
            assert_eq!(names.len(), all.len());
            assert!(
                all.iter()
                    .all(|v| v.name.bytes().all(|b| b.is_ascii_alphanumeric()))
            );
        }
    }
}
