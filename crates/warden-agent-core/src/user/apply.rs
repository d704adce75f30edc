//! The I/O edge of `enforce`: backups, atomic writes and mode changes, in an order
//! that never loses a connection. The quarantine file is written before the live
//! file, so a crash in between leaves a connection in both places, never in none;
//! the next run sees it already quarantined and only takes it out of the live file.

use std::path::{Path, PathBuf};

use super::audit::{Chmod, Plan};
use super::edit::{self, Files};
use super::snapshot::{QUARANTINE_FILE, Snapshot};
use crate::fsutil::{Owner, ReadError, atomic_write, read_regular};
use crate::report::{Finding, Severity};

/// Suffix of the backup of the version a change replaced: `<file>.warden-backup` is
/// the newest, `<file>.warden-backup.1` … `.{BACKUPS_KEPT - 1}` the older ones.
pub(crate) const BACKUP_SUFFIX: &str = ".warden-backup";

/// How many previous versions of a file are kept (each at most the read cap).
pub(crate) const BACKUPS_KEPT: usize = 5;

fn failed(path: &Path, message: String) -> Finding {
    Finding::new("repair-failed", Severity::Error, message).at(path.display().to_string())
}

/// Carries out `plan`; returns findings for what could not be done.
pub(crate) fn apply(snap: &Snapshot, plan: &Plan, stamp: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let has_content = !plan.content.is_empty();
    match (&plan.blocked, has_content) {
        (Some(why), true) => out.push(
            Finding::new(
                "repair-blocked",
                Severity::Warning,
                format!("the connection files were not edited: {why}"),
            )
            .at(snap.dir.path.display().to_string()),
        ),
        (None, true) => {
            if let Err(f) = content(snap, plan, stamp) {
                out.push(f);
            }
        }
        _ => {}
    }
    for c in &plan.chmods {
        // A key or token file lies outside the files the home's state vouches for:
        // when the home forbids edits, it is not touched either.
        if c.aux && plan.blocked.is_some() {
            continue;
        }
        if let Err(e) = chmod_nofollow(c) {
            out.push(failed(
                &c.path,
                format!("cannot change the mode to {:04o}: {e}", c.mode),
            ));
        }
    }
    out
}

fn content(snap: &Snapshot, plan: &Plan, stamp: &str) -> Result<(), Finding> {
    let dir: PathBuf = match &plan.create_dir {
        Some(d) => {
            create_private_dir(d)
                .map_err(|e| failed(d, format!("cannot create the directory: {e}")))?;
            d.clone()
        }
        None => snap.dir.path.clone(),
    };
    fn bytes_of(state: &Option<super::snapshot::FileState>, creating: bool) -> Option<&[u8]> {
        if creating {
            return None;
        }
        state.as_ref().and_then(|s| s.content.as_deref().ok())
    }
    let creating = plan.create_dir.is_some();
    let paths = (
        dir.join("connections.toml"),
        dir.join("config.toml"),
        dir.join(QUARANTINE_FILE),
    );
    let files = Files {
        connections: (&paths.0, bytes_of(&snap.connections, creating)),
        config: (&paths.1, bytes_of(&snap.config, creating)),
        quarantine: (&paths.2, bytes_of(&snap.quarantine, creating)),
    };
    let writes = edit::render(files, &plan.content, stamp)
        .map_err(|e| failed(&dir, format!("cannot compute the repair: {e}")))?;
    // Never write a file the agent would refuse to read: check them all before the
    // first write, so the order of the writes is never broken halfway.
    let cap = warden_connections::MAX_FILE_SIZE;
    if let Some(w) = writes.iter().find(|w| w.bytes.len() as u64 > cap) {
        return Err(failed(
            &w.path,
            format!(
                "the repaired file would be {} bytes, over the {cap}-byte limit the agent reads; nothing was changed",
                w.bytes.len()
            ),
        ));
    }
    for w in writes {
        let mode = match w.original {
            Some(_) if w.path != paths.2 => [&snap.connections, &snap.config]
                .into_iter()
                .flatten()
                .find(|s| s.path == w.path)
                .and_then(|s| s.meta)
                .map_or(0o600, |m| m.mode & 0o7777),
            _ => 0o600,
        };
        write_one(&w, mode)?;
    }
    Ok(())
}

