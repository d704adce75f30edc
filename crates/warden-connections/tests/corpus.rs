//! Every real-world file of the vendored corpus (tests/fixtures/connections/corpus): no panic, and concrete expectations per file
//! (names in file order, default connection, notes, and policy evaluation of the params).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use warden_connections::{ConnectionSet, DefaultSource, FileError, FileInput, FileKind, NoteCode};
use warden_policy::{AccountKind, AccountStatus, Authenticator, Policy, SecretKind};

fn corpus_file(prefix: &str) -> (PathBuf, Vec<u8>) {
    warden_testkit::connection_corpus_file(prefix)
}

/// Loads a corpus file in the role its README gives it.
fn load(prefix: &str, kind: FileKind) -> ConnectionSet {
    let (path, bytes) = corpus_file(prefix);
    let input = FileInput {
        path: &path,
        content: Ok(&bytes),
    };
    let env = BTreeMap::new();
    match kind {
        FileKind::ConfigToml => ConnectionSet::build(Some(input), None, &env),
        FileKind::ConnectionsToml => ConnectionSet::build(None, Some(input), &env),
    }
}

fn names(set: &ConnectionSet) -> Vec<&str> {
    set.connections.iter().map(|c| c.name.as_str()).collect()
}

fn codes(set: &ConnectionSet) -> Vec<NoteCode> {
    set.notes.iter().map(|n| n.code).collect()
}

const CONNECTIONS: &[&str] = &[
    "01", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
];
const CONFIG: &[&str] = &["02", "03", "04", "05", "06", "20"];

#[test]
fn every_file_loads_without_panic_and_evaluates() {
    let policy = Policy::default();
    for (list, kind) in [
        (CONNECTIONS, FileKind::ConnectionsToml),
        (CONFIG, FileKind::ConfigToml),
    ] {
        for prefix in list {
            let set = load(prefix, kind);
            assert_eq!(set.files.len(), 1, "{prefix}");
            for c in &set.connections {
                let v = policy.evaluate_connection(&c.params);
                assert_eq!(v.name, c.name);
                assert!(c.line >= 1);
            }
        }
    }
}

#[test]
fn posit_connections_toml() {
    let set = load("01", FileKind::ConnectionsToml);
    assert!(set.is_readable());
    assert_eq!(
        names(&set),
        [
            "test1",
            "test2",
            "test3",
            "test4",
            "test5",
            "test6",
            "test7",
            "test8",
            "wif_valid",
            "wif_valid_token_file",
            "wif_missing_token",
            "wif_missing_provider"
        ]
    );
    assert_eq!(set.get("test1").unwrap().line, 1);
    assert_eq!(set.get("test2").unwrap().line, 7);
    let policy = Policy::default();
    let test2 = policy.evaluate_connection(&set.get("test2").unwrap().params);
    assert_eq!(test2.authenticator.effective, Authenticator::SnowflakeJwt);
    assert_eq!(
        set.get("test2")
            .unwrap()
            .other
            .get("private_key_file_pwd")
            .map(String::as_str),
        Some("\"REDACTED\"")
    );
    let test4 = policy.evaluate_connection(&set.get("test4").unwrap().params);
    assert_eq!(test4.secrets[0].kind, SecretKind::PlaintextPassword);
    assert_eq!(
        test4.account.normalized.as_deref(),
        Some("testorg-test_account")
    );
    let test5 = policy.evaluate_connection(&set.get("test5").unwrap().params);
    assert_eq!(test5.account.status, AccountStatus::NotEvaluable);
    let wif = policy.evaluate_connection(&set.get("wif_valid").unwrap().params);
    assert_eq!(wif.authenticator.effective, Authenticator::WorkloadIdentity);
    assert_eq!(set.default_connection_name, "default");
    assert_eq!(codes(&set), [NoteCode::DefaultConnectionMissing]);
}

#[test]
fn snowflake_cli_config_toml() {
    let set = load("02", FileKind::ConfigToml);
    assert_eq!(
        names(&set),
        [
            "full",
            "default",
            "empty",
            "test_connections",
            "private_key_file",
            "private_key_path",
            "no_private_key",
            "jwt",
            "wif",
            "wif_oidc"
        ]
    );
    assert_eq!(set.default_connection().unwrap().name, "default");
    let full = set.get("full").unwrap();
    assert_eq!(full.other.get("port").map(String::as_str), Some("8000"));
    let v = Policy::default().evaluate_connection(&full.params);
    // `host = "dev_host"` is no Snowflake host of `dev_account`.
    assert_eq!(v.account.status, AccountStatus::HostMismatch);
    let pkp = Policy::default().evaluate_connection(&set.get("private_key_path").unwrap().params);
    assert_eq!(pkp.authenticator.effective, Authenticator::SnowflakeJwt);
}

#[test]
fn malformed_files_are_typed_errors() {
    // Duplicate key.
    let set = load("04", FileKind::ConfigToml);
    assert!(!set.is_readable());
    assert!(
        matches!(set.files[0].error, Some(FileError::Toml { line: 5, .. })),
        "{:?}",
        set.files
    );
    assert!(set.connections.is_empty());
    assert_eq!(codes(&set), [NoteCode::FileUnreadable]);
    // Shell `export` lines pasted into the file.
    let set = load("15", FileKind::ConnectionsToml);
    assert!(
        matches!(set.files[0].error, Some(FileError::Toml { line: 20, .. })),
        "{:?}",
        set.files
    );
    // `[[connections]]` followed by a stray code fence.
    let set = load("11", FileKind::ConnectionsToml);
    assert!(
        matches!(set.files[0].error, Some(FileError::Toml { line: 11, .. })),
        "{:?}",
        set.files
    );
    let set = load("16", FileKind::ConnectionsToml);
    assert!(!set.is_readable());
}

