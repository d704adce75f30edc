//! Interoperability with OpenSSL, the tool administrators already have: keys move both
//! ways and signatures are byte-identical.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use warden_trust::keyfile;
use warden_trust::keys::{self, KeyId};
use warden_trust::time::parse_utc;
use warden_trust::{
    TrustChain, TrustRoot, VerifyOptions, sign_bundle, verify_bundle, verify_chain,
};

fn openssl(tool: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn openssl_key_signs_a_bundle_that_verifies() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("ci.pem");
    openssl(
        &tool,
        &["genpkey", "-algorithm", "ed25519", "-out", s(&key_path)],
    );

    let key = keyfile::read_signing_key(&key_path).unwrap();
    // Our PKCS#8 writer produces OpenSSL's file byte for byte (v1, no public key).
    let ours = keys::signing_key_to_pem(&key).unwrap();
    assert_eq!(ours.as_bytes(), std::fs::read(&key_path).unwrap());

    let root_key = keys::generate_signing_key();
    let now = parse_utc("2026-03-01T00:00:00Z").unwrap();
    let expires = parse_utc("2027-01-01T00:00:00Z").unwrap();
    let mut root = TrustRoot::initial(&[root_key.verifying_key()], 1, 1, expires).unwrap();
    root.add_signer(key.verifying_key(), expires, None).unwrap();
    let chain = TrustChain::create(&root, &[&root_key], now).unwrap();
    let trusted = verify_chain(&chain, None, now).unwrap();

    let statement = serde_json::json!({
        "profile_id": "engineering",
        "serial": 1,
        "issued_at": "2026-03-01T00:00:00Z",
        "not_before": "2026-03-01T00:00:00Z",
        "expires": "2026-03-20T00:00:00Z",
        "trust_root_version": 1,
        "manifest": {},
        "body": {}
    });
    let envelope = sign_bundle(&serde_json::to_vec(&statement).unwrap(), &[&key]);
    let verified =
        verify_bundle::<serde_json::Value>(&envelope.to_json(), &trusted, &VerifyOptions::at(now))
            .unwrap();
    assert_eq!(verified.signers, vec![KeyId::of(&key.verifying_key())]);

    // And OpenSSL verifies the same signature over the DSSE PAE.
    let pae_path = dir.path().join("pae.bin");
    let sig_path = dir.path().join("sig.bin");
    let pub_path = dir.path().join("ci.pub");
    std::fs::write(&pae_path, envelope.pae()).unwrap();
    std::fs::write(&sig_path, &envelope.signatures[0].sig).unwrap();
    openssl(
        &tool,
        &["pkey", "-in", s(&key_path), "-pubout", "-out", s(&pub_path)],
    );
    openssl(
        &tool,
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            s(&pub_path),
            "-rawin",
            "-in",
            s(&pae_path),
            "-sigfile",
            s(&sig_path),
        ],
    );
}

#[test]
fn our_keys_are_read_by_openssl() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("ours.pem");
    let pub_path = dir.path().join("ours.pub");
    let key = keys::generate_signing_key();
    keyfile::write_signing_key(&key_path, &key, false).unwrap();
    keyfile::write_public_key(&pub_path, &key.verifying_key(), false).unwrap();

    let from_private = openssl(&tool, &["pkey", "-in", s(&key_path), "-pubout"]);
    assert_eq!(from_private, std::fs::read(&pub_path).unwrap());
    let text = openssl(&tool, &["pkey", "-in", s(&key_path), "-noout", "-text"]);
    assert!(String::from_utf8_lossy(&text).contains("ED25519 Private-Key"));

    // The documented key id recipe: sha256("ed25519:" || raw key from the SPKI DER).
    let der = openssl(
        &tool,
        &["pkey", "-pubin", "-in", s(&pub_path), "-outform", "DER"],
    );
    let mut input = b"ed25519:".to_vec();
    input.extend_from_slice(&der[der.len() - 32..]);
    let digest = Sha256::digest(&input);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(KeyId::of(&key.verifying_key()).as_str(), hex);
}

#[test]
fn signatures_equal_openssl_pkeyutl() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("k.pem");
    let msg_path = dir.path().join("msg.bin");
    openssl(
        &tool,
        &["genpkey", "-algorithm", "ed25519", "-out", s(&key_path)],
    );
    let key = keyfile::read_signing_key(&key_path).unwrap();
    // (OpenSSL 3.0's pkeyutl cannot read an empty message, so none is tried.)
    for message in [
        &b"x"[..],
        b"hello world",
        &warden_trust::pae("application/vnd.warden.policy.v1+json", &[0xab; 3000]),
    ] {
        std::fs::write(&msg_path, message).unwrap();
        let theirs = openssl(
            &tool,
            &[
                "pkeyutl",
                "-sign",
                "-rawin",
                "-inkey",
                s(&key_path),
                "-in",
                s(&msg_path),
            ],
        );
        assert_eq!(theirs, keys::sign(&key, message).to_vec());
        assert!(keys::verify_strict(&key.verifying_key(), message, &theirs));
    }
}
