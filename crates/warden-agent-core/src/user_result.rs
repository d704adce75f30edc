//! The last user-mode result, recorded for the system job.
//!
//! The MDM asks the system job (root, SYSTEM) whether a machine is compliant, but the
//! connection files are audited by user mode, as the user. So `enforce --user` records
//! a short summary of its report in the user's own state folder, and system mode, given
//! the console user's name and home (`--console-user`, `--console-home`), reads it back
//! and reports both halves in one line.
//!
//! The file is written by the user, so it is the user's own statement: the reader
//! accepts it only when nobody else could have written it. On Unix every folder from
//! the home down and the file itself must be owned by the home's owner and not
//! writable by group or others, the file must be a regular file with one link, and no
//! component may be a symbolic link. On Windows the folder is the user's
//! `AppData\Local`, whose inherited ACL grants only the user, SYSTEM and
//! Administrators; the reader relies on that ACL and refuses only a link or a
//! non-file in the record's place.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::Platform;
use crate::report::Report;

/// Identifier of the recorded format.
pub const USER_RESULT_SCHEMA: &str = "warden.user-result/v1";
/// File name of the record, in [`state_dir`].
pub const USER_RESULT_FILE: &str = "last-user-result.json";
/// A record is a few hundred bytes; anything larger is not one.
pub const MAX_USER_RESULT_BYTES: u64 = 16 * 1024;

/// The folders, under the home, that hold the record on `platform`. Fixed, not taken
/// from the user's environment (`XDG_STATE_HOME`, `LOCALAPPDATA`): the system job
/// that reads it does not see that environment.
fn components(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::MacOs => &["Library", "Application Support", "Warden"],
        Platform::Windows => &["AppData", "Local", "Warden"],
        Platform::Linux => &[".local", "state", "warden"],
    }
}

/// The folder that holds the record for a user whose home is `home`.
pub fn state_dir(platform: Platform, home: &Path) -> PathBuf {
    components(platform)
        .iter()
        .fold(home.to_path_buf(), |p, c| p.join(c))
}

/// The policy a user-mode run was evaluated against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedPolicy {
    pub id: String,
    pub serial: u64,
}

/// What `enforce --user` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserResult {
    pub schema: String,
    /// RFC 3339 UTC.
    pub recorded_at: String,
    /// 0 compliant, 1 non-compliant, 2 cannot evaluate (the user run's exit code).
    pub exit_code: u8,
    /// Open error codes, sorted and deduplicated.
    pub open_errors: Vec<String>,
    pub policy: Option<RecordedPolicy>,
}

impl UserResult {
    /// The summary of a user-mode report, as of `now`.
    pub fn of(report: &Report, now: jiff::Timestamp) -> Self {
        let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
        Self {
            schema: USER_RESULT_SCHEMA.to_owned(),
            recorded_at: now.to_string(),
            exit_code: report.exit_code(),
            open_errors: report.open_codes().into_iter().map(str::to_owned).collect(),
            policy: report.policy.as_ref().map(|p| RecordedPolicy {
                id: p.id.clone(),
                serial: p.serial,
            }),
        }
    }

    fn verdict(&self) -> String {
        match self.exit_code {
            0 => "compliant".to_owned(),
            1 => format!("non-compliant: {}", self.open_errors.join(", ")),
            _ => match self.open_errors.first() {
                Some(code) => format!("cannot evaluate: {code}"),
                None => "cannot evaluate".to_owned(),
            },
        }
    }
}

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "user mode runs as root in a home owned by uid {0}; the result is recorded only by the user"
    )]
    RootInUserHome(u32),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Write `result` into the state folder under `home` (0700 folders, a 0600 file,
/// atomically). As root it writes only into a home root owns, never into a user's.
pub fn record(
    platform: Platform,
    home: &Path,
    result: &UserResult,
    running_as_root: bool,
) -> Result<PathBuf, RecordError> {
    if running_as_root {
        let uid = home_owner(home).unwrap_or(u32::MAX);
        if uid != 0 {
            return Err(RecordError::RootInUserHome(uid));
        }
    }
    let dir = state_dir(platform, home);
    let path = dir.join(USER_RESULT_FILE);
    let io = |source| RecordError::Io {
        path: path.clone(),
        source,
    };
    create_private_dirs(&dir).map_err(io)?;
    let mut bytes = serde_json::to_vec_pretty(result).expect("a user result serializes");
    bytes.push(b'\n');
    crate::fsutil::atomic_write(&path, &bytes, 0o600, crate::fsutil::Owner::default())
        .map_err(io)?;
    Ok(path)
}

#[cfg(unix)]
fn home_owner(home: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(home).ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn home_owner(_home: &Path) -> Option<u32> {
    Some(0)
}

#[cfg(unix)]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Why the system job did not take a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadProblem {
    #[error("no result recorded")]
    NotRecorded,
    /// Someone other than the user could have written it.
    #[error("result not trusted: {0}")]
    Untrusted(String),
    #[error("result unreadable: {0}")]
    Unreadable(String),
}

/// The console user's last user-mode result, as the system report carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleUser {
    pub name: String,
    /// `compliant`, `non-compliant`, `cannot evaluate`, `not recorded`, `not trusted`
    /// or `unreadable`.
    pub status: &'static str,
    /// The record, when it was read and trusted.
    pub result: Option<UserResult>,
    /// Why there is no result.
    pub problem: Option<String>,
}

