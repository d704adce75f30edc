//! The trust root: which keys may sign policy, and how that set changes.
//!
//! Each version is a DSSE envelope ([`TRUST_ROOT_PAYLOAD_TYPE`]) over a [`TrustRoot`]
//! payload. The trust file (`trust-root.json`) is a JSON array of every version's
//! envelope, version 1 first, so an endpoint several versions behind walks forward:
//! version N+1 must be signed by a threshold of version N's root keys *and* a
//! threshold of its own, and must be exactly N+1. Only the newest version's expiry
//! matters (older ones may have expired on the way).
//!
//! Endpoints pin a version they trust (the one shipped with the agent, then the
//! highest accepted) and refuse chains that end below it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dsse::{self, Envelope, TRUST_ROOT_PAYLOAD_TYPE};
use crate::error::{self, VerifyError, Warning};
use crate::keys::{self, KeyId, SigningKey, VerifyingKey};
use crate::signatures::{self, MAX_TRUST_CHAIN_BYTES, distinct_signers, threshold_len};

/// Signature algorithm of a trusted key, fixed by the trust root and never read from
/// a signed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// Ed25519, verified with `verify_strict`.
    #[serde(rename = "ed25519")]
    Ed25519,
}

/// A root key: signs trust-root versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyEntry {
    /// Its algorithm.
    pub alg: KeyAlgorithm,
    /// The raw public key, base64 on the wire; weak keys are refused when read.
    #[serde(with = "public_key_base64")]
    pub public: VerifyingKey,
}

/// A policy-signing key (CI or KMS) and the limits on what it may sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerEntry {
    /// Its algorithm.
    pub alg: KeyAlgorithm,
    /// The raw public key, base64 on the wire.
    #[serde(with = "public_key_base64")]
    pub public: VerifyingKey,
    /// Signatures by this key stop counting at this time.
    #[serde(with = "crate::time::rfc3339")]
    pub expires: Timestamp,
    /// Profile ids it may sign; absent means every profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<BTreeSet<String>>,
}

impl SignerEntry {
    /// True when this signer may sign `profile_id`.
    pub fn may_sign(&self, profile_id: &str) -> bool {
        self.profiles
            .as_ref()
            .is_none_or(|profiles| profiles.contains(profile_id))
    }
}

/// One version of the trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRoot {
    /// Version, starting at 1 and growing by exactly one per rotation.
    pub version: u64,
    /// After this time the root (if it is the newest) is refused.
    #[serde(with = "crate::time::rfc3339")]
    pub expires: Timestamp,
    /// Offline keys that sign trust-root versions, by key id.
    pub root_keys: BTreeMap<KeyId, PublicKeyEntry>,
    /// Distinct root keys needed to sign a version.
    pub root_threshold: u32,
    /// Keys that sign policy bundles, by key id.
    pub signers: BTreeMap<KeyId, SignerEntry>,
    /// Distinct signers needed on a bundle.
    pub policy_threshold: u32,
    /// Keys that must never count again.
    pub revoked: BTreeSet<KeyId>,
    /// Compromise recovery: for each profile id, the serial that replaces the
    /// highest serial an endpoint has accepted, once, when the endpoint first
    /// accepts this version (for example after a stolen signing key signed the
    /// largest serial). Signed by the root threshold like every version; never
    /// carried over to the next version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub serial_resets: BTreeMap<String, u64>,
}

