//! Finding the signed bundle, verifying it, and deciding which policy governs.
//!
//! Discovery takes the first source that is present, in this order, and always
//! names it: the agent's macOS managed preferences (`com.warden.agent`), the Windows
//! machine policy key (`HKLM\SOFTWARE\Policies\Warden\Agent`), then the root-owned
//! bundle file. The trust chain comes only from the agent's install location and is
//! walked from the version pinned in [`State`] ([`crate::trust`]), so it can never
//! roll back.
//!
//! A bundle that fails any check is refused with a finding whose code is the
//! [`VerifyError::code`], and the last known-good bundle (re-verified from state)
//! stays in force. A last known-good bundle that has since expired (or whose trust
//! root has) still governs what is written: failing to the last signed policy is
//! safer than leaving Cortex Code unmanaged. It is re-verified at the last moment
//! it was valid, so signatures, revocations and profile are still checked, and the
//! report says so loudly (`last-known-good-expired`, an error). With no bundle that
//! ever verified, nothing governs and the run "cannot evaluate".

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use warden_bundle::PolicyBody;
use warden_registry::PolicyRegistry;
use warden_registry::known::warden_agent;
use warden_registry::value::RegValue;
use warden_trust::{
    Envelope, MAX_BUNDLE_BYTES, TrustChain, VerifiedBundle, VerifiedRoot, VerifyError,
    VerifyOptions, verify_bundle,
};

use crate::fsutil::{self, ReadError};
use crate::paths::{Paths, Platform};
use crate::policy::VerifiedPolicy;
use crate::report::{Finding, Report, Severity};
use crate::state::State;

/// Where a bundle was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSource {
    /// The agent's macOS managed-preferences file.
    ManagedPreferences(PathBuf),
    /// The Windows machine policy key.
    Registry(String),
    /// The root-owned bundle file.
    File(PathBuf),
}

impl fmt::Display for BundleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ManagedPreferences(p) => write!(f, "managed preferences {}", p.display()),
            Self::Registry(key) => write!(f, "registry {key}"),
            Self::File(p) => write!(f, "file {}", p.display()),
        }
    }
}

/// A source that is present, and what reading it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub source: BundleSource,
    pub bytes: Result<Vec<u8>, SourceError>,
}

/// A present source that did not yield envelope bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// `oversized` (the verifier's code) or `bundle-unreadable`.
    pub code: &'static str,
    pub message: String,
}

impl SourceError {
    fn unreadable(message: impl fmt::Display) -> Self {
        Self {
            code: "bundle-unreadable",
            message: message.to_string(),
        }
    }

    fn from_read(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge { size, cap } => Self {
                code: "oversized",
                message: format!("it is {size} bytes, larger than the {cap}-byte limit"),
            },
            other => Self::unreadable(other),
        }
    }
}

/// Largest managed-preferences file read: the bundle plus XML escaping.
const MAX_PREFERENCES_BYTES: u64 = 4 * MAX_BUNDLE_BYTES as u64;

/// The first bundle source present, or `None` when none is.
pub fn discover(paths: &Paths, registry: Option<&dyn PolicyRegistry>) -> Option<Discovered> {
    if paths.platform == Platform::MacOs
        && let Some(plist) = &paths.agent_preferences
        && present(plist)
    {
        let bytes = fsutil::read_regular(plist, MAX_PREFERENCES_BYTES)
            .map_err(SourceError::from_read)
            .and_then(|b| {
                warden_macos::parse_agent_preferences(&b)
                    .map(|p| p.bundle)
                    .map_err(SourceError::unreadable)
            });
        return Some(Discovered {
            source: BundleSource::ManagedPreferences(plist.clone()),
            bytes,
        });
    }
    if paths.platform == Platform::Windows
        && let Some(registry) = registry
    {
        let key = format!(r"HKEY_LOCAL_MACHINE\{}", warden_agent::KEY);
        match registry.read_key(warden_agent::HIVE, warden_agent::KEY) {
            Ok(Some(values)) => {
                let bundle = values
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(warden_agent::POLICY_BUNDLE.name));
                if let Some((_, value)) = bundle {
                    let bytes = match value {
                        RegValue::Sz(text) => Ok(text.as_bytes().to_vec()),
                        other => Err(SourceError::unreadable(format!(
                            "`{}` has type {}, expected REG_SZ",
                            warden_agent::POLICY_BUNDLE.name,
                            other.type_code()
                        ))),
                    };
                    return Some(Discovered {
                        source: BundleSource::Registry(key),
                        bytes,
                    });
                }
            }
            Ok(None) => {}
            Err(e) => {
                return Some(Discovered {
                    source: BundleSource::Registry(key),
                    bytes: Err(SourceError::unreadable(e)),
                });
            }
        }
    }
    if present(&paths.bundle_file) {
        return Some(Discovered {
            source: BundleSource::File(paths.bundle_file.clone()),
            bytes: fsutil::read_regular(&paths.bundle_file, MAX_BUNDLE_BYTES as u64)
                .map_err(SourceError::from_read),
        });
    }
    None
}

