//! The trust root system mode verifies against.
//!
//! The anchor is version 1 of the chain installed with the agent. The state pins
//! the chain accepted so far (versions 1 to N), and that pin counts only when it
//! chains to the installed anchor: version 1 identical, every later version signed
//! by a threshold of the one before ([`verify_accepted`]). A pinned version that
//! is merely signed by itself is refused, and the state that holds it is not
//! trusted ([`anchored_pin`]). The installed chain is then walked from the pin,
//! so it can never roll back; serial resets signed in versions above the pin are
//! returned for the caller to apply.

use std::collections::BTreeMap;

use jiff::Timestamp;
use warden_trust::{
    MAX_TRUST_CHAIN_BYTES, TrustChain, VerifiedRoot, VerifyError, verify_accepted, verify_chain,
};

use crate::fsutil::{self, ReadError};
use crate::paths::Paths;
use crate::report::{Finding, Severity};
use crate::state::State;

/// What trust loading decided.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The root to verify bundles against.
    pub root: Option<VerifiedRoot>,
    /// The chain accepted up to `root` (what the state stores as its pin).
    pub accepted: Option<TrustChain>,
    /// Serial resets signed in versions accepted for the first time, by profile.
    pub serial_resets: BTreeMap<String, u64>,
}

/// The installed chain, or the finding that says why it cannot be used.
fn read_installed(paths: &Paths) -> Result<TrustChain, Finding> {
    let at = paths.trust_root.display().to_string();
    let chain = match fsutil::read_regular(&paths.trust_root, MAX_TRUST_CHAIN_BYTES as u64) {
        Ok(bytes) => TrustChain::from_json(&bytes),
        Err(ReadError::NotFound) => {
            return Err(Finding::new(
                "trust-root-missing",
                Severity::Error,
                "the trust root installed with the agent is missing",
            )
            .at(at));
        }
        Err(ReadError::TooLarge { size, cap }) => Err(VerifyError::Oversized {
            what: "trust chain",
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max: usize::try_from(cap).unwrap_or(usize::MAX),
        }),
        Err(e) => {
            return Err(Finding::new(
                "trust-root-unreadable",
                Severity::Error,
                format!("cannot read the trust root: {e}"),
            )
            .at(at));
        }
    };
    chain.map_err(|e| {
        Finding::new(
            e.code(),
            Severity::Error,
            format!("trust chain refused: {e}"),
        )
        .at(at)
    })
}

/// The state's pin re-verified from the installed anchor, with the chain it stands
/// for; `Ok(None)` when the state pins nothing, `Err` (why) when the pin does not
/// chain to the installed trust root.
pub fn anchored_pin(
    installed: &TrustChain,
    state: &State,
) -> Result<Option<(VerifiedRoot, TrustChain)>, String> {
    let Some(pin_text) = state.trust_root.as_deref() else {
        return Ok(None);
    };
    let pin =
        VerifiedRoot::pin(pin_text.as_bytes()).map_err(|e| format!("does not verify: {e}"))?;
    let accepted = match state.trust_chain.as_deref() {
        Some(text) => TrustChain::from_json(text.as_bytes())
            .map_err(|e| format!("comes with a stored chain that cannot be read: {e}"))?,
        // A state from before chains were stored: the installed chain itself must
        // hold the pinned version unchanged.
        None => {
            let index = usize::try_from(pin.version().saturating_sub(1)).unwrap_or(usize::MAX);
            match installed.envelopes().get(index) {
                Some(same) if same.payload == pin.envelope().payload => {
                    installed.up_to(pin.version())
                }
                _ => {
                    return Err(format!(
                        "version {} is not part of the installed trust chain",
                        pin.version()
                    ));
                }
            }
        }
    };
    let root = verify_accepted(installed, &accepted).map_err(|e| {
        format!(
            "version {} does not chain to the installed trust root: {e}",
            pin.version()
        )
    })?;
    if root.envelope().payload != pin.envelope().payload
        || state
            .trust_root_version
            .is_some_and(|v| v != root.version())
    {
        return Err(format!(
            "version {} is not the newest version of the chain stored with it",
            pin.version()
        ));
    }
    Ok(Some((root, accepted)))
}

/// Whether the state's pin chains to the installed trust root. When the installed
/// chain cannot be read there is nothing to judge against, and [`load_trust`]
/// reports that instead.
pub fn check_pin(paths: &Paths, state: &State) -> Result<(), String> {
    match read_installed(paths) {
        Ok(installed) => anchored_pin(&installed, state).map(|_| ()),
        Err(_) => Ok(()),
    }
}

/// The trust root to verify against: the installed chain walked from the anchored
/// pin, or the anchored pin alone when the installed chain ends below it or fails
/// after it. Without a readable installed chain there is no anchor and no root.
pub fn load_trust(
    paths: &Paths,
    state: &State,
    now: Timestamp,
    findings: &mut Vec<Finding>,
) -> Trust {
    let installed = match read_installed(paths) {
        Ok(chain) => chain,
        Err(finding) => {
            findings.push(finding);
            return Trust::default();
        }
    };
    let pinned = match anchored_pin(&installed, state) {
        Ok(pinned) => pinned,
        Err(why) => {
            // Callers check the pin before they trust a state; this is the backstop.
            findings.push(
                Finding::new(
                    "state-untrusted",
                    Severity::Error,
                    format!("the pinned trust root {why}; it is ignored"),
                )
                .at(paths.state_file().display().to_string()),
            );
            None
        }
    };
    match verify_chain(&installed, pinned.as_ref().map(|(root, _)| root), now) {
        Ok(root) => {
            let after = pinned.as_ref().map_or(0, |(root, _)| root.version());
            Trust {
                serial_resets: installed.serial_resets_after(after).unwrap_or_default(),
                accepted: Some(installed.up_to(root.version())),
                root: Some(root),
            }
        }
        Err(e) => {
            let kept = match &pinned {
                Some((p, _)) => format!("; trust root version {} stays pinned", p.version()),
                None => String::new(),
            };
            findings.push(
                Finding::new(
                    e.code(),
                    Severity::Error,
                    format!("trust chain refused: {e}{kept}"),
                )
                .at(paths.trust_root.display().to_string()),
            );
            match pinned {
                Some((root, accepted)) => Trust {
                    root: Some(root),
                    accepted: Some(accepted),
                    serial_resets: BTreeMap::new(),
                },
                None => Trust::default(),
            }
        }
    }
}
