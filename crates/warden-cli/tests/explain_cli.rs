//! `warden explain` run as a real process over a realistic connection file.

use serde_json::Value;
use warden_testkit::repo_root;

const PROFILE: &str = "profiles/examples/org-baseline.toml";
const CONNECTIONS: &str = "tests/fixtures/explain/connections.toml";
const CONFIG: &str = "tests/fixtures/explain/config.toml";

/// Secret values written in the fixtures; none may ever reach the output.
const SECRETS: [&str; 3] = [
    "eyJraWQiOiI5ODc2NTQzMjEwIiwiYWxnIjoiRVMyNTYifQ",
    "Winter2024!",
    "Summer2019!",
];

/// Run the real `warden` binary from the repository root.
fn warden(args: &[&str]) -> (i32, String, String) {
    warden_testkit::run_binary(env!("CARGO_BIN_EXE_warden"), args)
}

fn explain_json(extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["explain", PROFILE, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = warden(&args);
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, doc)
}

fn connection<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no connection `{name}` in the report"))
}

/// What the policy must decide for one fixture connection.
struct Want {
    name: &'static str,
    compliant: bool,
    rule: &'static str,
    account: &'static str,
    authenticator: &'static str,
    source: &'static str,
    auth_rule: &'static str,
    role: &'static str,
    secrets: &'static [&'static str],
}

const SSO: &str = "EXTERNALBROWSER";

/// A compliant browser-SSO connection to an allowed account with the default role; each
/// fixture connection differs from it in what the entry names.
const BASE: Want = Want {
    name: "",
    compliant: true,
    rule: "accounts.allow",
    account: "allowed",
    authenticator: SSO,
    source: "configured",
    auth_rule: "authenticators.unrestricted",
    role: "default",
    secrets: &[],
};

const EXPECTED: [Want; 15] = [
    Want {
        name: "acme",
        ..BASE
    },
    Want {
        name: "prod-upper",
        ..BASE
    },
    Want {
        name: "prod-url",
        role: "other",
        ..BASE
    },
    Want {
        name: "prod-privatelink",
        authenticator: "OAUTH_AUTHORIZATION_CODE",
        ..BASE
    },
    Want {
        name: "dev-wrong-host",
        compliant: false,
        rule: "accounts.host-mismatch",
        account: "host-mismatch",
        ..BASE
    },
    Want {
        name: "legacy",
        compliant: false,
        rule: "accounts.locator-unverifiable",
        account: "unverifiable",
        ..BASE
    },
    Want {
        name: "ci-keypair",
        authenticator: "SNOWFLAKE_JWT",
        source: "private_key",
        auth_rule: "authenticators.per-account",
        role: "other",
        ..BASE
    },
    Want {
        name: "ci-okta",
        compliant: false,
        rule: "authenticators.per-account",
        authenticator: "https://acme.okta.com",
        auth_rule: "authenticators.per-account",
        ..BASE
    },
    Want {
        name: "analytics-pat",
        compliant: false,
        rule: "authenticators.forbidden",
        authenticator: "SNOWFLAKE",
        source: "default",
        auth_rule: "authenticators.forbidden",
        secrets: &["pat_in_password"],
        ..BASE
    },
    Want {
        name: "old-password",
        compliant: false,
        rule: "authenticators.forbidden",
        authenticator: "SNOWFLAKE",
        source: "default",
        auth_rule: "authenticators.forbidden",
        secrets: &["plaintext_password"],
        ..BASE
    },
    Want {
        name: "from-env",
        compliant: false,
        rule: "accounts.placeholder",
        account: "not-evaluable",
        ..BASE
    },
    Want {
        name: "admin",
        compliant: false,
        rule: "roles.forbidden",
        role: "forbidden",
        ..BASE
    },
    Want {
        name: "sandbox",
        compliant: false,
        rule: "accounts.deny",
        account: "denied",
        ..BASE
    },
    Want {
        name: "globex",
        compliant: false,
        rule: "accounts.not-allowed",
        account: "denied",
        ..BASE
    },
    Want {
        name: "no-role",
        compliant: false,
        rule: "roles.missing",
        role: "missing",
        ..BASE
    },
];

