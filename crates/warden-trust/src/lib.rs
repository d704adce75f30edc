//! Signing and trust for Warden policy bundles.
//!
//! - [`keys`]: Ed25519 keys in the PEM forms OpenSSL reads and writes, and key ids.
//! - [`dsse`]: the DSSE envelope and its pre-authentication encoding (PAE). Signatures
//!   cover the exact payload bytes; nothing is ever canonicalized.
//! - [`statement`]: the policy statement the compiler signs and the agent reads.
//! - [`root`]: the versioned, threshold-signed trust root and its chain.
//! - [`verify`]: bundle verification for the agent and `warden verify`, with one typed
//!   refusal per reason.
//! - [`keyfile`]: the thin file-system edge (key files with safe modes).
//!
//! Everything except [`keyfile`] is free of I/O: callers pass bytes and the current time.

#![forbid(unsafe_code)]

pub mod dsse;
pub mod keyfile;
pub mod keys;
pub mod root;
pub mod statement;
mod strict;
pub mod time;
pub mod verify;

pub use dsse::{
    Envelope, EnvelopeSignature, POLICY_PAYLOAD_TYPE, TRUST_ROOT_PAYLOAD_TYPE, pae, sign_bundle,
    sign_envelope,
};
pub use jiff::Timestamp;
pub use keys::{KeyError, KeyId, SigningKey, VerifyingKey};
pub use root::{
    KeyAlgorithm, PublicKeyEntry, RootError, SignerEntry, TrustChain, TrustRoot, VerifiedRoot,
    verify_chain,
};
pub use statement::{ArtifactDigest, PolicyStatement, sha256_hex};
pub use verify::{
    MAX_BUNDLE_BYTES, MAX_SIGNATURES, MAX_TRUST_CHAIN_BYTES, VerifiedBundle, VerifyError,
    VerifyOptions, Warning, verify_bundle,
};