#[test]
fn empty_config() {
    let set = load("05", FileKind::ConfigToml);
    assert!(set.is_readable());
    assert!(set.connections.is_empty());
    assert_eq!(codes(&set), [NoteCode::DefaultConnectionMissing]);
}

#[test]
fn default_name_in_connections_toml_is_ignored() {
    let set = load("07", FileKind::ConnectionsToml);
    assert_eq!(names(&set), ["my-snowflake"]);
    assert_eq!(set.default_connection_name, "default");
    assert_eq!(set.default_connection_source, DefaultSource::Builtin);
    assert!(codes(&set).contains(&NoteCode::DefaultNameInConnectionsToml));
    let v = Policy::default().evaluate_connection(&set.get("my-snowflake").unwrap().params);
    assert_eq!(v.account.kind, Some(AccountKind::Invalid));
    assert_eq!(v.account.status, AccountStatus::NotEvaluable);

    let set = load("21", FileKind::ConnectionsToml);
    assert_eq!(names(&set), ["connections"]);
    assert_eq!(
        codes(&set),
        [
            NoteCode::DefaultNameInConnectionsToml,
            NoteCode::ConnectionsPrefixInConnectionsToml,
            NoteCode::DefaultConnectionMissing
        ]
    );
}

#[test]
fn connections_prefix_misused() {
    let set = load("08", FileKind::ConnectionsToml);
    assert_eq!(names(&set), ["connections"]);
    assert!(codes(&set).contains(&NoteCode::ConnectionsPrefixInConnectionsToml));
    assert!(set.get("connections").unwrap().params.account.is_none());
}

#[test]
fn top_level_keys_are_not_connections() {
    let set = load("09", FileKind::ConnectionsToml);
    assert!(set.connections.is_empty());
    let not_tables = set
        .notes
        .iter()
        .filter(|n| n.code == NoteCode::NotATable)
        .count();
    assert_eq!(not_tables, 7);
    assert_eq!(set.notes[0].line, Some(1));
}

#[test]
fn upper_case_and_jwt_connections() {
    let set = load("10", FileKind::ConnectionsToml);
    assert_eq!(
        names(&set),
        ["POOGGWP-EQA42460", "snowjan2025", "POOGGWP-EQA42460_2"]
    );
    let policy = Policy::default();
    let v = policy.evaluate_connection(&set.get("POOGGWP-EQA42460_2").unwrap().params);
    assert_eq!(v.account.normalized.as_deref(), Some("pooggwp-eqa42460"));
    assert_eq!(v.authenticator.effective, Authenticator::SnowflakeJwt);

    let set = load("12", FileKind::ConnectionsToml);
    let v = policy.evaluate_connection(&set.get("default").unwrap().params);
    assert_eq!(v.account.normalized.as_deref(), Some("wkpsrtu-zkb28481"));
    assert!(set.default_connection().is_some());
}

#[test]
fn locators_and_placeholders() {
    let policy = Policy {
        accounts: warden_policy::AccountPolicy {
            allow: vec![vec!["acme-*".into()]],
            deny: vec![],
        },
        ..Default::default()
    };
    let set = load("17", FileKind::ConnectionsToml);
    let v = policy.evaluate_connection(&set.get("snowflake_dev").unwrap().params);
    assert_eq!(v.account.kind, Some(AccountKind::Locator));
    assert_eq!(v.account.status, AccountStatus::Unverifiable);

    let set = load("19", FileKind::ConnectionsToml);
    assert_eq!(names(&set), ["connections", "config"]);
    let set = load("20", FileKind::ConfigToml);
    assert_eq!(set.default_connection_name, "snowflake");
    assert_eq!(set.default_connection_source, DefaultSource::ConfigToml);
    let c = set.default_connection().unwrap();
    let v = policy.evaluate_connection(&c.params);
    // `${SNOWFLAKE_PASSWORD}` is a reference, not a stored secret.
    assert!(v.secrets.is_empty());
    assert_eq!(
        c.other
            .get("client_session_keep_active")
            .map(String::as_str),
        Some("true")
    );
}

#[test]
fn not_snowflake_files() {
    // A database client's file and a data-pipeline file: tables, but no Snowflake account.
    let set = load("13", FileKind::ConnectionsToml);
    assert_eq!(names(&set).len(), 6);
    let policy = Policy::default();
    for c in &set.connections {
        let v = policy.evaluate_connection(&c.params);
        assert_eq!(v.account.status, AccountStatus::NotEvaluable, "{}", c.name);
    }
    let set = load("14", FileKind::ConnectionsToml);
    assert_eq!(names(&set), ["sources"]);
    let set = load("18", FileKind::ConnectionsToml);
    let v = policy.evaluate_connection(&set.get("TRIALAC").unwrap().params);
    assert_eq!(v.account.normalized.as_deref(), Some("org-account"));
    assert_eq!(v.role.value.as_deref(), Some("ACCOUNTADMIN"));
}

#[test]
fn both_files_in_one_directory() {
    let (cfg_path, cfg) = corpus_file("20");
    let (conn_path, conn) = corpus_file("12");
    let set = ConnectionSet::build(
        Some(FileInput {
            path: &cfg_path,
            content: Ok(&cfg),
        }),
        Some(FileInput {
            path: &conn_path,
            content: Ok(&conn),
        }),
        &BTreeMap::new(),
    );
    assert_eq!(names(&set), ["default"]);
    assert_eq!(set.default_connection_name, "snowflake");
    assert_eq!(
        codes(&set),
        [
            NoteCode::ConfigConnectionsIgnored,
            NoteCode::DefaultConnectionMissing
        ]
    );
    assert_eq!(set.connections_file.as_deref(), Some(Path::new(&conn_path)));
}
