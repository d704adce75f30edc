//! Windows access control for Cortex Code's folder.
//!
//! Cortex Code ignores `managed-settings.json` when its folder or file can be
//! written by non-administrators, and `%ProgramData%` lets every user create
//! folders (and grants CREATOR OWNER full control over them), so a user could
//! create `%ProgramData%\Cortex` first and own it. System mode therefore resets the
//! folder's ACL on every `enforce`: SYSTEM and Administrators full control, Users
//! read and execute, nothing inherited, owner Administrators; the file then
//! inherits exactly that.
//!
//! The repair sits behind [`DirectoryAcl`] so the logic stays testable off Windows:
//! [`Icacls`] runs the system's `icacls.exe` with well-known SIDs (locale
//! independent); [`PosixModes`] does nothing because Unix ownership and mode bits
//! are checked and repaired by the caller. Limits: `icacls` cannot be asked whether
//! the ACL is already right without parsing localized output, so `check` does not
//! inspect ACLs and `enforce` re-applies them every time (idempotent); explicit
//! entries for principals other than those removed below are left in place.

use std::io;
use std::path::Path;

/// Restricts who may write Cortex Code's folder and file.
pub trait DirectoryAcl {
    /// Apply the restricted ACL to `dir` and, if it exists, reset `file` to inherit
    /// it. Returns `true` when something was applied.
    fn restrict(&self, dir: &Path, file: &Path) -> io::Result<bool>;

    /// Whether the agent's state directory or a file in it can be trusted: see
    /// [`crate::ownership`]. The default judges the real file system.
    fn check_private(
        &self,
        path: &Path,
        kind: crate::ownership::Kind,
        owner_uid: u32,
    ) -> io::Result<Result<(), crate::ownership::Untrusted>> {
        crate::ownership::check_native(path, kind, owner_uid)
    }

    /// Give the agent's state directory its restricted ACL and reset the ACL and
    /// owner of `files` in it that exist. Returns `true` when something was applied;
    /// the default does nothing (Unix owners and modes are repaired by the caller).
    fn restrict_private(&self, _dir: &Path, _files: &[&Path]) -> io::Result<bool> {
        Ok(false)
    }
}

/// Unix: permissions are mode bits and owners, handled by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct PosixModes;

impl DirectoryAcl for PosixModes {
    fn restrict(&self, _dir: &Path, _file: &Path) -> io::Result<bool> {
        Ok(false)
    }
}

/// Windows: `icacls.exe` from the system directory.
#[cfg(windows)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Icacls;

#[cfg(windows)]
impl Icacls {
    fn run(args: &[&std::ffi::OsStr]) -> io::Result<()> {
        let system_root = std::env::var_os("SystemRoot").unwrap_or_else(|| r"C:\Windows".into());
        let exe = Path::new(&system_root).join("System32").join("icacls.exe");
        let status = std::process::Command::new(exe)
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("icacls exited with {status}")))
        }
    }

    /// Make `dir` the administrators' own: no inherited entries, no explicit grants
    /// to Everyone, Authenticated Users, Users or CREATOR OWNER, full control for
    /// SYSTEM and Administrators, `users` (an icacls grant for BUILTIN\Users) for
    /// Users, and Administrators as owner.
    fn own_dir(dir: &Path, users: &'static str) -> io::Result<()> {
        use std::ffi::OsStr;
        let d = dir.as_os_str();
        let s = |t: &'static str| OsStr::new(t);
        // Drop inherited entries (CREATOR OWNER, Users write from %ProgramData%).
        Self::run(&[d, s("/inheritance:r")])?;
        Self::run(&[
            d,
            s("/remove:g"),
            s("*S-1-1-0"),
            s("*S-1-5-11"),
            s("*S-1-5-32-545"),
            s("*S-1-3-0"),
        ])?;
        Self::run(&[
            d,
            s("/grant:r"),
            s("*S-1-5-18:(OI)(CI)F"),
            s("*S-1-5-32-544:(OI)(CI)F"),
            s(users),
        ])?;
        Self::run(&[d, s("/setowner"), s("*S-1-5-32-544")])
    }
}

#[cfg(windows)]
impl DirectoryAcl for Icacls {
    fn restrict(&self, dir: &Path, file: &Path) -> io::Result<bool> {
        // Users read and execute, inherited by what the folder holds.
        Self::own_dir(dir, "*S-1-5-32-545:(OI)(CI)RX")?;
        if file.exists() {
            Self::run(&[file.as_os_str(), std::ffi::OsStr::new("/reset")])?;
        }
        Ok(true)
    }

    fn restrict_private(&self, dir: &Path, files: &[&Path]) -> io::Result<bool> {
        use std::ffi::OsStr;
        let s = |t: &'static str| OsStr::new(t);
        // Users may list the folder only, so the lock file cannot be opened by them.
        Self::own_dir(dir, "*S-1-5-32-545:RX")?;
        for file in files.iter().filter(|f| f.exists()) {
            Self::run(&[file.as_os_str(), s("/reset")])?;
            Self::run(&[file.as_os_str(), s("/setowner"), s("*S-1-5-32-544")])?;
        }
        Ok(true)
    }
}

/// Remove every access-control-list entry from the directory open as `fd` (at
/// `path`), leaving only its owner, group and mode bits: on Linux the POSIX ACL
/// extended attributes (access and default, what `setfacl -b` removes), on macOS
/// the extended ACL through `/bin/chmod -N`. A file system without ACLs has none to
/// remove.
#[cfg(unix)]
pub fn clear_posix_acls(fd: &std::os::fd::OwnedFd, path: &Path) -> io::Result<()> {
    #[cfg(target_os = "macos")]
    {
        let _ = fd;
        let status = std::process::Command::new("/bin/chmod")
            .arg("-N")
            .arg(path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!("chmod -N exited with {status}")));
        }
        Ok(())
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = path;
        for name in ["system.posix_acl_access", "system.posix_acl_default"] {
            match rustix::fs::fremovexattr(fd, name) {
                Ok(()) | Err(rustix::io::Errno::NODATA) | Err(rustix::io::Errno::OPNOTSUPP) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "macos", target_os = "linux", target_os = "android")))]
    {
        let _ = (fd, path);
        Ok(())
    }
}

/// The implementation for the platform this binary runs on.
pub fn native() -> Box<dyn DirectoryAcl> {
    #[cfg(windows)]
    {
        Box::new(Icacls)
    }
    #[cfg(not(windows))]
    {
        Box::new(PosixModes)
    }
}
