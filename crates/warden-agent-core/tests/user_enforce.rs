//! `enforce` on fixture homes: what it repairs, what it keeps byte for byte, the backups
//! and the quarantine file, and that a second run changes nothing.
#![cfg(unix)]

mod user_support;

use std::path::Path;

use user_support::{chmod, codes, mode, policy, policy_with, stage, tree};
use warden_agent_core::user::{check, enforce};
use warden_policy::RuleMode;

fn read(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap()).unwrap()
}

fn strict() -> warden_agent_core::policy::VerifiedPolicy {
    policy_with(|e| e.modes.forbidden_connections = RuleMode::Enforce)
}

#[test]
fn repairs_a_noncompliant_home_without_losing_anything() {
    let h = stage("noncompliant");
    let sf = h.sf();
    chmod(&sf.join("connections.toml"), 0o644);
    chmod(&sf.join("config.toml"), 0o640);
    chmod(&sf, 0o755);
    let conns0 = read(&sf.join("connections.toml"));
    let config0 = read(&sf.join("config.toml"));

    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    let c = codes(&r);
    for want in [
        "required-connection-missing+",
        "default-connection-not-required+",
        "file-mode+",
        "dir-mode+",
        "account-denied+",
        "role-forbidden+",
        "plaintext-password+",
    ] {
        assert!(c.iter().any(|x| x == want), "{want} missing from {c:?}");
    }
    assert!(r.findings.iter().all(|f| f.fixed), "{c:?}");

    // The live file: the forbidden connections are gone, the rest is byte-identical.
    let conns = read(&sf.join("connections.toml"));
    let dev = "# Jane's connections. Do not lose these comments.\n\n# Day-to-day development.\n[dev]\naccount = \"acme-dev\"        # the dev account\nauthenticator = \"externalbrowser\"\nrole = \"SYSADMIN\"\nwarehouse = \"DEV_WH\"\n";
    assert!(conns.starts_with(dev), "{conns}");
    assert!(conns.contains("\n# Production reporting.\n[reporting]\naccount = \"acme-prod\"\nauthenticator = \"externalbrowser\"\nrole = \"REPORTER\"\n"), "{conns}");
    assert!(conns.contains("# end of file\n"), "{conns}");
    assert!(
        !conns.contains("globex") && !conns.contains("ACCOUNTADMIN"),
        "{conns}"
    );
    assert!(conns.contains("[acme]\naccount = \"acme-prod\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\nwarehouse = \"ANALYST_WH\"\nclient_store_temporary_credential = true\n"), "{conns}");

    // The quarantine file holds the forbidden connections with their comments and why.
    let q = read(&sf.join("connections.quarantine.toml"));
    assert!(q.contains("# Left over from the Globex project.\n[globex]\naccount = \"globex-prod\"\nuser = \"jane\"\npassword = \"hunter2\"\nrole = \"ANALYST\"\n"), "{q}");
    assert!(q.contains("[admin]\naccount = \"acme-prod\"\nauthenticator = \"externalbrowser\"\nrole = \"ACCOUNTADMIN\"   # break-glass\n"), "{q}");
    assert!(
        q.contains("# Quarantined by warden-agent (policy acme-baseline #1) on "),
        "{q}"
    );
    assert!(q.contains("account `globex-prod` is denied"), "{q}");
    assert!(q.contains("role `ACCOUNTADMIN` is forbidden"), "{q}");

    // Every original line is in the live file or in the quarantine file.
    for line in conns0.lines() {
        assert!(
            conns.lines().any(|l| l == line) || q.lines().any(|l| l == line),
            "lost: {line:?}"
        );
    }

    // config.toml: only the value changed; its comment and the rest stay.
    assert_eq!(
        read(&sf.join("config.toml")),
        config0.replace("\"dev\"  # my usual one", "\"acme\"  # my usual one")
    );

    // Backups equal the originals, and are private.
    assert_eq!(read(&sf.join("connections.toml.warden-backup")), conns0);
    assert_eq!(read(&sf.join("config.toml.warden-backup")), config0);
    for f in [
        "connections.toml",
        "config.toml",
        "connections.quarantine.toml",
        "connections.toml.warden-backup",
        "config.toml.warden-backup",
    ] {
        assert_eq!(mode(&sf.join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&sf), 0o700);

    // The result is compliant to a fresh check, and a second enforce changes nothing.
    assert_eq!(check(&strict(), &h.opts()).exit_code(), 0);
    let before = tree(&h.home);
    let again = enforce(&strict(), &h.opts());
    assert_eq!(again.exit_code(), 0);
    assert!(again.findings.is_empty(), "{:?}", codes(&again));
    assert_eq!(tree(&h.home), before);
}

#[test]
fn audit_rules_are_reported_not_repaired() {
    let h = stage("noncompliant");
    let r = enforce(&policy(), &h.opts());
    // org-baseline audits forbidden connections: they stay, and stay non-compliant.
    assert_eq!(r.exit_code(), 1);
    let open: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.is_open_error())
        .map(|f| f.code.as_str())
        .collect();
    assert!(
        open.contains(&"account-denied") && open.contains(&"role-forbidden"),
        "{open:?}"
    );
    assert!(!h.sf().join("connections.quarantine.toml").exists());
    assert!(read(&h.sf().join("connections.toml")).contains("[globex]"));
    // The enforced rules were still repaired.
    assert!(codes(&r).contains(&"required-connection-missing+".to_owned()));
}

