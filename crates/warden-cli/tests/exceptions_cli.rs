//! Lint exceptions through `warden validate`, run as the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(code: &str) -> String {
    std::fs::read_to_string(root().join(format!("tests/fixtures/profiles/invalid/{code}.toml")))
        .unwrap()
}

fn validate(dir: &Path, file: &str, format: &str) -> (i32, String) {
    let o = Command::cargo_bin("warden")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .args(["validate", file, "--format", format])
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

/// The `dangerously-allow-all` fixture with an error-level lint added (a forbidden
/// default role) and an exception for each.
fn with_active_exceptions() -> String {
    let base = fixture("dangerously-allow-all").replace(
        "[connection]\nrequired_name = \"example\"",
        "[connection]\nrequired_name = \"example\"\ndefault_role = \"ACCOUNTADMIN\"\nforbidden_roles = [\"ACCOUNTADMIN\"]",
    );
    format!(
        "{base}\n[[exceptions]]\ncode = \"dangerously-allow-all\"\nreason = \"pilot group, reviewed by security\"\nexpires = \"2999-12-31\"\n\n[[exceptions]]\ncode = \"default-role-forbidden\"\nreason = \"break-glass profile\"\nexpires = \"2999-12-31\"\npath = \"/connection\"\n"
    )
}

#[test]
fn active_exceptions_suppress_and_sarif_says_so() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("p.toml"), with_active_exceptions()).unwrap();

    let (code, sarif) = validate(work.path(), "p.toml", "sarif");
    assert_eq!(code, 0, "{sarif}");
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    for id in ["dangerously-allow-all", "default-role-forbidden"] {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("{id} not reported: {sarif}"));
        assert_eq!(r["suppressions"][0]["kind"], "external", "{r}");
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .unwrap()
                .contains("expires 2999-12-31"),
            "{r}"
        );
    }

    let (code, human) = validate(work.path(), "p.toml", "human");
    assert_eq!(code, 0, "{human}");
    assert!(
        human.contains("suppressed[default-role-forbidden] (p.toml:"),
        "{human}"
    );
    assert!(
        human.contains("(exception: break-glass profile; expires 2999-12-31)"),
        "{human}"
    );
    assert!(
        human.contains("0 errors, 0 warnings, 2 suppressed by exceptions"),
        "{human}"
    );

    // GitHub annotations leave suppressed findings out.
    let (_, gh) = validate(work.path(), "p.toml", "github");
    assert!(!gh.contains("default-role-forbidden"), "{gh}");
}

#[test]
fn a_path_limits_what_an_exception_covers() {
    let work = tempfile::tempdir().unwrap();
    let text = with_active_exceptions().replace("path = \"/connection\"", "path = \"/cortex\"");
    std::fs::write(work.path().join("p.toml"), text).unwrap();
    let (code, human) = validate(work.path(), "p.toml", "human");
    assert_eq!(code, 1, "{human}");
    assert!(human.contains("error[default-role-forbidden]"), "{human}");
}

#[test]
fn an_expired_exception_fails_with_the_original_finding_and_a_note() {
    let work = tempfile::tempdir().unwrap();
    let text = with_active_exceptions().replace(
        "reason = \"break-glass profile\"\nexpires = \"2999-12-31\"",
        "reason = \"break-glass profile\"\nexpires = \"2020-01-31\"",
    );
    std::fs::write(work.path().join("p.toml"), text).unwrap();
    let (code, json) = validate(work.path(), "p.toml", "json");
    assert_eq!(code, 1, "{json}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let original = findings
        .iter()
        .find(|f| f["code"] == "default-role-forbidden")
        .unwrap();
    assert_eq!(original["severity"], "error");
    assert!(original.get("suppressed").is_none(), "{original}");
    let note = findings
        .iter()
        .find(|f| f["code"] == "exception-expired")
        .unwrap();
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-31 (break-glass profile); 1 finding(s)"),
        "{note}"
    );
    // The other, active exception still holds.
    let allow_all = findings
        .iter()
        .find(|f| f["code"] == "dangerously-allow-all")
        .unwrap();
    assert_eq!(allow_all["suppressed"]["expires"], "2999-12-31");
}

#[test]
fn an_exception_without_a_reason_is_an_error_and_suppresses_nothing() {
    let work = tempfile::tempdir().unwrap();
    let text = with_active_exceptions().replace("reason = \"break-glass profile\"\n", "");
    std::fs::write(work.path().join("p.toml"), text).unwrap();
    let (code, human) = validate(work.path(), "p.toml", "human");
    assert_eq!(code, 1, "{human}");
    assert!(human.contains("error[exception-without-reason]"), "{human}");
    assert!(human.contains("error[default-role-forbidden]"), "{human}");
}
