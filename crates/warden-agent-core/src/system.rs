//! System mode: keep Cortex Code's managed settings exactly as signed, report MDM
//! drift, and tell the MDM.
//!
//! - [`check`] verifies and compares; it never writes anything, not even state.
//! - [`enforce`] secures the state directory, takes the run lock (bounded wait),
//!   verifies, writes `managed-settings.json` when the rule says enforce, and
//!   records the new state (pinned trust chain, serial, last known-good bundle,
//!   trusted time, result). Running it twice changes nothing the second time.
//!
//! A state that someone other than root could have written (its directory or file
//! owned by another user or writable by group or others, or a pinned trust root
//! that does not chain to the installed one) is reported as `state-untrusted` and
//! ignored: the run starts again from the installed trust root, and `enforce`
//! takes the directory back and replaces the file.
//! - [`status`] reads the state only.
//!
//! System mode never reads or writes inside user homes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use warden_policy::RuleMode;
use warden_registry::PolicyRegistry;

use crate::acl::DirectoryAcl;
use crate::drift;
use crate::fsutil::Owner;
use crate::lock::{LockError, RunLock};
use crate::ownership::Kind;
use crate::paths::Paths;
use crate::report::{Finding, Format, Mode, Report, Severity};
use crate::settings_file::{self, SettingsTarget};
use crate::source::{self, Governing};
use crate::state::{LastResult, State, StateError};
use crate::trust;

/// What a system-mode run needs from its environment.
pub struct SystemOptions<'a> {
    pub paths: Paths,
    /// The local clock; verification uses the later of it and the trusted time.
    pub clock: Timestamp,
    /// Owner required for Cortex Code's file, its directory and the state: 0 in
    /// production, the caller's uid when paths are relocated for tests.
    pub owner_uid: u32,
    /// The Windows registry (or a `.reg`-backed stand-in).
    pub registry: Option<&'a dyn PolicyRegistry>,
    pub acl: &'a dyn DirectoryAcl,
    /// Test-only pause between write steps, to widen crash windows.
    pub pace: Option<Duration>,
    /// How long `enforce` waits for the run lock ([`crate::lock::DEFAULT_WAIT`]).
    pub lock_wait: Duration,
}

fn state_invalid(paths: &Paths, e: &StateError) -> Finding {
    Finding::new(
        "state-invalid",
        Severity::Error,
        format!("{e}; nothing was changed (remove the file to reset the agent's memory)"),
    )
    .at(paths.state_file().display().to_string())
}

fn state_untrusted(path: &Path, why: &str) -> Finding {
    Finding::new(
        "state-untrusted",
        Severity::Error,
        format!(
            "{why}: someone other than the system could have written the agent state, so it is ignored and the run starts again from the installed trust root"
        ),
    )
    .at(path.display().to_string())
}

