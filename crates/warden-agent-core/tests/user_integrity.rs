//! User mode cannot be turned against the files it guards: root never follows a user's
//! directory, every TOML form the clients read is judged and repaired in place, deep
//! files are never skipped, every replaced byte is kept, the quarantine stays bounded
//! and line endings survive.
#![cfg(unix)]

mod user_support;

use std::os::unix::fs::chown;
use std::path::Path;

use user_support::{chmod, codes, mode, policy_with, stage};
use warden_agent_core::user::{UserOptions, check, enforce};
use warden_policy::RuleMode;

fn read(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap()).unwrap()
}

fn strict() -> warden_agent_core::policy::VerifiedPolicy {
    policy_with(|e| e.modes.forbidden_connections = RuleMode::Enforce)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap();
    chmod(p, 0o600);
}

#[test]
fn root_refuses_a_snowflake_home_owned_by_another_user_and_chmods_nothing() {
    if !is_root() {
        eprintln!("\n!!! SKIPPED: changing owners needs root\n");
        return;
    }
    let h = stage("empty-home");
    // Another user's directory, outside root's home, whose connection names a root file.
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("passwd");
    std::fs::write(&victim, b"root:x:0:0::/root:/bin/sh\n").unwrap();
    chmod(&victim, 0o644);
    let theirs = tmp.path().join("someuser-sf");
    std::fs::create_dir(&theirs).unwrap();
    chmod(&theirs, 0o700);
    let conns = theirs.join("connections.toml");
    write(
        &conns,
        &format!(
            "[acme]\naccount = \"acme-prod\"\nauthenticator = \"SNOWFLAKE_JWT\"\nrole = \"ANALYST\"\nprivate_key_file = \"{}\"\n",
            victim.display()
        ),
    );
    chown(&theirs, Some(65534), Some(65534)).unwrap();
    chown(&conns, Some(65534), Some(65534)).unwrap();
    let opts = UserOptions {
        running_as_root: true,
        ..h.opts_env(&[("SNOWFLAKE_HOME", theirs.to_str().unwrap())])
    };
    let r = enforce(&strict(), &opts);
    assert_eq!(codes(&r), ["root-in-user-home"], "{}", h.json(&r));
    assert_eq!(r.exit_code(), 2);
    assert_eq!(
        mode(&victim),
        0o644,
        "root chmodded a file through a user's config"
    );

    // A root-owned directory holding a file of another user is refused the same way.
    chown(&theirs, Some(0), Some(0)).unwrap();
    let r = enforce(&strict(), &opts);
    assert_eq!(codes(&r), ["root-in-user-home"], "{}", h.json(&r));
    assert_eq!(mode(&victim), 0o644);
}

#[test]
fn root_never_chmods_a_key_file_outside_the_snowflake_directory() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("shared.p8");
    std::fs::write(&outside, b"key").unwrap();
    chmod(&outside, 0o644);
    let inside = sf.join("mine.p8");
    std::fs::write(&inside, b"key").unwrap();
    chmod(&inside, 0o644);
    write(
        &sf.join("connections.toml"),
        &format!(
            "[acme]\naccount = \"acme-prod\"\nauthenticator = \"SNOWFLAKE_JWT\"\nrole = \"ANALYST\"\nprivate_key_file = \"{}\"\n[other]\naccount = \"acme-dev\"\nrole = \"ANALYST\"\nprivate_key_file = \"{}\"\n",
            outside.display(),
            inside.display()
        ),
    );
    let opts = UserOptions {
        running_as_root: true,
        ..h.opts()
    };
    if is_root() {
        let r = enforce(&strict(), &opts);
        assert_eq!(mode(&outside), 0o644, "{}", h.json(&r));
        assert_eq!(mode(&inside), 0o600, "{}", h.json(&r));
        assert!(
            r.findings
                .iter()
                .any(|f| f.code == "key-file-mode" && !f.fixed),
            "{}",
            h.json(&r)
        );
    }
}