/// A trust root could not be built or extended.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootError {
    /// A threshold of zero, or above the number of keys that could meet it.
    #[error("{role} threshold {threshold} is not between 1 and {keys}, the number of {role} keys")]
    Threshold {
        /// "root" or "policy".
        role: &'static str,
        /// The threshold.
        threshold: u32,
        /// Keys available.
        keys: usize,
    },
    /// A map key that is not the id of the key it holds.
    #[error("key listed as `{listed}` has id `{actual}`")]
    KeyIdMismatch {
        /// The map key.
        listed: KeyId,
        /// The id computed from the key.
        actual: KeyId,
    },
    /// A key both trusted and revoked.
    #[error("key `{0}` is listed as revoked and trusted at the same time")]
    RevokedAndTrusted(KeyId),
    /// Revoking a root key is done by rotating the root keys.
    #[error("key `{0}` is a root key; rotate the root keys to remove it")]
    RevokeRootKey(KeyId),
    /// A version other than the next one.
    #[error("trust root version {found} does not follow version {previous}")]
    Version {
        /// The latest version in the chain (0 for none).
        previous: u64,
        /// The version offered.
        found: u64,
    },
    /// The new version would already be expired.
    #[error("the trust root would expire at {expires}, which is not after now ({now})")]
    ExpiresInPast {
        /// Its expiry.
        expires: Timestamp,
        /// The current time.
        now: Timestamp,
    },
    /// The existing chain does not verify.
    #[error("the existing trust chain does not verify")]
    Chain(#[source] VerifyError),
    /// The signing keys given do not meet the thresholds.
    #[error("the signing keys given do not authorize version {version}")]
    Unauthorized {
        /// The version being signed.
        version: u64,
        /// Which threshold failed.
        #[source]
        source: VerifyError,
    },
}

impl TrustRoot {
    /// Version 1 with the given root keys and no policy signers yet.
    pub fn initial(
        root_keys: &[VerifyingKey],
        root_threshold: u32,
        policy_threshold: u32,
        expires: Timestamp,
    ) -> Result<Self, RootError> {
        let mut root = Self {
            version: 1,
            expires,
            root_keys: BTreeMap::new(),
            root_threshold,
            signers: BTreeMap::new(),
            policy_threshold,
            revoked: BTreeSet::new(),
            serial_resets: BTreeMap::new(),
        };
        root.set_root_keys(root_keys, root_threshold);
        root.validate()?;
        Ok(root)
    }

    /// A copy with the version incremented, to be edited and signed as the next one.
    /// Serial resets are not copied: each applies only in the version that sets it.
    pub fn next_version(&self) -> Self {
        Self {
            version: self.version.saturating_add(1),
            serial_resets: BTreeMap::new(),
            ..self.clone()
        }
    }

    /// Replace the root key set and threshold.
    pub fn set_root_keys(&mut self, keys: &[VerifyingKey], threshold: u32) {
        self.root_keys = keys
            .iter()
            .map(|key| {
                (
                    KeyId::of(key),
                    PublicKeyEntry {
                        alg: KeyAlgorithm::Ed25519,
                        public: *key,
                    },
                )
            })
            .collect();
        self.root_threshold = threshold;
    }

    /// Add (or replace) a policy signer; returns its id.
    pub fn add_signer(
        &mut self,
        key: VerifyingKey,
        expires: Timestamp,
        profiles: Option<BTreeSet<String>>,
    ) -> Result<KeyId, RootError> {
        let id = KeyId::of(&key);
        if self.revoked.contains(&id) {
            return Err(RootError::RevokedAndTrusted(id));
        }
        self.signers.insert(
            id.clone(),
            SignerEntry {
                alg: KeyAlgorithm::Ed25519,
                public: key,
                expires,
                profiles,
            },
        );
        Ok(id)
    }

    /// Remove a policy signer (if listed) and record its id as revoked.
    pub fn revoke(&mut self, id: &KeyId) -> Result<(), RootError> {
        if self.root_keys.contains_key(id) {
            return Err(RootError::RevokeRootKey(id.clone()));
        }
        self.signers.remove(id);
        self.revoked.insert(id.clone());
        Ok(())
    }

    /// Internal consistency: ids match keys, thresholds are reachable, nothing is both
    /// trusted and revoked. Checked on every version read from a chain.
    pub fn validate(&self) -> Result<(), RootError> {
        if self.version == 0 {
            return Err(RootError::Version {
                previous: 0,
                found: 0,
            });
        }
        if self.root_threshold == 0 || threshold_len(self.root_threshold) > self.root_keys.len() {
            return Err(RootError::Threshold {
                role: "root",
                threshold: self.root_threshold,
                keys: self.root_keys.len(),
            });
        }
        // Policy signers may be added after the root exists, so only zero is refused.
        if self.policy_threshold == 0 {
            return Err(RootError::Threshold {
                role: "policy",
                threshold: 0,
                keys: self.signers.len(),
            });
        }
        let keys = self
            .root_keys
            .iter()
            .map(|(id, e)| (id, &e.public))
            .chain(self.signers.iter().map(|(id, e)| (id, &e.public)));
        for (listed, key) in keys {
            let actual = KeyId::of(key);
            if *listed != actual {
                return Err(RootError::KeyIdMismatch {
                    listed: listed.clone(),
                    actual,
                });
            }
            if self.revoked.contains(listed) {
                return Err(RootError::RevokedAndTrusted(listed.clone()));
            }
        }
        Ok(())
    }

