//! Ed25519 keys: PEM encodings that interoperate with OpenSSL, key ids, and the one
//! signature check every verification goes through.
//!
//! Private keys are written as PKCS#8 v1 (`PrivateKeyInfo`, "BEGIN PRIVATE KEY"),
//! byte-identical to `openssl genpkey -algorithm ed25519`. The v2 form that
//! ed25519-dalek writes by default is refused by OpenSSL before 3.5, so it is never
//! written; both forms are read. Public keys are SPKI PEM ("BEGIN PUBLIC KEY"), as
//! `openssl pkey -pubout` writes them.

use std::fmt;

use ed25519_dalek::Signature;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing;
pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Domain tag hashed in front of the raw public key to form a [`KeyId`]: the eight
/// ASCII bytes `ed25519:`. Binding the algorithm into the id keeps ids of keys of a
/// future algorithm from colliding with Ed25519 ones.
///
/// `keyid = lowercase_hex(sha256("ed25519:" || raw 32-byte public key))`, which can be
/// reproduced with
/// `(printf 'ed25519:'; openssl pkey -pubin -in key.pub -outform DER | tail -c 32) | sha256sum`.
pub const KEY_ID_TAG: &[u8] = b"ed25519:";

/// A problem with key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PKCS#8 PEM Ed25519 private key.
    #[error("not an Ed25519 private key in PKCS#8 PEM form: {0}")]
    PrivatePem(String),
    /// The text is not an SPKI PEM Ed25519 public key.
    #[error("not an Ed25519 public key in SPKI PEM form: {0}")]
    PublicPem(String),
    /// The text holds neither PEM label.
    #[error("no PEM key found (expected `BEGIN PRIVATE KEY` or `BEGIN PUBLIC KEY`)")]
    NoPem,
    /// Raw public key bytes of the wrong length.
    #[error("an Ed25519 public key is 32 bytes, found {0}")]
    Length(usize),
    /// The bytes do not encode a curve point.
    #[error("the bytes are not a valid Ed25519 public key")]
    InvalidPoint,
    /// A small-order key would let one signature verify for many messages.
    #[error("the public key is a weak (small-order) point and cannot be trusted")]
    WeakKey,
    /// A key id that is not 64 lowercase hex digits.
    #[error("key id `{0}` is not 64 lowercase hex digits")]
    KeyId(String),
    /// Encoding a key failed.
    #[error("cannot encode the key as PEM: {0}")]
    Encode(String),
}

/// A key id: lowercase hex SHA-256 over [`KEY_ID_TAG`] and the raw public key.
///
/// Only a lookup hint: trust decisions always re-verify against the key material
/// and thresholds count distinct verified keys, never ids found in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// The id of a public key.
    pub fn of(key: &VerifyingKey) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(KEY_ID_TAG);
        hasher.update(key.as_bytes());
        Self(crate::strict::hex(&hasher.finalize()))
    }

    /// Parse an id as written by [`fmt::Display`].
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(KeyError::KeyId(text.to_owned()))
        }
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Generate a fresh signing key from the operating system's random source.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

/// Read a PKCS#8 PEM private key (v1 as OpenSSL writes it, or v2).
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| KeyError::PrivatePem(e.to_string()))
}

/// Write a private key as PKCS#8 v1 PEM, exactly as `openssl genpkey` does.
pub fn signing_key_to_pem(key: &SigningKey) -> Result<Zeroizing<String>, KeyError> {
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// Read an SPKI PEM public key, refusing weak keys.
pub fn verifying_key_from_pem(pem: &str) -> Result<VerifyingKey, KeyError> {
    let key = VerifyingKey::from_public_key_pem(pem.trim())
        .map_err(|e| KeyError::PublicPem(e.to_string()))?;
    check_not_weak(key)
}

/// Write a public key as SPKI PEM, as `openssl pkey -pubout` does.
pub fn verifying_key_to_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// The public key in a PEM file holding either a private or a public key, so that
/// commands naming a key accept whichever file the operator has at hand.
pub fn public_key_from_any_pem(pem: &str) -> Result<VerifyingKey, KeyError> {
    if pem.contains("-----BEGIN PRIVATE KEY-----") {
        check_not_weak(signing_key_from_pem(pem)?.verifying_key())
    } else if pem.contains("-----BEGIN PUBLIC KEY-----") {
        verifying_key_from_pem(pem)
    } else {
        Err(KeyError::NoPem)
    }
}

/// A public key from its raw 32 bytes, refusing invalid and weak points.
pub fn verifying_key_from_bytes(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let raw: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::Length(bytes.len()))?;
    let key = VerifyingKey::from_bytes(raw).map_err(|_| KeyError::InvalidPoint)?;
    check_not_weak(key)
}

fn check_not_weak(key: VerifyingKey) -> Result<VerifyingKey, KeyError> {
    if key.is_weak() {
        Err(KeyError::WeakKey)
    } else {
        Ok(key)
    }
}

/// The single signature check of the crate: RFC 8032 strict verification
/// (`verify_strict`), which refuses non-canonical and small-order `R` and `A` as well
/// as `S >= L`. A signature that is not 64 bytes never verifies.
pub fn verify_strict(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify_strict(message, &signature).is_ok()
}

/// Sign `message` (Ed25519 is deterministic: the same key and message give the same
/// signature, which is what OpenSSL's `pkeyutl -sign -rawin` produces).
pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    use ed25519_dalek::Signer as _;
    key.sign(message).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_writes_v1() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let pem = signing_key_to_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // v1 PrivateKeyInfo of an Ed25519 key is 48 bytes of DER: 64 base64 chars.
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(body.len(), 64);
        let back = signing_key_from_pem(&pem).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());

        let public = verifying_key_to_pem(&key.verifying_key()).unwrap();
        assert_eq!(
            verifying_key_from_pem(&public).unwrap(),
            key.verifying_key()
        );
        assert_eq!(
            public_key_from_any_pem(&pem).unwrap(),
            public_key_from_any_pem(&public).unwrap()
        );
    }

    #[test]
    fn key_id_is_tagged_sha256() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let mut input = b"ed25519:".to_vec();
        input.extend_from_slice(key.as_bytes());
        let expected = crate::strict::hex(&Sha256::digest(&input));
        assert_eq!(KeyId::of(&key).as_str(), expected);
        assert!(KeyId::parse(&expected).is_ok());
        assert!(KeyId::parse(&expected.to_uppercase()).is_err());
        assert!(KeyId::parse("abc").is_err());
    }

    #[test]
    fn weak_and_invalid_keys_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            verifying_key_from_bytes(&identity),
            Err(KeyError::WeakKey)
        ));
        assert!(matches!(
            verifying_key_from_bytes(&[0; 31]),
            Err(KeyError::Length(31))
        ));
        assert!(matches!(
            public_key_from_any_pem("hello"),
            Err(KeyError::NoPem)
        ));
    }
}
