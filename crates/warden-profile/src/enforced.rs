//! What actually stops a connection the policy refuses once `[cortex] enabled = false`
//! switches Cortex Code's account and authentication controls off.
//!
//! `enabled` (MDM key `CortexEnabled`) turns off `tenant.*`, `auth.*` and `required.*`
//! in Cortex Code. What stays: the managed `permissions`, whose `account(…)` patterns the
//! CLI still applies (Desktop reads but does not enforce them), and the agent's endpoint
//! rules on the user's connection files, which judge every connection with the same
//! engine whatever Cortex Code's switch says. `explain` and `test` use this to report
//! what is enforced rather than what the policy would decide with the controls on.

use serde::Serialize;
use warden_policy::{
    AccountStatus, ConnectionParams, ConnectionVerdict, Decision, PolicyEvaluator, RuleId, RuleMode,
};

use crate::resolve::ResolvedProfile;

/// The sentence `explain` and `test` print for a profile with the controls off.
pub const DISABLED_NOTE: &str = "Cortex Code controls are disabled (`[cortex] enabled = false`): Cortex Code does not apply `tenant.allowedAccounts`, `auth.*` or `required.*`; the managed `permissions` (with their `account(…)` patterns, CLI only) and the agent's endpoint rules still apply";

/// Whether Cortex Code applies its account and authentication controls (the default).
pub fn cortex_controls_enabled(p: &ResolvedProfile) -> bool {
    p.cortex.enabled != Some(false)
}

/// What still acts on one refused connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enforcement {
    /// Something refuses the connection: the CLI's `account(…)` permissions, or the
    /// agent quarantining it.
    pub blocked: bool,
    /// What acts on it, in words (`permissions.deny`, the agent's mode).
    pub by: Vec<String>,
    /// The Cortex Code controls that would refuse it but are switched off.
    pub switched_off: Vec<&'static str>,
}

impl Enforcement {
    /// One line for people: what acts on the connection and what does not.
    pub fn describe(&self) -> String {
        let mut parts = self.by.clone();
        if parts.is_empty() {
            parts.push("nothing".to_owned());
        }
        let mut s = parts.join("; ");
        if !self.switched_off.is_empty() {
            let off: Vec<String> = self.switched_off.iter().map(|c| format!("`{c}`")).collect();
            s.push_str(&format!(
                "; {} switched off by `[cortex] enabled = false`",
                off.join(" and ")
            ));
        }
        s
    }
}

/// What enforces the refusal of a non-compliant connection while the Cortex Code
/// controls are off; `None` when they are on or the connection is compliant.
pub fn when_disabled(
    p: &ResolvedProfile,
    evaluator: &PolicyEvaluator<'_>,
    params: &ConnectionParams,
    verdict: &ConnectionVerdict,
) -> Option<Enforcement> {
    if cortex_controls_enabled(p) || verdict.compliant {
        return None;
    }
    let policy = &p.policy;
    let mut by = Vec::new();
    let mut blocked = false;

    // The CLI judges the account through the compiled permission lists.
    let account = params
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(value) = account {
        let v = evaluator.account_permission(value);
        if v.decision == Decision::Deny {
            blocked = true;
            by.push(format!(
                "Cortex Code CLI refuses the account through `{}` (Desktop does not enforce `account(…)`)",
                v.rule.id.as_str()
            ));
        }
    }

    by.push(match p.endpoint.forbidden_connections {
        RuleMode::Enforce => {
            blocked = true;
            "the agent quarantines it (`forbidden_connections`: enforce)".to_owned()
        }
        RuleMode::Audit => "the agent reports it only (`forbidden_connections`: audit)".to_owned(),
        RuleMode::Off => "the agent ignores it (`forbidden_connections`: off)".to_owned(),
    });

    let mut switched_off = Vec::new();
    // Denies reach Cortex Code only as `account(…)` permissions, never through the
    // account lock, so only the other refusals of the account rest on `tenant`.
    let by_permissions = matches!(
        verdict.account.rule.id,
        RuleId::AccountsDeny
            | RuleId::PermissionsDeny
            | RuleId::PermissionsNotInOnlyAllow
            | RuleId::PermissionsDefaultMode
            | RuleId::PermissionsInvalidPolicy
    );
    if verdict.account.status != AccountStatus::Allowed
        && !by_permissions
        && !policy.accounts.allow.is_empty()
    {
        switched_off.push("tenant.allowedAccounts");
    }
    if !verdict.authenticator.allowed {
        let per_account = verdict.authenticator.rule.id == RuleId::AuthenticatorsPerAccount;
        switched_off.push(if per_account {
            "auth.accounts"
        } else {
            "auth.allowedMethods"
        });
    }
    Some(Enforcement {
        blocked,
        by,
        switched_off,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsLoader, load};

    fn baseline(enabled: bool, mode: RuleMode) -> ResolvedProfile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../profiles/examples/org-baseline.toml");
        let mut p = load(&path, &FsLoader).profile.expect("baseline loads");
        p.cortex.enabled = Some(enabled);
        p.endpoint.forbidden_connections = mode;
        p
    }

    fn params(account: &str, authenticator: &str) -> ConnectionParams {
        ConnectionParams {
            name: "c".into(),
            account: Some(account.into()),
            authenticator: Some(authenticator.into()),
            role: Some("ANALYST".into()),
            ..Default::default()
        }
    }

    fn judge(p: &ResolvedProfile, c: &ConnectionParams) -> Option<Enforcement> {
        let evaluator = p.policy.evaluator();
        when_disabled(p, &evaluator, c, &evaluator.evaluate_connection(c))
    }

    #[test]
    fn nothing_changes_while_the_controls_are_on() {
        let p = baseline(true, RuleMode::Audit);
        assert_eq!(judge(&p, &params("globex-prod", "externalbrowser")), None);
    }

    #[test]
    fn an_account_outside_the_allow_list_is_only_reported_under_audit() {
        let p = baseline(false, RuleMode::Audit);
        let e = judge(&p, &params("globex-prod", "externalbrowser")).unwrap();
        assert!(!e.blocked, "{e:?}");
        assert_eq!(e.switched_off, ["tenant.allowedAccounts"]);
        assert!(e.describe().contains("reports it only"), "{}", e.describe());
    }

    #[test]
    fn a_denied_account_is_still_refused_by_the_cli_permissions() {
        let p = baseline(false, RuleMode::Audit);
        let e = judge(&p, &params("acme-sandbox1", "externalbrowser")).unwrap();
        assert!(e.blocked, "{e:?}");
        assert!(e.by[0].contains("`permissions.deny`"), "{e:?}");
        // The account lock would have let it through: it is not what is missing.
        assert!(e.switched_off.is_empty(), "{e:?}");
    }

    #[test]
    fn the_agent_in_enforce_mode_blocks_what_cortex_code_no_longer_does() {
        let p = baseline(false, RuleMode::Enforce);
        let e = judge(&p, &params("acme-ci", "externalbrowser")).unwrap();
        assert!(e.blocked, "{e:?}");
        assert_eq!(e.switched_off, ["auth.accounts"]);
    }

    #[test]
    fn a_refused_role_relies_on_no_cortex_control() {
        let p = baseline(false, RuleMode::Audit);
        let mut c = params("acme-prod", "externalbrowser");
        c.role = Some("ACCOUNTADMIN".into());
        let e = judge(&p, &c).unwrap();
        assert!(e.switched_off.is_empty(), "{e:?}");
        assert!(!e.blocked);
    }
}
