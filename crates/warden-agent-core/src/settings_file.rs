//! Cortex Code's `managed-settings.json`: compare it with the signed bytes and, when
//! asked, make it exactly those bytes with the owner and mode Cortex Code requires.
//!
//! Cortex Code ignores the file unless only administrators can write it (on macOS:
//! owned by root, neither group- nor world-writable), so the file must be exactly
//! the signed bytes, mode 0644, owned by root; its directory owned by root and not
//! group- or world-writable. Cortex Code runs as the user, so users must be able to
//! read both (`managed-settings-users-cannot-read` otherwise). A missing directory
//! and its missing parents are created and then set to 0755 explicitly, and the file
//! to 0644, whatever the umask.
//!
//! On Unix every operation after the first look goes through one directory handle
//! opened with `O_NOFOLLOW | O_DIRECTORY`: the file is inspected with `fstatat`
//! (no follow) and read with `O_NOFOLLOW`, the replacement is created next to it
//! with `O_EXCL | O_NOFOLLOW`, written, fsynced, renamed over the target with
//! `renameat` and the directory fsynced. Nothing is ever followed or changed in
//! place: a symlink or hard link planted at the target is replaced by the rename,
//! never written through. A directory that is itself a symlink owned by an
//! administrator (root, or the required owner) is refused and reported
//! (`managed-settings-dir-symlink`) rather than replaced: an administrator may have
//! relocated it on purpose, and removing it would be destructive; until fixed,
//! nothing is written. A symlink any other user created is that user's, not a
//! relocation: `enforce` removes the link and creates the directory in its place.
//! A directory owned by another user is taken over: owner root, group 0, mode 0755
//! (which clears setgid), ACLs removed, and every entry the agent did not write
//! removed, so nothing the user placed there survives. On Windows the path-based
//! writer from [`crate::fsutil`] is used and the folder's ACL is reset through
//! [`DirectoryAcl`].

use std::path::Path;
use std::time::Duration;

use crate::acl::DirectoryAcl;
use crate::report::{Finding, Severity};

/// The file and the state it must be in.
#[derive(Debug, Clone, Copy)]
pub struct SettingsTarget<'a> {
    /// Path of `managed-settings.json`.
    pub path: &'a Path,
    /// The exact signed bytes.
    pub expected: &'a [u8],
    /// Owner the file and its directory must have (0, or the caller's own uid when
    /// paths are relocated for tests). Ignored on Windows.
    pub owner_uid: u32,
    /// Test-only pause between the steps of a write, to widen crash windows.
    pub pace: Option<Duration>,
}

/// Mode the file must have.
pub const FILE_MODE: u32 = 0o644;
/// Mode a created directory gets.
pub const DIR_MODE: u32 = 0o755;
/// Size of each write; a pause (test-only) may follow each.
const CHUNK: usize = 64 * 1024;

fn issue(code: &str, message: impl Into<String>, path: &Path) -> Finding {
    Finding::new(code, Severity::Error, message).at(path.display().to_string())
}

fn pause(pace: Option<Duration>) {
    if let Some(d) = pace {
        std::thread::sleep(d);
    }
}

