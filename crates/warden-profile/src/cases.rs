//! Running a profile's test cases through the shared evaluation engine, so that
//! `warden test` in CI reaches exactly the decisions the endpoint agent reaches.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use warden_policy::{
    AccountStatus, ConnectionParams, ConnectionVerdict, Decision, Invocation, Policy, Rule,
};

use crate::enforced;
use crate::model::{Expectation, TestCase, TestValue};
use crate::resolve::ResolvedProfile;

/// The outcome of one test case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub name: String,
    /// JSON pointer of the case in its file.
    pub pointer: String,
    pub passed: bool,
    /// What the policy decided.
    pub decision: Expectation,
    /// The rule that decided.
    pub rule: String,
    /// Why the rule decided, in words.
    pub explanation: String,
    /// Each way the result differs from the expectation.
    pub mismatches: Vec<String>,
}

/// A `*.tests.toml` file: more cases for the profile of the same stem.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    #[serde(default)]
    pub tests: Vec<TestCase>,
}

fn text(v: &TestValue) -> String {
    match v {
        TestValue::String(s) => s.clone(),
        TestValue::Bool(b) => b.to_string(),
        TestValue::Integer(i) => i.to_string(),
    }
}

/// Connection fields of a test case, as the engine reads them from a connection file.
pub fn connection_params(name: &str, fields: &BTreeMap<String, TestValue>) -> ConnectionParams {
    let get = |k: &str| fields.get(k).map(text);
    ConnectionParams {
        name: name.to_owned(),
        account: get("account"),
        host: get("host"),
        authenticator: get("authenticator"),
        user: get("user"),
        role: get("role"),
        warehouse: get("warehouse"),
        database: get("database"),
        schema: get("schema"),
        password: get("password"),
        token: get("token"),
        token_file_path: get("token_file_path"),
        private_key_file: get("private_key_file"),
        private_key_path: get("private_key_path"),
        private_key_raw: get("private_key_raw"),
    }
}

/// The rule that decided a connection verdict: the first failing check, or the
/// account rule when everything passed.
pub fn decisive_rule(v: &ConnectionVerdict) -> &Rule {
    if v.account.status != AccountStatus::Allowed {
        &v.account.rule
    } else if !v.authenticator.allowed {
        &v.authenticator.rule
    } else if !v.role.compliant {
        &v.role.rule
    } else {
        &v.account.rule
    }
}

/// The kebab-case name of an account status, as profiles and reports spell it.
pub fn account_status_name(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Allowed => "allowed",
        AccountStatus::Denied => "denied",
        AccountStatus::Unverifiable => "unverifiable",
        AccountStatus::NotEvaluable => "not-evaluable",
        AccountStatus::HostMismatch => "host-mismatch",
    }
}

/// Run one case against `policy`.
pub fn run_case(policy: &Policy, pointer: &str, case: &TestCase) -> CaseResult {
    let mut mismatches = Vec::new();
    let (decision, rule, explanation) = match (&case.connection, &case.tool) {
        (Some(fields), None) => {
            let verdict = policy.evaluate_connection(&connection_params(&case.name, fields));
            if let Some(want) = &case.expect_account {
                let got = account_status_name(verdict.account.status);
                if !want.eq_ignore_ascii_case(got) {
                    mismatches.push(format!("expected account `{want}`, got `{got}`"));
                }
            }
            let rule = decisive_rule(&verdict).clone();
            let decision = if verdict.compliant {
                Expectation::Allow
            } else {
                Expectation::Deny
            };
            (
                decision,
                rule.id.as_str().to_owned(),
                rule.explanation.clone(),
            )
        }
        (None, Some(tool)) => match Invocation::parse(tool) {
            Ok(inv) => {
                let v = policy.permissions.evaluate(&inv);
                let decision = match v.decision {
                    Decision::Allow => Expectation::Allow,
                    Decision::Deny => Expectation::Deny,
                };
                (
                    decision,
                    v.rule.id.as_str().to_owned(),
                    v.rule.explanation.clone(),
                )
            }
            Err(e) => {
                mismatches.push(format!("invalid tool invocation: {e}"));
                (Expectation::Deny, String::new(), String::new())
            }
        },
        _ => {
            mismatches.push("a case names exactly one of `connection` and `tool`".into());
            (Expectation::Deny, String::new(), String::new())
        }
    };
    if decision != case.expect {
        mismatches.insert(
            0,
            format!("expected {}, got {}", word(case.expect), word(decision)),
        );
    }
    if let Some(want) = &case.expect_rule
        && *want != rule
    {
        mismatches.push(format!("expected rule `{want}`, got `{rule}`"));
    }
    CaseResult {
        name: case.name.clone(),
        pointer: pointer.to_owned(),
        passed: mismatches.is_empty(),
        decision,
        rule,
        explanation,
        mismatches,
    }
}