/// Present at all, including as a dangling or planted symlink (which the reader
/// then refuses, so the source is reported instead of silently skipped).
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The trust root to verify against (see [`crate::trust`]).
pub fn load_trust(
    paths: &Paths,
    state: &State,
    now: Timestamp,
    findings: &mut Vec<Finding>,
) -> Option<VerifiedRoot> {
    crate::trust::load_trust(paths, state, now, findings).root
}

/// The policy a run enforces, with what it needs to apply and record it.
#[derive(Debug, Clone)]
pub struct Governing {
    pub policy: VerifiedPolicy,
    /// Exact envelope bytes (what becomes the last known-good).
    pub envelope: Vec<u8>,
    /// Exact `managed-settings.json` bytes, digest checked.
    pub managed_settings: Vec<u8>,
    /// The bundle has expired and governs only as the last known-good.
    pub expired: bool,
    /// Accepted in this run (serial or bytes differ from the state).
    pub newly_accepted: bool,
}

/// Everything verification decided.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub governing: Option<Governing>,
    /// The newest trust root verified in this run (to pin).
    pub root: Option<VerifiedRoot>,
    /// The chain accepted up to `root` (stored with the pin).
    pub trust_chain: Option<TrustChain>,
    /// A serial reset for the state's profile signed in a newly accepted trust-root
    /// version: it replaced the accepted serial as the floor in this run.
    pub serial_reset: Option<u64>,
    pub findings: Vec<Finding>,
}