impl ConsoleUser {
    /// Read the record of the user `name` whose home is `home`.
    pub fn read(platform: Platform, name: &str, home: &Path) -> Self {
        let (status, result, problem) = match read(platform, home) {
            Ok(r) => {
                let status = match r.exit_code {
                    0 => "compliant",
                    1 => "non-compliant",
                    _ => "cannot evaluate",
                };
                (status, Some(r), None)
            }
            Err(p) => {
                let status = match p {
                    ReadProblem::NotRecorded => "not recorded",
                    ReadProblem::Untrusted(_) => "not trusted",
                    ReadProblem::Unreadable(_) => "unreadable",
                };
                (status, None, Some(p.to_string()))
            }
        };
        Self {
            name: name.to_owned(),
            status,
            result,
            problem,
        }
    }

    /// `user alice: non-compliant: role-forbidden (acme #7, 2026-12-02T04:00:00Z)`.
    pub fn one_line(&self) -> String {
        match (&self.result, &self.problem) {
            (Some(r), _) => {
                let policy = r
                    .policy
                    .as_ref()
                    .map(|p| format!("{} #{}, ", p.id, p.serial))
                    .unwrap_or_default();
                format!(
                    "user {}: {} ({policy}{})",
                    self.name,
                    r.verdict(),
                    r.recorded_at
                )
            }
            (None, Some(problem)) => format!("user {}: {problem}", self.name),
            (None, None) => format!("user {}: {}", self.name, self.status),
        }
    }
}

/// Read and check the record under `home`.
pub fn read(platform: Platform, home: &Path) -> Result<UserResult, ReadProblem> {
    let bytes = read_trusted(platform, home)?;
    let result: UserResult = serde_json::from_slice(&bytes)
        .map_err(|e| ReadProblem::Unreadable(format!("not a user result: {e}")))?;
    if result.schema != USER_RESULT_SCHEMA {
        return Err(ReadProblem::Unreadable(format!(
            "schema `{}`, expected `{USER_RESULT_SCHEMA}`",
            result.schema
        )));
    }
    if warden_trust::time::parse_utc(&result.recorded_at).is_err() {
        return Err(ReadProblem::Unreadable(format!(
            "`recorded_at` `{}` is not an RFC 3339 UTC time",
            result.recorded_at
        )));
    }
    Ok(result)
}

