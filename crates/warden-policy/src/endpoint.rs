//! Rules only the endpoint agent enforces, and how hard: the part of a policy that
//! travels in the signed bundle next to the evaluation rules.

use serde::{Deserialize, Serialize};

/// What the endpoint agent does about each rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleMode {
    /// Not checked.
    Off,
    /// Checked and reported; nothing is changed.
    Audit,
    /// Checked and repaired.
    Enforce,
}

impl RuleMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Audit => "audit",
            Self::Enforce => "enforce",
        }
    }
}

/// Endpoint rule modes with defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointModes {
    /// Keep Cortex Code's `managed-settings.json` exactly as signed.
    pub managed_settings: RuleMode,
    /// The required connection exists (enforce: write it from the template).
    pub required_connection: RuleMode,
    /// The default connection is the required one.
    pub default_connection: RuleMode,
    /// The required connection uses the default role.
    pub role: RuleMode,
    /// Connections to refused accounts, methods or roles (enforce: quarantine them).
    pub forbidden_connections: RuleMode,
    /// Plaintext passwords and tokens in connection files.
    pub plaintext_secrets: RuleMode,
    /// Connection files 0600, their directory 0700, key and token files private.
    pub file_modes: RuleMode,
}

impl Default for EndpointModes {
    fn default() -> Self {
        Self {
            managed_settings: RuleMode::Enforce,
            required_connection: RuleMode::Audit,
            default_connection: RuleMode::Audit,
            role: RuleMode::Audit,
            forbidden_connections: RuleMode::Audit,
            plaintext_secrets: RuleMode::Audit,
            file_modes: RuleMode::Enforce,
        }
    }
}

impl EndpointModes {
    /// Every rule with its profile name, in documentation order.
    pub fn named(&self) -> [(&'static str, RuleMode); 7] {
        [
            ("managed_settings", self.managed_settings),
            ("required_connection", self.required_connection),
            ("default_connection", self.default_connection),
            ("role", self.role),
            ("forbidden_connections", self.forbidden_connections),
            ("plaintext_secrets", self.plaintext_secrets),
            ("file_modes", self.file_modes),
        ]
    }
}

/// Fields of the required connection, as written into `connections.toml`. `role` and
/// `warehouse` come from `default_role` and `default_warehouse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionTemplate {
    /// Account identifier in `orgname-accountname` form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Host, for PrivateLink or government regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Authenticator, e.g. `externalbrowser` or `oauth_authorization_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<String>,
    /// Login name; usually left unset so the identity provider supplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Cache SSO/OAuth tokens in the OS credential store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_store_temporary_credential: Option<bool>,
}
