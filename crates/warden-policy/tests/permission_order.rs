//! Managed permission evaluation order: deny, then onlyAllow (scoped by category), then
//! defaultMode.

use warden_policy::{Decision, DefaultMode, Invocation, PermissionPolicy, RuleId};

fn pol(deny: &[&str], only_allow: Option<&[&str]>, default_mode: DefaultMode) -> PermissionPolicy {
    let own = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    PermissionPolicy {
        deny: own(deny),
        only_allow: only_allow.map(own),
        default_mode,
    }
}

fn decide(p: &PermissionPolicy, inv: &str) -> (Decision, RuleId) {
    let v = p.evaluate(&Invocation::parse(inv).unwrap());
    (v.decision, v.rule.id)
}

#[test]
fn deny_beats_only_allow() {
    let p = pol(&["bash(rm:*)"], Some(&["bash"]), DefaultMode::Allow);
    assert_eq!(
        decide(&p, "bash(rm -rf /)"),
        (Decision::Deny, RuleId::PermissionsDeny)
    );
    assert_eq!(
        decide(&p, "bash(ls)"),
        (Decision::Allow, RuleId::PermissionsOnlyAllow)
    );
}

#[test]
fn only_allow_restricts_its_category() {
    let p = pol(
        &[],
        Some(&["read", "grep", "bash(git:*)"]),
        DefaultMode::Allow,
    );
    use Decision::*;
    assert_eq!(decide(&p, "read"), (Allow, RuleId::PermissionsOnlyAllow));
    assert_eq!(
        decide(&p, "bash(git push)"),
        (Allow, RuleId::PermissionsOnlyAllow)
    );
    assert_eq!(
        decide(&p, "bash(curl x)"),
        (Deny, RuleId::PermissionsNotInOnlyAllow)
    );
    assert_eq!(
        decide(&p, "write"),
        (Deny, RuleId::PermissionsNotInOnlyAllow)
    );
    // Skills and MCP servers are another category: defaultMode decides.
    assert_eq!(
        decide(&p, "skill(user:x)"),
        (Allow, RuleId::PermissionsDefaultMode)
    );
    assert_eq!(
        decide(&p, "mcp(https://x)"),
        (Allow, RuleId::PermissionsDefaultMode)
    );
}

#[test]
fn account_only_allow_with_default_allow() {
    // The documented "restrict to approved accounts" example.
    let p = pol(
        &[],
        Some(&["account(acme-prod)", "account(acme-dev*)"]),
        DefaultMode::Allow,
    );
    use Decision::*;
    assert_eq!(
        decide(&p, "account(ACME-PROD)"),
        (Allow, RuleId::PermissionsOnlyAllow)
    );
    assert_eq!(
        decide(&p, "account(acme-dev_eu)"),
        (Allow, RuleId::PermissionsOnlyAllow)
    );
    assert_eq!(
        decide(&p, "account(evil-corp)"),
        (Deny, RuleId::PermissionsNotInOnlyAllow)
    );
    assert_eq!(
        decide(&p, "bash(ls)"),
        (Allow, RuleId::PermissionsDefaultMode)
    );
}

#[test]
fn default_mode_decides_last() {
    use Decision::*;
    let strict = pol(&[], None, DefaultMode::Deny);
    assert_eq!(
        decide(&strict, "read"),
        (Deny, RuleId::PermissionsDefaultMode)
    );
    let open = pol(&["mcp(*)"], None, DefaultMode::Allow);
    assert_eq!(
        decide(&open, "read"),
        (Allow, RuleId::PermissionsDefaultMode)
    );
    assert_eq!(
        decide(&open, "mcp(https://a.example)"),
        (Deny, RuleId::PermissionsDeny)
    );
    // A listed item is allowed even under defaultMode deny.
    let allowlist = pol(&[], Some(&["read"]), DefaultMode::Deny);
    assert_eq!(
        decide(&allowlist, "read"),
        (Allow, RuleId::PermissionsOnlyAllow)
    );
    assert_eq!(
        decide(&allowlist, "skill(bundled:x)"),
        (Deny, RuleId::PermissionsDefaultMode)
    );
}

#[test]
fn sql_names_are_distinct_tools() {
    let p = pol(&["sql_execute"], None, DefaultMode::Allow);
    assert_eq!(decide(&p, "sql_execute").0, Decision::Deny);
    assert_eq!(decide(&p, "snowflake_sql_execute").0, Decision::Allow);
}

#[test]
fn malformed_pattern_restricts_everything() {
    let p = pol(&["bash(rm:*"], None, DefaultMode::Allow);
    let v = p.evaluate(&Invocation::parse("read").unwrap());
    assert_eq!(v.decision, Decision::Deny);
    assert_eq!(v.rule.id, RuleId::PermissionsInvalidPolicy);
    assert_eq!(v.rule.pattern.as_deref(), Some("bash(rm:*"));
}

#[test]
fn verdict_serialises_with_rule() {
    let p = pol(&["bash(rm:*)"], None, DefaultMode::Allow);
    let v = p.evaluate(&Invocation::parse("bash(rm -rf /tmp/x)").unwrap());
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["invocation"], "bash(rm -rf /tmp/x)");
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["rule"]["id"], "permissions.deny");
    assert_eq!(json["rule"]["pattern"], "bash(rm:*)");
}
