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
use crate::keys::{self, KeyId};
use crate::root::{PublicKeyEntry, SignerEntry, VerifiedRoot};
use crate::statement::PolicyStatement;
use crate::time::{self, BUNDLE_WARN_BEFORE, CLOCK_SKEW, TRUST_ROOT_WARN_BEFORE};

/// Largest bundle envelope accepted (1 MiB): checked before any parsing.
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;

/// Largest trust-chain file accepted (1 MiB).
pub const MAX_TRUST_CHAIN_BYTES: usize = 1 << 20;

/// Most signatures one envelope may carry; bounds the verification work an attacker
/// can demand.
pub const MAX_SIGNATURES: usize = 32;

/// Why a bundle or trust chain was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Input larger than its cap.
    #[error("the {what} is {size} bytes, larger than the {max}-byte limit")]
    Oversized {
        /// "bundle" or "trust chain".
        what: &'static str,
        /// Size seen.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// Bytes that do not parse, or parse into something inconsistent.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// The parser's or checker's message.
        detail: String,
    },
    /// The envelope is not of the expected type.
    #[error("payload type `{found}` is not `{expected}`")]
    WrongPayloadType {
        /// The required type.
        expected: &'static str,
        /// The envelope's type.
        found: String,
    },
    /// A signature naming a trusted key does not verify.
    #[error("signature by key `{keyid}` does not verify")]
    BadSignature {
        /// The key id hint of the signature.
        keyid: String,
    },
    /// No trusted key verifies a signature and its hint names no known key.
    #[error("signed by unknown key `{keyid}`")]
    UnknownKey {
        /// The key id hint (possibly empty).
        keyid: String,
    },
    /// Signed by a key the trust root revoked.
    #[error("signed by revoked key `{keyid}`")]
    RevokedKey {
        /// The revoked key.
        keyid: String,
    },
    /// The signer's authorization in the trust root has ended.
    #[error("signer `{keyid}` expired at {expired}")]
    SignerExpired {
        /// The signer.
        keyid: String,
        /// Its expiry.
        expired: Timestamp,
    },
    /// The signer may not sign this profile.
    #[error("signer `{keyid}` may not sign profile `{profile_id}`")]
    SignerNotAllowed {
        /// The signer.
        keyid: String,
        /// The profile it tried to sign.
        profile_id: String,
    },
    /// Too few distinct trusted keys signed.
    #[error("{valid} distinct valid signature(s), {required} required")]
    BelowThreshold {
        /// Distinct verified keys.
        valid: usize,
        /// The threshold.
        required: u32,
    },
    /// The statement is for another profile than the one expected.
    #[error("the bundle is for profile `{found}`, expected `{expected}`")]
    ProfileMismatch {
        /// The expected profile.
        expected: String,
        /// The statement's profile.
        found: String,
    },
    /// `not_before` is in the future beyond the clock-skew allowance.
    #[error("the bundle is not valid before {not_before} (now {now})")]
    NotYetValid {
        /// The statement's `not_before`.
        not_before: Timestamp,
        /// The verification time.
        now: Timestamp,
    },
    /// The bundle has expired.
    #[error("the bundle expired at {expires} (now {now})")]
    Expired {
        /// The statement's `expires`.
        expires: Timestamp,
        /// The verification time.
        now: Timestamp,
    },
    /// The serial is not above the last accepted one (a rollback or a replay).
    #[error("serial {serial} is not above the minimum {minimum}")]
    SerialNotAbove {
        /// The statement's serial.
        serial: u64,
        /// The serial it had to exceed.
        minimum: u64,
    },
    /// The statement names a trust-root version newer than the one verified.
    #[error(
        "the bundle was signed under trust root version {bundle}, newer than the trusted version {trusted}"
    )]
    TrustRootVersionAhead {
        /// Version named by the statement.
        bundle: u64,
        /// Version of the verified trust root.
        trusted: u64,
    },
    /// The newest trust root has expired.
    #[error("trust root version {version} expired at {expires}")]
    TrustRootExpired {
        /// Its version.
        version: u64,
        /// Its expiry.
        expires: Timestamp,
    },
    /// The chain ends below the version already trusted.
    #[error("the trust chain ends at version {offered}, below the trusted version {pinned}")]
    TrustRootRollback {
        /// The trusted version.
        pinned: u64,
        /// The highest version the chain offers.
        offered: u64,
    },
    /// A trust-root version does not follow from the one before it.
    #[error("trust chain broken at version {version}: {reason}")]
    BrokenChain {
        /// The version that failed.
        version: u64,
        /// What was wrong.
        reason: String,
    },
}

