//! `warden compile` with `[macos] sign_mobileconfig = true`, run as the real binary:
//! the signed profile beside the unsigned one, in the manifest, the same bytes on
//! every run, and read back by OpenSSL.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use warden_testkit::{repo_root, test_data};

fn warden() -> Command {
    Command::from_std(warden_testkit::command(env!("CARGO_BIN_EXE_warden")))
}

const FIXTURE: &str = "tests/fixtures/profiles/invalid/mobileconfig-signer-missing.toml";

fn cms(name: &str) -> PathBuf {
    test_data(&format!("cms/{name}"))
}

/// `warden compile FIXTURE` in `work` with a fixed signing time; `extra` adds options.
fn compile(work: &Path, out: &str, extra: &[&Path]) -> assert_cmd::assert::Assert {
    let mut cmd = warden();
    cmd.current_dir(work)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .arg("compile")
        .arg(repo_root().join(FIXTURE))
        .args(["--out", out]);
    for (flag, path) in ["--mobileconfig-cert", "--mobileconfig-key"]
        .iter()
        .zip(extra)
    {
        cmd.arg(flag).arg(path);
    }
    cmd.assert()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_profile_that_asks_for_a_signature_is_refused_without_a_certificate() {
    // Nothing in the profile itself is wrong.
    warden().arg("validate").arg(FIXTURE).assert().code(0);

    let work = tempfile::tempdir().unwrap();
    let assert = compile(work.path(), "dist", &[]).code(1);
    let stdout = text(&assert.get_output().stdout);
    let stderr = text(&assert.get_output().stderr);
    assert!(
        stdout.contains("error[mobileconfig-signer-missing]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--mobileconfig-cert CHAIN.pem --mobileconfig-key KEY.pem"),
        "{stdout}"
    );
    assert!(stdout.contains("/macos/sign_mobileconfig"), "{stdout}");
    assert!(
        stderr.contains("has errors; nothing was written for it"),
        "{stderr}"
    );
    assert!(!work.path().join("dist/fixture").exists());
}

#[test]
fn the_signed_profile_sits_beside_the_unsigned_one_with_the_same_content() {
    let work = tempfile::tempdir().unwrap();
    let (cert, key) = (cms("rsa-2048.cert.pem"), cms("rsa-2048.key.pem"));
    let assert = compile(work.path(), "one", &[&cert, &key]).code(0);
    let stdout = text(&assert.get_output().stdout);
    assert!(
        stdout.contains("macos/fixture.signed.mobileconfig"),
        "{stdout}"
    );
    assert!(
        stdout.contains("signed by `O=Warden tests,CN=Warden test RSA signer` (RSA 2048)"),
        "{stdout}"
    );
    let dir = work.path().join("one/fixture/macos");
    let unsigned = std::fs::read(dir.join("fixture.mobileconfig")).unwrap();
    let signed = std::fs::read(dir.join("fixture.signed.mobileconfig")).unwrap();
    let verified = warden_cms::verify(&signed).unwrap();
    assert_eq!(
        verified.content, unsigned,
        "the signed profile embeds the unsigned bytes"
    );

    // The manifest lists both, with the signed file's digest.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(work.path().join("one/fixture/manifest.json")).unwrap(),
    )
    .unwrap();
    let entry = |path: &str| {
        manifest["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("{path} missing from the manifest"))
    };
    entry("macos/fixture.mobileconfig");
    let listed = entry("macos/fixture.signed.mobileconfig");
    assert_eq!(listed["size"], signed.len());
    assert_eq!(
        listed["sha256"],
        warden_compile::manifest::sha256_hex(&signed)
    );

    // The same inputs give the same bytes.
    compile(work.path(), "two", &[&cert, &key]).code(0);
    let again = std::fs::read(
        work.path()
            .join("two/fixture/macos/fixture.signed.mobileconfig"),
    )
    .unwrap();
    assert_eq!(again, signed);

    let Some(openssl) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let file = dir.join("fixture.signed.mobileconfig");
    for tool in ["cms", "smime"] {
        let out = work.path().join(format!("{tool}.mobileconfig"));
        let status = StdCommand::new(&openssl)
            .args([tool, "-verify", "-inform", "DER", "-noverify", "-in"])
            .arg(&file)
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(status.status.success(), "{tool}: {}", text(&status.stderr));
        assert_eq!(std::fs::read(&out).unwrap(), unsigned, "openssl {tool}");
    }
    let status = StdCommand::new(&openssl)
        .args(["cms", "-verify", "-inform", "DER", "-CAfile"])
        .arg(&cert)
        .arg("-in")
        .arg(&file)
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status.stderr));
}