#[test]
fn key_file_mode_repairs_respect_a_blocked_home() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    let key = sf.join("k.p8");
    std::fs::write(&key, b"key").unwrap();
    chmod(&key, 0o644);
    // connections.toml is a link: the home is audited but must not be changed.
    let real = h.home.join("real-connections.toml");
    write(
        &real,
        &format!(
            "[acme]\naccount = \"acme-prod\"\nauthenticator = \"SNOWFLAKE_JWT\"\nrole = \"ANALYST\"\nprivate_key_file = \"{}\"\n",
            key.display()
        ),
    );
    std::os::unix::fs::symlink(&real, sf.join("connections.toml")).unwrap();
    let r = enforce(&strict(), &h.opts());
    assert_eq!(mode(&key), 0o644, "{}", h.json(&r));
    assert!(
        codes(&r)
            .iter()
            .any(|c| c == "repair-blocked" || c == "key-file-mode")
    );
}

#[test]
fn connections_in_an_inline_table_are_judged_quarantined_and_never_replaced() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    let config = "default_connection_name = \"acme\"\nconnections = { bad = { account = \"globex-prod\", role = \"ANALYST\" }, acme = { account = \"acme-prod\", authenticator = \"externalbrowser\", user = \"jane\", database = \"SALES\", role = \"ANALYST\" } }\n";
    write(&sf.join("config.toml"), config);
    let checked = check(&strict(), &h.opts());
    let c = codes(&checked);
    assert!(c.iter().any(|x| x == "account-denied"), "{c:?}");
    assert!(
        !c.iter().any(|x| x == "required-connection-missing"),
        "{c:?}"
    );
    let names: Vec<&str> = checked
        .connections
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["bad", "acme"]);

    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    let live = read(&sf.join("config.toml"));
    assert!(live.contains("user = \"jane\""), "{live}");
    assert!(live.contains("database = \"SALES\""), "{live}");
    assert!(!live.contains("globex"), "{live}");
    let q = read(&sf.join("connections.quarantine.toml"));
    assert!(q.contains("globex-prod"), "{q}");
}

#[test]
fn a_deeply_nested_file_is_an_error_and_its_connections_are_not_compliant() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    // 100 levels: the Snowflake clients read this file (tomlkit accepts 100, tomllib 495).
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    write(
        &sf.join("connections.toml"),
        &format!(
            "[bad]\naccount = \"globex-prod\"\nrole = \"ANALYST\"\nextra = {deep}\n[acme]\naccount = \"acme-prod\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\n"
        ),
    );
    let r = check(&strict(), &h.opts());
    let c = codes(&r);
    assert!(c.iter().any(|x| x == "account-denied"), "{c:?}");
    assert!(!c.iter().any(|x| x == "invalid-toml"), "{c:?}");

    // Deeper than any limit: an error, and every connection listed as non-compliant.
    let abyss = "k.".repeat(2000);
    write(
        &sf.join("connections.toml"),
        &format!(
            "[bad]\naccount = \"globex-prod\"\n{abyss}x = 1\n[acme]\naccount = \"acme-prod\"\n"
        ),
    );
    let r = check(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 1, "{}", h.json(&r));
    let c = codes(&r);
    assert!(c.iter().any(|x| x == "toml-too-deep"), "{c:?}");
    let conns = r.connections.as_ref().unwrap();
    let names: Vec<(&str, bool)> = conns
        .iter()
        .map(|c| (c.name.as_str(), c.compliant))
        .collect();
    assert_eq!(names, [("bad", false), ("acme", false)]);
}

#[test]
fn every_content_change_keeps_the_bytes_it_replaces() {
    let h = stage("noncompliant");
    let sf = h.sf();
    let conns = sf.join("connections.toml");
    let first = read(&conns);
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    // The user edits the repaired file; the next repair must keep their version.
    let edited = read(&conns).replace("role = \"ANALYST\"", "role = \"DEVELOPER_ROLE_2\"");
    write(&conns, &edited);
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    assert!(read(&conns).contains("role = \"ANALYST\""));
    assert_eq!(read(&sf.join("connections.toml.warden-backup")), edited);
    assert_eq!(read(&sf.join("connections.toml.warden-backup.1")), first);
    assert_eq!(mode(&sf.join("connections.toml.warden-backup.1")), 0o600);
    // Bounded: after many more changes, only the newest few versions remain.
    for i in 0..10 {
        let edited = read(&conns).replace("role = \"ANALYST\"", &format!("role = \"R{i}\""));
        write(&conns, &edited);
        enforce(&strict(), &h.opts());
    }
    let backups = std::fs::read_dir(&sf)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("connections.toml.warden-backup")
        })
        .count();
    assert_eq!(backups, 5);
    assert!(read(&sf.join("connections.toml.warden-backup")).contains("role = \"R9\""));
}

