//! Signing and trust for Warden policy bundles.
//!
//! - [`keys`]: Ed25519 keys in the PEM forms OpenSSL reads and writes, and key ids.
//! - [`dsse`]: the DSSE envelope and its pre-authentication encoding (PAE). Signatures
//!   cover the exact payload bytes; nothing is ever canonicalized.
//! - [`statement`]: the policy statement the compiler signs and the agent reads.
//! - [`root`]: the versioned, threshold-signed trust root and its chain.
//! - [`verify`]: bundle verification for the agent and `warden verify`, with one typed
//!   refusal per reason.
//! - `signatures` and `error` (private): the limits, envelope decoding, distinct-key
//!   signature counting and typed refusals that [`root`] and [`verify`] share, so the
//!   two depend on them and not on each other.
//! - [`keyfile`]: the thin file-system edge (key files with safe modes).
//!
//! Everything except [`keyfile`] is free of I/O: callers pass bytes and the current time.

#![forbid(unsafe_code)]

pub mod dsse;
mod error;
pub mod keyfile;
pub mod keys;
pub mod root;
mod signatures;
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
    verify_accepted, verify_chain,
};
pub use statement::{ArtifactDigest, PolicyStatement, sha256_hex};
pub use verify::{
    MAX_BUNDLE_BYTES, MAX_SIGNATURES, MAX_TRUST_CHAIN_BYTES, VerifiedBundle, VerifyError,
    VerifyOptions, Warning, verify_bundle,
};

#[cfg(test)]
mod tests {
    /// Dependencies run one way: `verify` uses `root`, both use `signatures` and
    /// `error`, and neither of those uses `root` or `verify`.
    #[test]
    fn module_deps_run_one_way() {
        let uses = |source: &str, module: &str| {
            source.contains(&format!("crate::{module}::"))
                || source.contains(&format!("crate::{module}::{{"))
                || source.contains(&format!("use crate::{module};"))
        };
        let root = include_str!("root.rs");
        assert!(!uses(root, "verify"), "root.rs imports verify");
        for (name, source) in [
            ("signatures.rs", include_str!("signatures.rs")),
            ("error.rs", include_str!("error.rs")),
        ] {
            assert!(!uses(source, "root"), "{name} imports root");
            assert!(!uses(source, "verify"), "{name} imports verify");
        }
    }
}
