//! What system mode remembers between runs, so that an attacker who controls the
//! policy channel cannot roll the endpoint back.
//!
//! One JSON file (`warden.agent-state/v1`) in the state directory, replaced
//! atomically and only by root: the trust-root version accepted so far (with its
//! envelope and the chain up to it, which later runs pin once it chains to the
//! installed trust root), the profile and highest serial accepted, the exact
//! envelope bytes of the last known-good bundle, the latest trusted time (a signed
//! time), and the outcome of the last run for `status`. The state is used only
//! when its directory and file could not have been written by anyone but root
//! ([`crate::ownership`]). It holds nothing secret (signed
//! bundles, public keys), so it is world-readable and user mode may reuse the last
//! known-good bundle from it.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::fsutil::{self, Owner, ReadError};

/// Identifier of the state format.
pub const STATE_SCHEMA: &str = "warden.agent-state/v1";

/// Largest state file read: a bundle (1 MiB), its trust root and some bookkeeping.
pub const MAX_STATE_BYTES: u64 = 4 << 20;

/// The persisted state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema: String,
    /// Highest trust-root version accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_root_version: Option<u64>,
    /// The DSSE envelope (JSON text) of that version: the pin for later chains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_root: Option<String>,
    /// The chain file (JSON text) of versions 1 to `trust_root_version` as accepted:
    /// the pin counts only when this chain starts at the installed trust root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_chain: Option<String>,
    /// The profile this endpoint accepted; bundles for other profiles are refused
    /// until the state is reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
    /// Highest serial accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u64>,
    /// The exact envelope bytes of the last known-good bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_good: Option<String>,
    /// Where that bundle was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_good_source: Option<String>,
    /// The latest time this endpoint has trusted (RFC 3339): verification never runs
    /// at an earlier time, which defeats clock-rollback replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_time: Option<String>,
    /// The last `enforce` run, for `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result: Option<LastResult>,
}

/// Outcome of one recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastResult {
    /// RFC 3339.
    pub at: String,
    pub exit_code: u8,
    /// The one-line form (`compliant (acme #7)`, `non-compliant: …`).
    pub summary: String,
}

impl Default for State {
    fn default() -> Self {
        Self {
            schema: STATE_SCHEMA.to_owned(),
            trust_root_version: None,
            trust_root: None,
            trust_chain: None,
            profile_id: None,
            serial: None,
            last_known_good: None,
            last_known_good_source: None,
            trusted_time: None,
            last_result: None,
        }
    }
}

/// Why the state could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    #[error("cannot read the agent state: {0}")]
    Read(#[source] ReadError),
    #[error("the agent state is not valid `{STATE_SCHEMA}` JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the agent state has schema `{0}`, expected `{STATE_SCHEMA}`")]
    Schema(String),
    #[error("the agent state's trusted time `{0}` is not RFC 3339 UTC")]
    Time(String),
    #[error("cannot write the agent state: {0}")]
    Write(#[source] std::io::Error),
}

impl State {
    /// Parse and check a state file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StateError> {
        let state: State = serde_json::from_slice(bytes)?;
        if state.schema != STATE_SCHEMA {
            return Err(StateError::Schema(state.schema));
        }
        state.trusted_time()?;
        Ok(state)
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("state serializes");
        out.push(b'\n');
        out
    }

    /// The recorded trusted time, if any.
    pub fn trusted_time(&self) -> Result<Option<Timestamp>, StateError> {
        self.trusted_time
            .as_deref()
            .map(|t| warden_trust::time::parse_utc(t).map_err(|_| StateError::Time(t.to_owned())))
            .transpose()
    }

    /// The time to verify at: the clock, but never before the trusted time.
    pub fn effective_now(&self, clock: Timestamp) -> Timestamp {
        match self.trusted_time() {
            Ok(Some(floor)) if floor > clock => floor,
            _ => clock,
        }
    }

    /// Raise the trusted time to `now` (it never goes down). Callers pass signed
    /// times only (a verified `issued_at`, never later than the verification time):
    /// the local clock alone never moves it, so one forward jump of the clock cannot
    /// make every later bundle look expired.
    pub fn advance_time(&mut self, now: Timestamp) {
        if self.trusted_time().ok().flatten().is_none_or(|t| t < now) {
            self.trusted_time = Some(now.to_string());
        }
    }

    /// Read the state at `path`; `None` when there is none yet.
    pub fn load(path: &Path) -> Result<Option<Self>, StateError> {
        match fsutil::read_regular(path, MAX_STATE_BYTES) {
            Ok(bytes) => Self::from_json(&bytes).map(Some),
            Err(ReadError::NotFound) => Ok(None),
            Err(e) => Err(StateError::Read(e)),
        }
    }

    /// Replace the state at `path` atomically (mode 0644, owned by `owner`).
    pub fn save(&self, path: &Path, owner: Owner) -> Result<(), StateError> {
        fsutil::atomic_write(path, &self.to_json(), 0o644, owner).map_err(StateError::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_schemas_and_fields() {
        let mut s = State {
            serial: Some(7),
            ..State::default()
        };
        s.advance_time("2026-03-01T00:00:00Z".parse().unwrap());
        s.advance_time("2026-02-01T00:00:00Z".parse().unwrap());
        assert_eq!(s.trusted_time.as_deref(), Some("2026-03-01T00:00:00Z"));
        assert_eq!(State::from_json(&s.to_json()).unwrap(), s);
        let earlier: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(s.effective_now(earlier).to_string(), "2026-03-01T00:00:00Z");
        assert!(matches!(
            State::from_json(br#"{"schema":"other"}"#),
            Err(StateError::Schema(_))
        ));
        assert!(State::from_json(br#"{"schema":"warden.agent-state/v1","x":1}"#).is_err());
        assert!(matches!(
            State::from_json(br#"{"schema":"warden.agent-state/v1","trusted_time":"soon"}"#),
            Err(StateError::Time(_))
        ));
    }
}