impl VerifyError {
    /// A stable kebab-case code for reports and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Oversized { .. } => "oversized",
            Self::Malformed { .. } => "malformed",
            Self::WrongPayloadType { .. } => "wrong-payload-type",
            Self::BadSignature { .. } => "bad-signature",
            Self::UnknownKey { .. } => "unknown-key",
            Self::RevokedKey { .. } => "revoked-key",
            Self::SignerExpired { .. } => "signer-expired",
            Self::SignerNotAllowed { .. } => "signer-not-allowed",
            Self::BelowThreshold { .. } => "below-threshold",
            Self::ProfileMismatch { .. } => "profile-mismatch",
            Self::NotYetValid { .. } => "not-yet-valid",
            Self::Expired { .. } => "expired",
            Self::SerialNotAbove { .. } => "serial-not-above-minimum",
            Self::TrustRootVersionAhead { .. } => "trust-root-version-ahead",
            Self::TrustRootExpired { .. } => "trust-root-expired",
            Self::TrustRootRollback { .. } => "trust-root-rollback",
            Self::BrokenChain { .. } => "broken-chain",
        }
    }

    pub(crate) fn malformed(what: &'static str, detail: impl ToString) -> Self {
        Self::Malformed {
            what,
            detail: detail.to_string(),
        }
    }
}

/// A condition worth an operator's attention that does not refuse anything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The trust root expires within 60 days: sign the next version soon.
    TrustRootExpiresSoon {
        /// Its version.
        version: u64,
        /// Its expiry.
        expires: Timestamp,
        /// Whole days left.
        days_left: i64,
    },
    /// The bundle expires within 7 days: re-sign it.
    BundleExpiresSoon {
        /// Its serial.
        serial: u64,
        /// Its expiry.
        expires: Timestamp,
        /// Whole days left.
        days_left: i64,
    },
}

impl Warning {
    /// A stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TrustRootExpiresSoon { .. } => "trust-root-expires-soon",
            Self::BundleExpiresSoon { .. } => "bundle-expires-soon",
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TrustRootExpiresSoon {
                version,
                expires,
                days_left,
            } => write!(
                f,
                "trust root version {version} expires at {expires} ({days_left} days left); sign the next version"
            ),
            Self::BundleExpiresSoon {
                serial,
                expires,
                days_left,
            } => write!(
                f,
                "bundle serial {serial} expires at {expires} ({days_left} days left); re-sign it"
            ),
        }
    }
}

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

pub(crate) fn decode_envelope(bytes: &[u8], what: &'static str) -> Result<Envelope, VerifyError> {
    let envelope = Envelope::from_json(bytes).map_err(|e| VerifyError::malformed(what, e))?;
    check_signature_count(&envelope, what)?;
    Ok(envelope)
}

pub(crate) fn check_signature_count(
    envelope: &Envelope,
    what: &'static str,
) -> Result<(), VerifyError> {
    if envelope.signatures.len() > MAX_SIGNATURES {
        return Err(VerifyError::malformed(
            what,
            format!(
                "{} signatures, at most {MAX_SIGNATURES} are accepted",
                envelope.signatures.len()
            ),
        ));
    }
    Ok(())
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

/// The distinct root keys (not revoked) with a signature over the envelope.
pub(crate) fn root_signers(
    envelope: &Envelope,
    keys: &BTreeMap<KeyId, PublicKeyEntry>,
    revoked: &BTreeSet<KeyId>,
) -> BTreeSet<KeyId> {
    let message = envelope.pae();
    keys.iter()
        .filter(|(id, _)| !revoked.contains(*id))
        .filter(|(_, entry)| {
            envelope
                .signatures
                .iter()
                .any(|s| keys::verify_strict(&entry.public, &message, &s.sig))
        })
        .map(|(id, _)| id.clone())
        .collect()
}

pub(crate) fn threshold_len(threshold: u32) -> usize {
    usize::try_from(threshold).unwrap_or(usize::MAX)
}

/// The warning for a trust root with under 60 days left at `now`, if any.
pub fn trust_root_warning(version: u64, expires: Timestamp, now: Timestamp) -> Option<Warning> {
    (expires.duration_since(now) < TRUST_ROOT_WARN_BEFORE).then(|| Warning::TrustRootExpiresSoon {
        version,
        expires,
        days_left: time::days_until(now, expires),
    })
}
