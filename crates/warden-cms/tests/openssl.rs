//! Signed configuration profiles read by OpenSSL, the CMS implementation admins have
//! on Linux CI: `openssl cms -verify` and `openssl smime -verify` accept them and give
//! back the unsigned profile byte for byte, with and without chain validation.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, mobileconfig};
use warden_cms::{KeyAlgorithm, SigningIdentity};

fn run(tool: &Path, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}"))
}

fn ok(tool: &Path, args: &[&str]) -> String {
    let out = run(tool, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A self-signed signing certificate and its key, made by OpenSSL with the
/// extensions of a profile-signing certificate.
fn self_signed(tool: &Path, dir: &Path, name: &str, newkey: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.cert.pem")),
        dir.join(format!("{name}.key.pem")),
    );
    ok(
        tool,
        &[
            "req",
            "-x509",
            "-newkey",
            newkey,
            "-nodes",
            "-keyout",
            s(&key),
            "-out",
            s(&cert),
            "-days",
            "30",
            "-subj",
            &format!("/CN=Warden interop {name}/O=Warden tests"),
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=critical,digitalSignature",
            "-addext",
            "extendedKeyUsage=emailProtection",
        ],
    );
    (cert, key)
}

/// Every check OpenSSL can make of `signed`, whose content must be `content`;
/// `trust` is the certificate chain validation starts from.
fn openssl_accepts(tool: &Path, dir: &Path, signed: &[u8], content: &[u8], trust: &Path) {
    let file = dir.join("signed.mobileconfig");
    std::fs::write(&file, signed).unwrap();
    let out = dir.join("content.mobileconfig");
    let read_back = || {
        let bytes = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        bytes
    };
    // Signature and digest only.
    // Both of OpenSSL's readers of S/MIME signatures take it as it is.
    for command in ["cms", "smime"] {
        ok(
            tool,
            &[
                command,
                "-verify",
                "-inform",
                "DER",
                "-noverify",
                "-in",
                s(&file),
                "-out",
                s(&out),
            ],
        );
        assert_eq!(read_back(), content, "{command} -verify -noverify");
    }
    // And the certificate chain, up to `trust`.
    ok(
        tool,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-CAfile",
            s(trust),
            "-in",
            s(&file),
            "-out",
            s(&out),
        ],
    );
    assert_eq!(read_back(), content, "cms -verify -CAfile");
    // The form: embedded data, SHA-256, contentType and messageDigest, no signing time.
    let print = ok(
        tool,
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            s(&file),
        ],
    );
    for part in [
        "pkcs7-signedData",
        "pkcs7-data",
        "sha256",
        "contentType",
        "messageDigest",
    ] {
        assert!(print.contains(part), "{part} missing from:\n{print}");
    }
    assert!(!print.contains("signingTime"), "{print}");
}

#[test]
fn openssl_verifies_rsa_and_p256_signed_profiles() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let content = mobileconfig();
    for (name, newkey, algorithm) in [
        ("rsa", "rsa:2048", KeyAlgorithm::Rsa { bits: 2048 }),
        ("p256", "ec:-", KeyAlgorithm::EcdsaP256),
    ] {
        let newkey = if newkey == "ec:-" {
            let params = dir.path().join("p256.params.pem");
            ok(
                &tool,
                &["ecparam", "-name", "prime256v1", "-out", s(&params)],
            );
            format!("ec:{}", s(&params))
        } else {
            newkey.to_owned()
        };
        let (cert, key) = self_signed(&tool, dir.path(), name, &newkey);
        let id = SigningIdentity::from_pem(
            &std::fs::read(&cert).unwrap(),
            &std::fs::read(&key).unwrap(),
        )
        .unwrap();
        assert_eq!(id.algorithm(), algorithm);
        let signed = id.sign(&content).unwrap();
        assert_eq!(
            id.sign(&content).unwrap(),
            signed,
            "{name}: same bytes twice"
        );
        openssl_accepts(&tool, dir.path(), &signed, &content, &cert);
    }
}

#[test]
fn openssl_validates_a_chain_to_its_root() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let id = SigningIdentity::from_pem(&fixture("chain.pem"), &fixture("leaf.key.pem")).unwrap();
    let content = mobileconfig();
    let signed = id.sign(&content).unwrap();
    let root = warden_testkit::test_data("cms/ca.cert.pem");
    openssl_accepts(&tool, dir.path(), &signed, &content, &root);
    // Trusting another root, validation fails: the chain is really checked.
    let file = dir.path().join("signed.mobileconfig");
    std::fs::write(&file, &signed).unwrap();
    let other = warden_testkit::test_data("cms/rsa-2048.cert.pem");
    let out = run(
        &tool,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-CAfile",
            s(&other),
            "-in",
            s(&file),
        ],
    );
    assert!(!out.status.success(), "verified against an unrelated root");
}

#[test]
fn keys_openssl_writes_in_legacy_forms_are_explained() {
    let Some(tool) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // `openssl ecparam -genkey` writes EC PARAMETERS, then a SEC1 EC PRIVATE KEY.
    let key = dir.path().join("sec1.pem");
    ok(
        &tool,
        &["ecparam", "-name", "prime256v1", "-genkey", "-out", s(&key)],
    );
    let err = SigningIdentity::from_pem(&fixture("p256.cert.pem"), &std::fs::read(&key).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("`EC PRIVATE KEY`") && err.to_string().contains("pkcs8 -topk8"),
        "{err}"
    );
    // Converted as the message says, the key reads (and then belongs to no
    // certificate here, which is the next thing checked).
    let pk8 = dir.path().join("pk8.pem");
    ok(
        &tool,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            s(&key),
            "-out",
            s(&pk8),
        ],
    );
    let err = SigningIdentity::from_pem(&fixture("p256.cert.pem"), &std::fs::read(&pk8).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, warden_cms::CmsError::KeyMismatch { .. }),
        "{err}"
    );
}