#[test]
fn an_issued_p256_certificate_signs_with_its_chain() {
    let work = tempfile::tempdir().unwrap();
    let assert = compile(
        work.path(),
        "dist",
        &[&cms("chain.pem"), &cms("leaf.key.pem")],
    )
    .code(0);
    assert!(text(&assert.get_output().stdout).contains("(ECDSA P-256)"));
    let signed = std::fs::read(
        work.path()
            .join("dist/fixture/macos/fixture.signed.mobileconfig"),
    )
    .unwrap();
    let verified = warden_cms::verify(&signed).unwrap();
    assert!(
        verified
            .signer
            .tbs_certificate
            .subject
            .to_string()
            .contains("issued signer")
    );
}

#[test]
fn unusable_signing_inputs_stop_the_compile_before_anything_is_written() {
    let work = tempfile::tempdir().unwrap();
    let cases: [(&[&Path], &str, i32); 4] = [
        (
            &[&cms("ed25519.cert.pem"), &cms("ed25519.key.pem")],
            "Ed25519 keys cannot sign a macOS configuration profile",
            2,
        ),
        (
            &[&cms("rsa-2048.cert.pem"), &cms("p256.key.pem")],
            "does not belong to the signing certificate",
            2,
        ),
        (
            &[&cms("rsa-2048.cert.pem"), &cms("rsa-2048.pkcs1.key.pem")],
            "openssl pkcs8 -topk8 -nocrypt",
            2,
        ),
        (
            &[
                &cms("rsa-2048.cert.pem"),
                &work.path().join("missing.key.pem"),
            ],
            "missing.key.pem",
            2,
        ),
    ];
    for (inputs, message, code) in cases {
        let assert = compile(work.path(), "dist", inputs).code(code);
        let stderr = text(&assert.get_output().stderr);
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(!work.path().join("dist").exists(), "{message}");
    }
    // One option without the other is a usage error.
    warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(repo_root().join(FIXTURE))
        .args(["--out", "dist", "--mobileconfig-cert"])
        .arg(cms("rsa-2048.cert.pem"))
        .assert()
        .code(2);
    // A certificate that has expired at the signing time (it ends in 2126); a fresh
    // folder, so the development trust root is made at that time too.
    let work = tempfile::tempdir().unwrap();
    let assert = warden()
        .current_dir(work.path())
        .env("SOURCE_DATE_EPOCH", "5000000000")
        .arg("compile")
        .arg(repo_root().join(FIXTURE))
        .args(["--out", "dist", "--mobileconfig-cert"])
        .arg(cms("rsa-2048.cert.pem"))
        .arg("--mobileconfig-key")
        .arg(cms("rsa-2048.key.pem"))
        .assert()
        .code(2);
    let stderr = text(&assert.get_output().stderr);
    assert!(stderr.contains("expired at 2126-"), "{stderr}");
    assert!(!work.path().join("dist").exists());
}

#[test]
fn a_certificate_no_profile_asks_for_signs_nothing_and_says_so() {
    let work = tempfile::tempdir().unwrap();
    let assert = warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(repo_root().join("profiles/examples/sso-only.toml"))
        .args(["--out", "dist", "--mobileconfig-cert"])
        .arg(cms("p256.cert.pem"))
        .arg("--mobileconfig-key")
        .arg(cms("p256.key.pem"))
        .assert()
        .code(0);
    let stdout = text(&assert.get_output().stdout);
    assert!(
        stdout.contains("`--mobileconfig-cert` signed nothing"),
        "{stdout}"
    );
    let files = warden_testkit::files_under(&work.path().join("dist/globex-sso-strict"));
    assert!(!files.iter().any(|f| f.contains(".signed.")), "{files:?}");
}
