//! Verification of signed policy bundles.
//!
//! [`verify_bundle`] runs in a fixed order, and nothing from the payload is read until
//! its signatures have been checked:
//!
//! 1. size cap ([`MAX_BUNDLE_BYTES`]) before any parsing;
//! 2. envelope decoding;
//! 3. exact `payloadType` ([`POLICY_PAYLOAD_TYPE`]);
//! 4. the trust root must be unexpired;
//! 5. `verify_strict` over the PAE with the trust root's policy signers, counting
//!    distinct verified keys against the policy threshold (revoked, expired and
//!    out-of-scope signers do not count);
//! 6. strict parsing of the verified bytes (unknown fields and duplicate keys refused);
//! 7. validity window (with [`crate::time::CLOCK_SKEW`] on `not_before`),
//!    serial above the minimum, and the trust-root version.
//!
//! Every refusal is one [`VerifyError`] variant with a stable [`VerifyError::code`].
use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::de::DeserializeOwned;

use crate::dsse::{Envelope, POLICY_PAYLOAD_TYPE};
pub use crate::error::{VerifyError, Warning, trust_root_warning};
use crate::keys::{self, KeyId};
use crate::root::{SignerEntry, VerifiedRoot};
pub use crate::signatures::{MAX_BUNDLE_BYTES, MAX_SIGNATURES, MAX_TRUST_CHAIN_BYTES};
use crate::signatures::{decode_envelope, threshold_len};
use crate::statement::PolicyStatement;
use crate::time::{self, BUNDLE_WARN_BEFORE, CLOCK_SKEW};

/// What the caller knows before verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The verification time, fixed once per run. Agents should not pass a time
    /// earlier than the latest trusted time they have recorded.
    pub now: Timestamp,
    /// The highest serial already accepted for this profile: the bundle's serial must
    /// be strictly above it. `None` on first contact.
    pub min_serial: Option<u64>,
    /// The profile this endpoint belongs to. When set, signer scopes are checked
    /// against it before the payload is parsed and the statement must name it.
    pub profile_id: Option<String>,
}

impl VerifyOptions {
    /// Options with only the time set.
    pub fn at(now: Timestamp) -> Self {
        Self {
            now,
            min_serial: None,
            profile_id: None,
        }
    }
}

/// A bundle that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle<B> {
    /// The parsed statement.
    pub statement: PolicyStatement<B>,
    /// The exact verified payload bytes (keep these, never a re-serialization).
    pub payload: Vec<u8>,
    /// The distinct keys whose signatures counted.
    pub signers: Vec<KeyId>,
    /// Expiry warnings for the bundle and the trust root.
    pub warnings: Vec<Warning>,
}

/// Verify a policy bundle envelope against a verified trust root.
pub fn verify_bundle<B: DeserializeOwned>(
    envelope_bytes: &[u8],
    root: &VerifiedRoot,
    options: &VerifyOptions,
) -> Result<VerifiedBundle<B>, VerifyError> {
    if envelope_bytes.len() > MAX_BUNDLE_BYTES {
        return Err(VerifyError::Oversized {
            what: "bundle",
            size: envelope_bytes.len(),
            max: MAX_BUNDLE_BYTES,
        });
    }
    let envelope = decode_envelope(envelope_bytes, "bundle envelope")?;
    if envelope.payload_type != POLICY_PAYLOAD_TYPE {
        return Err(VerifyError::WrongPayloadType {
            expected: POLICY_PAYLOAD_TYPE,
            found: envelope.payload_type,
        });
    }
    let now = options.now;
    root.check_unexpired(now)?;
    let trust = root.root();

    let verified = policy_signers(&envelope, trust, now, options.profile_id.as_deref())?;

    let statement: PolicyStatement<B> = crate::strict::parse(&envelope.payload)
        .map_err(|e| VerifyError::malformed("policy statement", e))?;
    check_statement_shape(&statement)?;

    let signers = match &options.profile_id {
        Some(expected) => {
            if statement.profile_id != *expected {
                return Err(VerifyError::ProfileMismatch {
                    expected: expected.clone(),
                    found: statement.profile_id,
                });
            }
            verified.into_keys().collect()
        }
        None => scoped_signers(verified, trust, &statement.profile_id)?,
    };

    if statement.not_before > now.saturating_add(CLOCK_SKEW).unwrap_or(Timestamp::MAX) {
        return Err(VerifyError::NotYetValid {
            not_before: statement.not_before,
            now,
        });
    }
    if statement.expires <= now {
        return Err(VerifyError::Expired {
            expires: statement.expires,
            now,
        });
    }
    if let Some(minimum) = options.min_serial
        && statement.serial <= minimum
    {
        return Err(VerifyError::SerialNotAbove {
            serial: statement.serial,
            minimum,
        });
    }
    if statement.trust_root_version > trust.version {
        return Err(VerifyError::TrustRootVersionAhead {
            bundle: statement.trust_root_version,
            trusted: trust.version,
        });
    }

    let mut warnings = root.warnings(now);
    if statement.expires.duration_since(now) < BUNDLE_WARN_BEFORE {
        warnings.push(Warning::BundleExpiresSoon {
            serial: statement.serial,
            expires: statement.expires,
            days_left: time::days_until(now, statement.expires),
        });
    }
    Ok(VerifiedBundle {
        statement,
        payload: envelope.payload,
        signers,
        warnings,
    })
}

