//! The policy statement: what the compiler signs and the agent enforces.
//!
//! Generic over the body so this crate does not depend on the policy model; the body
//! carries the expected Cortex Code state and the endpoint rules. Callers should give
//! their body types `#[serde(deny_unknown_fields)]` too: the statement's own fields
//! are strict, and duplicate keys are refused everywhere by the verifier.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A signed statement of the policy in force for one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyStatement<B> {
    /// The profile (fleet) this statement governs; signer scopes name it.
    pub profile_id: String,
    /// Monotonic serial: an endpoint never accepts a serial at or below one it has
    /// already accepted.
    pub serial: u64,
    /// When the compiler produced the statement.
    #[serde(with = "crate::time::rfc3339")]
    pub issued_at: Timestamp,
    /// Not valid before this time (a small clock skew is allowed).
    #[serde(with = "crate::time::rfc3339")]
    pub not_before: Timestamp,
    /// Not valid at or after this time; bounds how long a stale bundle can be replayed.
    #[serde(with = "crate::time::rfc3339")]
    pub expires: Timestamp,
    /// The trust-root version the statement was signed under.
    pub trust_root_version: u64,
    /// Digest and size of each compiled artifact, by artifact name.
    pub manifest: BTreeMap<String, ArtifactDigest>,
    /// The policy content.
    pub body: B,
}

impl<B: Serialize> PolicyStatement<B> {
    /// Pretty JSON with a trailing newline: the bytes to sign.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut out = serde_json::to_vec_pretty(self)?;
        out.push(b'\n');
        Ok(out)
    }
}

/// SHA-256 and size of one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactDigest {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes; checked before hashing so a huge file is refused cheaply.
    pub size: u64,
}

impl ArtifactDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
        }
    }

    /// True when `bytes` have exactly this size and digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.size && *self == Self::of(bytes)
    }
}

/// Lower-case hex SHA-256 of `bytes`: the digest form used in statements and
/// manifests.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::strict::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_digest_matches_only_its_bytes() {
        let d = ArtifactDigest::of(b"abc");
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d.matches(b"abc"));
        assert!(!d.matches(b"abd"));
    }
}