    /// Pretty JSON with a trailing newline: the bytes signed for this version.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a trust root always serializes");
        out.push(b'\n');
        out
    }
}

/// Every version of the trust root, oldest first, as shipped in `trust-root.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustChain {
    envelopes: Vec<Envelope>,
}

impl TrustChain {
    /// Decode a chain file (size-capped; nothing is verified yet).
    pub fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        if bytes.len() > MAX_TRUST_CHAIN_BYTES {
            return Err(VerifyError::Oversized {
                what: "trust chain",
                size: bytes.len(),
                max: MAX_TRUST_CHAIN_BYTES,
            });
        }
        let envelopes = dsse::envelopes_from_json(bytes)
            .map_err(|e| VerifyError::malformed("trust chain", e))?;
        if envelopes.is_empty() {
            return Err(VerifyError::malformed(
                "trust chain",
                "the chain holds no trust-root versions",
            ));
        }
        for envelope in &envelopes {
            signatures::check_signature_count(envelope, "trust chain")?;
        }
        Ok(Self { envelopes })
    }

    /// The chain file: a pretty JSON array with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        dsse::envelopes_to_json(&self.envelopes)
    }

    /// The envelopes, version 1 first.
    pub fn envelopes(&self) -> &[Envelope] {
        &self.envelopes
    }

    /// Start a chain with version 1, signed by `keys` (a threshold of its root keys).
    pub fn create(
        root: &TrustRoot,
        keys: &[&SigningKey],
        now: Timestamp,
    ) -> Result<Self, RootError> {
        if root.version != 1 {
            return Err(RootError::Version {
                previous: 0,
                found: root.version,
            });
        }
        check_new_version(root, now)?;
        let envelope = dsse::sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &root.to_json(), keys);
        let chain = Self {
            envelopes: vec![envelope],
        };
        walk(&chain, None).map_err(|source| RootError::Unauthorized { version: 1, source })?;
        Ok(chain)
    }

    /// Append `next`, signed by `keys`, which must include a threshold of the current
    /// newest version's root keys and a threshold of `next`'s own. The existing chain
    /// is verified first (expiry aside, so an expired root can still be rotated).
    pub fn extend(
        &mut self,
        next: &TrustRoot,
        keys: &[&SigningKey],
        now: Timestamp,
    ) -> Result<(), RootError> {
        let latest = walk(self, None).map_err(RootError::Chain)?;
        if next.version != latest.version().saturating_add(1) {
            return Err(RootError::Version {
                previous: latest.version(),
                found: next.version,
            });
        }
        check_new_version(next, now)?;
        let envelope = dsse::sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &next.to_json(), keys);
        let mut extended = self.clone();
        extended.envelopes.push(envelope);
        walk(&extended, Some(&latest)).map_err(|source| RootError::Unauthorized {
            version: next.version,
            source,
        })?;
        *self = extended;
        Ok(())
    }

    /// The versions up to and including `version` (the whole chain when it is
    /// shorter): what an endpoint stores as the chain it accepted.
    pub fn up_to(&self, version: u64) -> Self {
        let n = usize::try_from(version).unwrap_or(usize::MAX);
        Self {
            envelopes: self.envelopes.iter().take(n).cloned().collect(),
        }
    }

    /// The serial resets of every version above `after`, by profile; a later version
    /// wins. Call only on a chain that verified.
    pub fn serial_resets_after(&self, after: u64) -> Result<BTreeMap<String, u64>, VerifyError> {
        let skip = usize::try_from(after).unwrap_or(usize::MAX);
        let mut resets = BTreeMap::new();
        for envelope in self.envelopes.iter().skip(skip) {
            let root: TrustRoot = crate::strict::parse(&envelope.payload)
                .map_err(|e| VerifyError::malformed("trust root", e))?;
            resets.extend(root.serial_resets);
        }
        Ok(resets)
    }

    /// Every version parsed, after the whole chain verified from version 1 (expiry
    /// not checked), for display.
    pub fn versions(&self) -> Result<Vec<TrustRoot>, VerifyError> {
        walk(self, None)?;
        self.envelopes
            .iter()
            .map(|e| {
                crate::strict::parse(&e.payload)
                    .map_err(|e| VerifyError::malformed("trust root", e))
            })
            .collect()
    }
}

