//! The signer: a certificate chain (leaf first) and the leaf's private key.

use std::fmt;

use der::oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use spki::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::KeyUsage;
use zeroize::Zeroizing;

use crate::CmsError;
use crate::oids;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The kind of key that signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// ECDSA on P-256 with SHA-256 (RFC 6979 nonces).
    EcdsaP256,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA {bits}"),
            Self::EcdsaP256 => f.write_str("ECDSA P-256"),
        }
    }
}

pub(crate) enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
}

/// A certificate chain and the private key of its first certificate, checked to
/// belong together. Private key material is zeroized on drop and never printed.
pub struct SigningIdentity {
    pub(crate) key: Key,
    /// Leaf first, then its issuers, as given.
    pub(crate) chain: Vec<Certificate>,
}

impl fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("subject", &self.subject())
            .field("algorithm", &self.algorithm())
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// Read a PEM certificate chain (the signing certificate first, then any
    /// intermediates, each issued by the next) and the signing certificate's
    /// unencrypted PKCS#8 PEM private key: RSA of at least [`MIN_RSA_BITS`] bits or
    /// ECDSA P-256. Text around the PEM blocks is ignored, as OpenSSL does.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, CmsError> {
        let chain = read_chain(chain_pem)?;
        let key = read_key(key_pem)?;
        let leaf = &chain[0];
        let subject = leaf.tbs_certificate.subject.to_string();
        let spki = leaf
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CmsError::Certificate {
                index: 1,
                reason: e.to_string(),
            })?;
        let matches = match &key {
            Key::Rsa(k) => {
                rsa::RsaPublicKey::from_public_key_der(&spki).is_ok_and(|p| p == k.to_public_key())
            }
            Key::P256(k) => p256::PublicKey::from_public_key_der(&spki)
                .is_ok_and(|p| p == p256::PublicKey::from(k.verifying_key())),
        };
        if !matches {
            return Err(CmsError::KeyMismatch { subject });
        }
        if let Some(usage) = key_usage(leaf)?
            && !usage.digital_signature()
            && !usage.non_repudiation()
        {
            return Err(CmsError::KeyUsage { subject });
        }
        Ok(Self { key, chain })
    }

    /// The signing key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.key {
            Key::Rsa(k) => KeyAlgorithm::Rsa { bits: rsa_bits(k) },
            Key::P256(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// The signing certificate's subject (RFC 4514), which MDM consoles and System
    /// Settings show as the signer.
    pub fn subject(&self) -> String {
        self.chain[0].tbs_certificate.subject.to_string()
    }

    /// The signing certificate's `notAfter`, in seconds since the Unix epoch.
    pub fn not_after_unix(&self) -> u64 {
        self.chain[0]
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs()
    }

    /// The chain as given, leaf first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

fn rsa_bits(k: &rsa::RsaPrivateKey) -> usize {
    use rsa::traits::PublicKeyParts as _;
    k.n().bits()
}

/// A PEM block's label and DER bytes.
type PemBlock = (String, Zeroizing<Vec<u8>>);

/// The PEM blocks of `text` in order.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim_end);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut block = Zeroizing::new(format!("{line}\n"));
        loop {
            match lines.next() {
                Some(l) => {
                    block.push_str(l);
                    block.push('\n');
                    if l == end {
                        break;
                    }
                }
                None => return Err(format!("the `{label}` block has no `{end}` line")),
            }
        }
        let (_, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| format!("the `{label}` block is not valid PEM: {e}"))?;
        out.push((label.to_owned(), Zeroizing::new(der)));
    }
    Ok(out)
}

