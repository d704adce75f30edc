//! Every real-world file of the vendored corpus (tests/fixtures/connections/corpus),
//! staged in a home in the role its README gives it: `check` never panics and says
//! something concrete per file; `enforce` under a strict policy loses no line, and a
//! second run changes nothing.
#![cfg(unix)]

mod user_support;

use user_support::{Home, chmod, codes, policy_with, stage, tree};
use warden_agent_core::report::Report;
use warden_agent_core::user::{check, enforce};
use warden_policy::RuleMode;

fn corpus_file(prefix: &str) -> Vec<u8> {
    warden_testkit::connection_corpus_file(prefix).1
}

const CONNECTIONS: &[&str] = &[
    "01", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
];
const CONFIG: &[&str] = &["02", "03", "04", "05", "06", "20"];

fn staged(prefix: &str) -> (Home, &'static str, Vec<u8>) {
    let h = stage("empty-home");
    std::fs::create_dir(h.sf()).unwrap();
    chmod(&h.sf(), 0o700);
    let name = if CONFIG.contains(&prefix) {
        "config.toml"
    } else {
        "connections.toml"
    };
    let bytes = corpus_file(prefix);
    std::fs::write(h.sf().join(name), &bytes).unwrap();
    chmod(&h.sf().join(name), 0o600);
    (h, name, bytes)
}

fn has(r: &Report, code: &str) -> bool {
    r.findings.iter().any(|f| f.code == code)
}

fn status<'a>(r: &'a Report, name: &str) -> (&'a str, &'a str, bool) {
    let c = r
        .connections
        .as_ref()
        .unwrap()
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no connection {name}"));
    (
        c.account_status.as_str(),
        c.effective_authenticator.as_str(),
        c.compliant,
    )
}

fn names(r: &Report) -> Vec<&str> {
    r.connections
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect()
}

/// One concrete expectation per corpus file.
fn expect(prefix: &str, r: &Report) {
    let strict = |c: &str| assert!(has(r, c), "{prefix}: {c} missing from {:?}", codes(r));
    match prefix {
        "01" => {
            assert_eq!(
                status(r, "test2").1,
                "SNOWFLAKE_JWT",
                "a key file forces key-pair auth"
            );
            assert_eq!(status(r, "test1").0, "denied");
            strict("inline-token");
            strict("token-file-missing");
        }
        "02" => {
            assert_eq!(
                status(r, "full").0,
                "host-mismatch",
                "host `dev_host` does not name `dev_account`"
            );
            assert_eq!(names(r).len(), 10);
            strict("inline-token");
        }
        "03" => assert_eq!(names(r), ["example"]),
        "04" => strict("invalid-toml"),
        "05" => {
            assert!(names(r).is_empty());
            strict("required-connection-missing");
        }
        "06" => assert_eq!(names(r), ["default", "integration"]),
        "07" => {
            assert_eq!(status(r, "my-snowflake").0, "not-evaluable");
            strict("default-name-in-connections-toml");
        }
        "08" => strict("connections-prefix-in-connections-toml"),
        "09" => strict("not-a-table"),
        "10" => {
            assert_eq!(status(r, "POOGGWP-EQA42460").0, "denied");
            strict("role-forbidden");
            strict("plaintext-password");
        }
        "11" => strict("invalid-toml"),
        "12" => {
            assert_eq!(status(r, "default"), ("denied", "SNOWFLAKE", false));
            strict("plaintext-password");
        }
        "13" => {
            assert_eq!(
                status(r, "pg-ecommerce").0,
                "not-evaluable",
                "not a Snowflake file"
            );
            strict("account-not-evaluable");
        }
        "14" => {
            assert_eq!(
                names(r),
                ["sources"],
                "not a Snowflake file: one table of tables"
            );
            assert_eq!(status(r, "sources").0, "not-evaluable");
        }
        "15" => strict("invalid-toml"),
        "16" => strict("invalid-toml"),
        "17" => {
            assert_eq!(
                status(r, "snowflake_dev").0,
                "unverifiable",
                "a legacy locator"
            );
            strict("role-forbidden");
        }
        "18" => {
            assert_eq!(status(r, "TRIALAC").0, "denied");
            strict("authenticator-not-allowed");
        }
        "19" => {
            assert_eq!(status(r, "connections").0, "not-evaluable");
            strict("connections-prefix-in-connections-toml");
        }
        "20" => {
            assert_eq!(status(r, "snowflake").0, "denied");
            assert!(
                !has(r, "plaintext-password"),
                "a ${{VAR}} password is not a stored secret"
            );
            strict("default-connection-not-required");
        }
        "21" => strict("default-name-in-connections-toml"),
        other => panic!("no expectation for corpus file {other}"),
    }
}

#[test]
fn every_corpus_file_is_audited_and_enforced_without_loss() {
    let policy = policy_with(|e| e.modes.forbidden_connections = RuleMode::Enforce);
    for prefix in CONNECTIONS.iter().chain(CONFIG) {
        let (h, name, original) = staged(prefix);
        let r = check(&policy, &h.opts());
        assert!(r.evaluable, "{prefix}");
        expect(prefix, &r);

        let after = enforce(&policy, &h.opts());
        assert!(after.evaluable, "{prefix}");
        let live = std::fs::read(h.sf().join(name)).unwrap();
        let q = std::fs::read(h.sf().join("connections.quarantine.toml")).unwrap_or_default();
        let (live, q) = (String::from_utf8_lossy(&live), String::from_utf8_lossy(&q));
        for line in String::from_utf8_lossy(&original).lines() {
            // The one value the agent replaces; the backup keeps the original.
            if name == "config.toml" && line.starts_with("default_connection_name") {
                continue;
            }
            assert!(
                live.lines().any(|l| l == line) || q.lines().any(|l| l == line),
                "{prefix}: lost {line:?}\n--- live\n{live}\n--- quarantine\n{q}"
            );
        }
        if live.as_bytes() != original.as_slice() {
            let backup = std::fs::read(h.sf().join(format!("{name}.warden-backup"))).unwrap();
            assert_eq!(backup, original, "{prefix}: backup");
        }
        let before = tree(&h.home);
        enforce(&policy, &h.opts());
        assert_eq!(
            tree(&h.home),
            before,
            "{prefix}: second enforce changed something"
        );
    }
}
