//! The real `warden-agent check --user --format json` over the vendored real-world
//! connection files (`tests/fixtures/connections/corpus/`): every connection-level
//! finding names its connection and file, and the report carries the directory-wide
//! facts (`snowflake_dir`, `default_connection`, `required_connection`).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};
use warden_bundle::{EndpointPolicy, ExpectedCortex, PolicyBody, RequiredConnection, Statement};
use warden_policy::{EndpointModes, RuleMode};
use warden_trust::keys::SigningKey;
use warden_trust::time::parse_utc;

const NOW: &str = "2026-03-01T00:00:00Z";

/// Findings about one connection (the `connection` column of `docs/agent.md`).
const CONNECTION_CODES: &[&str] = &[
    "account-denied",
    "host-mismatch",
    "authenticator-not-allowed",
    "role-forbidden",
    "account-unverifiable",
    "account-not-evaluable",
    "role-missing",
    "role-placeholder",
    "plaintext-password",
    "pat-in-password",
    "inline-token",
    "inline-private-key",
    "key-file-mode",
    "key-file-missing",
    "token-file-mode",
    "token-file-missing",
    "required-connection-role",
];

/// The corpus files that are `config.toml` (README); the others are `connections.toml`.
const CONFIG: &[&str] = &["02", "03", "04", "05", "06", "20"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> Vec<(String, PathBuf)> {
    let dir = repo().join("tests/fixtures/connections/corpus");
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy()[..2].to_owned(), p))
        .collect();
    files.sort();
    assert_eq!(files.len(), 21, "the vendored corpus has 21 files");
    files
}

fn key(name: &str) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("warden-agent-fixture-key:{name}")).into();
    SigningKey::from_bytes(&seed)
}

/// The example baseline's rules, every endpoint rule in `audit`, requiring `required`.
fn bundle(required: &str) -> Vec<u8> {
    let path = repo().join("profiles/examples/org-baseline.toml");
    let p = warden_profile::load(&path, &warden_profile::FsLoader)
        .profile
        .expect("the example profile loads");
    let ts = |t: &str| parse_utc(t).unwrap();
    let modes = EndpointModes {
        managed_settings: RuleMode::Audit,
        required_connection: RuleMode::Audit,
        default_connection: RuleMode::Audit,
        role: RuleMode::Audit,
        forbidden_connections: RuleMode::Audit,
        plaintext_secrets: RuleMode::Audit,
        file_modes: RuleMode::Audit,
    };
    let mut policy = p.policy;
    policy.required_connection = Some(required.to_owned());
    let statement: Statement = warden_trust::PolicyStatement {
        profile_id: "acme-baseline".to_owned(),
        serial: 7,
        issued_at: ts("2026-02-15T00:00:00Z"),
        not_before: ts("2026-02-15T00:00:00Z"),
        expires: ts("2026-03-31T00:00:00Z"),
        trust_root_version: 1,
        manifest: BTreeMap::new(),
        body: PolicyBody {
            cortex: ExpectedCortex::new(b"{}\n", BTreeMap::new(), BTreeMap::new()),
            endpoint: EndpointPolicy {
                policy,
                modes,
                required_connection: Some(RequiredConnection {
                    name: required.to_owned(),
                    role: p.connection.default_role.clone(),
                    warehouse: None,
                    template: None,
                }),
            },
        },
    };
    warden_trust::sign_bundle(&statement.to_json().unwrap(), &[&key("signer-ci")]).to_json()
}

struct Endpoint {
    root: tempfile::TempDir,
    home: tempfile::TempDir,
}