#[test]
fn every_connection_gets_the_decision_and_rule_of_the_engine() {
    let (code, doc) = explain_json(&["--connections", CONNECTIONS, "--config", CONFIG]);
    assert_eq!(code, 1, "some connections are not compliant");
    assert_eq!(doc["schema"], "warden.explain/v1");
    assert_eq!(doc["profile"]["id"], "acme-baseline");
    let names: Vec<&str> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let want_names: Vec<&str> = EXPECTED.iter().map(|w| w.name).collect();
    assert_eq!(
        names, want_names,
        "file order, old-laptop of config.toml ignored"
    );
    for w in &EXPECTED {
        let c = connection(&doc, w.name);
        let ctx = format!("connection `{}`: {c:#}", w.name);
        assert_eq!(c["compliant"], w.compliant, "{ctx}");
        assert_eq!(c["rule"]["id"], w.rule, "{ctx}");
        assert_eq!(c["account"]["status"], w.account, "{ctx}");
        assert_eq!(c["authenticator"]["effective"], w.authenticator, "{ctx}");
        assert_eq!(c["authenticator"]["source"], w.source, "{ctx}");
        assert_eq!(c["authenticator"]["rule"]["id"], w.auth_rule, "{ctx}");
        assert_eq!(c["role"]["status"], w.role, "{ctx}");
        let kinds: Vec<&str> = c["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, w.secrets, "{ctx}");
        assert_eq!(c["required"], w.name == "acme", "{ctx}");
        assert_eq!(c["default"], w.name == "acme", "{ctx}");
    }
    let compliant = EXPECTED.iter().filter(|w| w.compliant).count();
    assert_eq!(doc["summary"]["connections"], EXPECTED.len());
    assert_eq!(doc["summary"]["compliant"], compliant);
    assert_eq!(doc["summary"]["not_compliant"], EXPECTED.len() - compliant);
}

#[test]
fn account_spellings_and_hosts_are_normalised() {
    let (_, doc) = explain_json(&["--connections", CONNECTIONS]);
    for name in ["acme", "prod-upper", "prod-url"] {
        assert_eq!(connection(&doc, name)["account"]["normalized"], "acme-prod");
    }
    let pl = connection(&doc, "prod-privatelink");
    assert_eq!(pl["host"]["matches_account"], true);
    assert_eq!(pl["host"]["normalized"], "acme-prod.privatelink");
    let wrong = connection(&doc, "dev-wrong-host");
    assert_eq!(wrong["host"]["matches_account"], false);
    assert_eq!(wrong["host"]["normalized"], "acme-prod");
    assert_eq!(connection(&doc, "acme")["host"], Value::Null);
    let legacy = connection(&doc, "legacy");
    assert_eq!(legacy["account"]["normalized"], "xy12345.us-east-1");
    assert_eq!(legacy["account"]["kind"], "locator");
}

#[test]
fn file_notes_and_the_default_connection_follow_the_clients() {
    let (_, doc) = explain_json(&["--connections", CONNECTIONS, "--config", CONFIG]);
    assert_eq!(
        doc["default_connection"],
        serde_json::json!({ "name": "acme", "source": "config_toml", "defined": true })
    );
    assert_eq!(
        doc["required_connection"],
        serde_json::json!({ "name": "acme", "defined": true, "present": true, "is_default": true })
    );
    assert_eq!(doc["connections_file"], CONNECTIONS);
    let codes: Vec<(&str, Value)> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["code"].as_str().unwrap(), n["line"].clone()))
        .collect();
    assert_eq!(
        codes,
        [
            ("config-connections-ignored", Value::Null),
            ("default-name-in-connections-toml", Value::from(4)),
        ]
    );

    // Without config.toml, nothing names a default: the clients fall back to `default`,
    // and the name written in connections.toml does not count.
    let (_, doc) = explain_json(&["--connections", CONNECTIONS]);
    assert_eq!(doc["default_connection"]["name"], "default");
    assert_eq!(doc["default_connection"]["source"], "builtin");
    assert_eq!(connection(&doc, "admin")["default"], false);
}

#[test]
fn config_toml_alone_supplies_its_own_connections() {
    let (code, doc) = explain_json(&["--config", CONFIG]);
    assert_eq!(code, 1);
    assert_eq!(doc["connections_file"], CONFIG);
    let c = connection(&doc, "old-laptop");
    assert_eq!(doc["connections"].as_array().unwrap().len(), 1);
    assert_eq!(c["rule"]["id"], "authenticators.forbidden");
    assert_eq!(c["secrets"][0]["kind"], "plaintext_password");
    assert_eq!(doc["required_connection"]["defined"], false);
    assert_eq!(doc["required_connection"]["present"], false);
    assert_eq!(doc["required_connection"]["is_default"], false);
}

#[test]
fn a_connections_prefix_in_connections_toml_is_noted() {
    let (code, doc) = explain_json(&[
        "--connections",
        "tests/fixtures/explain/misplaced/connections.toml",
    ]);
    assert_eq!(code, 1);
    let notes: Vec<&str> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"connections-prefix-in-connections-toml"),
        "{notes:?}"
    );
    let c = connection(&doc, "connections");
    assert_eq!(c["rule"]["id"], "accounts.missing");
}

