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

// --- directories an unprivileged user planted (run as root) -------------------

/// The uid of an unprivileged user (`nobody`).
const USER: u32 = 65534;

fn as_root(test: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("SKIPPED {test}: needs root to plant files owned by another user");
    }
    root
}

fn chown_nofollow(path: &std::path::Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

fn stat(path: &std::path::Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap()
}

#[test]
fn a_symlink_an_unprivileged_user_planted_at_the_cortex_directory_is_replaced() {
    use std::os::unix::fs::MetadataExt;
    if !as_root("a_symlink_an_unprivileged_user_planted_at_the_cortex_directory_is_replaced") {
        return;
    }
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let elsewhere = e.dir.path().join("users-dir");
    std::fs::create_dir(&elsewhere).unwrap();
    chown_nofollow(&elsewhere, USER);
    let dir = e.paths.managed_settings_dir().to_path_buf();
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    symlink(&elsewhere, &dir).unwrap();
    chown_nofollow(&dir, USER);

    let r = e.check();
    assert_eq!(
        open_codes(&r),
        ["managed-settings-dir-symlink", "managed-settings-missing"]
    );
    assert!(r.findings[0].message.contains("uid 65534"));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert!(r.findings.iter().all(|f| f.fixed), "{:#?}", r.findings);
    let meta = stat(&dir);
    assert!(meta.is_dir() && !meta.file_type().is_symlink());
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (0, 0o755));
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    // Nothing was written through the link.
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(e.check().exit_code(), 0);
}

/// A POSIX access ACL granting `uid` rwx, in the kernel's xattr format (version 2;
/// entries of tag, permissions, id; sorted by tag), or `None` where the file
/// system has no ACLs.
fn grant_acl(dir: &std::path::Path, uid: u32) -> Option<()> {
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (0x01u16, 7u16, u32::MAX), // user::rwx
        (0x02, 7, uid),            // user:uid:rwx
        (0x04, 7, u32::MAX),       // group::rwx
        (0x10, 7, u32::MAX),       // mask::rwx
        (0x20, 7, u32::MAX),       // other::rwx
    ] {
        acl.extend(tag.to_le_bytes());
        acl.extend(perm.to_le_bytes());
        acl.extend(id.to_le_bytes());
    }
    let mut set = Some(());
    for name in ["system.posix_acl_access", "system.posix_acl_default"] {
        match rustix::fs::setxattr(dir, name, &acl, rustix::fs::XattrFlags::empty()) {
            Ok(()) => {}
            Err(rustix::io::Errno::OPNOTSUPP) => set = None,
            Err(e) => panic!("setxattr {name}: {e}"),
        }
    }
    set
}

fn has_acl(dir: &std::path::Path) -> bool {
    let mut buf = [0u8; 256];
    ["system.posix_acl_access", "system.posix_acl_default"]
        .iter()
        .any(|name| rustix::fs::getxattr(dir, *name, &mut buf[..]).is_ok())
}

#[test]
fn a_cortex_directory_a_user_created_is_taken_over_and_emptied() {
    use std::os::unix::fs::MetadataExt;
    if !as_root("a_cortex_directory_a_user_created_is_taken_over_and_emptied") {
        return;
    }
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let dir = e.paths.managed_settings_dir().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    // What a user who created the directory first can leave in it.
    std::fs::write(&e.paths.managed_settings, b"{\"permissions\":{}}").unwrap();
    std::fs::write(dir.join("managed-settings.json.bak"), b"{}").unwrap();
    std::fs::create_dir_all(dir.join("nested/deeper")).unwrap();
    std::fs::write(dir.join("nested/deeper/x"), b"x").unwrap();
    let victim = e.dir.path().join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    symlink(&victim, dir.join("link")).unwrap();
    symlink(&victim, dir.join("nested/link")).unwrap();
    for p in [
        dir.join("managed-settings.json.bak"),
        dir.join("nested/deeper/x"),
        dir.join("nested/deeper"),
        dir.join("nested/link"),
        dir.join("nested"),
        dir.join("link"),
        e.paths.managed_settings.clone(),
        dir.clone(),
    ] {
        chown_nofollow(&p, USER);
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o2775)).unwrap();
    let acl = grant_acl(&dir, USER);
    if acl.is_none() {
        eprintln!("this file system has no POSIX ACLs: the ACL reset is not exercised");
    }

    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    let owner = r
        .findings
        .iter()
        .find(|f| f.code == "managed-settings-dir-owner")
        .unwrap();
    assert!(owner.fixed);
    assert!(
        owner
            .message
            .contains("link, managed-settings.json.bak, nested"),
        "{}",
        owner.message
    );
    let meta = stat(&dir);
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (0, 0, 0o755),
        "owner, group and mode (no setgid) reset"
    );
    assert!(!has_acl(&dir), "ACL entries removed");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["managed-settings.json"]);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    let file = stat(&e.paths.managed_settings);
    assert_eq!(
        (file.uid(), file.gid(), file.mode() & 0o7777),
        (0, 0, 0o644)
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert_eq!(e.check().exit_code(), 0);
}
