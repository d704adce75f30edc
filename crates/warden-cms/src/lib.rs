//! Signed macOS configuration profiles: CMS SignedData (RFC 5652) over the exact
//! bytes of a `.mobileconfig`, as `security cms -S` and `openssl cms -sign -binary
//! -nodetach` write it, so MDM consoles and System Settings show the signer and
//! MDMs that rewrite profiles (Jamf Pro) leave it as signed.
//!
//! [`SigningIdentity::from_pem`] reads the admin's certificate chain and private key
//! (RSA of at least 2048 bits or ECDSA P-256; macOS accepts no Ed25519 there) and
//! checks they belong together; [`SigningIdentity::sign`] writes the DER message;
//! [`verify`] checks one. Signing is deterministic: no signing time is included,
//! PKCS#1 v1.5 signatures are unique and ECDSA nonces come from RFC 6979, so the same
//! profile, chain and key give the same bytes on every run.
//!
//! Pure: bytes in, bytes out. The endpoint agent never links this crate.
#![forbid(unsafe_code)]

mod error;
mod identity;
mod oids;
mod signed_data;

pub use error::CmsError;
pub use identity::{KeyAlgorithm, MIN_RSA_BITS, SigningIdentity};
pub use signed_data::{Verified, verify};
pub use x509_cert::Certificate;
