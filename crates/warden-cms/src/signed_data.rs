//! CMS SignedData (RFC 5652 §5) with the content embedded, as Apple's tools write a
//! signed configuration profile.
//!
//! The form, fixed so the same inputs give the same bytes:
//!
//! - `ContentInfo { id-signedData, SignedData v1 }`, DER;
//! - one digest algorithm, SHA-256 (parameters absent, RFC 5754);
//! - `encapContentInfo`: `id-data` and the content, unchanged;
//! - `certificates`: the chain as given (a DER `SET OF`, so sorted by encoding);
//! - one `SignerInfo` v1 naming the signer by issuer and serial number, with the
//!   signed attributes `contentType` and `messageDigest` only: no `signingTime`, so
//!   nothing depends on the clock. RSA is PKCS#1 v1.5 (`rsaEncryption`, as OpenSSL
//!   and macOS write it), deterministic by construction; ECDSA P-256 uses RFC 6979
//!   nonces (`ecdsa-with-SHA256`).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag, Tagged};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, DecodePublicKey};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::identity::{Key, SigningIdentity};
use crate::{CmsError, oids};

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oids::SHA256,
        parameters: None,
    }
}

fn attribute(oid: der::oid::ObjectIdentifier, value: Any) -> Result<Attribute, CmsError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

impl SigningIdentity {
    /// Sign `content`: the DER `ContentInfo` of a SignedData that embeds it byte for
    /// byte. The result is checked with [`verify`] before it is returned.
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, CmsError> {
        let digest = Sha256::digest(content);
        let signed_attrs: SignedAttributes = SetOfVec::try_from(vec![
            attribute(oids::CONTENT_TYPE, Any::encode_from(&oids::DATA)?)?,
            attribute(
                oids::MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest.as_slice())?)?,
            )?,
        ])?;
        // RFC 5652 §5.4: the signature covers the attributes' DER with the SET tag.
        let to_sign = signed_attrs.to_der()?;
        let (signature_algorithm, signature) = match &self.key {
            Key::Rsa(key) => {
                // Blinded with fresh randomness against timing; PKCS#1 v1.5 output
                // is the same whatever the blinding.
                let sig = key
                    .sign_with_rng(
                        &mut rand_core::OsRng,
                        rsa::Pkcs1v15Sign::new::<Sha256>(),
                        &Sha256::digest(&to_sign),
                    )
                    .map_err(|e| CmsError::Sign(e.to_string()))?;
                let alg = AlgorithmIdentifierOwned {
                    oid: oids::RSA_ENCRYPTION,
                    parameters: Some(Any::null()),
                };
                (alg, sig)
            }
            Key::P256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let sig: p256::ecdsa::Signature = key
                    .try_sign(&to_sign)
                    .map_err(|e| CmsError::Sign(e.to_string()))?;
                let alg = AlgorithmIdentifierOwned {
                    oid: oids::ECDSA_WITH_SHA256,
                    parameters: None,
                };
                (alg, sig.to_der().as_bytes().to_vec())
            }
        };
        let leaf = &self.chain[0].tbs_certificate;
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: leaf.issuer.clone(),
                serial_number: leaf.serial_number.clone(),
            }),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm,
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };
        let certificates = self
            .chain
            .iter()
            .cloned()
            .map(CertificateChoices::Certificate)
            .collect::<Vec<_>>();
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oids::DATA,
                econtent: Some(Any::new(Tag::OctetString, content)?),
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer])?),
        };
        let bytes = ContentInfo {
            content_type: oids::SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        }
        .to_der()?;
        // Never hand out a message its readers would refuse.
        let check = verify(&bytes)?;
        if check.content != content {
            return Err(CmsError::Encode(
                "the signed message does not carry the content".into(),
            ));
        }
        Ok(bytes)
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The embedded content.
    pub content: Vec<u8>,
    /// The certificate whose key made the signature.
    pub signer: Certificate,
}

fn malformed(e: impl std::fmt::Display) -> CmsError {
    CmsError::Malformed(e.to_string())
}

