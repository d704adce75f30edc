//! Intune custom compliance: for every example, the rules file matches a transcription
//! of Microsoft's documented format, and the values `warden-agent` prints for a
//! compliant and a non-compliant run lead Intune's operators to the expected outcomes.

use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_agent_core::report::{Finding, Format, Mode, PolicyInfo, Report, Severity};
use warden_compile::intune_compliance::{DISCOVERY_PATH, IntuneComplianceBackend, RULES_PATH};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<PathBuf> {
    let files = warden_profile::discover(&root().join("profiles/examples")).unwrap();
    assert!(files.len() >= 4);
    files
}

/// The two Intune files of a compiled example, through the compile pipeline.
fn compiled(path: &Path) -> (String, u64, Value, String) {
    let loaded = warden_profile::load(path, &warden_profile::FsLoader);
    let profile = loaded.profile.expect("the example loads");
    let mut out = warden_compile::compile(&profile).unwrap();
    out.add_bundle(b"{}".to_vec()).unwrap();
    out.deliver(&[&IntuneComplianceBackend::default()]).unwrap();
    let files = out.finish().unwrap();
    let get = |p: &str| {
        files
            .iter()
            .find(|a| a.path == p)
            .unwrap_or_else(|| panic!("{p} not compiled"))
            .bytes
            .clone()
    };
    let rules: Value = serde_json::from_slice(&get(RULES_PATH)).unwrap();
    let script = String::from_utf8(get(DISCOVERY_PATH)).unwrap();
    (
        profile.identity.id.clone(),
        profile.identity.serial,
        rules,
        script,
    )
}

/// Intune's comparison of one discovered value with one rule; `None` when the value is
/// missing or of another type (Intune then reports the setting as not compliant).
fn holds(rule: &Value, discovered: &Value) -> bool {
    let Some(actual) = discovered.get(rule["SettingName"].as_str().unwrap()) else {
        return false;
    };
    let operand = &rule["Operand"];
    let ord = match rule["DataType"].as_str().unwrap() {
        "Boolean" => actual
            .as_bool()
            .zip(operand.as_bool())
            .map(|(a, b)| a.cmp(&b)),
        "Int64" => actual
            .as_i64()
            .zip(operand.as_i64())
            .map(|(a, b)| a.cmp(&b)),
        "String" => actual.as_str().zip(operand.as_str()).map(|(a, b)| a.cmp(b)),
        other => panic!("data type {other} is not used by Warden"),
    };
    let Some(ord) = ord else { return false };
    use std::cmp::Ordering::*;
    match rule["Operator"].as_str().unwrap() {
        "IsEquals" => ord == Equal,
        "NotEquals" => ord != Equal,
        "GreaterThan" => ord == Greater,
        "GreaterEquals" => ord != Less,
        "LessThan" => ord == Less,
        "LessEquals" => ord != Greater,
        other => panic!("operator {other}"),
    }
}

fn failing(rules: &Value, discovered: &Value) -> Vec<String> {
    rules["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !holds(r, discovered))
        .map(|r| r["SettingName"].as_str().unwrap().to_owned())
        .collect()
}

fn discovered(report: &Report) -> Value {
    let line = report.render(Format::IntuneCompliance);
    assert!(
        line.ends_with('\n') && line.trim_end().lines().count() == 1,
        "{line}"
    );
    serde_json::from_str(&line).unwrap()
}

fn policy(id: &str, serial: u64) -> Option<PolicyInfo> {
    Some(PolicyInfo {
        id: id.to_owned(),
        serial,
        source: "registry".into(),
        expires: "2026-12-01T00:00:00Z".into(),
    })
}

#[test]
fn every_example_writes_documented_rules_that_judge_agent_reports() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/fixtures/intune/custom-compliance-rules.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap();
    for file in examples() {
        let (id, serial, rules, script) = compiled(&file);
        let problems: Vec<String> = validator
            .iter_errors(&rules)
            .map(|e| e.to_string())
            .collect();
        assert!(problems.is_empty(), "{id}: {problems:#?}");
        // Setting names are unique; Intune refuses duplicate rules.
        let names: Vec<&str> = rules["Rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["SettingName"].as_str().unwrap())
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{id}");
        // The script's own fallback values name every setting the rules judge.
        for n in &names {
            assert!(script.contains(n), "{id}: the script never sets {n}");
        }

        // A compliant run of this profile: every rule holds.
        let ok = Report::new(Mode::System, policy(&id, serial), vec![]);
        assert_eq!(
            failing(&rules, &discovered(&ok)),
            Vec::<String>::new(),
            "{id}"
        );
        // A newer serial of the same profile is still compliant.
        let newer = Report::new(Mode::System, policy(&id, serial + 1), vec![]);
        assert!(failing(&rules, &discovered(&newer)).is_empty(), "{id}");

        // Drift the agent could not repair: only the verdict fails.
        let drift = Report::new(
            Mode::System,
            policy(&id, serial),
            vec![Finding::new("mdm-value-different", Severity::Error, "x")],
        );
        assert_eq!(
            failing(&rules, &discovered(&drift)),
            ["WardenCompliant"],
            "{id}"
        );
        assert_eq!(
            discovered(&drift)["WardenOpenErrors"],
            "mdm-value-different"
        );

        // An older serial and another profile are caught by their own rules.
        if serial > 0 {
            let old = Report::new(Mode::System, policy(&id, serial - 1), vec![]);
            assert_eq!(
                failing(&rules, &discovered(&old)),
                ["WardenPolicySerial"],
                "{id}"
            );
        }
        let other = Report::new(Mode::System, policy("someone-else", serial), vec![]);
        assert_eq!(
            failing(&rules, &discovered(&other)),
            ["WardenPolicyId"],
            "{id}"
        );

        // No verified policy at all.
        let none = Report::cannot_evaluate(
            Mode::System,
            vec![Finding::new("no-bundle", Severity::Error, "x")],
        );
        assert_eq!(
            failing(&rules, &discovered(&none)),
            [
                "WardenPolicyEvaluable",
                "WardenPolicyId",
                "WardenPolicySerial",
                "WardenCompliant"
            ],
            "{id}"
        );
    }
}

#[test]
fn the_script_without_an_agent_reports_values_every_rule_but_one_rejects() {
    let (_, _, rules, script) = compiled(&examples()[0]);
    // The fallback hash of the script, as PowerShell's ConvertTo-Json would print it.
    let fallback = serde_json::json!({
        "WardenAgentInstalled": false,
        "WardenPolicyEvaluable": false,
        "WardenPolicyId": "",
        "WardenPolicySerial": 0,
        "WardenCompliant": false,
    });
    for (k, v) in fallback.as_object().unwrap() {
        let want = match v {
            Value::Bool(b) => format!("{k} = ${b}"),
            Value::String(s) => format!("{k} = '{s}'"),
            other => format!("{k} = {other}"),
        };
        let line = script
            .lines()
            .find(|l| l.trim_start().starts_with(k.as_str()))
            .unwrap_or_else(|| panic!("{k} missing"));
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>().join(" "),
            want,
            "{line}"
        );
    }
    assert_eq!(
        failing(&rules, &fallback).len(),
        rules["Rules"].as_array().unwrap().len()
    );
}