#[test]
fn name_selects_one_connection_and_sets_the_exit_code() {
    let (code, doc) = explain_json(&["--connections", CONNECTIONS, "--name", "acme"]);
    assert_eq!(code, 0, "the one explained connection is compliant");
    assert_eq!(doc["connections"].as_array().unwrap().len(), 1);
    assert_eq!(doc["connections"][0]["required"], true);

    let (code, doc) = explain_json(&["--connections", CONNECTIONS, "--name", "admin"]);
    assert_eq!(code, 1);
    assert_eq!(doc["connections"][0]["rule"]["id"], "roles.forbidden");
}

#[test]
fn secret_values_are_never_printed() {
    for format in ["text", "json"] {
        let (_, stdout, stderr) = warden(&[
            "explain",
            PROFILE,
            "--connections",
            CONNECTIONS,
            "--config",
            CONFIG,
            "--format",
            format,
        ]);
        for secret in SECRETS {
            assert!(!stdout.contains(secret), "{format} output leaks `{secret}`");
            assert!(!stderr.contains(secret), "{format} stderr leaks `{secret}`");
        }
    }
    let (_, stdout, _) = warden(&["explain", PROFILE, "--config", CONFIG]);
    assert!(stdout.contains("plaintext password in `password`"));
    assert!(!stdout.contains("Summer2019!"));
}