#[test]
fn quarantining_an_already_quarantined_connection_adds_nothing() {
    let h = stage("noncompliant");
    let sf = h.sf();
    let conns = sf.join("connections.toml");
    let original = read(&conns);
    enforce(&strict(), &h.opts());
    let q = read(&sf.join("connections.quarantine.toml"));
    // As after a crash between the two writes: the live file still holds the connections.
    write(&conns, &original);
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    assert_eq!(read(&sf.join("connections.quarantine.toml")), q);
    assert!(!read(&conns).contains("globex"));
}

#[test]
fn the_agent_never_writes_a_quarantine_it_would_refuse_to_read() {
    let h = stage("noncompliant");
    let sf = h.sf();
    let quarantine = sf.join("connections.quarantine.toml");
    // Just under the read cap: one more quarantined table would push it over.
    let cap = warden_connections::MAX_FILE_SIZE as usize;
    let filler = format!("# {}\n", "x".repeat(cap - 200));
    write(&quarantine, &filler);
    let conns = sf.join("connections.toml");
    let original = read(&conns);
    let r = enforce(&strict(), &h.opts());
    assert!(
        codes(&r).iter().any(|c| c == "repair-failed"),
        "{}",
        h.json(&r)
    );
    assert_eq!(read(&quarantine), filler);
    assert!(std::fs::metadata(&quarantine).unwrap().len() <= cap as u64);
    // Every connection is still in the live file.
    assert!(read(&conns).contains("[globex]"), "{}", read(&conns));
    let _ = original;
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    let conns = "# mine\r\n[dev]\r\naccount = \"acme-dev\"\r\nauthenticator = \"externalbrowser\"\r\nrole = \"ANALYST\"\r\n\r\n[acme]\r\naccount = \"acme-prod\"\r\nauthenticator = \"externalbrowser\"\r\nrole = \"SYSADMIN\"   # old\r\n[bad]\r\naccount = \"globex-prod\"\r\nrole = \"ANALYST\"\r\n";
    write(&sf.join("connections.toml"), conns);
    write(
        &sf.join("config.toml"),
        "# settings\r\n[cli.logs]\r\nsave_logs = true\r\n",
    );
    let r = enforce(&strict(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    let live = read(&sf.join("connections.toml"));
    assert!(
        live.starts_with("# mine\r\n[dev]\r\naccount = \"acme-dev\"\r\nauthenticator = \"externalbrowser\"\r\nrole = \"ANALYST\"\r\n\r\n[acme]\r\n"),
        "{live:?}"
    );
    assert!(live.contains("role = \"ANALYST\"   # old\r\n"), "{live:?}");
    for (name, text) in [
        ("connections.toml", live),
        ("config.toml", read(&sf.join("config.toml"))),
        (
            "connections.quarantine.toml",
            read(&sf.join("connections.quarantine.toml")),
        ),
    ] {
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "{name}: {text:?}"
        );
    }
}

#[test]
fn a_file_with_a_utf8_bom_is_judged_as_the_clients_read_it_and_left_alone() {
    let h = stage("empty-home");
    let sf = h.sf();
    std::fs::create_dir(&sf).unwrap();
    chmod(&sf, 0o700);
    let bytes = b"\xef\xbb\xbf[bad]\naccount = \"globex-prod\"\nrole = \"ANALYST\"\n";
    std::fs::write(sf.join("connections.toml"), bytes).unwrap();
    chmod(&sf.join("connections.toml"), 0o600);
    let r = enforce(&strict(), &h.opts());
    let c = codes(&r);
    assert!(c.iter().any(|x| x == "utf8-bom"), "{c:?}");
    assert_eq!(r.exit_code(), 1);
    assert_eq!(std::fs::read(sf.join("connections.toml")).unwrap(), bytes);
    assert!(!sf.join("connections.quarantine.toml").exists());
}
