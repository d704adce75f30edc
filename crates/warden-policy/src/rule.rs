//! The rule behind every decision, so `warden explain` and the agent's report can say why.

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! rule_ids {
    ($($(#[$doc:meta])* $variant:ident => $id:literal,)*) => {
        /// Stable identifier of a rule. The dotted string is part of the JSON report format.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum RuleId {
            $($(#[$doc])* $variant,)*
        }

        impl RuleId {
            /// Every rule identifier.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            /// The stable dotted identifier.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }
    };
}

rule_ids! {
    /// The connection has no `account`.
    AccountsMissing => "accounts.missing",
    /// `account` or `host` is a `${VAR}` placeholder.
    AccountsPlaceholder => "accounts.placeholder",
    /// `account` is not an account identifier.
    AccountsInvalidIdentifier => "accounts.invalid-identifier",
    /// An account pattern in the policy is invalid; CoCo denies connections in that case.
    AccountsInvalidPolicy => "accounts.invalid-policy",
    /// A deny pattern matched.
    AccountsDeny => "accounts.deny",
    /// Every allow layer matched.
    AccountsAllow => "accounts.allow",
    /// An allow layer had no matching pattern.
    AccountsNotAllowed => "accounts.not-allowed",
    /// The policy restricts no account.
    AccountsUnrestricted => "accounts.unrestricted",
    /// A legacy locator that org-account patterns cannot be checked against.
    AccountsLocatorUnverifiable => "accounts.locator-unverifiable",
    /// `host` points at another account (or at no Snowflake host).
    AccountsHostMismatch => "accounts.host-mismatch",
    /// The authenticator value is not one the clients accept.
    AuthenticatorsUnknown => "authenticators.unknown",
    /// The authenticator is forbidden.
    AuthenticatorsForbidden => "authenticators.forbidden",
    /// A per-account entry decided.
    AuthenticatorsPerAccount => "authenticators.per-account",
    /// Every global allowed set contains the authenticator.
    AuthenticatorsAllowed => "authenticators.allowed",
    /// A global allowed set lacks the authenticator.
    AuthenticatorsNotAllowed => "authenticators.not-allowed",
    /// The policy restricts no authenticator.
    AuthenticatorsUnrestricted => "authenticators.unrestricted",
    /// No role although the policy needs one.
    RolesMissing => "roles.missing",
    /// The role is the policy's default role.
    RolesDefault => "roles.default",
    /// The role matches a forbidden pattern.
    RolesForbidden => "roles.forbidden",
    /// Some other role, which the policy does not forbid.
    RolesOther => "roles.other",
    /// The role is a `${VAR}` placeholder.
    RolesPlaceholder => "roles.placeholder",
    /// A managed `deny` pattern matched.
    PermissionsDeny => "permissions.deny",
    /// A managed `onlyAllow` pattern matched.
    PermissionsOnlyAllow => "permissions.only-allow",
    /// `onlyAllow` lists this kind of item but none of its patterns matched.
    PermissionsNotInOnlyAllow => "permissions.not-in-only-allow",
    /// No pattern decided; `defaultMode` did.
    PermissionsDefaultMode => "permissions.default-mode",
    /// A permission pattern is malformed; CoCo falls back to restricted mode.
    PermissionsInvalidPolicy => "permissions.invalid-policy",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The rule that made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier.
    pub id: RuleId,
    /// The policy pattern or value involved, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Index of the `extends` layer (base first) the pattern came from, where layers exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// One sentence for humans.
    pub explanation: String,
}

impl Rule {
    pub(crate) fn new(id: RuleId, explanation: impl Into<String>) -> Self {
        Self {
            id,
            pattern: None,
            layer: None,
            explanation: explanation.into(),
        }
    }

    pub(crate) fn with_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    pub(crate) fn with_layer(mut self, layer: usize) -> Self {
        self.layer = Some(layer);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let set: BTreeSet<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(set.len(), RuleId::ALL.len());
        for id in set {
            let (area, name) = id.split_once('.').unwrap();
            assert!(!area.is_empty() && !name.is_empty());
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '.'),
                "{id}"
            );
        }
    }
}