#[test]
fn text_output_is_one_aligned_block_per_connection() {
    let (code, stdout, stderr) = warden(&[
        "explain",
        PROFILE,
        "--connections",
        CONNECTIONS,
        "--config",
        CONFIG,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains('\u{1b}'), "no colour off a terminal");
    insta::assert_snapshot!(stdout);
}

#[test]
fn invalid_toml_is_a_usage_error_with_its_position() {
    let (code, stdout, stderr) = warden(&[
        "explain",
        PROFILE,
        "--connections",
        "tests/fixtures/explain/broken/connections.toml",
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("tests/fixtures/explain/broken/connections.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("invalid TOML at line 3, column"),
        "{stderr}"
    );
}

#[test]
fn missing_inputs_and_unknown_names_exit_2() {
    let (code, _, stderr) = warden(&[
        "explain",
        PROFILE,
        "--connections",
        "tests/fixtures/explain/absent.toml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");

    let (code, _, stderr) = warden(&["explain", PROFILE]);
    assert_eq!(code, 2, "a connection file is required: {stderr}");

    let (code, _, stderr) = warden(&[
        "explain",
        PROFILE,
        "--connections",
        CONNECTIONS,
        "--name",
        "ACME",
    ]);
    assert_eq!(code, 2, "names are case-sensitive, as in the clients");
    assert!(stderr.contains("no connection named `ACME`"), "{stderr}");
}

#[test]
fn a_profile_with_errors_cannot_explain() {
    let (code, stdout, stderr) = warden(&[
        "explain",
        "tests/fixtures/profiles/cli/five-problems.toml",
        "--connections",
        CONNECTIONS,
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "stdout stays clean for JSON consumers");
    assert!(stderr.contains("it does not validate"), "{stderr}");
    assert!(stderr.contains("error[unknown-key]"), "{stderr}");
}

/// `(name, is_default)` as `snow connection list` reports them for a directory holding
/// copies of the fixture files.
#[cfg(unix)]
fn snow_list(snow: &std::path::Path, files: &[&str]) -> Vec<(String, bool)> {
    let copies: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|file| {
            let src = repo_root().join(file);
            let name = src.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&src).unwrap())
        })
        .collect();
    warden_testkit::snow::SnowHome::with_files(
        copies.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
    )
    .connection_list(snow, &[])
}

#[cfg(unix)]
#[test]
fn interop_snow_sees_the_connections_and_default_that_explain_judges() {
    let Some(snow) = warden_testkit::require_tool("snow") else {
        return;
    };
    let setups: [(&[&str], &[&str]); 3] = [
        (
            &[CONFIG, CONNECTIONS],
            &["--connections", CONNECTIONS, "--config", CONFIG],
        ),
        (&[CONNECTIONS], &["--connections", CONNECTIONS]),
        (&[CONFIG], &["--config", CONFIG]),
    ];
    for (files, args) in setups {
        let (_, doc) = explain_json(args);
        let ours: Vec<(String, bool)> = doc["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["default"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(ours, snow_list(&snow, files), "files: {files:?}");
    }
}

const PERMISSION_CONNECTIONS: &str = "tests/fixtures/explain/permissions/connections.toml";

fn explain_one(profile: &str, name: &str) -> Value {
    let (_, stdout, stderr) = warden(&[
        "explain",
        profile,
        "--connections",
        PERMISSION_CONNECTIONS,
        "--name",
        name,
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    connection(&doc, name).clone()
}

/// sso-only's tool-only `onlyAllow` with `defaultMode: deny`: the compiled list names
/// the allowed account, so explain, the profile's test and Cortex Code agree.
#[test]
fn explain_agrees_with_the_profile_test_under_a_tool_only_allowlist() {
    let c = explain_one("profiles/examples/sso-only.toml", "globex");
    assert_eq!(c["compliant"], true, "{c:#}");
    let (code, stdout, _) = warden(&["test", "profiles/examples/sso-only.toml"]);
    assert_eq!(code, 0, "{stdout}");
}

/// An `account(…)` pattern in `permissions.deny` blocks the CLI; explain and test say so.
#[test]
fn explain_judges_accounts_through_the_permissions() {
    let profile = "tests/fixtures/explain/permissions/account-deny.toml";
    let c = explain_one(profile, "legacy");
    assert_eq!(c["compliant"], false, "{c:#}");
    assert!(c.to_string().contains("permissions.deny"), "{c:#}");
    let (code, stdout, _) = warden(&["test", profile]);
    assert_eq!(code, 0, "{stdout}");
}

const CORTEX_OFF: &str = "tests/fixtures/explain/disabled/cortex-off.toml";

/// With `[cortex] enabled = false`, explain says what still refuses each connection.
#[test]
fn with_the_cortex_controls_off_explain_reports_what_is_enforced() {
    let (code, stdout, stderr) = warden(&[
        "explain",
        CORTEX_OFF,
        "--connections",
        CONNECTIONS,
        "--config",
        CONFIG,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("Cortex Code controls are disabled"),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn with_the_cortex_controls_off_the_json_report_carries_the_enforcement() {
    let (_, stdout, stderr) = warden(&[
        "explain",
        CORTEX_OFF,
        "--connections",
        CONNECTIONS,
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    assert_eq!(doc["cortex_controls_enabled"], false);
    // Outside the allow list: only `tenant.allowedAccounts` refused it, and it is off.
    let globex = &connection(&doc, "globex")["enforcement"];
    assert_eq!(globex["blocked"], false, "{globex:#}");
    assert_eq!(
        globex["switched_off"],
        serde_json::json!(["tenant.allowedAccounts"])
    );
    // A denied account is still refused by the CLI's `account(…)` permissions.
    let sandbox = &connection(&doc, "sandbox")["enforcement"];
    assert_eq!(sandbox["blocked"], true, "{sandbox:#}");
    assert!(
        sandbox["by"][0]
            .as_str()
            .unwrap()
            .contains("permissions.deny")
    );
    // A password login: `auth.*` is off as well.
    let old = &connection(&doc, "old-password")["enforcement"];
    assert_eq!(
        old["switched_off"],
        serde_json::json!(["auth.allowedMethods"])
    );
    // Compliant connections carry none.
    assert!(connection(&doc, "acme").get("enforcement").is_none());
    assert!(doc["summary"]["not_blocked"].as_u64().unwrap() >= 2);

    // With the controls on nothing changes.
    let (_, on) = explain_json(&["--connections", CONNECTIONS]);
    assert_eq!(on["cortex_controls_enabled"], true);
    assert!(connection(&on, "globex").get("enforcement").is_none());
    assert_eq!(on["summary"]["not_blocked"], 0);
}

/// The enforcement map marks the switched-off controls as not enforced.
#[test]
fn with_the_cortex_controls_off_the_enforcement_map_says_not_enforced() {
    let (code, stdout, stderr) =
        warden(&["explain", CORTEX_OFF, "--enforcement", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let control = |id: &str| -> Value {
        doc["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no control {id}: {doc:#}"))
            .clone()
    };
    for id in ["tenant.allowedAccounts", "auth.allowedMethods"] {
        for cell in control(id)["cells"].as_array().unwrap() {
            assert_eq!(
                cell["mechanisms"],
                serde_json::json!(["not-enforced"]),
                "{id}: {cell:#}"
            );
            assert_eq!(cell["tamper_resistance"], "none");
        }
    }
    // The CLI still applies the `account(…)` permissions.
    let deny = control("permissions.deny[account()]");
    assert!(
        deny["cells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client"] == "cli" && c["mechanisms"] != serde_json::json!(["not-enforced"])),
        "{deny:#}"
    );
}
