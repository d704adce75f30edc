//! Why a signing identity could not be read, or a signed message not made or verified.

/// A refused certificate chain or key, or a signed message that does not verify.
/// Every variant says what to change; nothing is signed with an input it names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    /// The certificate file is not text with PEM blocks.
    #[error("the certificate file is not PEM: {0}")]
    CertificatePem(String),
    /// The certificate file holds no certificate.
    #[error("the certificate file holds no PEM `CERTIFICATE` block")]
    NoCertificate,
    /// A block of the certificate file that is something else (often a key).
    #[error("PEM block {index} of the certificate file is a `{label}`, not a `CERTIFICATE`")]
    NotACertificate {
        /// 1-based position of the block.
        index: usize,
        /// Its PEM label.
        label: String,
    },
    /// A certificate that does not parse, or is not in DER form (its signature
    /// covers its exact bytes, so it could not be carried unchanged).
    #[error("certificate {index} of the chain cannot be used: {reason}")]
    Certificate {
        /// 1-based position in the chain.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The same certificate twice.
    #[error("certificate {index} of the chain repeats an earlier one")]
    DuplicateCertificate {
        /// 1-based position in the chain.
        index: usize,
    },
    /// Certificates out of order: each must be issued by the one after it.
    #[error(
        "certificate {index} of the chain (`{subject}`) did not issue certificate {previous}, whose issuer is `{issuer}`: list the signing certificate first, then each issuer in turn"
    )]
    ChainOrder {
        /// 1-based position of the certificate that should be the issuer.
        index: usize,
        /// Its subject.
        subject: String,
        /// 1-based position of the certificate before it.
        previous: usize,
        /// The issuer that certificate names.
        issuer: String,
    },
    /// The signing certificate does not allow signatures.
    #[error(
        "the signing certificate `{subject}` has a key usage without digitalSignature or nonRepudiation, so verifiers would refuse its signatures"
    )]
    KeyUsage {
        /// Subject of the signing certificate.
        subject: String,
    },
    /// The key file is not text with PEM blocks.
    #[error("the private key file is not PEM: {0}")]
    KeyPem(String),
    /// The key file holds no private key.
    #[error("the private key file holds no PEM `PRIVATE KEY` block")]
    NoPrivateKey,
    /// A private key in a form other than unencrypted PKCS#8.
    #[error(
        "the private key is a `{label}` block; write it as unencrypted PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY.pem -out KEY.pk8.pem`"
    )]
    KeyFormat {
        /// Its PEM label.
        label: String,
    },
    /// A PKCS#8 key that does not parse.
    #[error("the private key cannot be read: {0}")]
    PrivateKey(String),
    /// A key type macOS does not accept for configuration profiles.
    #[error(
        "{algorithm} keys cannot sign a macOS configuration profile; use RSA (2048 bits or more) or ECDSA P-256"
    )]
    UnsupportedKey {
        /// The key type, e.g. `Ed25519`.
        algorithm: String,
    },
    /// An RSA key below [`crate::MIN_RSA_BITS`].
    #[error("the RSA key has {bits} bits; use at least {min}", min = crate::MIN_RSA_BITS)]
    RsaKeyTooSmall {
        /// Its modulus size.
        bits: usize,
    },
    /// The key is not the signing certificate's.
    #[error(
        "the private key does not belong to the signing certificate `{subject}` (the first one in the chain)"
    )]
    KeyMismatch {
        /// Subject of the signing certificate.
        subject: String,
    },
    /// The signature primitive failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// Encoding the message failed; indicates a bug, not bad input.
    #[error("cannot encode the signed message: {0}")]
    Encode(String),
    /// Not a DER CMS SignedData message with encapsulated data.
    #[error("not a CMS SignedData message with embedded content: {0}")]
    Malformed(String),
    /// A SignedData form this crate does not write (and so does not verify).
    #[error("unsupported signed message: {0}")]
    Unsupported(String),
    /// The signer's certificate is not in the message.
    #[error("the message does not carry its signer's certificate")]
    SignerCertificateMissing,
    /// The content does not match its signed digest.
    #[error("the content does not match the signed message digest")]
    DigestMismatch,
    /// The signature does not verify with the signer's certificate.
    #[error("the signature does not verify with the signer's certificate")]
    BadSignature,
}

impl From<der::Error> for CmsError {
    fn from(e: der::Error) -> Self {
        Self::Encode(e.to_string())
    }
}