/// `<file>.warden-backup` or, for `n > 0`, `<file>.warden-backup.<n>`.
pub(crate) fn backup_path(path: &Path, n: usize) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(BACKUP_SUFFIX);
    if n > 0 {
        name.push(format!(".{n}"));
    }
    path.with_file_name(name)
}

/// Keeps `original` as the newest backup of `path`, shifting the older ones down and
/// dropping the oldest beyond [`BACKUPS_KEPT`]. Nothing happens when the newest backup
/// already holds these bytes. A backup slot that is not a regular file stops the
/// repair: the agent never writes through or over something it did not create.
fn keep_backup(path: &Path, original: &[u8]) -> Result<(), Finding> {
    let slots: Vec<PathBuf> = (0..BACKUPS_KEPT).map(|n| backup_path(path, n)).collect();
    for slot in &slots {
        match std::fs::symlink_metadata(slot) {
            Ok(m) if !m.is_file() => {
                return Err(failed(
                    slot,
                    "the backup path exists and is not a regular file; nothing was changed".into(),
                ));
            }
            _ => {}
        }
    }
    if read_regular(&slots[0], warden_connections::MAX_FILE_SIZE)
        .is_ok_and(|b| b.as_slice() == original)
    {
        return Ok(());
    }
    for n in (1..BACKUPS_KEPT).rev() {
        if slots[n - 1].exists() {
            std::fs::rename(&slots[n - 1], &slots[n])
                .map_err(|e| failed(&slots[n], format!("cannot rotate the backups: {e}")))?;
        }
    }
    atomic_write(&slots[0], original, 0o600, Owner::default())
        .map_err(|e| failed(&slots[0], format!("cannot write the backup: {e}")))
}

/// Keeps the bytes it replaces, checks nobody changed the file meanwhile, writes.
fn write_one(w: &edit::Write, mode: u32) -> Result<(), Finding> {
    let current = match read_regular(&w.path, warden_connections::MAX_FILE_SIZE) {
        Ok(b) => Some(b),
        Err(ReadError::NotFound) => None,
        Err(e) => {
            return Err(failed(
                &w.path,
                format!("cannot re-read before writing: {e}"),
            ));
        }
    };
    if current != w.original {
        return Err(failed(
            &w.path,
            "the file changed while the agent was working; it was left alone".into(),
        ));
    }
    if let Some(original) = &w.original {
        keep_backup(&w.path, original)?;
    }
    atomic_write(&w.path, &w.bytes, mode, Owner::default())
        .map_err(|e| failed(&w.path, format!("cannot write: {e}")))
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir(path)
}

/// Changes a mode through a descriptor opened without following a final symlink.
#[cfg(unix)]
fn chmod_nofollow(c: &Chmod) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags, fchmod, fstat, open};
    let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    if c.directory {
        flags |= OFlags::DIRECTORY;
    }
    let fd = open(&c.path, flags, Mode::empty())?;
    let st = fstat(&fd)?;
    let kind = st.st_mode & 0o170000;
    let expected = if c.directory { 0o040000 } else { 0o100000 };
    if kind != expected {
        return Err(std::io::Error::other("not a regular file or directory"));
    }
    if c.owner.is_some_and(|uid| uid != st.st_uid) {
        return Err(std::io::Error::other(
            "the file belongs to another user; its mode was left alone",
        ));
    }
    fchmod(&fd, Mode::from_raw_mode(c.mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn chmod_nofollow(_c: &Chmod) -> std::io::Result<()> {
    Ok(())
}