fn read_chain(pem: &[u8]) -> Result<Vec<Certificate>, CmsError> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| CmsError::CertificatePem("the file is not UTF-8 text".into()))?;
    let blocks = pem_blocks(text).map_err(CmsError::CertificatePem)?;
    if blocks.is_empty() {
        return Err(CmsError::NoCertificate);
    }
    let mut chain: Vec<Certificate> = Vec::with_capacity(blocks.len());
    for (i, (label, der)) in blocks.iter().enumerate() {
        let index = i + 1;
        if label != "CERTIFICATE" {
            return Err(CmsError::NotACertificate {
                index,
                label: label.clone(),
            });
        }
        let bad = |reason: String| CmsError::Certificate { index, reason };
        let cert = Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
        // Re-encoded, a certificate must be the bytes its issuer signed.
        if cert.to_der().map_err(|e| bad(e.to_string()))?.as_slice() != der.as_slice() {
            return Err(bad("it is not in DER form".into()));
        }
        if chain.contains(&cert) {
            return Err(CmsError::DuplicateCertificate { index });
        }
        if let Some(previous) = chain.last() {
            let issuer = &previous.tbs_certificate.issuer;
            if *issuer != cert.tbs_certificate.subject {
                return Err(CmsError::ChainOrder {
                    index,
                    subject: cert.tbs_certificate.subject.to_string(),
                    previous: i,
                    issuer: issuer.to_string(),
                });
            }
        }
        chain.push(cert);
    }
    Ok(chain)
}

fn key_usage(cert: &Certificate) -> Result<Option<KeyUsage>, CmsError> {
    let Some(ext) = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == KeyUsage::OID)
    else {
        return Ok(None);
    };
    KeyUsage::from_der(ext.extn_value.as_bytes())
        .map(Some)
        .map_err(|e| CmsError::Certificate {
            index: 1,
            reason: format!("its key usage extension is malformed: {e}"),
        })
}

fn read_key(pem: &[u8]) -> Result<Key, CmsError> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| CmsError::KeyPem("the file is not UTF-8 text".into()))?;
    let blocks = pem_blocks(text).map_err(CmsError::KeyPem)?;
    let Some((label, der)) = blocks.iter().find(|(l, _)| l.ends_with("PRIVATE KEY")) else {
        return Err(CmsError::NoPrivateKey);
    };
    if label != "PRIVATE KEY" {
        return Err(CmsError::KeyFormat {
            label: label.clone(),
        });
    }
    let info =
        pkcs8::PrivateKeyInfo::from_der(der).map_err(|e| CmsError::PrivateKey(e.to_string()))?;
    let oid = info.algorithm.oid;
    if oid == oids::RSA_ENCRYPTION {
        let key =
            rsa::RsaPrivateKey::try_from(info).map_err(|e| CmsError::PrivateKey(e.to_string()))?;
        key.validate()
            .map_err(|e| CmsError::PrivateKey(e.to_string()))?;
        let bits = rsa_bits(&key);
        if bits < MIN_RSA_BITS {
            return Err(CmsError::RsaKeyTooSmall { bits });
        }
        return Ok(Key::Rsa(Box::new(key)));
    }
    if oid == oids::EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|e| CmsError::PrivateKey(format!("the EC key names no curve: {e}")))?;
        if curve != oids::SECP256R1 {
            return Err(CmsError::UnsupportedKey {
                algorithm: format!("ECDSA {}", curve_name(curve)),
            });
        }
        let secret =
            p256::SecretKey::try_from(info).map_err(|e| CmsError::PrivateKey(e.to_string()))?;
        return Ok(Key::P256(p256::ecdsa::SigningKey::from(secret)));
    }
    Err(CmsError::UnsupportedKey {
        algorithm: key_name(oid),
    })
}

fn curve_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        other => format!("on curve {other}"),
    }
}

fn key_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.3.101.110" => "X25519".into(),
        "1.3.101.111" => "X448".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        other => format!("Algorithm {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_ignore_surrounding_text_and_keep_order() {
        let text = "Subject: x\n-----BEGIN A-----\nAAEC\n-----END A-----\nnoise\r\n-----BEGIN B-----\r\nAw==\r\n-----END B-----\r\n";
        let blocks = pem_blocks(text).unwrap();
        let labels: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["A", "B"]);
        assert_eq!(blocks[0].1.as_slice(), [0, 1, 2]);
        assert_eq!(blocks[1].1.as_slice(), [3]);
    }

    #[test]
    fn an_unterminated_or_corrupt_block_is_refused() {
        assert!(
            pem_blocks("-----BEGIN A-----\nAAEC\n")
                .unwrap_err()
                .contains("no `-----END A-----`")
        );
        assert!(
            pem_blocks("-----BEGIN A-----\n!!!\n-----END A-----\n")
                .unwrap_err()
                .contains("not valid PEM")
        );
    }
}
