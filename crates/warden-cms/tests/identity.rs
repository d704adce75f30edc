//! Reading signing identities, signing and verifying, with the certificates and keys
//! of `tests/fixtures/cms/` (made by its `generate.sh` with OpenSSL).

mod common;

use common::{fixture, mobileconfig};
use der::Encode as _;
use warden_cms::{CmsError, KeyAlgorithm, SigningIdentity, verify};

fn identity(cert: &str, key: &str) -> Result<SigningIdentity, CmsError> {
    SigningIdentity::from_pem(&fixture(cert), &fixture(key))
}

#[test]
fn rsa_and_p256_identities_sign_what_verify_accepts() {
    for (cert, key, algorithm) in [
        (
            "rsa-2048.cert.pem",
            "rsa-2048.key.pem",
            KeyAlgorithm::Rsa { bits: 2048 },
        ),
        ("p256.cert.pem", "p256.key.pem", KeyAlgorithm::EcdsaP256),
    ] {
        let id = identity(cert, key).unwrap();
        assert_eq!(id.algorithm(), algorithm);
        assert!(id.subject().contains("CN=Warden test"), "{}", id.subject());
        let content = mobileconfig();
        let signed = id.sign(&content).unwrap();
        let verified = verify(&signed).unwrap();
        assert_eq!(verified.content, content, "{cert}: content unchanged");
        assert_eq!(verified.signer, id.chain()[0]);
        // The same inputs give the same bytes: no signing time, deterministic signatures.
        assert_eq!(id.sign(&content).unwrap(), signed, "{cert}: deterministic");
        // A different content gives a different signature, not a replay.
        assert_ne!(id.sign(b"other").unwrap(), signed);
    }
}

#[test]
fn the_signature_covers_the_content_and_the_signed_attributes() {
    let id = identity("p256.cert.pem", "p256.key.pem").unwrap();
    let content = mobileconfig();
    let signed = id.sign(&content).unwrap();
    // The content sits in the message unchanged: flip one of its bytes.
    let at = signed
        .windows(content.len())
        .position(|w| w == content.as_slice())
        .expect("content embedded verbatim");
    let mut tampered = signed.clone();
    tampered[at + 100] ^= 1;
    assert!(matches!(verify(&tampered), Err(CmsError::DigestMismatch)));
    // The signature is the message's last field: flip its last byte.
    let mut tampered = signed.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(matches!(
        verify(&tampered),
        Err(CmsError::BadSignature | CmsError::Malformed(_))
    ));
    assert!(matches!(verify(&content), Err(CmsError::Malformed(_))));
}

#[test]
fn a_chain_signs_with_its_leaf_and_carries_every_certificate() {
    let id = identity("chain.pem", "leaf.key.pem").unwrap();
    assert_eq!(id.chain().len(), 2);
    assert!(id.subject().contains("issued signer"));
    let signed = id.sign(b"<plist/>").unwrap();
    assert_eq!(verify(&signed).unwrap().signer, id.chain()[0]);
    let ca = id.chain()[1].to_der().unwrap();
    assert!(
        signed.windows(ca.len()).any(|w| w == ca.as_slice()),
        "the intermediate travels with the message"
    );
}

#[test]
fn keys_macos_cannot_use_are_refused_by_name() {
    let err = identity("ed25519.cert.pem", "ed25519.key.pem").unwrap_err();
    assert!(
        matches!(&err, CmsError::UnsupportedKey { algorithm } if algorithm == "Ed25519"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("RSA (2048 bits or more) or ECDSA P-256")
    );
    let err = identity("p384.cert.pem", "p384.key.pem").unwrap_err();
    assert!(
        matches!(&err, CmsError::UnsupportedKey { algorithm } if algorithm == "ECDSA P-384"),
        "{err}"
    );
    let err = identity("rsa-1024.cert.pem", "rsa-1024.key.pem").unwrap_err();
    assert!(
        matches!(err, CmsError::RsaKeyTooSmall { bits: 1024 }),
        "{err}"
    );
}

#[test]
fn keys_in_other_forms_say_how_to_convert_them() {
    for (key, label) in [
        ("rsa-2048.pkcs1.key.pem", "RSA PRIVATE KEY"),
        ("p256.encrypted.key.pem", "ENCRYPTED PRIVATE KEY"),
    ] {
        let cert = if key.starts_with("rsa") {
            "rsa-2048.cert.pem"
        } else {
            "p256.cert.pem"
        };
        let err = identity(cert, key).unwrap_err();
        assert!(
            matches!(&err, CmsError::KeyFormat { label: l } if l == label),
            "{key}: {err}"
        );
        assert!(err.to_string().contains("openssl pkcs8 -topk8 -nocrypt"));
    }
    // A certificate where the key should be.
    assert!(matches!(
        identity("rsa-2048.cert.pem", "rsa-2048.cert.pem"),
        Err(CmsError::NoPrivateKey)
    ));
    assert!(matches!(
        SigningIdentity::from_pem(&fixture("rsa-2048.cert.pem"), b"\xff\xfe"),
        Err(CmsError::KeyPem(_))
    ));
}

#[test]
fn a_key_must_belong_to_the_first_certificate() {
    for (cert, key) in [
        ("rsa-2048.cert.pem", "p256.key.pem"),
        ("p256.cert.pem", "leaf.key.pem"),
        ("ca.cert.pem", "rsa-2048.key.pem"),
    ] {
        let err = identity(cert, key).unwrap_err();
        assert!(
            matches!(&err, CmsError::KeyMismatch { .. }),
            "{cert} + {key}: {err}"
        );
    }
}

#[test]
fn certificate_files_are_checked_block_by_block() {
    let key = fixture("rsa-2048.key.pem");
    let with = |chain: &[u8]| SigningIdentity::from_pem(chain, &key).unwrap_err();
    assert!(matches!(with(b""), CmsError::NoCertificate));
    assert!(matches!(with(b"just text\n"), CmsError::NoCertificate));
    let err = with(&key);
    assert!(
        matches!(&err, CmsError::NotACertificate { index: 1, label } if label == "PRIVATE KEY"),
        "{err}"
    );
    let broken = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        with(broken),
        CmsError::Certificate { index: 1, .. }
    ));
    let unterminated = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
    assert!(matches!(with(unterminated), CmsError::CertificatePem(_)));

    let leaf_key = fixture("leaf.key.pem");
    let (leaf, ca) = (fixture("leaf.cert.pem"), fixture("ca.cert.pem"));
    let reversed = [ca.clone(), leaf.clone()].concat();
    let err = SigningIdentity::from_pem(&reversed, &leaf_key).unwrap_err();
    assert!(
        matches!(
            &err,
            CmsError::ChainOrder {
                index: 2,
                previous: 1,
                ..
            }
        ),
        "{err}"
    );
    let twice = [leaf.clone(), leaf.clone()].concat();
    assert!(matches!(
        SigningIdentity::from_pem(&twice, &leaf_key),
        Err(CmsError::DuplicateCertificate { index: 2 })
    ));
}

#[test]
fn a_certificate_that_forbids_signatures_is_refused() {
    let err = identity("rsa-2048.no-signing.cert.pem", "rsa-2048.key.pem").unwrap_err();
    assert!(matches!(&err, CmsError::KeyUsage { .. }), "{err}");
}

#[test]
fn the_expiry_is_the_signing_certificates() {
    let id = identity("chain.pem", "leaf.key.pem").unwrap();
    // `notAfter=Nov  8 04:27:51 2126 GMT` (openssl x509 -noout -enddate).
    assert_eq!(id.not_after_unix(), 4_949_785_671);
}