/// Run one case against a resolved profile: as [`run_case`], and a case that expects a
/// connection to be denied fails when the refusal rests on a Cortex Code control the
/// profile switches off (`[cortex] enabled = false`) and nothing else blocks it.
pub fn run_profile_case(profile: &ResolvedProfile, pointer: &str, case: &TestCase) -> CaseResult {
    let mut r = run_case(&profile.policy, pointer, case);
    if let (Some(fields), Expectation::Deny, Expectation::Deny) =
        (&case.connection, case.expect, r.decision)
    {
        let params = connection_params(&case.name, fields);
        let evaluator = profile.policy.evaluator();
        let verdict = evaluator.evaluate_connection(&params);
        if let Some(e) = enforced::when_disabled(profile, &evaluator, &params, &verdict)
            && !e.blocked
            && !e.switched_off.is_empty()
        {
            r.mismatches.insert(
                0,
                format!("expected deny, but nothing blocks it: {}", e.describe()),
            );
            r.passed = false;
        }
    }
    r
}

/// `allow` or `deny`.
pub fn word(e: Expectation) -> &'static str {
    match e {
        Expectation::Allow => "allow",
        Expectation::Deny => "deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsLoader, load};

    fn baseline() -> crate::ResolvedProfile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../profiles/examples/org-baseline.toml");
        load(&path, &FsLoader).profile.expect("baseline loads")
    }

    #[test]
    fn a_wrong_expectation_fails_with_the_reason() {
        let p = baseline();
        let mut fields = BTreeMap::new();
        fields.insert(
            "account".to_owned(),
            TestValue::String("globex-prod".into()),
        );
        fields.insert(
            "authenticator".to_owned(),
            TestValue::String("externalbrowser".into()),
        );
        let case = TestCase {
            name: "wrongly expected".into(),
            connection: Some(fields),
            tool: None,
            expect: Expectation::Allow,
            expect_account: Some("allowed".into()),
            expect_rule: None,
        };
        let r = run_case(&p.policy, "/tests/0", &case);
        assert!(!r.passed);
        assert_eq!(r.mismatches[0], "expected allow, got deny");
        assert!(r.mismatches[1].contains("`denied`"), "{:?}", r.mismatches);
    }

    #[test]
    fn a_deny_that_only_a_switched_off_control_enforces_fails() {
        let mut p = baseline();
        let mut fields = BTreeMap::new();
        fields.insert(
            "account".to_owned(),
            TestValue::String("globex-prod".into()),
        );
        fields.insert("role".to_owned(), TestValue::String("ANALYST".into()));
        let case = TestCase {
            name: "outside the allow list".into(),
            connection: Some(fields),
            tool: None,
            expect: Expectation::Deny,
            expect_account: Some("denied".into()),
            expect_rule: None,
        };
        assert!(run_profile_case(&p, "/tests/0", &case).passed);
        p.cortex.enabled = Some(false);
        let r = run_profile_case(&p, "/tests/0", &case);
        assert!(!r.passed);
        assert!(
            r.mismatches[0].starts_with("expected deny, but nothing blocks it:")
                && r.mismatches[0].contains("`tenant.allowedAccounts`"),
            "{:?}",
            r.mismatches
        );
        // The agent quarantining refused connections blocks it again.
        p.endpoint.forbidden_connections = warden_policy::RuleMode::Enforce;
        assert!(run_profile_case(&p, "/tests/0", &case).passed);
    }

    #[test]
    fn tool_cases_follow_the_permission_order() {
        let p = baseline();
        let case = TestCase {
            name: "rm".into(),
            connection: None,
            tool: Some("bash(rm -rf /)".into()),
            expect: Expectation::Deny,
            expect_account: None,
            expect_rule: Some("permissions.deny".into()),
        };
        let r = run_case(&p.policy, "/tests/0", &case);
        assert!(r.passed, "{r:?}");
    }
}