/// Judge the state directory and file without changing anything: `Err` names the
/// path and why it cannot be trusted. A missing directory or file is trusted (there
/// is nothing in it yet).
fn inspect_state(opts: &SystemOptions<'_>) -> Result<(), (PathBuf, String)> {
    let paths = &opts.paths;
    let state_file = paths.state_file();
    for (path, kind) in [
        (paths.state_dir.as_path(), Kind::Directory),
        (state_file.as_path(), Kind::File),
    ] {
        match opts.acl.check_private(path, kind, opts.owner_uid) {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err((path.to_path_buf(), why)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err((path.to_path_buf(), format!("cannot be inspected ({e})"))),
        }
    }
    Ok(())
}

/// The state if it can be trusted, else an empty one and a `state-untrusted`
/// finding; `Err` when a trusted state file cannot be read or parsed.
fn trusted_state(
    opts: &SystemOptions<'_>,
    findings: &mut Vec<Finding>,
) -> Result<State, StateError> {
    if let Err((path, why)) = inspect_state(opts) {
        findings.push(state_untrusted(&path, &format!("{} {why}", path.display())));
        return Ok(State::default());
    }
    anchored_state(opts, findings)
}

/// The state file of a trusted directory, kept only if its pin chains to the
/// installed trust root.
fn anchored_state(
    opts: &SystemOptions<'_>,
    findings: &mut Vec<Finding>,
) -> Result<State, StateError> {
    let state = State::load(&opts.paths.state_file())?.unwrap_or_default();
    if let Err(why) = trust::check_pin(&opts.paths, &state) {
        findings.push(state_untrusted(
            &opts.paths.state_file(),
            &format!("the pinned trust root {why}"),
        ));
        return Ok(State::default());
    }
    Ok(state)
}

/// The state user mode may reuse: the system state when it can be trusted (see
/// [`enforce`]), else nothing. `owner_uid` is the owner the state must have.
pub fn state_for_user(paths: &Paths, owner_uid: u32) -> State {
    read_trusted_state(paths, owner_uid, &mut Vec::new())
}

/// The `state-untrusted` finding for the state at `paths`, if it cannot be trusted
/// (for `status`, which must not show what someone else wrote).
pub fn untrusted_state(paths: &Paths, owner_uid: u32) -> Option<Finding> {
    let mut findings = Vec::new();
    read_trusted_state(paths, owner_uid, &mut findings);
    findings.into_iter().next()
}

/// [`trusted_state`] for a reader that writes nothing and needs no clock or
/// registry: the trusted state, or the default one, with the reasons in `findings`.
fn read_trusted_state(paths: &Paths, owner_uid: u32, findings: &mut Vec<Finding>) -> State {
    let acl = crate::acl::native();
    let opts = SystemOptions {
        paths: paths.clone(),
        clock: Timestamp::UNIX_EPOCH,
        owner_uid,
        registry: None,
        acl: acl.as_ref(),
        pace: None,
        lock_wait: Duration::ZERO,
    };
    trusted_state(&opts, findings).unwrap_or_default()
}

/// Verify and compare without writing anything.
pub fn check(opts: &SystemOptions<'_>) -> Report {
    let mut findings = Vec::new();
    let state = match trusted_state(opts, &mut findings) {
        Ok(s) => s,
        Err(e) => {
            return Report::cannot_evaluate(Mode::System, vec![state_invalid(&opts.paths, &e)]);
        }
    };
    let now = state.effective_now(opts.clock);
    let resolution = source::resolve(&opts.paths, opts.registry, &state, now);
    findings.extend(resolution.findings);
    let Some(governing) = resolution.governing else {
        return Report::cannot_evaluate(Mode::System, findings);
    };
    findings.extend(apply(opts, &governing, false));
    Report::new(Mode::System, Some(governing.policy.info()), findings)
}

/// What securing the state directory found.
struct StateDir {
    /// The directory can be trusted now (it was, or it has been taken back).
    usable: bool,
    /// Its previous contents cannot be trusted and are ignored.
    discard: bool,
}

/// Create the state directory if needed and make it root's alone: a directory
/// someone else owns or may write is taken back (owner root, mode 0755; on Windows
/// the restricted ACL, which is also re-applied on every run). A symbolic link or
/// a non-directory is never followed or replaced; the run then keeps no state.
fn secure_state_dir(
    opts: &SystemOptions<'_>,
    findings: &mut Vec<Finding>,
) -> std::io::Result<StateDir> {
    let paths = &opts.paths;
    let dir = &paths.state_dir;
    create_state_dir(dir)?;
    let mut out = StateDir {
        usable: true,
        discard: false,
    };
    match opts
        .acl
        .check_private(dir, Kind::Directory, opts.owner_uid)?
    {
        Ok(()) => {}
        Err(why) => {
            out.discard = true;
            let meta = std::fs::symlink_metadata(dir)?;
            if meta.file_type().is_symlink() || !meta.is_dir() {
                out.usable = false;
                findings.push(state_untrusted(
                    dir,
                    &format!(
                        "{} {why} (left alone; this run keeps no state)",
                        dir.display()
                    ),
                ));
                return Ok(out);
            }
            findings.push(state_untrusted(
                dir,
                &format!("{} {why} (taken back)", dir.display()),
            ));
            take_back_dir(dir, opts.owner_uid)?;
        }
    }
    let state_file = paths.state_file();
    let lock_file = paths.lock_file();
    opts.acl
        .restrict_private(dir, &[state_file.as_path(), lock_file.as_path()])?;
    if out.discard
        && let Ok(Err(why)) = opts.acl.check_private(dir, Kind::Directory, opts.owner_uid)
    {
        out.usable = false;
        findings.push(state_untrusted(
            dir,
            &format!(
                "{} {why} even after repair (this run keeps no state)",
                dir.display()
            ),
        ));
        return Ok(out);
    }
    if !out.discard
        && let Ok(Err(why)) = opts
            .acl
            .check_private(&state_file, Kind::File, opts.owner_uid)
    {
        out.discard = true;
        findings.push(state_untrusted(
            &state_file,
            &format!(
                "{} {why} (replaced at the end of the run)",
                state_file.display()
            ),
        ));
    }
    remove_untrusted_lock(&lock_file, opts.owner_uid)?;
    Ok(out)
}

/// Chown (when root) and chmod 0755 the state directory through a handle that
/// does not follow links.
#[cfg(unix)]
fn take_back_dir(dir: &Path, owner_uid: u32) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags, Uid, fchmod, fchown, open};
    let fd = open(
        dir,
        OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    if running_as_root() {
        fchown(&fd, Some(Uid::from_raw(owner_uid)), None)?;
    }
    fchmod(&fd, Mode::from_raw_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn take_back_dir(_dir: &Path, _owner_uid: u32) -> std::io::Result<()> {
    Ok(())
}

/// A lock file that is not root's alone (another owner, any group or other bit,
/// other links) could be held open by someone else: remove it so the run creates
/// its own. Only ever called once the directory is root's.
#[cfg(unix)]
fn remove_untrusted_lock(lock: &Path, owner_uid: u32) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::symlink_metadata(lock) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let trusted =
        meta.is_file() && meta.uid() == owner_uid && meta.mode() & 0o077 == 0 && meta.nlink() == 1;
    if !trusted {
        std::fs::remove_file(lock)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn remove_untrusted_lock(_lock: &Path, _owner_uid: u32) -> std::io::Result<()> {
    // The restricted ACL applied just before resets the lock file's entries.
    Ok(())
}

/// Verify, repair, record; serialised by the run lock.
pub fn enforce(opts: &SystemOptions<'_>) -> Report {
    let paths = &opts.paths;
    let owner = Owner {
        uid: Some(opts.owner_uid).filter(|_| running_as_root()),
        gid: None,
    };
    let mut findings = Vec::new();
    let dir = match secure_state_dir(opts, &mut findings) {
        Ok(dir) => dir,
        Err(e) => {
            findings.push(
                Finding::new(
                    "state-unwritable",
                    Severity::Error,
                    format!("cannot create or secure the state directory: {e}"),
                )
                .at(paths.state_dir.display().to_string()),
            );
            return Report::cannot_evaluate(Mode::System, findings);
        }
    };
    let _lock = if dir.usable {
        match RunLock::acquire(&paths.lock_file(), opts.lock_wait) {
            Ok(lock) => Some(lock),
            Err(e) => {
                let code = match e {
                    LockError::Timeout(_) => "lock-timeout",
                    LockError::Io(_) => "state-unwritable",
                };
                findings.push(
                    Finding::new(
                        code,
                        Severity::Error,
                        format!("cannot take the run lock: {e}"),
                    )
                    .at(paths.lock_file().display().to_string()),
                );
                return Report::cannot_evaluate(Mode::System, findings);
            }
        }
    } else {
        None
    };
    let mut state = if dir.discard {
        State::default()
    } else {
        match anchored_state(opts, &mut findings) {
            Ok(s) => s,
            Err(e) => {
                findings.push(state_invalid(paths, &e));
                return Report::cannot_evaluate(Mode::System, findings);
            }
        }
    };
    let now = state.effective_now(opts.clock);
    let resolution = source::resolve(paths, opts.registry, &state, now);
    findings.extend(resolution.findings);

    if let Some(root) = &resolution.root
        && state.trust_root_version.is_none_or(|v| root.version() >= v)
    {
        state.trust_root_version = Some(root.version());
        state.trust_root = Some(String::from_utf8_lossy(&root.envelope().to_json()).into_owned());
        state.trust_chain = resolution
            .trust_chain
            .as_ref()
            .map(|chain| String::from_utf8_lossy(&chain.to_json()).into_owned());
    }
    if let Some(floor) = resolution.serial_reset {
        state.serial = Some(floor);
    }

    let report = match &resolution.governing {
        None => Report::cannot_evaluate(Mode::System, findings),
        Some(governing) => {
            let statement = &governing.policy.statement;
            // Trusted time moves only to a signed time, never past this run's clock.
            state.advance_time(statement.issued_at.min(now));
            if governing.newly_accepted {
                state.profile_id = Some(statement.profile_id.clone());
                state.serial = Some(statement.serial);
                state.last_known_good =
                    Some(String::from_utf8_lossy(&governing.envelope).into_owned());
                state.last_known_good_source = Some(governing.policy.source.clone());
            }
            findings.extend(apply(opts, governing, true));
            Report::new(Mode::System, Some(governing.policy.info()), findings)
        }
    };
    if !dir.usable {
        return report;
    }
    state.last_result = Some(LastResult {
        at: now.to_string(),
        exit_code: report.exit_code(),
        summary: report.render(Format::Intune).trim_end().to_owned(),
    });
    match state.save(&paths.state_file(), owner) {
        Ok(()) => report,
        Err(e) => {
            let mut findings = report.findings;
            findings.push(
                Finding::new("state-unwritable", Severity::Error, e.to_string())
                    .at(paths.state_file().display().to_string()),
            );
            match report.policy {
                Some(policy) => Report::new(Mode::System, Some(policy), findings),
                None => Report::cannot_evaluate(Mode::System, findings),
            }
        }
    }
}

/// The managed-settings rule and the drift report for the governing policy.
fn apply(opts: &SystemOptions<'_>, governing: &Governing, enforcing: bool) -> Vec<Finding> {
    let mode = governing
        .policy
        .statement
        .body
        .endpoint
        .modes
        .managed_settings;
    let target = SettingsTarget {
        path: &opts.paths.managed_settings,
        expected: &governing.managed_settings,
        owner_uid: opts.owner_uid,
        pace: opts.pace,
    };
    let mut findings = match mode {
        RuleMode::Off => vec![Finding::new(
            "managed-settings-not-managed",
            Severity::Info,
            "the policy sets the managed_settings rule to off; the file is not checked",
        )],
        RuleMode::Audit => settings_file::reconcile(&target, false, opts.acl),
        RuleMode::Enforce => settings_file::reconcile(&target, enforcing, opts.acl),
    };
    findings.extend(drift::mdm_drift(
        &opts.paths,
        opts.registry,
        &governing.policy.statement.body.cortex,
    ));
    findings
}

fn create_state_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(dir)
}

/// True when running with full privileges (root; on Windows assumed, as the
/// scheduled task runs as SYSTEM).
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// The effective uid (0 off Unix).
pub fn effective_uid() -> u32 {
    #[cfg(unix)]
    {
        rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Identifier of the JSON status format.
pub const STATUS_SCHEMA: &str = "warden.status/v1";

/// What `status` prints: the recorded policy and the last result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub schema: &'static str,
    /// Where the last known-good bundle came from.
    pub source: Option<String>,
    pub profile_id: Option<String>,
    pub serial: Option<u64>,
    /// RFC 3339 expiry of the last known-good bundle.
    pub expires: Option<String>,
    pub trust_root_version: Option<u64>,
    pub trusted_time: Option<String>,
    pub last_result: Option<LastResult>,
}

impl Status {
    /// Read from the state at `paths` (nothing recorded yet gives an empty status).
    pub fn load(paths: &Paths) -> Result<Self, StateError> {
        Ok(Self::from_state(
            &State::load(&paths.state_file())?.unwrap_or_default(),
        ))
    }

    /// The status a state describes. The stored bundle was verified before it was
    /// stored, so its expiry is read from it directly.
    pub fn from_state(state: &State) -> Self {
        let expires = state.last_known_good.as_deref().and_then(|lkg| {
            let envelope = warden_trust::Envelope::from_json(lkg.as_bytes()).ok()?;
            let statement: serde_json::Value = serde_json::from_slice(&envelope.payload).ok()?;
            statement.get("expires")?.as_str().map(str::to_owned)
        });
        Self {
            schema: STATUS_SCHEMA,
            source: state.last_known_good_source.clone(),
            profile_id: state.profile_id.clone(),
            serial: state.serial,
            expires,
            trust_root_version: state.trust_root_version,
            trusted_time: state.trusted_time.clone(),
            last_result: state.last_result.clone(),
        }
    }

    /// 0 when a verified policy is recorded, 2 when none is.
    pub fn exit_code(&self) -> u8 {
        if self.serial.is_some() { 0 } else { 2 }
    }

    fn one_line(&self) -> String {
        let policy = match (&self.profile_id, self.serial) {
            (Some(id), Some(serial)) => format!("{id} #{serial}"),
            _ => "no verified policy".to_owned(),
        };
        let last = self
            .last_result
            .as_ref()
            .map(|r| format!("; last run {}: {}", r.at, r.summary))
            .unwrap_or_default();
        format!("{policy}{last}")
    }

    /// Render in `format`; every format ends with a newline.
    pub fn render(&self, format: Format) -> String {
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        match format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self).expect("status serializes");
                s.push('\n');
                s
            }
            Format::Jamf => format!("<result>{}</result>\n", self.one_line()),
            // A status has no compliance verdict: the discovery format prints the line.
            Format::Intune | Format::IntuneCompliance => format!("{}\n", self.one_line()),
            Format::Text => {
                let last = self
                    .last_result
                    .as_ref()
                    .map(|r| format!("{} at {} (exit {})", r.summary, r.at, r.exit_code));
                format!(
                    "source: {}\nprofile: {}\nserial: {}\nexpires: {}\ntrust root version: {}\ntrusted time: {}\nlast result: {}\n",
                    dash(self.source.clone()),
                    dash(self.profile_id.clone()),
                    dash(self.serial.map(|s| s.to_string())),
                    dash(self.expires.clone()),
                    dash(self.trust_root_version.map(|v| v.to_string())),
                    dash(self.trusted_time.clone()),
                    dash(last),
                )
            }
        }
    }
}
