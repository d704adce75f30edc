//! The object identifiers of the form this crate reads and writes, spelled out so
//! none depends on another crate's OID database.

use der::oid::ObjectIdentifier as Oid;

/// `id-data` (RFC 5652 §4).
pub(crate) const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// `id-signedData` (RFC 5652 §5.1).
pub(crate) const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType` (RFC 5652 §11.1).
pub(crate) const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` (RFC 5652 §11.2).
pub(crate) const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// `id-sha256` (RFC 5754 §2.2).
pub(crate) const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `rsaEncryption` (RFC 8017 Appendix C).
pub(crate) const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// `sha256WithRSAEncryption` (RFC 5754 §3.2), accepted when verifying.
pub(crate) const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
pub(crate) const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub(crate) const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, NIST P-256 (RFC 5480 §2.1.1.1).
pub(crate) const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