/// Discover, verify and fall back to the last known-good bundle.
pub fn resolve(
    paths: &Paths,
    registry: Option<&dyn PolicyRegistry>,
    state: &State,
    now: Timestamp,
) -> Resolution {
    let mut findings = Vec::new();
    let trust = crate::trust::load_trust(paths, state, now, &mut findings);
    let root = trust.root;
    let serial_reset = state
        .profile_id
        .as_ref()
        .and_then(|profile| trust.serial_resets.get(profile).copied());
    let lkg = state.last_known_good.as_deref().map(str::as_bytes);
    let mut governing = None;
    let mut lkg_tried = false;

    match discover(paths, registry) {
        None => findings.push(Finding::new(
            "no-bundle",
            if lkg.is_some() {
                Severity::Warning
            } else {
                Severity::Error
            },
            "no policy bundle found in managed preferences, the registry or the bundle file",
        )),
        Some(Discovered {
            source,
            bytes: Err(e),
        }) => findings.push(
            Finding::new(
                e.code,
                Severity::Error,
                format!("bundle refused: {}{}", e.message, kept_note(lkg.is_some())),
            )
            .at(source.to_string()),
        ),
        Some(Discovered {
            source,
            bytes: Ok(bytes),
        }) => match &root {
            None => findings.push(
                Finding::new(
                    "no-trust-root",
                    Severity::Error,
                    "the bundle cannot be verified without a trust root",
                )
                .at(source.to_string()),
            ),
            Some(root) if lkg.is_some_and(|lkg| same_statement(lkg, &bytes)) => {
                lkg_tried = true;
                match reverify(&bytes, root, state, now) {
                    Ok((bundle, expired)) => {
                        if expired.is_none() {
                            push_warnings(&bundle, &mut findings);
                        }
                        if let Some(e) = &expired {
                            findings.push(
                                Finding::new(
                                    e.code(),
                                    Severity::Error,
                                    format!(
                                        "{e}; it still governs as the last known-good until a newer bundle verifies"
                                    ),
                                )
                                .at(source.to_string()),
                            );
                        }
                        governing = governing_from(
                            bundle,
                            bytes,
                            source.to_string(),
                            expired.is_some(),
                            false,
                            &mut findings,
                        );
                    }
                    Err(e) => findings.push(
                        Finding::new(e.code(), Severity::Error, format!("bundle refused: {e}"))
                            .at(source.to_string()),
                    ),
                }
            }
            Some(root) => {
                let options = VerifyOptions {
                    now,
                    min_serial: serial_reset.or(state.serial),
                    profile_id: state.profile_id.clone(),
                };
                match verify_bundle::<PolicyBody>(&bytes, root, &options) {
                    Ok(bundle) => {
                        push_warnings(&bundle, &mut findings);
                        governing = governing_from(
                            bundle,
                            bytes,
                            source.to_string(),
                            false,
                            true,
                            &mut findings,
                        );
                    }
                    Err(e) => findings.push(
                        Finding::new(
                            e.code(),
                            Severity::Error,
                            format!("bundle refused: {e}{}", kept_note(lkg.is_some())),
                        )
                        .at(source.to_string()),
                    ),
                }
            }
        },
    }

    if governing.is_none()
        && !lkg_tried
        && let (Some(lkg), Some(root)) = (lkg, &root)
    {
        let origin = state
            .last_known_good_source
            .as_deref()
            .unwrap_or("an earlier run");
        let source = format!("last known-good (from {origin})");
        match reverify(lkg, root, state, now) {
            Ok((bundle, expired)) => {
                if let Some(e) = &expired {
                    findings.push(Finding::new(
                        "last-known-good-expired",
                        Severity::Error,
                        format!(
                            "the last known-good bundle (serial {}) is no longer valid ({e}); it still governs until a newer bundle verifies",
                            bundle.statement.serial
                        ),
                    ));
                }
                governing = governing_from(
                    bundle,
                    lkg.to_vec(),
                    source,
                    expired.is_some(),
                    false,
                    &mut findings,
                );
            }
            Err(e) => findings.push(
                Finding::new(
                    "last-known-good-invalid",
                    Severity::Error,
                    format!(
                        "the last known-good bundle no longer verifies ({}): {e}",
                        e.code()
                    ),
                )
                .at(paths.state_file().display().to_string()),
            ),
        }
    }

    Resolution {
        governing,
        root,
        trust_chain: trust.accepted,
        serial_reset,
        findings,
    }
}

/// True when two envelopes carry the same signed statement (payload type and
/// payload bytes), however the envelope JSON around it is laid out: an MDM that
/// re-encodes the bundle delivers the accepted bundle again, not a rollback.
fn same_statement(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    if a.len() > MAX_BUNDLE_BYTES || b.len() > MAX_BUNDLE_BYTES {
        return false;
    }
    match (Envelope::from_json(a), Envelope::from_json(b)) {
        (Ok(a), Ok(b)) => a.payload_type == b.payload_type && a.payload == b.payload,
        _ => false,
    }
}

fn kept_note(has_lkg: bool) -> &'static str {
    if has_lkg {
        "; the last known-good policy stays in force"
    } else {
        ""
    }
}

fn push_warnings(bundle: &VerifiedBundle<PolicyBody>, findings: &mut Vec<Finding>) {
    for w in &bundle.warnings {
        findings.push(Finding::new(w.code(), Severity::Warning, w.to_string()));
    }
}

fn governing_from(
    bundle: VerifiedBundle<PolicyBody>,
    envelope: Vec<u8>,
    source: String,
    expired: bool,
    newly_accepted: bool,
    findings: &mut Vec<Finding>,
) -> Option<Governing> {
    match bundle.statement.body.cortex.managed_settings_bytes() {
        Ok(managed_settings) => Some(Governing {
            policy: VerifiedPolicy {
                statement: bundle.statement,
                source,
            },
            envelope,
            managed_settings,
            expired,
            newly_accepted,
        }),
        Err(e) => {
            // Signed but inconsistent: refuse it like any malformed bundle.
            findings.push(
                Finding::new("malformed", Severity::Error, format!("bundle refused: {e}"))
                    .at(source),
            );
            None
        }
    }
}

