//! Cortex Code's file: hand edits, planted symlinks, unsafe directories.
#![cfg(unix)]

mod system_common;

use std::os::unix::fs::{PermissionsExt, symlink};

use system_common::*;

fn applied() -> Endpoint {
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    assert_eq!(e.enforce().exit_code(), 0);
    e
}

#[test]
fn a_hand_edit_is_detected_by_check_and_restored_by_enforce() {
    let e = applied();
    let path = &e.paths.managed_settings;
    std::fs::write(
        path,
        b"{\"version\":\"1.0\",\"permissions\":{\"defaultMode\":\"allow\"}}",
    )
    .unwrap();
    let state_before = std::fs::read(e.paths.state_file()).unwrap();
    let r = e.check();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(open_codes(&r), ["managed-settings-different"]);
    assert_eq!(r.findings[0].path.as_deref(), Some(path.to_str().unwrap()));
    // check wrote nothing: not the file, not the state.
    assert_ne!(e.settings().unwrap(), managed_settings(7));
    assert_eq!(std::fs::read(e.paths.state_file()).unwrap(), state_before);
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0);
    assert!(r.findings[0].fixed);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    assert_eq!(e.check().exit_code(), 0);
}

#[test]
fn a_wrong_mode_is_repaired_by_rewriting() {
    let e = applied();
    let path = &e.paths.managed_settings;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let r = e.check();
    assert_eq!(open_codes(&r), ["managed-settings-mode"]);
    assert!(r.findings[0].message.contains("0666"));
    assert_eq!(e.enforce().exit_code(), 0);
    assert_eq!(e.mode(path), 0o644);
}

#[test]
fn a_symlink_planted_at_the_target_is_replaced_not_followed() {
    let e = applied();
    let victim = e.dir.path().join("victim");
    std::fs::write(&victim, b"do not touch").unwrap();
    let path = &e.paths.managed_settings;
    std::fs::remove_file(path).unwrap();
    symlink(&victim, path).unwrap();
    let r = e.check();
    assert_eq!(open_codes(&r), ["managed-settings-symlink"]);
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(std::fs::read(&victim).unwrap(), b"do not touch");
    assert!(
        !std::fs::symlink_metadata(path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(e.settings().unwrap(), managed_settings(7));
}

#[test]
fn a_symlinked_directory_is_refused_and_nothing_is_written_through_it() {
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let elsewhere = e.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let dir = e.paths.managed_settings_dir().to_path_buf();
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    symlink(&elsewhere, &dir).unwrap();
    let r = e.enforce();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(open_codes(&r), ["managed-settings-dir-symlink"]);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(
        std::fs::symlink_metadata(&dir)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_group_writable_directory_is_repaired() {
    let e = applied();
    let dir = e.paths.managed_settings_dir().to_path_buf();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let r = e.check();
    assert_eq!(open_codes(&r), ["managed-settings-dir-writable"]);
    assert!(r.findings[0].message.contains("0777"));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0);
    assert!(r.findings.iter().all(|f| f.fixed));
    assert_eq!(e.mode(&dir), 0o755);
}

#[test]
fn a_missing_directory_is_created_0755() {
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let r = e.check();
    assert_eq!(
        open_codes(&r),
        ["managed-settings-dir-missing", "managed-settings-missing"]
    );
    let r = e.enforce();
    assert_eq!(
        codes(&r),
        ["managed-settings-dir-missing", "managed-settings-missing"]
    );
    assert!(r.findings.iter().all(|f| f.fixed));
    assert_eq!(e.mode(e.paths.managed_settings_dir()), 0o755);
}

#[test]
fn a_directory_at_the_target_is_reported_not_removed() {
    let e = applied();
    let path = &e.paths.managed_settings;
    std::fs::remove_file(path).unwrap();
    std::fs::create_dir(path).unwrap();
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["managed-settings-not-regular"]);
    assert!(path.is_dir());
}

#[test]
fn stale_temporary_files_from_a_killed_run_are_removed() {
    let e = applied();
    let dir = e.paths.managed_settings_dir();
    let stale = dir.join(".managed-settings.json.999-1-0.tmp");
    std::fs::write(&stale, b"{\"partial").unwrap();
    let unrelated = dir.join("notes.txt");
    std::fs::write(&unrelated, b"keep").unwrap();
    std::fs::write(&e.paths.managed_settings, b"{}").unwrap();
    assert_eq!(e.enforce().exit_code(), 0);
    assert!(!stale.exists());
    assert!(unrelated.exists());
}

#[test]
fn an_audit_rule_reports_but_never_writes() {
    let e = Endpoint::linux();
    let mut st = statement(
        7,
        &managed_settings(7),
        "2026-02-15T00:00:00Z",
        "2026-03-31T00:00:00Z",
    );
    st.body.endpoint.modes.managed_settings = warden_policy::RuleMode::Audit;
    e.deliver(&sign(&st, &["signer-ci"]));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(
        open_codes(&r),
        ["managed-settings-dir-missing", "managed-settings-missing"]
    );
    assert!(e.settings().is_none());
}
