//! File operations that survive crashes and hostile file systems.
//!
//! - [`atomic_write`]: temporary file in the target's directory, write, set mode
//!   (and owner), fsync, rename over the target, fsync the directory. A crash at any
//!   point leaves the old file or the new one, never a mix.
//! - [`read_regular`]: open without following a final symlink, refuse anything but a
//!   regular file, cap the size before reading.
//!
//! Neither follows a symlink planted at the target: rename replaces a link itself,
//! and reads open with `O_NOFOLLOW`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// Ownership to give a written file (Unix uid/gid); `None` keeps the writer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// Write `bytes` to `path` atomically with permission bits `mode` (Unix).
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32, owner: Owner) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    set_mode_and_owner(tmp.as_file(), mode, owner)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn set_mode_and_owner(file: &File, mode: u32, owner: Owner) -> io::Result<()> {
    use rustix::fs::{Gid, Mode, Uid, fchmod, fchown};
    if owner.uid.is_some() || owner.gid.is_some() {
        fchown(
            file,
            owner.uid.map(Uid::from_raw),
            owner.gid.map(Gid::from_raw),
        )?;
    }
    fchmod(file, Mode::from_raw_mode(mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_mode_and_owner(_file: &File, _mode: u32, _owner: Owner) -> io::Result<()> {
    Ok(())
}

/// fsync a directory so a rename in it is durable.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Why [`read_regular`] refused a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not found")]
    NotFound,
    #[error("is a symbolic link; links are not followed")]
    Symlink,
    #[error("is not a regular file")]
    NotRegular,
    #[error("is {size} bytes, over the {cap}-byte limit")]
    TooLarge { size: u64, cap: u64 },
    #[error(transparent)]
    Io(io::Error),
}

/// Read a regular file without following a symlink at `path`, refusing files
/// larger than `cap` bytes before reading them.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::NotFound),
        Err(e) => return Err(ReadError::Io(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(ReadError::Symlink);
    }
    let file = open_nofollow(path).map_err(|e| match e.raw_os_error() {
        // ELOOP: the path became a link between the two calls.
        Some(40) | Some(62) => ReadError::Symlink,
        _ => ReadError::Io(e),
    })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            cap,
        });
    }
    Ok(buf)
}

#[cfg(unix)]
fn open_nofollow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(
            rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NONBLOCK.bits() as i32,
        )
        .open(path)
}

#[cfg(not(unix))]
fn open_nofollow(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_a_planted_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let target = dir.path().join("managed-settings.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        atomic_write(&target, b"new", 0o644, Owner::default()).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(
            !std::fs::symlink_metadata(&target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
    }

    #[test]
    fn read_regular_refuses_links_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_regular(&f, 10).unwrap(), b"12345");
        assert!(matches!(
            read_regular(&f, 4),
            Err(ReadError::TooLarge { .. })
        ));
        #[cfg(unix)]
        {
            let l = dir.path().join("l");
            std::os::unix::fs::symlink(&f, &l).unwrap();
            assert!(matches!(read_regular(&l, 10), Err(ReadError::Symlink)));
        }
        assert!(matches!(
            read_regular(&dir.path().join("none"), 10),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_regular(dir.path(), 10),
            Err(ReadError::NotRegular) | Err(ReadError::Io(_))
        ));
    }
}