/// Verify a bundle the endpoint accepted before (no serial floor). When the only
/// objection is time (the bundle, its trust root or its signer has expired since),
/// verify again at the last instant it was valid and return the expiry as well.
fn reverify(
    bytes: &[u8],
    root: &VerifiedRoot,
    state: &State,
    now: Timestamp,
) -> Result<(VerifiedBundle<PolicyBody>, Option<VerifyError>), VerifyError> {
    let mut options = VerifyOptions {
        now,
        min_serial: None,
        profile_id: state.profile_id.clone(),
    };
    let mut first_expiry = None;
    // Each retry moves before one more expiry: bundle, trust root, signer.
    for _ in 0..4 {
        match verify_bundle::<PolicyBody>(bytes, root, &options) {
            Ok(bundle) => return Ok((bundle, first_expiry)),
            Err(e) => {
                let at = match &e {
                    VerifyError::Expired { expires, .. }
                    | VerifyError::TrustRootExpired { expires, .. } => *expires,
                    VerifyError::SignerExpired { expired, .. } => *expired,
                    _ => return Err(e),
                };
                let before = at
                    .saturating_sub(SignedDuration::from_secs(1))
                    .unwrap_or(at);
                if before >= options.now {
                    return Err(e);
                }
                options.now = before;
                first_expiry.get_or_insert(e);
            }
        }
    }
    Err(first_expiry.unwrap_or(VerifyError::Malformed {
        what: "bundle",
        detail: "verification did not settle".to_owned(),
    }))
}

/// The policy user mode evaluates against, and what system mode would say about its
/// validity.
#[derive(Debug, Clone)]
pub struct UserPolicy {
    pub policy: VerifiedPolicy,
    /// The errors system mode reports for the same policy when it governs only as
    /// an expired last known-good (`expired`, `last-known-good-expired`, …); empty
    /// when the policy is valid.
    pub findings: Vec<Finding>,
}

impl UserPolicy {
    /// `report` (a user-mode run against [`Self::policy`]) with these findings
    /// first, its compliance recomputed from all of them.
    pub fn annotate(&self, report: Report) -> Report {
        if self.findings.is_empty() {
            return report;
        }
        let mut findings = self.findings.clone();
        findings.extend(report.findings);
        let mut annotated = Report::new(report.mode, report.policy, findings);
        annotated.connections = report.connections;
        annotated
    }
}

/// The policy user mode evaluates against, without writing anything: the last
/// known-good bundle from the system state when it is readable and still verifies,
/// else the system sources verified with whatever the state pins. A policy that
/// governs only as an expired last known-good comes with the same errors system
/// mode reports for it. `Err` carries the findings of a run that found nothing to
/// trust.
pub fn load_for_user(
    paths: &Paths,
    registry: Option<&dyn PolicyRegistry>,
    clock: Timestamp,
    state_owner_uid: u32,
) -> Result<UserPolicy, Vec<Finding>> {
    let state = crate::system::state_for_user(paths, state_owner_uid);
    let now = state.effective_now(clock);
    if let Some(lkg) = state.last_known_good.as_deref() {
        let mut ignored = Vec::new();
        if let Some(root) = load_trust(paths, &state, now, &mut ignored)
            && let Ok((bundle, None)) = reverify(lkg.as_bytes(), &root, &state, now)
        {
            let origin = state
                .last_known_good_source
                .as_deref()
                .unwrap_or("system mode");
            return Ok(UserPolicy {
                policy: VerifiedPolicy {
                    statement: bundle.statement,
                    source: format!("last known-good (from {origin})"),
                },
                findings: Vec::new(),
            });
        }
    }
    // Expired or unusable: decide exactly as system mode does.
    let resolution = resolve(paths, registry, &state, now);
    match resolution.governing {
        Some(g) => Ok(UserPolicy {
            findings: if g.expired {
                resolution
                    .findings
                    .into_iter()
                    .filter(|f| f.severity == Severity::Error)
                    .collect()
            } else {
                Vec::new()
            },
            policy: g.policy,
        }),
        None => Err(resolution.findings),
    }
}
