//! `check` on fixture homes: each report is snapshotted as JSON (paths relative to the
//! home), and the properties that matter are asserted directly as well.
#![cfg(unix)]

mod user_support;

use user_support::{chmod, codes, policy, stage, tree};
use warden_agent_core::user::{UserOptions, check};

fn conn<'a>(
    r: &'a warden_agent_core::report::Report,
    name: &str,
) -> &'a warden_agent_core::report::ConnectionReport {
    r.connections
        .as_ref()
        .unwrap()
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no connection {name}"))
}

#[test]
fn compliant_home() {
    let h = stage("compliant");
    let r = check(&policy(), &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));
    assert!(r.findings.is_empty());
    let c = conn(&r, "acme");
    assert_eq!(c.account.as_deref(), Some("acme-prod"));
    assert_eq!(c.account_status, "allowed");
    assert_eq!(c.effective_authenticator, "EXTERNALBROWSER");
    assert_eq!(c.role_status, "default");
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn account_forms() {
    let h = stage("accounts");
    let r = check(&policy(), &h.opts());
    assert_eq!(r.exit_code(), 1);
    let status = |n: &str| conn(&r, n).account_status.clone();
    assert_eq!(status("acme"), "allowed");
    assert_eq!(
        conn(&r, "acme").role_status,
        "default",
        "role matching ignores case"
    );
    assert_eq!(status("locator"), "unverifiable");
    assert_eq!(status("url_form"), "allowed");
    assert_eq!(conn(&r, "url_form").account.as_deref(), Some("acme-dev"));
    assert_eq!(status("mismatch"), "host-mismatch");
    assert_eq!(status("placeholder"), "not-evaluable");
    assert_eq!(status("sandbox"), "denied");
    let okta = conn(&r, "okta");
    assert_eq!(okta.effective_authenticator, "https://acme.okta.com");
    // The profile only forbids methods, so Cortex Code receives every known method
    // but the forbidden ones: a list that cannot name an Okta URL.
    assert!(!okta.authenticator_allowed);
    assert!(!okta.compliant);
    let c = codes(&r);
    for want in [
        "account-denied",
        "host-mismatch",
        "account-unverifiable",
        "account-not-evaluable",
    ] {
        assert!(c.iter().any(|x| x == want), "{want} missing from {c:?}");
    }
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn secrets_and_key_files() {
    let h = stage("secrets");
    chmod(&h.home.join("keys/rsa_key.p8"), 0o644);
    chmod(&h.home.join("keys/pat.token"), 0o640);
    let r = check(&policy(), &h.opts());
    let c = codes(&r);
    for want in [
        "pat-in-password",
        "plaintext-password",
        "key-file-mode",
        "token-file-mode",
        "key-file-missing",
    ] {
        assert!(c.iter().any(|x| x == want), "{want} missing from {c:?}");
    }
    let pat = r
        .findings
        .iter()
        .find(|f| f.code == "pat-in-password")
        .unwrap();
    assert!(pat.message.contains("`ci_pat`"), "{}", pat.message);
    assert!(
        !h.json(&r).contains("eyJ"),
        "a secret leaked into the report"
    );
    assert!(
        !h.json(&r).contains("hunter2"),
        "a secret leaked into the report"
    );
    // Key pair connections are JWT whatever the file says, and the CI account allows it.
    let kp = conn(&r, "ci_keypair");
    assert_eq!(kp.effective_authenticator, "SNOWFLAKE_JWT");
    assert!(kp.authenticator_allowed);
    // A PAT in `password` without `authenticator` is password authentication to the clients.
    assert_eq!(conn(&r, "ci_pat").effective_authenticator, "SNOWFLAKE");
    assert!(!conn(&r, "ci_pat").authenticator_allowed);
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn both_files_connections_toml_wins() {
    let h = stage("both-files");
    let r = check(&policy(), &h.opts());
    let names: Vec<&str> = r
        .connections
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["acme"], "config.toml connections are ignored");
    assert_eq!(conn(&r, "acme").role.as_deref(), Some("SYSADMIN"));
    let c = codes(&r);
    assert!(
        c.contains(&"config-connections-ignored".to_owned()),
        "{c:?}"
    );
    assert!(c.contains(&"required-connection-role".to_owned()), "{c:?}");
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn default_name_only_in_connections_toml_is_ignored() {
    let h = stage("default-in-connections-toml");
    let r = check(&policy(), &h.opts());
    let c = codes(&r);
    assert!(
        c.contains(&"default-name-in-connections-toml".to_owned()),
        "{c:?}"
    );
    let d = r
        .findings
        .iter()
        .find(|f| f.code == "default-connection-not-required")
        .unwrap();
    assert!(d.message.contains("`default`"), "{}", d.message);
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn connections_prefix_inside_connections_toml() {
    let h = stage("prefix-misuse");
    let r = check(&policy(), &h.opts());
    let c = codes(&r);
    assert!(
        c.contains(&"connections-prefix-in-connections-toml".to_owned()),
        "{c:?}"
    );
    assert!(
        c.contains(&"required-connection-missing".to_owned()),
        "{c:?}"
    );
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn wide_modes_are_reported() {
    let h = stage("noncompliant");
    chmod(&h.sf().join("connections.toml"), 0o644);
    chmod(&h.sf(), 0o755);
    let r = check(&policy(), &h.opts());
    let c = codes(&r);
    assert!(c.contains(&"file-mode".to_owned()), "{c:?}");
    assert!(c.contains(&"dir-mode".to_owned()), "{c:?}");
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn check_never_writes() {
    let h = stage("noncompliant");
    chmod(&h.sf().join("connections.toml"), 0o644);
    let before = tree(&h.home);
    let r = check(&policy(), &h.opts());
    assert_eq!(r.exit_code(), 1);
    assert_eq!(tree(&h.home), before);
}

#[test]
fn invalid_toml_is_reported_and_nothing_else_is_judged() {
    let h = stage("invalid-toml");
    let r = check(&policy(), &h.opts());
    assert_eq!(codes(&r), ["invalid-toml"]);
    assert!(
        r.findings[0].message.contains("line 3"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.connections.as_deref(), Some(&[][..]));
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn invalid_utf8_is_reported() {
    let h = stage("compliant");
    std::fs::write(
        h.sf().join("connections.toml"),
        b"[acme]\naccount = \"acme-\xffprod\"\n",
    )
    .unwrap();
    let r = check(&policy(), &h.opts());
    assert_eq!(codes(&r), ["invalid-utf8"]);
    assert!(
        r.findings[0].message.contains("offset 23"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn a_file_of_several_mib_is_refused_before_parsing() {
    let h = stage("compliant");
    let mut big = b"[acme]\naccount = \"acme-prod\"\n".to_vec();
    while big.len() < 5 * 1024 * 1024 {
        big.extend_from_slice(b"# padding padding padding padding padding padding padding\n");
    }
    std::fs::write(h.sf().join("connections.toml"), &big).unwrap();
    let r = check(&policy(), &h.opts());
    assert_eq!(codes(&r), ["file-too-large"]);
}

#[test]
fn symlinked_connections_toml_is_audited_through_the_link() {
    let h = stage("compliant");
    let real = h.home.join("dotfiles-connections.toml");
    std::fs::rename(h.sf().join("connections.toml"), &real).unwrap();
    std::os::unix::fs::symlink(&real, h.sf().join("connections.toml")).unwrap();
    let r = check(&policy(), &h.opts());
    assert_eq!(codes(&r), ["symlinked-file"]);
    assert!(conn(&r, "acme").compliant);
    // Still compliant: a link is a warning, not an error.
    assert_eq!(r.exit_code(), 0);
}

#[test]
fn environment_overrides_are_reported() {
    let h = stage("compliant");
    let opts = h.opts_env(&[
        ("SNOWFLAKE_DEFAULT_CONNECTION_NAME", "other"),
        ("SNOWFLAKE_CONNECTIONS_ACME_ROLE", "ACCOUNTADMIN"),
        ("SNOWFLAKE_CONNECTIONS", "[x]\naccount = \"globex-prod\"\n"),
    ]);
    let r = check(&policy(), &opts);
    let c = codes(&r);
    for want in [
        "env-default-connection-name",
        "env-connection-override",
        "env-connections",
        "default-connection-not-required",
    ] {
        assert!(c.iter().any(|x| x == want), "{want} missing from {c:?}");
    }
    let d = r
        .findings
        .iter()
        .find(|f| f.code == "default-connection-not-required")
        .unwrap();
    assert!(
        d.message.contains("SNOWFLAKE_DEFAULT_CONNECTION_NAME"),
        "{}",
        d.message
    );
    insta::assert_snapshot!(h.json(&r));
}

#[test]
fn snowflake_home_wins_when_it_exists_and_falls_back_when_missing() {
    let h = stage("compliant");
    let alt = h.home.join("alt");
    std::fs::create_dir(&alt).unwrap();
    chmod(&alt, 0o700);
    std::fs::write(
        alt.join("connections.toml"),
        "[acme]\naccount = \"globex-prod\"\n",
    )
    .unwrap();
    chmod(&alt.join("connections.toml"), 0o600);
    let r = check(
        &policy(),
        &h.opts_env(&[("SNOWFLAKE_HOME", alt.to_str().unwrap())]),
    );
    assert_eq!(conn(&r, "acme").account_status, "denied");
    let missing = h.home.join("nope");
    let r = check(
        &policy(),
        &h.opts_env(&[("SNOWFLAKE_HOME", missing.to_str().unwrap())]),
    );
    // The clients fall back to the platform directory, not to ~/.snowflake.
    assert!(
        codes(&r).contains(&"snowflake-home-missing".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert!(
        codes(&r).contains(&"config-dir-missing".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert_eq!(r.connections.as_ref().unwrap().len(), 0);
}

#[test]
fn root_refuses_another_users_home() {
    let h = stage("compliant");
    if rustix::process::geteuid().is_root() {
        rustix::fs::chown(&h.home, Some(rustix::fs::Uid::from_raw(65534)), None).unwrap();
    }
    let opts = UserOptions {
        running_as_root: true,
        ..h.opts()
    };
    let before = tree(&h.home);
    let r = warden_agent_core::user::enforce(&policy(), &opts);
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["root-in-user-home"]);
    assert_eq!(tree(&h.home), before);
}
