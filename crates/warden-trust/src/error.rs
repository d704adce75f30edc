//! The typed refusals and warnings of verification, shared by bundle verification
//! ([`crate::verify`]) and the trust chain ([`crate::root`]).

use jiff::Timestamp;

use crate::time::{self, TRUST_ROOT_WARN_BEFORE};

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

/// The warning for a trust root with under 60 days left at `now`, if any.
pub fn trust_root_warning(version: u64, expires: Timestamp, now: Timestamp) -> Option<Warning> {
    (expires.duration_since(now) < TRUST_ROOT_WARN_BEFORE).then(|| Warning::TrustRootExpiresSoon {
        version,
        expires,
        days_left: time::days_until(now, expires),
    })
}
