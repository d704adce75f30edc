//! System mode: keep Cortex Code's managed settings exactly as signed, report MDM
//! drift, and tell the MDM.
//!
//! - [`check`] verifies and compares; it never writes anything, not even state.
//! - [`enforce`] takes the run lock, verifies, writes `managed-settings.json` when
//!   the rule says enforce, and records the new state (pinned trust root, serial,
//!   last known-good bundle, trusted time, result). Running it twice changes
//!   nothing the second time.
//! - [`status`] reads the state only.
//!
//! System mode never reads or writes inside user homes.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use warden_policy::RuleMode;
use warden_registry::PolicyRegistry;

use crate::acl::DirectoryAcl;
use crate::drift;
use crate::fsutil::Owner;
use crate::lock::RunLock;
use crate::paths::Paths;
use crate::report::{Finding, Format, Mode, Report, Severity};
use crate::settings_file::{self, SettingsTarget};
use crate::source::{self, Governing};
use crate::state::{LastResult, State, StateError};

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
}

fn state_invalid(paths: &Paths, e: &StateError) -> Finding {
    Finding::new(
        "state-invalid",
        Severity::Error,
        format!("{e}; nothing was changed (remove the file to reset the agent's memory)"),
    )
    .at(paths.state_file().display().to_string())
}

/// Verify and compare without writing anything.
pub fn check(opts: &SystemOptions<'_>) -> Report {
    let state = match State::load(&opts.paths.state_file()) {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            return Report::cannot_evaluate(Mode::System, vec![state_invalid(&opts.paths, &e)]);
        }
    };
    let now = state.effective_now(opts.clock);
    let resolution = source::resolve(&opts.paths, opts.registry, &state, now);
    let mut findings = resolution.findings;
    let Some(governing) = resolution.governing else {
        return Report::cannot_evaluate(Mode::System, findings);
    };
    findings.extend(apply(opts, &governing, false));
    Report::new(Mode::System, Some(governing.policy.info()), findings)
}

/// Verify, repair, record; serialised by the run lock.
pub fn enforce(opts: &SystemOptions<'_>) -> Report {
    let paths = &opts.paths;
    let owner = Owner {
        uid: Some(opts.owner_uid).filter(|_| running_as_root()),
        gid: None,
    };
    if let Err(e) = ensure_state_dir(&paths.state_dir) {
        return Report::cannot_evaluate(
            Mode::System,
            vec![
                Finding::new(
                    "state-unwritable",
                    Severity::Error,
                    format!("cannot create the state directory: {e}"),
                )
                .at(paths.state_dir.display().to_string()),
            ],
        );
    }
    let _lock = match RunLock::acquire(&paths.lock_file()) {
        Ok(lock) => lock,
        Err(e) => {
            return Report::cannot_evaluate(
                Mode::System,
                vec![
                    Finding::new(
                        "state-unwritable",
                        Severity::Error,
                        format!("cannot take the run lock: {e}"),
                    )
                    .at(paths.lock_file().display().to_string()),
                ],
            );
        }
    };
    let mut state = match State::load(&paths.state_file()) {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return Report::cannot_evaluate(Mode::System, vec![state_invalid(paths, &e)]),
    };
    let now = state.effective_now(opts.clock);
    let resolution = source::resolve(paths, opts.registry, &state, now);
    let mut findings = resolution.findings;

    if let Some(root) = &resolution.root
        && state.trust_root_version.is_none_or(|v| root.version() >= v)
    {
        state.trust_root_version = Some(root.version());
        state.trust_root = Some(String::from_utf8_lossy(&root.envelope().to_json()).into_owned());
    }
    state.advance_time(now);

    let report = match &resolution.governing {
        None => Report::cannot_evaluate(Mode::System, findings),
        Some(governing) => {
            if governing.newly_accepted {
                let statement = &governing.policy.statement;
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

fn ensure_state_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(
            "the state directory path is not a directory",
        ));
    }
    Ok(())
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