/// Check a DER SignedData of the form [`SigningIdentity::sign`] writes: the content
/// matches its signed digest, and the signature verifies with the signer's
/// certificate carried in the message. Whether that certificate is trusted is for
/// the reader (macOS, `openssl cms -verify -CAfile`) to decide; no chain is built.
pub fn verify(message: &[u8]) -> Result<Verified, CmsError> {
    let info = ContentInfo::from_der(message).map_err(malformed)?;
    if info.content_type != oids::SIGNED_DATA {
        return Err(CmsError::Malformed(format!(
            "content type {} is not signed data",
            info.content_type
        )));
    }
    let sd = SignedData::from_der(&info.content.to_der().map_err(malformed)?).map_err(malformed)?;
    let encap = &sd.encap_content_info;
    if encap.econtent_type != oids::DATA {
        return Err(CmsError::Unsupported(format!(
            "encapsulated content type {}",
            encap.econtent_type
        )));
    }
    let content = match &encap.econtent {
        Some(any) if any.tag() == Tag::OctetString => any.value().to_vec(),
        Some(_) => {
            return Err(CmsError::Malformed(
                "the content is not an OCTET STRING".into(),
            ));
        }
        None => {
            return Err(CmsError::Unsupported(
                "a detached signature (no embedded content)".into(),
            ));
        }
    };
    let [signer] = sd.signer_infos.0.as_slice() else {
        return Err(CmsError::Unsupported(format!(
            "{} signers; exactly one is supported",
            sd.signer_infos.0.len()
        )));
    };
    if signer.digest_alg.oid != oids::SHA256 {
        return Err(CmsError::Unsupported(format!(
            "digest algorithm {}",
            signer.digest_alg.oid
        )));
    }
    let Some(attrs) = &signer.signed_attrs else {
        return Err(CmsError::Unsupported(
            "a signature without signed attributes".into(),
        ));
    };
    let single = |oid| -> Result<&Any, CmsError> {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (Some(a), None) if a.values.len() == 1 => Ok(&a.values.as_slice()[0]),
            _ => Err(CmsError::Malformed(format!(
                "signed attribute {oid} must appear once with one value"
            ))),
        }
    };
    let content_type = single(oids::CONTENT_TYPE)?
        .decode_as::<der::oid::ObjectIdentifier>()
        .map_err(malformed)?;
    if content_type != oids::DATA {
        return Err(CmsError::Malformed(
            "the signed content type does not match the content".into(),
        ));
    }
    let digest = single(oids::MESSAGE_DIGEST)?
        .decode_as::<OctetString>()
        .map_err(malformed)?;
    if digest.as_bytes() != Sha256::digest(&content).as_slice() {
        return Err(CmsError::DigestMismatch);
    }
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return Err(CmsError::Unsupported(
            "a signer named by subject key identifier".into(),
        ));
    };
    let cert = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == id.issuer
                    && c.tbs_certificate.serial_number == id.serial_number =>
            {
                Some(c)
            }
            _ => None,
        })
        .ok_or(CmsError::SignerCertificateMissing)?;
    let signed = attrs.to_der().map_err(malformed)?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(malformed)?;
    let sig = signer.signature.as_bytes();
    let alg = signer.signature_algorithm.oid;
    let ok = if alg == oids::RSA_ENCRYPTION || alg == oids::SHA256_WITH_RSA {
        rsa::RsaPublicKey::from_public_key_der(&spki).is_ok_and(|key| {
            key.verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(&signed),
                sig,
            )
            .is_ok()
        })
    } else if alg == oids::ECDSA_WITH_SHA256 {
        use p256::ecdsa::signature::Verifier as _;
        match (
            p256::ecdsa::VerifyingKey::from_public_key_der(&spki),
            p256::ecdsa::Signature::from_der(sig),
        ) {
            (Ok(key), Ok(sig)) => key.verify(&signed, &sig).is_ok(),
            _ => false,
        }
    } else {
        return Err(CmsError::Unsupported(format!("signature algorithm {alg}")));
    };
    if !ok {
        return Err(CmsError::BadSignature);
    }
    Ok(Verified {
        content,
        signer: cert.clone(),
    })
}
