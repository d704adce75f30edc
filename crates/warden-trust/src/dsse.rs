//! DSSE (Dead Simple Signing Envelope) v1.
//!
//! The signature covers `PAE(payloadType, payload)`, so the payload type is
//! authenticated and the signed bytes are exactly the bytes that ship: no
//! canonicalization, no parsing before verification.
//!
//! Wire form: `{"payloadType": ..., "payload": base64, "signatures": [{"keyid", "sig"}]}`.
//! Base64 is written in the standard alphabet with padding; both alphabets are read,
//! padding optional, as the DSSE protocol asks. Unknown envelope fields are ignored
//! (also per the protocol); the payload itself is parsed strictly after verification.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

use crate::keys::{self, KeyId, SigningKey};

/// Payload type of a signed policy statement.
pub const POLICY_PAYLOAD_TYPE: &str = "application/vnd.warden.policy.v1+json";

/// Payload type of one trust-root version.
pub const TRUST_ROOT_PAYLOAD_TYPE: &str = "application/vnd.warden.trust-root.v1+json";

const DECODE_CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, DECODE_CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, DECODE_CONFIG);

/// A DSSE envelope with its payload and signatures decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The media type bound into every signature.
    pub payload_type: String,
    /// The exact signed payload bytes.
    pub payload: Vec<u8>,
    /// Signatures in envelope order.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// Unauthenticated hint naming the key; empty when absent.
    pub keyid: String,
    /// The 64-byte Ed25519 signature over the PAE.
    pub sig: Vec<u8>,
}

/// Why envelope bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not the JSON shape of an envelope.
    #[error("not a DSSE envelope: {0}")]
    Json(#[from] serde_json::Error),
    /// A base64 field does not decode.
    #[error("`{field}` is not valid base64")]
    Base64 {
        /// The field name.
        field: &'static str,
    },
    /// A signature that cannot be an Ed25519 signature.
    #[error("signature {index} is {len} bytes, an Ed25519 signature is 64")]
    SignatureLength {
        /// Position in `signatures`.
        index: usize,
        /// Decoded length.
        len: usize,
    },
}

#[derive(Serialize, Deserialize)]
struct WireEnvelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
struct WireSignature {
    #[serde(default)]
    keyid: String,
    sig: String,
}

/// The DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        10 + type_len.len() + payload_type.len() + body_len.len() + payload.len(),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

fn decode_base64(text: &str, field: &'static str) -> Result<Vec<u8>, EnvelopeError> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| EnvelopeError::Base64 { field })
}

impl Envelope {
    /// Decode envelope JSON. Signatures must be 64 bytes; nothing is verified here.
    pub fn from_json(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let wire: WireEnvelope = serde_json::from_slice(bytes)?;
        Self::from_wire(wire)
    }

    fn from_wire(wire: WireEnvelope) -> Result<Self, EnvelopeError> {
        let payload = decode_base64(&wire.payload, "payload")?;
        let signatures = wire
            .signatures
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                let sig = decode_base64(&s.sig, "sig")?;
                if sig.len() != 64 {
                    return Err(EnvelopeError::SignatureLength {
                        index,
                        len: sig.len(),
                    });
                }
                Ok(EnvelopeSignature {
                    keyid: s.keyid,
                    sig,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    fn to_wire(&self) -> WireEnvelope {
        WireEnvelope {
            payload_type: self.payload_type.clone(),
            payload: base64::engine::general_purpose::STANDARD.encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: s.keyid.clone(),
                    sig: base64::engine::general_purpose::STANDARD.encode(&s.sig),
                })
                .collect(),
        }
    }

    /// Envelope JSON, pretty-printed with a trailing newline; deterministic.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&self.to_wire())
            .expect("an envelope of strings always serializes");
        out.push(b'\n');
        out
    }

    /// The bytes every signature covers.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Add signatures by `keys` over the current payload and type.
    pub fn add_signatures(&mut self, keys: &[&SigningKey]) {
        let message = self.pae();
        for key in keys {
            self.signatures.push(EnvelopeSignature {
                keyid: KeyId::of(&key.verifying_key()).to_string(),
                sig: keys::sign(key, &message).to_vec(),
            });
        }
    }
}

/// Chain files hold a JSON array of envelopes; these helpers keep the wire form in one
/// place.
pub(crate) fn envelopes_from_json(bytes: &[u8]) -> Result<Vec<Envelope>, EnvelopeError> {
    let wire: Vec<WireEnvelope> = serde_json::from_slice(bytes)?;
    wire.into_iter().map(Envelope::from_wire).collect()
}

pub(crate) fn envelopes_to_json(envelopes: &[Envelope]) -> Vec<u8> {
    let wire: Vec<WireEnvelope> = envelopes.iter().map(Envelope::to_wire).collect();
    let mut out =
        serde_json::to_vec_pretty(&wire).expect("an envelope of strings always serializes");
    out.push(b'\n');
    out
}

/// Sign exact `payload` bytes under `payload_type` with every key in `keys`.
pub fn sign_envelope(payload_type: &str, payload: &[u8], keys: &[&SigningKey]) -> Envelope {
    let mut envelope = Envelope {
        payload_type: payload_type.to_owned(),
        payload: payload.to_vec(),
        signatures: Vec::new(),
    };
    envelope.add_signatures(keys);
    envelope
}

/// Sign a serialized [`crate::PolicyStatement`]. The caller serializes; the bytes
/// signed here are the bytes that ship.
pub fn sign_bundle(statement_bytes: &[u8], keys: &[&SigningKey]) -> Envelope {
    sign_envelope(POLICY_PAYLOAD_TYPE, statement_bytes, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn envelope_round_trips_and_reads_both_alphabets() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let env = sign_bundle(b"\xfb\xff payload", &[&key]);
        let json = env.to_json();
        assert_eq!(Envelope::from_json(&json).unwrap(), env);

        let text = String::from_utf8(json).unwrap();
        assert!(
            text.contains("+/8g"),
            "standard alphabet on the wire: {text}"
        );
        let url_safe = text.replace("+/8g", "-_8g");
        assert_eq!(Envelope::from_json(url_safe.as_bytes()).unwrap(), env);
    }

    #[test]
    fn short_signatures_and_bad_base64_are_refused() {
        let bad_sig =
            br#"{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"AAAA"}]}"#;
        assert!(matches!(
            Envelope::from_json(bad_sig),
            Err(EnvelopeError::SignatureLength { index: 0, len: 3 })
        ));
        let bad_b64 = br#"{"payloadType":"t","payload":"***","signatures":[]}"#;
        assert!(matches!(
            Envelope::from_json(bad_b64),
            Err(EnvelopeError::Base64 { field: "payload" })
        ));
    }
}
