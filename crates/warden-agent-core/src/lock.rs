//! One `enforce` at a time.
//!
//! launchd, systemd path units, MDM scripts and a login can all start the agent at
//! once. Runs that write take an exclusive lock on `lock` in the root-only state
//! directory (never in a shared temporary directory), and a second run waits for the
//! first to finish, for a bounded time ([`DEFAULT_WAIT`]) after which it gives up
//! with `lock-timeout` rather than hang. On Unix this is `flock(2)` (released by the kernel when the
//! process dies, even by SIGKILL, so a crashed run never wedges the next); the file
//! is 0600 so an unprivileged user cannot open it and hold the lock. On Windows the
//! file is opened with no sharing, which the system also releases on exit.
//! `check` never locks: it writes nothing and the files it reads are replaced
//! atomically.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long `enforce` waits for another run before giving up with `lock-timeout`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// How often a waiting run tries again.
const POLL: Duration = Duration::from_millis(50);

/// Held for the duration of a run; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another run held the lock for the whole {0:?} wait")]
    Timeout(Duration),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl RunLock {
    /// Take the lock at `path`, creating the file (0600) if needed, waiting at most
    /// `wait` for a run that holds it.
    #[cfg(unix)]
    pub fn acquire(path: &Path, wait: Duration) -> Result<Self, LockError> {
        use std::os::unix::fs::OpenOptionsExt;

        use rustix::fs::{FlockOperation, OFlags, flock};

        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
            .open(path)?;
        let deadline = Instant::now() + wait;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Self { _file: file }),
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    if Instant::now() >= deadline {
                        return Err(LockError::Timeout(wait));
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(io::Error::from(e).into()),
            }
        }
    }

    /// Take the lock at `path`, creating the file if needed, waiting at most `wait`
    /// for a run that holds it open.
    #[cfg(windows)]
    pub fn acquire(path: &Path, wait: Duration) -> Result<Self, LockError> {
        use std::os::windows::fs::OpenOptionsExt;
        /// `ERROR_SHARING_VIOLATION`: another run holds the file open.
        const SHARING_VIOLATION: i32 = 32;
        let deadline = Instant::now() + wait;
        loop {
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .share_mode(0)
                .open(path)
            {
                Ok(file) => return Ok(Self { _file: file }),
                Err(e) if e.raw_os_error() == Some(SHARING_VIOLATION) => {
                    if Instant::now() >= deadline {
                        return Err(LockError::Timeout(wait));
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = RunLock::acquire(&path, DEFAULT_WAIT).unwrap();
        let got = Arc::new(AtomicBool::new(false));
        let t = {
            let (path, got) = (path.clone(), got.clone());
            std::thread::spawn(move || {
                let _second = RunLock::acquire(&path, DEFAULT_WAIT).unwrap();
                got.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(!got.load(Ordering::SeqCst));
        drop(first);
        t.join().unwrap();
        assert!(got.load(Ordering::SeqCst));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn lock_timeout_a_holder_that_never_lets_go_ends_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let _held = RunLock::acquire(&path, DEFAULT_WAIT).unwrap();
        let err = RunLock::acquire(&path, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, LockError::Timeout(_)), "{err}");
    }
}
