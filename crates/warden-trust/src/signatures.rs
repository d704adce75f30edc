//! What bundle verification and the trust chain both need before any payload is
//! trusted: size and signature-count limits, envelope decoding, and counting the
//! distinct keys whose signatures verify. Depends on neither [`crate::verify`] nor
//! [`crate::root`], so both depend on it and not on each other.

use std::collections::BTreeSet;

use crate::dsse::Envelope;
use crate::error::VerifyError;
use crate::keys::{self, KeyId, VerifyingKey};

/// Largest bundle envelope accepted (1 MiB): checked before any parsing.
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;

/// Largest trust-chain file accepted (1 MiB).
pub const MAX_TRUST_CHAIN_BYTES: usize = 1 << 20;

/// Most signatures one envelope may carry; bounds the verification work an attacker
/// can demand.
pub const MAX_SIGNATURES: usize = 32;

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

/// The distinct keys among `keys` with a valid signature over `envelope`: each key
/// counts once however many signatures it has, and the key id hints never decide.
pub(crate) fn distinct_signers<'k>(
    envelope: &Envelope,
    keys: impl IntoIterator<Item = (&'k KeyId, &'k VerifyingKey)>,
) -> BTreeSet<KeyId> {
    let message = envelope.pae();
    keys.into_iter()
        .filter(|(_, public)| {
            envelope
                .signatures
                .iter()
                .any(|s| keys::verify_strict(public, &message, &s.sig))
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// A threshold as a count of keys.
pub(crate) fn threshold_len(threshold: u32) -> usize {
    usize::try_from(threshold).unwrap_or(usize::MAX)
}