fn put(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Endpoint {
    fn new(required: &str) -> Self {
        let e = Self {
            root: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        let trust =
            std::fs::read(repo().join("tests/fixtures/agent/system/trust-root.json")).unwrap();
        put(
            &e.root.path().join("etc/warden/trust-root.json"),
            &trust,
            0o644,
        );
        put(
            &e.root.path().join("etc/warden/bundle.dsse.json"),
            &bundle(required),
            0o644,
        );
        let sf = e.home.path().join(".snowflake");
        std::fs::create_dir(&sf).unwrap();
        std::fs::set_permissions(&sf, std::fs::Permissions::from_mode(0o700)).unwrap();
        e
    }

    fn stage(&self, prefix: &str, file: &Path) -> PathBuf {
        let name = if CONFIG.contains(&prefix) {
            "config.toml"
        } else {
            "connections.toml"
        };
        let path = self.home.path().join(".snowflake").join(name);
        put(&path, &std::fs::read(file).unwrap(), 0o600);
        path
    }

    fn check(&self) -> Value {
        let out = self.run(&["check", "--user", "--format", "json"]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// The agent's stdout for `args`, on this endpoint's root and home.
    fn run(&self, args: &[&str]) -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
            .args(args)
            .args(["--now", NOW])
            .args(["--platform", "linux", "--root"])
            .arg(self.root.path())
            .arg("--home")
            .arg(self.home.path())
            .env("HOME", self.home.path())
            .env_remove("SNOWFLAKE_HOME")
            .env_remove("SNOWFLAKE_DEFAULT_CONNECTION_NAME")
            .env_remove("SNOWFLAKE_CONNECTIONS")
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    }

    fn record(&self) -> PathBuf {
        self.home
            .path()
            .join(".local/state/warden/last-user-result.json")
    }

    /// System mode's Jamf line with the console user `alice` at this endpoint's home.
    fn jamf_line(&self) -> String {
        let home = self.home.path().display().to_string();
        let line = self.run(&[
            "check",
            "--system",
            "--format",
            "jamf",
            "--console-user",
            "alice",
            "--console-home",
            &home,
        ]);
        let (_system, user) = line
            .split_once("; user alice: ")
            .unwrap_or_else(|| panic!("no console user in {line:?}"));
        user.trim_end_matches("</result>\n").to_owned()
    }
}

#[test]
fn system_mode_reports_the_console_users_last_enforce_in_the_same_line() {
    // Corpus file 20 connects to an account the baseline does not allow.
    let (prefix, file) = corpus().into_iter().find(|(p, _)| p == "20").unwrap();
    let e = Endpoint::new("snowflake");
    e.stage(&prefix, &file);

    // `check --user` records nothing; the system line says so.
    e.run(&["check", "--user"]);
    assert!(!e.record().exists());
    assert_eq!(e.jamf_line(), "no result recorded");

    // `enforce --user` records its verdict, 0600, for the system job.
    e.run(&["enforce", "--user"]);
    let mode = std::fs::metadata(e.record()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let recorded: Value = serde_json::from_slice(&std::fs::read(e.record()).unwrap()).unwrap();
    assert_eq!(recorded["schema"], "warden.user-result/v1");
    assert_eq!(recorded["recorded_at"], NOW);
    let line = e.jamf_line();
    assert!(
        line.starts_with("non-compliant: ") && line.contains("account-denied"),
        "{line}"
    );
    assert!(
        line.ends_with(&format!("(acme-baseline #7, {NOW})")),
        "{line}"
    );

    // The JSON report carries the same facts.
    let home = e.home.path().display().to_string();
    let json: Value = serde_json::from_str(&e.run(&[
        "check",
        "--system",
        "--format",
        "json",
        "--console-user",
        "alice",
        "--console-home",
        &home,
    ]))
    .unwrap();
    assert_eq!(json["console_user"]["name"], "alice", "{json:#}");
    assert_eq!(json["console_user"]["status"], "non-compliant", "{json:#}");
    assert_eq!(json["console_user"]["result"]["exit_code"], 1, "{json:#}");

    // A record someone else could have rewritten is not taken.
    std::fs::set_permissions(e.record(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let line = e.jamf_line();
    assert!(
        line.starts_with("result not trusted: ") && line.contains("writable by group or others"),
        "{line}"
    );
}

#[test]
fn every_connection_finding_names_its_connection_and_file() {
    let mut checked = 0;
    for (prefix, file) in corpus() {
        let e = Endpoint::new("acme");
        let staged = e.stage(&prefix, &file);
        let json = e.check();
        let ctx = format!("corpus file {prefix}: {json:#}");
        assert_eq!(json["schema"], "warden.report/v1", "{ctx}");
        assert_eq!(json["mode"], "user", "{ctx}");
        assert_eq!(
            json["snowflake_dir"],
            e.home.path().join(".snowflake").display().to_string(),
            "{ctx}"
        );
        // Present, null when no connection of the default name exists.
        let default = json
            .get("default_connection")
            .unwrap_or_else(|| panic!("no default_connection: {ctx}"));
        let names: Vec<&str> = json["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        match default.as_str() {
            Some(d) => assert!(names.contains(&d), "{ctx}"),
            None => assert!(default.is_null(), "{ctx}"),
        }
        let req = &json["required_connection"];
        assert_eq!(req["name"], "acme", "{ctx}");
        assert_eq!(req["present"], names.contains(&"acme"), "{ctx}");
        assert_eq!(req["is_default"], default == "acme", "{ctx}");

        for f in json["findings"].as_array().unwrap() {
            let code = f["code"].as_str().unwrap();
            for key in ["connection", "file", "line", "rule"] {
                assert!(f.get(key).is_some(), "finding without `{key}`: {f}");
            }
            if !CONNECTION_CODES.contains(&code) {
                continue;
            }
            checked += 1;
            let conn = f["connection"]
                .as_str()
                .unwrap_or_else(|| panic!("{code} without a connection in {prefix}: {f}"));
            assert_eq!(
                f["file"],
                staged.display().to_string(),
                "{code} in {prefix}: {f}"
            );
            assert!(names.contains(&conn), "{code} names `{conn}`: {ctx}");
            assert!(f["line"].as_u64().is_some_and(|l| l >= 1), "{f}");
            assert!(f["rule"].as_str().is_some_and(|r| !r.is_empty()), "{f}");
        }
    }
    // The corpus has dozens of connection-level findings under the baseline.
    assert!(
        checked >= 20,
        "only {checked} connection-level findings checked"
    );
}

#[test]
fn a_present_default_required_connection_is_reported_as_such() {
    // Corpus file 20 is a config.toml whose `default_connection_name` is `snowflake`.
    let (prefix, file) = corpus().into_iter().find(|(p, _)| p == "20").unwrap();
    let e = Endpoint::new("snowflake");
    e.stage(&prefix, &file);
    let json = e.check();
    assert_eq!(json["default_connection"], "snowflake", "{json:#}");
    assert_eq!(
        json["required_connection"],
        serde_json::json!({"name": "snowflake", "present": true, "is_default": true}),
        "{json:#}"
    );
    let denied = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["connection"] == "snowflake" && f["code"] == "account-denied")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(denied["rule"], "accounts.not-allowed", "{denied}");
    assert_eq!(denied["line"], 3);
}