#[test]
fn config_only_home_gets_the_connection_in_config_toml() {
    let h = stage("config-only");
    let config0 = read(&h.sf().join("config.toml"));
    let r = enforce(&policy(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    assert!(
        !h.sf().join("connections.toml").exists(),
        "a new connections.toml would hide the config.toml connections"
    );
    let config = read(&h.sf().join("config.toml"));
    assert!(
        config.starts_with("default_connection_name = \"acme\"\n\n[connections.dev]\n"),
        "{config}"
    );
    assert!(
        config.contains("[connections.acme]\naccount = \"acme-prod\""),
        "{config}"
    );
    assert_eq!(read(&h.sf().join("config.toml.warden-backup")), config0);
    let names: Vec<&str> = r
        .connections
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["dev", "acme"]);
}

#[test]
fn empty_home_gets_a_private_directory_and_files() {
    let h = stage("empty-home");
    let r = enforce(&policy(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    assert_eq!(mode(&h.sf()), 0o700);
    for f in ["connections.toml", "config.toml"] {
        assert_eq!(mode(&h.sf().join(f)), 0o600, "{f}");
        assert!(
            !h.sf().join(format!("{f}.warden-backup")).exists(),
            "nothing to back up"
        );
    }
    assert_eq!(
        read(&h.sf().join("config.toml")),
        "default_connection_name = \"acme\"\n"
    );
    let before = tree(&h.home);
    assert!(enforce(&policy(), &h.opts()).findings.is_empty());
    assert_eq!(tree(&h.home), before);
}

#[test]
fn required_connection_role_is_set_in_place() {
    let h = stage("both-files");
    let config0 = read(&h.sf().join("config.toml"));
    let r = enforce(&policy(), &h.opts());
    assert!(
        codes(&r).contains(&"required-connection-role+".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert_eq!(
        read(&h.sf().join("connections.toml")),
        "[acme]\naccount = \"acme-prod\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\n"
    );
    // The ignored config.toml connections are not touched.
    assert_eq!(read(&h.sf().join("config.toml")), config0);
}

#[test]
fn a_symlinked_connections_toml_is_left_alone() {
    let h = stage("noncompliant");
    let real = h.home.join("dotfiles-connections.toml");
    std::fs::rename(h.sf().join("connections.toml"), &real).unwrap();
    std::os::unix::fs::symlink(&real, h.sf().join("connections.toml")).unwrap();
    chmod(&real, 0o644);
    let before = tree(&h.home);
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 1);
    let c = codes(&r);
    assert!(
        c.contains(&"repair-blocked".to_owned()) && c.contains(&"symlinked-file".to_owned()),
        "{c:?}"
    );
    assert!(
        c.contains(&"file-mode".to_owned()),
        "the link target's mode is reported, not changed: {c:?}"
    );
    assert_eq!(tree(&h.home), before);
}

#[test]
fn broken_files_are_left_untouched() {
    let h = stage("invalid-toml");
    chmod(&h.sf().join("connections.toml"), 0o600);
    let before = tree(&h.home);
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 1);
    assert_eq!(codes(&r), ["invalid-toml"]);
    assert_eq!(tree(&h.home), before);
}

#[test]
fn an_existing_backup_is_kept_as_an_older_version() {
    let h = stage("both-files");
    let backup = h.sf().join("connections.toml.warden-backup");
    std::fs::write(&backup, "the first original\n").unwrap();
    let before = read(&h.sf().join("connections.toml"));
    enforce(&policy(), &h.opts());
    assert_eq!(read(&backup), before);
    assert_eq!(
        read(&h.sf().join("connections.toml.warden-backup.1")),
        "the first original\n"
    );
}

#[test]
fn key_file_modes_are_tightened() {
    let h = stage("secrets");
    let key = h.home.join("keys/rsa_key.p8");
    chmod(&key, 0o644);
    let r = enforce(&policy(), &h.opts());
    assert!(
        codes(&r).contains(&"key-file-mode+".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert_eq!(mode(&key), 0o600);
    // Secrets cannot be repaired without losing them: they stay reported.
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "pat-in-password" && !f.fixed)
    );
}

#[test]
fn an_environment_default_stays_open_after_the_file_is_fixed() {
    let h = stage("noncompliant");
    let opts = h.opts_env(&[("SNOWFLAKE_DEFAULT_CONNECTION_NAME", "dev")]);
    let r = enforce(&policy(), &opts);
    let c = codes(&r);
    // The file now names `acme`, but the variable still wins for this session.
    assert!(read(&h.sf().join("config.toml")).contains("default_connection_name = \"acme\""));
    assert!(
        c.contains(&"default-connection-not-required".to_owned()),
        "{c:?}"
    );
    assert!(
        c.contains(&"env-default-connection-name".to_owned()),
        "{c:?}"
    );
    assert!(
        !c.contains(&"env-default-connection-name+".to_owned()),
        "{c:?}"
    );
}