/// The distinct root keys of `root` (revoked ones excluded) that signed `envelope`.
fn root_signers(envelope: &Envelope, root: &TrustRoot) -> BTreeSet<KeyId> {
    distinct_signers(
        envelope,
        root.root_keys
            .iter()
            .filter(|(id, _)| !root.revoked.contains(*id))
            .map(|(id, entry)| (id, &entry.public)),
    )
}

fn check_new_version(root: &TrustRoot, now: Timestamp) -> Result<(), RootError> {
    root.validate()?;
    if root.expires <= now {
        return Err(RootError::ExpiresInPast {
            expires: root.expires,
            now,
        });
    }
    Ok(())
}

/// A trust-root version whose signatures have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRoot {
    root: TrustRoot,
    envelope: Envelope,
}

impl VerifiedRoot {
    /// Decode a single trust-root version and check it is signed by a threshold of
    /// its own root keys. That alone proves nothing about who made it: a stored
    /// version gains authority only by chaining to the installed anchor
    /// ([`verify_accepted`]), and only then should it be passed to [`verify_chain`]
    /// as the pin. Expiry is not checked here.
    pub fn pin(envelope_bytes: &[u8]) -> Result<Self, VerifyError> {
        if envelope_bytes.len() > MAX_TRUST_CHAIN_BYTES {
            return Err(VerifyError::Oversized {
                what: "trust chain",
                size: envelope_bytes.len(),
                max: MAX_TRUST_CHAIN_BYTES,
            });
        }
        let envelope = signatures::decode_envelope(envelope_bytes, "trust root envelope")?;
        Self::from_envelope(&envelope, None)
    }

    /// The verified trust root.
    pub fn root(&self) -> &TrustRoot {
        &self.root
    }

    /// Its version.
    pub fn version(&self) -> u64 {
        self.root.version
    }

    /// The envelope it was verified from, for persisting as the new pin.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Warnings for this root at `now` (under 60 days left).
    pub fn warnings(&self, now: Timestamp) -> Vec<Warning> {
        error::trust_root_warning(self.root.version, self.root.expires, now)
            .into_iter()
            .collect()
    }

    pub(crate) fn check_unexpired(&self, now: Timestamp) -> Result<(), VerifyError> {
        if self.root.expires <= now {
            return Err(VerifyError::TrustRootExpired {
                version: self.root.version,
                expires: self.root.expires,
            });
        }
        Ok(())
    }

    /// Verify `envelope` as the version after `previous`, or as a self-signed anchor
    /// of any version. Order: payload type, previous threshold, strict parse,
    /// version, own threshold.
    fn from_envelope(
        envelope: &Envelope,
        previous: Option<&VerifiedRoot>,
    ) -> Result<Self, VerifyError> {
        let expected_version = previous.map(|p| p.version().saturating_add(1));
        let broken = |reason: String| VerifyError::BrokenChain {
            version: expected_version.unwrap_or(0),
            reason,
        };
        if envelope.payload_type != TRUST_ROOT_PAYLOAD_TYPE {
            return Err(broken(format!(
                "payload type `{}` is not `{TRUST_ROOT_PAYLOAD_TYPE}`",
                envelope.payload_type
            )));
        }
        if let Some(previous) = previous {
            let prev = &previous.root;
            let signed = root_signers(envelope, prev);
            if signed.len() < threshold_len(prev.root_threshold) {
                return Err(broken(format!(
                    "signed by {} of version {}'s root keys, {} required",
                    signed.len(),
                    prev.version,
                    prev.root_threshold
                )));
            }
        }
        let root: TrustRoot = crate::strict::parse(&envelope.payload)
            .map_err(|e| broken(format!("malformed trust root: {e}")))?;
        let broken = |reason: String| VerifyError::BrokenChain {
            version: expected_version.unwrap_or(root.version),
            reason,
        };
        if let Some(expected) = expected_version
            && root.version != expected
        {
            return Err(broken(format!(
                "the payload says version {}, expected {expected}",
                root.version
            )));
        }
        root.validate().map_err(|e| broken(e.to_string()))?;
        let signed = root_signers(envelope, &root);
        if signed.len() < threshold_len(root.root_threshold) {
            return Err(broken(format!(
                "signed by {} of its own root keys, {} required",
                signed.len(),
                root.root_threshold
            )));
        }
        Ok(Self {
            root,
            envelope: envelope.clone(),
        })
    }
}