/// Open the home, then every folder and the file beneath it without following a link,
/// checking that only the home's owner could have written each.
#[cfg(unix)]
fn read_trusted(platform: Platform, home: &Path) -> Result<Vec<u8>, ReadProblem> {
    use std::io::Read;

    use rustix::fs::{FileType, Mode, OFlags};

    use crate::ownership::{Kind, UnixMeta, judge_unix};

    let unreadable = |what: &dyn std::fmt::Display, e: rustix::io::Errno| match e {
        rustix::io::Errno::NOENT => ReadProblem::NotRecorded,
        rustix::io::Errno::LOOP => ReadProblem::Untrusted(format!("{what} is a symbolic link")),
        // `O_DIRECTORY | O_NOFOLLOW` on a link fails with ENOTDIR, as on a file.
        rustix::io::Errno::NOTDIR => {
            ReadProblem::Untrusted(format!("{what} is a symbolic link or not a folder"))
        }
        e => ReadProblem::Unreadable(format!("{what}: {e}")),
    };
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let home_fd = rustix::fs::open(home, dir_flags, Mode::empty())
        .map_err(|e| unreadable(&home.display(), e))?;
    let owner = rustix::fs::fstat(&home_fd)
        .map_err(|e| unreadable(&home.display(), e))?
        .st_uid;
    // The rule the agent's own state is judged by, with the home's owner as the owner.
    let check = |st: &rustix::fs::Stat, path: &Path, kind: Kind| {
        // `st_mode` is a u16 on macOS, `st_nlink` a u16 or u32 on some platforms.
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
        let meta = UnixMeta {
            uid: st.st_uid,
            mode: st.st_mode as u32,
            nlink: st.st_nlink as u64,
        };
        judge_unix(&meta, kind, owner)
            .map_err(|why| ReadProblem::Untrusted(format!("{} {why}", path.display())))
    };
    let mut dir = home_fd;
    let mut path = home.to_path_buf();
    for name in components(platform) {
        path.push(name);
        let fd = rustix::fs::openat(&dir, *name, dir_flags | OFlags::NOFOLLOW, Mode::empty())
            .map_err(|e| unreadable(&path.display(), e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| unreadable(&path.display(), e))?;
        check(&st, &path, Kind::Directory)?;
        dir = fd;
    }
    path.push(USER_RESULT_FILE);
    let fd = rustix::fs::openat(
        &dir,
        USER_RESULT_FILE,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| unreadable(&path.display(), e))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| unreadable(&path.display(), e))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(ReadProblem::Untrusted(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    check(&st, &path, Kind::File)?;
    if st.st_size as u64 > MAX_USER_RESULT_BYTES {
        return Err(ReadProblem::Unreadable(format!(
            "{} is {} bytes, over the {MAX_USER_RESULT_BYTES}-byte limit",
            path.display(),
            st.st_size
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(MAX_USER_RESULT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadProblem::Unreadable(format!("{}: {e}", path.display())))?;
    Ok(bytes)
}

#[cfg(not(unix))]
fn read_trusted(platform: Platform, home: &Path) -> Result<Vec<u8>, ReadProblem> {
    use crate::fsutil::{ReadError, read_regular};
    let path = state_dir(platform, home).join(USER_RESULT_FILE);
    read_regular(&path, MAX_USER_RESULT_BYTES).map_err(|e| match e {
        ReadError::NotFound => ReadProblem::NotRecorded,
        ReadError::Symlink | ReadError::NotRegular => {
            ReadProblem::Untrusted(format!("{}: {e}", path.display()))
        }
        e => ReadProblem::Unreadable(format!("{}: {e}", path.display())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Finding, Mode, PolicyInfo, Severity};

    fn report(codes: &[&str]) -> Report {
        let findings = codes
            .iter()
            .map(|c| Finding::new(c, Severity::Error, "x"))
            .collect();
        Report::new(
            Mode::User,
            Some(PolicyInfo {
                id: "acme".into(),
                serial: 7,
                source: "file".into(),
                expires: "2027-01-01T00:00:00Z".into(),
            }),
            findings,
        )
    }

    fn now() -> jiff::Timestamp {
        "2026-12-02T04:00:00.5Z".parse().unwrap()
    }

    #[test]
    fn a_recorded_result_reads_back_and_prints_in_one_line() {
        let home = tempfile::tempdir().unwrap();
        for platform in [Platform::MacOs, Platform::Linux, Platform::Windows] {
            let written = UserResult::of(&report(&["role-forbidden", "dir-mode"]), now());
            let path = record(platform, home.path(), &written, false).unwrap();
            assert!(path.starts_with(state_dir(platform, home.path())));
            assert_eq!(read(platform, home.path()).unwrap(), written);
            let console = ConsoleUser::read(platform, "alice", home.path());
            assert_eq!(console.status, "non-compliant");
            assert_eq!(
                console.one_line(),
                "user alice: non-compliant: dir-mode, role-forbidden (acme #7, 2026-12-02T04:00:00Z)"
            );
        }
    }

    #[test]
    fn nothing_recorded_says_so() {
        let home = tempfile::tempdir().unwrap();
        let console = ConsoleUser::read(Platform::MacOs, "bob", home.path());
        assert_eq!(console.status, "not recorded");
        assert_eq!(console.one_line(), "user bob: no result recorded");
    }

    #[cfg(unix)]
    #[test]
    fn a_record_others_could_write_or_a_link_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let platform = Platform::Linux;
        record(
            platform,
            home.path(),
            &UserResult::of(&report(&[]), now()),
            false,
        )
        .unwrap();
        let dir = state_dir(platform, home.path());
        let file = dir.join(USER_RESULT_FILE);

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Untrusted(m)) if m.contains("writable by group or others")
        ));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Untrusted(m)) if m.contains("writable by group or others")
        ));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();

        // A hard link keeps the owner but shows a second name.
        let other = home.path().join("elsewhere.json");
        std::fs::hard_link(&file, &other).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Untrusted(m)) if m.contains("hard links")
        ));
        std::fs::remove_file(&other).unwrap();

        // A link in place of the file, or of a folder on the way, is never followed.
        let real = home.path().join("real.json");
        std::fs::rename(&file, &real).unwrap();
        std::os::unix::fs::symlink(&real, &file).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Untrusted(m)) if m.contains("symbolic link")
        ));
        std::fs::remove_file(&file).unwrap();
        std::fs::rename(&real, &file).unwrap();
        let state = home.path().join(".local/state");
        std::fs::rename(&state, home.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(home.path().join("moved"), &state).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Untrusted(m)) if m.contains("symbolic link")
        ));
        std::fs::remove_file(&state).unwrap();
        std::fs::rename(home.path().join("moved"), &state).unwrap();
        assert!(read(platform, home.path()).is_ok());
    }

    #[test]
    fn garbage_and_foreign_records_are_unreadable() {
        let home = tempfile::tempdir().unwrap();
        let platform = Platform::MacOs;
        let path = record(
            platform,
            home.path(),
            &UserResult::of(&report(&[]), now()),
            false,
        )
        .unwrap();
        std::fs::write(&path, b"{\"schema\":\"warden.user-result/v1\",\"extra\":1}").unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Unreadable(_))
        ));
        std::fs::write(&path, vec![b' '; MAX_USER_RESULT_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            read(platform, home.path()),
            Err(ReadProblem::Unreadable(m)) if m.contains("limit")
        ));
    }
}