/// Consistency checks on a parsed statement that the types cannot express.
fn check_statement_shape<B>(statement: &PolicyStatement<B>) -> Result<(), VerifyError> {
    let bad = |detail: String| Err(VerifyError::malformed("policy statement", detail));
    if statement.expires <= statement.not_before {
        return bad(format!(
            "`expires` ({}) is not after `not_before` ({})",
            statement.expires, statement.not_before
        ));
    }
    if statement.trust_root_version == 0 {
        return bad("`trust_root_version` must be at least 1".to_owned());
    }
    for (name, digest) in &statement.manifest {
        if !crate::strict::is_sha256_hex(&digest.sha256) {
            return bad(format!(
                "manifest entry `{name}` has a sha256 that is not 64 lowercase hex digits"
            ));
        }
    }
    Ok(())
}

/// Verdict on one signature, ordered from most to least informative refusal.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rejection {
    Revoked(String),
    Expired(String, Timestamp),
    NotAllowed(String, String),
    BadSignature(String),
    Unknown(String),
}

impl From<Rejection> for VerifyError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Revoked(keyid) => Self::RevokedKey { keyid },
            Rejection::Expired(keyid, expired) => Self::SignerExpired { keyid, expired },
            Rejection::NotAllowed(keyid, profile_id) => {
                Self::SignerNotAllowed { keyid, profile_id }
            }
            Rejection::BadSignature(keyid) => Self::BadSignature { keyid },
            Rejection::Unknown(keyid) => Self::UnknownKey { keyid },
        }
    }
}

/// Verify every signature of a policy envelope against the trust root's signers and
/// return the distinct keys that count (with their entries), or the most telling
/// refusal when they fall short of the policy threshold.
fn policy_signers<'r>(
    envelope: &Envelope,
    trust: &'r crate::TrustRoot,
    now: Timestamp,
    profile_id: Option<&str>,
) -> Result<BTreeMap<KeyId, &'r SignerEntry>, VerifyError> {
    let message = envelope.pae();
    let mut valid = BTreeMap::new();
    let mut rejections = BTreeSet::new();
    for signature in &envelope.signatures {
        // Every trusted key is tried: the key id is only a hint and never decides.
        let verified_by = trust
            .signers
            .iter()
            .find(|(_, entry)| keys::verify_strict(&entry.public, &message, &signature.sig));
        match verified_by {
            Some((id, entry)) => {
                if trust.revoked.contains(id) {
                    rejections.insert(Rejection::Revoked(id.to_string()));
                } else if entry.expires <= now {
                    rejections.insert(Rejection::Expired(id.to_string(), entry.expires));
                } else if let Some(profile) = profile_id
                    && !entry.may_sign(profile)
                {
                    rejections.insert(Rejection::NotAllowed(id.to_string(), profile.to_owned()));
                } else {
                    valid.insert(id.clone(), entry);
                }
            }
            None => {
                let hint = signature.keyid.clone();
                let named = KeyId::parse(&signature.keyid).ok();
                let rejection = match named {
                    Some(id) if trust.revoked.contains(&id) => Rejection::Revoked(hint),
                    Some(id) if trust.signers.contains_key(&id) => Rejection::BadSignature(hint),
                    _ => Rejection::Unknown(hint),
                };
                rejections.insert(rejection);
            }
        }
    }
    if valid.len() >= threshold_len(trust.policy_threshold) {
        return Ok(valid);
    }
    match rejections.pop_first() {
        Some(rejection) => Err(rejection.into()),
        None => Err(VerifyError::BelowThreshold {
            valid: valid.len(),
            required: trust.policy_threshold,
        }),
    }
}

/// Without an expected profile, scopes can only be checked once the verified payload
/// names its profile: the signers that count must still meet the threshold.
fn scoped_signers(
    verified: BTreeMap<KeyId, &SignerEntry>,
    trust: &crate::TrustRoot,
    profile_id: &str,
) -> Result<Vec<KeyId>, VerifyError> {
    let mut allowed = Vec::new();
    let mut refused = None;
    for (id, entry) in verified {
        if entry.may_sign(profile_id) {
            allowed.push(id);
        } else {
            refused.get_or_insert(id);
        }
    }
    if allowed.len() >= threshold_len(trust.policy_threshold) {
        return Ok(allowed);
    }
    Err(match refused {
        Some(id) => VerifyError::SignerNotAllowed {
            keyid: id.to_string(),
            profile_id: profile_id.to_owned(),
        },
        None => VerifyError::BelowThreshold {
            valid: allowed.len(),
            required: trust.policy_threshold,
        },
    })
}