/// Walk the chain from `pinned` (or from version 1 when nothing is pinned) to its
/// newest version, without the expiry check.
fn walk(chain: &TrustChain, pinned: Option<&VerifiedRoot>) -> Result<VerifiedRoot, VerifyError> {
    let offered = chain.envelopes.len() as u64;
    let (mut current, start) = match pinned {
        None => {
            let first = chain.envelopes.first().ok_or_else(|| {
                VerifyError::malformed("trust chain", "the chain holds no trust-root versions")
            })?;
            let anchor = VerifiedRoot::from_envelope(first, None)?;
            if anchor.version() != 1 {
                return Err(VerifyError::BrokenChain {
                    version: anchor.version(),
                    reason: "the chain must start at version 1".to_owned(),
                });
            }
            (anchor, 1)
        }
        Some(pinned) => {
            let index = usize::try_from(pinned.version().saturating_sub(1)).unwrap_or(usize::MAX);
            let Some(same) = chain.envelopes.get(index) else {
                return Err(VerifyError::TrustRootRollback {
                    pinned: pinned.version(),
                    offered,
                });
            };
            if same.payload != pinned.envelope.payload {
                return Err(VerifyError::BrokenChain {
                    version: pinned.version(),
                    reason: "the chain's copy of the trusted version differs from it".to_owned(),
                });
            }
            (pinned.clone(), index + 1)
        }
    };
    for envelope in &chain.envelopes[start..] {
        current = VerifiedRoot::from_envelope(envelope, Some(&current))?;
    }
    Ok(current)
}

/// Verify a trust chain and return its newest version, which must be unexpired.
///
/// With `pinned`, versions up to the pinned one are not re-verified, but the chain
/// must contain the pinned version unchanged and must not end below it (rollback).
/// Without, version 1 of the chain is trusted as the anchor: use that only where the
/// chain file itself came from a trusted place (the administrator's own checkout).
pub fn verify_chain(
    chain: &TrustChain,
    pinned: Option<&VerifiedRoot>,
    now: Timestamp,
) -> Result<VerifiedRoot, VerifyError> {
    let newest = walk(chain, pinned)?;
    newest.check_unexpired(now)?;
    Ok(newest)
}

/// Re-verify the chain an endpoint accepted earlier (`accepted`, versions 1 to N as
/// it stored them) against the installed chain, and return its version N.
///
/// A stored trust root is never trusted on its own signature: version 1 of
/// `accepted` must be version 1 of `installed` (the anchor shipped with the agent),
/// and every later version must follow from the one before it. Expiry is not
/// checked here; [`verify_chain`] checks it on the newest version.
pub fn verify_accepted(
    installed: &TrustChain,
    accepted: &TrustChain,
) -> Result<VerifiedRoot, VerifyError> {
    fn anchor(chain: &TrustChain) -> Option<(&str, &[u8])> {
        chain
            .envelopes
            .first()
            .map(|e| (e.payload_type.as_str(), e.payload.as_slice()))
    }
    if anchor(installed).is_none() || anchor(installed) != anchor(accepted) {
        return Err(VerifyError::BrokenChain {
            version: 1,
            reason: "the accepted chain does not start at the installed trust root".to_owned(),
        });
    }
    walk(accepted, None)
}

mod public_key_base64 {
    use base64::Engine as _;

    use super::*;

    pub(super) fn serialize<S: Serializer>(key: &VerifyingKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(key.as_bytes()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VerifyingKey, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("public key is not standard base64"))?;
        keys::verifying_key_from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}