/// Inspect the file and its directory; with `repair`, fix what can be fixed. Every
/// problem is one finding, marked fixed when repaired.
pub fn reconcile(
    target: &SettingsTarget<'_>,
    repair: bool,
    acl: &dyn DirectoryAcl,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    imp::reconcile(target, repair, &mut findings);
    if repair && !findings.iter().any(Finding::is_open_error) {
        let dir = target.path.parent().unwrap_or(Path::new("."));
        match acl.restrict(dir, target.path) {
            Ok(true) => findings.push(
                Finding::new(
                    "managed-settings-acl",
                    Severity::Info,
                    "folder ACL set to SYSTEM and Administrators full control, Users read",
                )
                .at(dir.display().to_string()),
            ),
            Ok(false) => {}
            Err(e) => findings.push(issue(
                "managed-settings-acl",
                format!("cannot restrict the folder's ACL: {e}"),
                dir,
            )),
        }
    }
    findings
}

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsFd, OwnedFd};
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Uid};

    use super::{CHUNK, DIR_MODE, FILE_MODE, SettingsTarget, issue, pause};
    use crate::report::Finding;

    enum Current {
        Missing,
        Symlink,
        NotRegular,
        Regular { same: bool, mode: u32, uid: u32 },
    }

    pub(super) fn reconcile(t: &SettingsTarget<'_>, repair: bool, findings: &mut Vec<Finding>) {
        let path = t.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        let Some(name) = path.file_name() else {
            findings.push(issue(
                "managed-settings-unreadable",
                "the path has no file name",
                path,
            ));
            return;
        };

        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let f = issue(
                    "managed-settings-dir-missing",
                    "Cortex Code's managed-settings directory does not exist",
                    dir,
                );
                if !repair {
                    findings.push(f);
                    findings.push(issue(
                        "managed-settings-missing",
                        "managed-settings.json is missing",
                        path,
                    ));
                    return;
                }
                match create_dir(dir) {
                    Ok(()) => findings.push(f.fixed()),
                    Err(e) => {
                        findings.push(issue(
                            "managed-settings-dir-missing",
                            format!("cannot create the directory: {e}"),
                            dir,
                        ));
                        return;
                    }
                }
            }
            Err(e) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot inspect the directory: {e}"),
                    dir,
                ));
                return;
            }
            Ok(m) if m.file_type().is_symlink() => {
                use std::os::unix::fs::MetadataExt;
                if m.uid() == 0 || m.uid() == t.owner_uid {
                    findings.push(dir_symlink(dir));
                    return;
                }
                let f = issue(
                    "managed-settings-dir-symlink",
                    format!(
                        "the managed-settings directory is a symbolic link created by uid {}, not an administrator; it is replaced by a directory",
                        m.uid()
                    ),
                    dir,
                );
                if !repair {
                    findings.push(f);
                    findings.push(issue(
                        "managed-settings-missing",
                        "managed-settings.json is missing",
                        path,
                    ));
                    return;
                }
                match replace_link(dir) {
                    Ok(()) => findings.push(f.fixed()),
                    Err(e) => {
                        findings.push(f);
                        findings.push(issue(
                            "managed-settings-write-failed",
                            format!("cannot replace the link with a directory: {e}"),
                            dir,
                        ));
                        return;
                    }
                }
            }
            Ok(m) if !m.is_dir() => {
                findings.push(issue(
                    "managed-settings-dir-not-directory",
                    "the managed-settings directory path is not a directory; nothing is written",
                    dir,
                ));
                return;
            }
            Ok(_) => {}
        }

        let dirfd = match rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::LOOP) | Err(rustix::io::Errno::NOTDIR) => {
                findings.push(dir_symlink(dir));
                return;
            }
            Err(e) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot open the directory: {e}"),
                    dir,
                ));
                return;
            }
        };

        if !check_dir(&dirfd, dir, name, t.owner_uid, repair, findings) {
            return;
        }
        if repair {
            remove_stale_temps(&dirfd, dir, name);
        }

        let current = match inspect(&dirfd, name, t.expected) {
            Ok(c) => c,
            Err(e) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot read managed-settings.json: {e}"),
                    path,
                ));
                return;
            }
        };
        let mut pending = Vec::new();
        match current {
            Current::NotRegular => {
                findings.push(issue(
                    "managed-settings-not-regular",
                    "managed-settings.json is not a regular file; it is not removed",
                    path,
                ));
                return;
            }
            Current::Missing => pending.push(issue(
                "managed-settings-missing",
                "managed-settings.json is missing",
                path,
            )),
            Current::Symlink => pending.push(issue(
                "managed-settings-symlink",
                "managed-settings.json is a symbolic link; it is not followed",
                path,
            )),
            Current::Regular { same, mode, uid } => {
                if !same {
                    pending.push(issue(
                        "managed-settings-different",
                        "managed-settings.json differs from the signed bytes",
                        path,
                    ));
                }
                if mode & 0o004 == 0 {
                    pending.push(issue(
                        "managed-settings-users-cannot-read",
                        format!(
                            "mode is {mode:04o}: users cannot read the file, so Cortex Code does not apply it (expected {FILE_MODE:04o})"
                        ),
                        path,
                    ));
                } else if mode != FILE_MODE {
                    pending.push(issue(
                        "managed-settings-mode",
                        format!("mode is {mode:04o}, expected {FILE_MODE:04o}"),
                        path,
                    ));
                }
                if uid != t.owner_uid {
                    pending.push(issue(
                        "managed-settings-owner",
                        format!("owned by uid {uid}, expected {}", t.owner_uid),
                        path,
                    ));
                }
            }
        }
        if pending.is_empty() {
            return;
        }
        if !repair {
            findings.extend(pending);
            return;
        }
        match write_at(&dirfd, name, t) {
            Ok(()) => findings.extend(pending.into_iter().map(Finding::fixed)),
            Err(e) => {
                findings.extend(pending);
                findings.push(issue(
                    "managed-settings-write-failed",
                    format!("cannot write managed-settings.json: {e}"),
                    path,
                ));
            }
        }
    }

    fn dir_symlink(dir: &Path) -> Finding {
        issue(
            "managed-settings-dir-symlink",
            "the managed-settings directory is a symbolic link; it is not followed or replaced and nothing is written",
            dir,
        )
    }

    /// Create `dir` and its missing parents, each set to [`DIR_MODE`] explicitly so
    /// the umask cannot narrow it.
    fn create_dir(dir: &Path) -> io::Result<()> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
            if std::fs::symlink_metadata(p).is_ok() {
                break;
            }
            missing.push(p);
            at = p.parent();
        }
        for p in missing.into_iter().rev() {
            match rustix::fs::mkdir(p, Mode::from_raw_mode(DIR_MODE as _)) {
                Ok(()) => set_dir_mode(p)?,
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn set_dir_mode(p: &Path) -> io::Result<()> {
        let fd = rustix::fs::open(
            p,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE as _))?;
        Ok(())
    }

    /// Remove the link at `dir` (never what it points to) and create the directory.
    fn replace_link(dir: &Path) -> io::Result<()> {
        let parent = dir.parent().unwrap_or(Path::new("."));
        let name = dir
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no directory name"))?;
        let parentfd = rustix::fs::open(
            parent,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = rustix::fs::statat(&parentfd, name, AtFlags::SYMLINK_NOFOLLOW)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
            return Err(io::Error::other("the path changed while it was replaced"));
        }
        rustix::fs::unlinkat(&parentfd, name, AtFlags::empty())?;
        rustix::fs::mkdirat(&parentfd, name, Mode::from_raw_mode(DIR_MODE as _))?;
        rustix::fs::fsync(&parentfd)?;
        set_dir_mode(dir)
    }

    /// Owner and mode of the directory; returns false when nothing may be written.
    fn check_dir(
        dirfd: &OwnedFd,
        dir: &Path,
        name: &std::ffi::OsStr,
        owner: u32,
        repair: bool,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let st = match rustix::fs::fstat(dirfd) {
            Ok(st) => st,
            Err(e) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot inspect the directory: {e}"),
                    dir,
                ));
                return false;
            }
        };
        let mode = st.st_mode as u32 & 0o7777;
        let mut want = mode;
        if st.st_uid != owner {
            let f = issue(
                "managed-settings-dir-owner",
                format!(
                    "the directory is owned by uid {}, expected {owner}",
                    st.st_uid
                ),
                dir,
            );
            if repair {
                match take_over(dirfd, dir, name, owner) {
                    Ok(removed) if removed.is_empty() => findings.push(f.fixed()),
                    Ok(removed) => {
                        let mut f = f.fixed();
                        f.message.push_str(&format!(
                            "; taken over, and removed what the agent did not write: {}",
                            removed.join(", ")
                        ));
                        findings.push(f);
                    }
                    Err(e) => {
                        findings.push(f);
                        findings.push(issue(
                            "managed-settings-write-failed",
                            format!("cannot take over the directory: {e}"),
                            dir,
                        ));
                        return false;
                    }
                }
                // Taken over with exactly the created mode.
                return true;
            }
            findings.push(f);
        }
        let mut pending = Vec::new();
        if mode & 0o022 != 0 {
            pending.push(issue(
                "managed-settings-dir-writable",
                format!("the directory's mode is {mode:04o}: group or others can write it"),
                dir,
            ));
            want &= !0o022;
        }
        if mode & 0o005 != 0o005 {
            pending.push(issue(
                "managed-settings-users-cannot-read",
                format!(
                    "the directory's mode is {mode:04o}: users cannot read it, so Cortex Code does not see managed-settings.json"
                ),
                dir,
            ));
            want |= 0o755;
        }
        if want == mode {
            return true;
        }
        if !repair {
            findings.extend(pending);
            return true;
        }
        match rustix::fs::fchmod(dirfd, Mode::from_raw_mode(want as _)) {
            Ok(()) => {
                findings.extend(pending.into_iter().map(Finding::fixed));
                true
            }
            Err(e) => {
                findings.extend(pending);
                findings.push(issue(
                    "managed-settings-write-failed",
                    format!("cannot change the directory's mode: {e}"),
                    dir,
                ));
                false
            }
        }
    }

    /// Make a directory another user created the agent's: owner and group, mode
    /// 0755 (no setgid), no ACL, and nothing left in it that the agent did not write
    /// (a regular `managed-settings.json` stays: it is judged and rewritten next).
    /// Returns the names removed.
    fn take_over(
        dirfd: &OwnedFd,
        dir: &Path,
        name: &std::ffi::OsStr,
        owner: u32,
    ) -> io::Result<Vec<String>> {
        // Ownership first: from here on the user can no longer add entries.
        rustix::fs::fchown(dirfd, Some(Uid::from_raw(owner)), Some(Gid::from_raw(0)))?;
        rustix::fs::fchmod(dirfd, Mode::from_raw_mode(DIR_MODE as _))?;
        crate::acl::clear_posix_acls(dirfd, dir)?;
        let mut removed = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let entry_name = entry.file_name();
            let text = entry_name.to_string_lossy();
            let st = rustix::fs::statat(dirfd, entry_name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)?;
            let kind = FileType::from_raw_mode(st.st_mode);
            if entry_name.as_os_str() == name && kind == FileType::RegularFile {
                continue;
            }
            if kind == FileType::Directory {
                // Symlink-safe: links inside are removed, never followed.
                std::fs::remove_dir_all(dir.join(&entry_name))?;
            } else {
                rustix::fs::unlinkat(dirfd, entry_name.as_os_str(), AtFlags::empty())?;
            }
            removed.push(text.into_owned());
        }
        rustix::fs::fsync(dirfd)?;
        Ok(removed)
    }

    fn temp_prefix(name: &std::ffi::OsStr) -> String {
        format!(".{}.", name.to_string_lossy())
    }

    /// Temporary files left by an interrupted run (only ours: our prefix and suffix).
    fn remove_stale_temps(dirfd: &OwnedFd, dir: &Path, name: &std::ffi::OsStr) {
        let prefix = temp_prefix(name);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let text = file_name.to_string_lossy();
            if text.starts_with(&prefix) && text.ends_with(".tmp") {
                let _ = rustix::fs::unlinkat(dirfd, file_name.as_os_str(), AtFlags::empty());
            }
        }
    }

    fn inspect(dirfd: &OwnedFd, name: &std::ffi::OsStr, expected: &[u8]) -> io::Result<Current> {
        let st = match rustix::fs::statat(dirfd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(Current::Missing),
            Err(e) => return Err(e.into()),
        };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Symlink => return Ok(Current::Symlink),
            FileType::RegularFile => {}
            _ => return Ok(Current::NotRegular),
        }
        let fd = match rustix::fs::openat(
            dirfd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::LOOP) => return Ok(Current::Symlink),
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Ok(Current::NotRegular);
        }
        let mut content = Vec::with_capacity(expected.len());
        File::from(fd)
            .take(expected.len() as u64 + 1)
            .read_to_end(&mut content)?;
        Ok(Current::Regular {
            same: content == expected,
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid,
        })
    }

    fn write_at(dirfd: &OwnedFd, name: &std::ffi::OsStr, t: &SettingsTarget<'_>) -> io::Result<()> {
        let mut attempt = 0u32;
        let (tmp_name, fd) = loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let tmp_name = format!(
                "{}{}-{nanos}-{attempt}.tmp",
                temp_prefix(name),
                std::process::id()
            );
            match rustix::fs::openat(
                dirfd,
                tmp_name.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => break (tmp_name, fd),
                Err(rustix::io::Errno::EXIST) if attempt < 16 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let mut file = File::from(fd);
        let result = (|| -> io::Result<()> {
            for chunk in t.expected.chunks(CHUNK) {
                file.write_all(chunk)?;
                pause(t.pace);
            }
            rustix::fs::fchmod(file.as_fd(), Mode::from_raw_mode(FILE_MODE as _))?;
            if rustix::process::geteuid().is_root() {
                rustix::fs::fchown(
                    file.as_fd(),
                    Some(Uid::from_raw(t.owner_uid)),
                    Some(Gid::from_raw(0)),
                )?;
            }
            file.sync_all()?;
            pause(t.pace);
            rustix::fs::renameat(dirfd, tmp_name.as_str(), dirfd, name)?;
            pause(t.pace);
            rustix::fs::fsync(dirfd)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rustix::fs::unlinkat(dirfd, tmp_name.as_str(), AtFlags::empty());
        }
        result
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io;
    use std::path::Path;

    use super::{FILE_MODE, SettingsTarget, issue};
    use crate::fsutil::{self, Owner, ReadError};
    use crate::report::Finding;

    pub(super) fn reconcile(t: &SettingsTarget<'_>, repair: bool, findings: &mut Vec<Finding>) {
        let path = t.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let f = issue(
                    "managed-settings-dir-missing",
                    "Cortex Code's managed-settings directory does not exist",
                    dir,
                );
                if !repair {
                    findings.push(f);
                    findings.push(issue(
                        "managed-settings-missing",
                        "managed-settings.json is missing",
                        path,
                    ));
                    return;
                }
                if let Err(e) = std::fs::create_dir_all(dir) {
                    findings.push(issue(
                        "managed-settings-dir-missing",
                        format!("cannot create the directory: {e}"),
                        dir,
                    ));
                    return;
                }
                findings.push(f.fixed());
            }
            Err(e) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot inspect the directory: {e}"),
                    dir,
                ));
                return;
            }
            Ok(m) if m.file_type().is_symlink() => {
                findings.push(issue(
                    "managed-settings-dir-symlink",
                    "the managed-settings directory is a symbolic link or junction; nothing is written",
                    dir,
                ));
                return;
            }
            Ok(m) if !m.is_dir() => {
                findings.push(issue(
                    "managed-settings-dir-not-directory",
                    "the managed-settings directory path is not a directory; nothing is written",
                    dir,
                ));
                return;
            }
            Ok(_) => {}
        }
        let cap = t.expected.len() as u64 + 1;
        let pending = match fsutil::read_regular(path, cap) {
            Ok(bytes) if bytes == t.expected => return,
            Ok(_) | Err(ReadError::TooLarge { .. }) => issue(
                "managed-settings-different",
                "managed-settings.json differs from the signed bytes",
                path,
            ),
            Err(ReadError::NotFound) => issue(
                "managed-settings-missing",
                "managed-settings.json is missing",
                path,
            ),
            Err(ReadError::Symlink) => issue(
                "managed-settings-symlink",
                "managed-settings.json is a symbolic link; it is not followed",
                path,
            ),
            Err(ReadError::NotRegular) => {
                findings.push(issue(
                    "managed-settings-not-regular",
                    "managed-settings.json is not a regular file; it is not removed",
                    path,
                ));
                return;
            }
            Err(ReadError::Io(e)) => {
                findings.push(issue(
                    "managed-settings-unreadable",
                    format!("cannot read managed-settings.json: {e}"),
                    path,
                ));
                return;
            }
        };
        if !repair {
            findings.push(pending);
            return;
        }
        match fsutil::atomic_write(path, t.expected, FILE_MODE, Owner::default()) {
            Ok(()) => findings.push(pending.fixed()),
            Err(e) => {
                findings.push(pending);
                findings.push(issue(
                    "managed-settings-write-failed",
                    format!("cannot write managed-settings.json: {e}"),
                    path,
                ));
            }
        }
    }
}
