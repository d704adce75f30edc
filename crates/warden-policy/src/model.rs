//! The resolved policy: what one profile (with its `extends` chain flattened) asks of a
//! connection and of Cortex Code's permission checks. Other crates produce and consume exactly
//! these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything the evaluation engine needs from a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct Policy {
    /// Which Snowflake accounts connections may point at.
    pub accounts: AccountPolicy,
    /// Which authenticators connections may use.
    pub authenticators: AuthenticatorPolicy,
    /// Role rules.
    pub roles: RolePolicy,
    /// Name of the connection every endpoint must have.
    pub required_connection: Option<String>,
    /// Cortex Code `permissions` (managed `deny`, `onlyAllow`, `defaultMode`).
    pub permissions: PermissionPolicy,
}

/// Account allow and deny patterns (case-insensitive globs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct AccountPolicy {
    /// One allow list per profile in the `extends` chain (base first). An account must match a
    /// pattern in every layer, which is how a child can only narrow its parent. No layers means
    /// no allow restriction.
    pub allow: Vec<Vec<String>>,
    /// Deny patterns of every layer, added up. A deny match always wins.
    pub deny: Vec<String>,
}

/// Authenticator rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct AuthenticatorPolicy {
    /// Allowed sets, one per layer that declares one; a method must be in every layer.
    pub allowed: Vec<Vec<String>>,
    /// Methods never allowed, per-account entries included.
    pub forbidden: Vec<String>,
    /// Per-account override: account pattern (glob) to allowed methods; an empty list means
    /// any method. A matching entry replaces the global allowed sets; an exact key beats a
    /// glob. Forbidden methods stay forbidden everywhere.
    pub per_account: BTreeMap<String, Vec<String>>,
}

/// Role rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct RolePolicy {
    /// The role connections should use.
    pub default_role: Option<String>,
    /// Role patterns (case-insensitive globs) no connection may use, e.g. `ACCOUNTADMIN`.
    pub forbidden: Vec<String>,
    /// Whether a connection must name a role (without one, the user's default role applies,
    /// which the endpoint cannot see).
    pub require_role: bool,
}

/// Cortex Code's managed `permissions` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct PermissionPolicy {
    /// Patterns that always block.
    pub deny: Vec<String>,
    /// Allowlist; see [`PermissionPolicy::evaluate`] for how it is scoped.
    pub only_allow: Option<Vec<String>>,
    /// Outcome when no pattern decided.
    pub default_mode: DefaultMode,
}

/// `permissions.defaultMode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DefaultMode {
    /// Permit (the current documented default).
    #[default]
    Allow,
    /// Block: a strict allowlist posture.
    Deny,
}
