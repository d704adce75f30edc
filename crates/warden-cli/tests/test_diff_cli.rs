//! `warden test` and `warden diff` run as real processes.

use std::path::Path;

use serde_json::Value;
use warden_testkit::repo_root;

const BASELINE: &str = "profiles/examples/org-baseline.toml";
const WIDER: &str = "tests/fixtures/diff/org-baseline-wider.toml";

/// Run the real `warden` binary from the repository root.
fn warden(args: &[&str]) -> (i32, String, String) {
    warden_testkit::run_binary(env!("CARGO_BIN_EXE_warden"), args)
}

fn last_line(s: &str) -> &str {
    s.trim_end().lines().last().unwrap_or_default()
}

/// `N passed, M failed` → (N, M).
fn counts(summary: &str) -> (usize, usize) {
    let (passed, failed) = summary
        .split_once(" passed, ")
        .unwrap_or_else(|| panic!("not a summary: {summary:?}"));
    let failed = failed
        .strip_suffix(" failed")
        .unwrap_or_else(|| panic!("not a summary: {summary:?}"));
    (passed.parse().unwrap(), failed.parse().unwrap())
}

#[test]
fn the_example_profiles_pass_their_own_cases() {
    let (code, stdout, stderr) = warden(&["test", "profiles/"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (passed, failed) = counts(last_line(&stdout));
    assert_eq!(failed, 0);
    // Every example profile declares cases; the baseline alone has eight.
    assert!(passed >= 8, "{stdout}");
    for id in [
        "acme-baseline",
        "acme-cortex-service",
        "globex-sso-strict",
        "acme-data-science",
        "globex-cortex-people",
    ] {
        assert!(
            stdout.contains(&format!("({id})")),
            "{id} missing:\n{stdout}"
        );
    }
}

#[test]
fn a_wrong_expectation_fails_with_the_mismatch_and_the_deciding_rule() {
    let (code, stdout, _) = warden(&["test", "tests/fixtures/diff/cases/wrong"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(last_line(&stdout), "1 passed, 1 failed");
    insta::assert_snapshot!(stdout, @r"
    tests/fixtures/diff/cases/wrong/wrong-expectation.toml (wrong-expectation)
      FAIL  a password login is allowed
            expected allow, got deny
            decided by `authenticators.forbidden`: `SNOWFLAKE` is forbidden

    1 passed, 1 failed
    ");
}

#[test]
fn cases_in_a_tests_file_beside_the_profile_are_run() {
    let (code, stdout, _) = warden(&["test", "-v", "tests/fixtures/diff/cases/beside"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(last_line(&stdout), "3 passed, 0 failed");
    // The tests file is not mistaken for a profile of its own.
    assert_eq!(stdout.matches("(team-beside)").count(), 1, "{stdout}");
    assert!(
        stdout.contains(
            "ok    production is outside the team's list  [deny by accounts.not-allowed]"
        )
    );
    assert!(stdout.contains(
        "ok    key pairs are not in the allowed set  [deny by authenticators.not-allowed]"
    ));
}

#[test]
fn a_broken_tests_file_is_a_failure_not_a_silent_skip() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/fixtures/diff/cases/beside/team.toml");
    std::fs::copy(&src, dir.path().join("team.toml")).unwrap();
    std::fs::write(
        dir.path().join("team.tests.toml"),
        "[[tests]]\nname = \"typo\"\nconnection = { account = \"acme-analytics\" }\nexpekt = \"allow\"\n",
    )
    .unwrap();
    let (code, stdout, _) = warden(&["test", path(dir.path())]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.contains("team.tests.toml"), "{stdout}");
    assert_eq!(last_line(&stdout), "0 passed, 1 failed");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let (code, _, stderr) = warden(&["test", "tests/fixtures/diff/absent"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn diff_marks_the_wider_allow_list_as_loosening() {
    let (code, stdout, _) = warden(&["diff", BASELINE, WIDER]);
    assert_eq!(code, 0, "loosening alone does not fail without the flag");
    insta::assert_snapshot!(stdout, @r"
    acme-baseline (serial 1) → acme-baseline (serial 2)
      LOOSENS   accounts       accounts matching `globex-*` are newly allowed
      LOOSENS   permissions    `bash(curl:*)` is no longer denied
      tightens  roles          role `SYSADMIN` is newly forbidden
    3 change(s), 2 loosening
    ");
}

#[test]
fn fail_on_loosen_exits_1_only_when_something_loosens() {
    let (code, _, _) = warden(&["diff", "--fail-on-loosen", BASELINE, WIDER]);
    assert_eq!(code, 1);
    let (code, stdout, _) = warden(&["diff", "--fail-on-loosen", BASELINE, BASELINE]);
    assert_eq!(code, 0);
    assert!(stdout.contains("no change in effect"), "{stdout}");
}

#[test]
fn diff_in_reverse_swaps_the_effects() {
    let (code, stdout, _) = warden(&[
        "diff",
        "--format",
        "json",
        "--fail-on-loosen",
        WIDER,
        BASELINE,
    ]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    // Only dropping SYSADMIN from the forbidden roles loosens on the way back.
    assert_eq!(doc["loosening"], 1);
    assert_eq!(code, 1);
    let loosening: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["effect"] == "loosening")
        .map(|c| c["area"].as_str().unwrap())
        .collect();
    assert_eq!(loosening, ["roles"]);
}

#[test]
fn diff_json_is_versioned() {
    let (code, stdout, _) = warden(&["diff", "--format", "json", BASELINE, WIDER]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "warden.diff/v1");
    assert_eq!(
        doc["old"],
        serde_json::json!({ "id": "acme-baseline", "serial": 1 })
    );
    assert_eq!(
        doc["new"],
        serde_json::json!({ "id": "acme-baseline", "serial": 2 })
    );
    assert_eq!(doc["loosening"], 2);
    let changes: Vec<(&str, &str)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["effect"].as_str().unwrap(), c["area"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            ("loosening", "accounts"),
            ("loosening", "permissions"),
            ("tightening", "roles"),
        ]
    );
    assert!(
        doc["changes"][0]["description"]
            .as_str()
            .unwrap()
            .contains("`globex-*`")
    );
}

#[test]
fn diff_markdown_is_ready_for_a_pull_request_comment() {
    let (code, stdout, _) = warden(&[
        "diff",
        "--format",
        "markdown",
        "--fail-on-loosen",
        BASELINE,
        WIDER,
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn diff_refuses_a_profile_that_does_not_validate() {
    let (code, _, stderr) = warden(&[
        "diff",
        BASELINE,
        "tests/fixtures/profiles/cli/five-problems.toml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("it does not validate"), "{stderr}");
}

/// Cases whose `deny` only a switched-off Cortex Code control would enforce fail, with
/// what still acts on the connection; the others pass.
#[test]
fn cases_that_rely_on_switched_off_cortex_controls_fail() {
    let (code, stdout, _) = warden(&["test", "tests/fixtures/explain/disabled/cortex-off.toml"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(counts(last_line(&stdout)), (3, 2), "{stdout}");
    insta::assert_snapshot!(stdout);
}
