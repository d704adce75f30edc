//! `warden keygen`, `warden trust …` and `warden verify` run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use warden_trust::keyfile;
use warden_trust::time::parse_utc;

/// The time the trust fixtures are judged at (see tests/fixtures/trust/README.md).
const NOW: &str = "2026-03-01T00:00:00Z";

fn fixtures() -> PathBuf {
    warden_testkit::repo_root().join("tests/fixtures/trust")
}

fn run(args: &[&str]) -> Output {
    warden_testkit::command(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn verify_json(bundle: &str, chain: &str, min_serial: Option<&str>) -> (i32, Value) {
    let bundle = fixtures().join(bundle);
    let chain = fixtures().join(chain);
    let mut args = vec![
        "verify",
        s(&bundle),
        "--trust",
        s(&chain),
        "--now",
        NOW,
        "--format",
        "json",
    ];
    if let Some(min) = min_serial {
        args.extend(["--min-serial", min]);
    }
    let out = run(&args);
    (code(&out), serde_json::from_slice(&out.stdout).unwrap())
}

/// Every row of the fixture table gets its verdict from the binary, with exit code 0
/// for valid and 1 for each refusal.
#[test]
fn every_fixture_gets_its_verdict() {
    let readme = std::fs::read_to_string(fixtures().join("README.md")).unwrap();
    let rows: Vec<Vec<&str>> = readme
        .lines()
        .filter(|l| l.starts_with("| bundle-"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert!(rows.len() >= 19, "fixture table has {} rows", rows.len());
    for row in rows {
        let [bundle, chain, min, expected] = row[..] else {
            panic!("bad row {row:?}");
        };
        let min = (min != "-").then_some(min);
        let (exit, report) = verify_json(bundle, chain, min);
        if expected == "valid" {
            assert_eq!(exit, 0, "{bundle} against {chain}: {report}");
            assert_eq!(report["valid"], true);
        } else {
            assert_eq!(exit, 1, "{bundle} against {chain}: {report}");
            assert_eq!(report["valid"], false);
            assert_eq!(
                report["reason"]["code"], expected,
                "{bundle} against {chain}"
            );
        }
    }
}

#[test]
fn valid_bundle_text_report() {
    let out = run(&[
        "verify",
        s(&fixtures().join("bundle-valid.json")),
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(stderr(&out), "");
    insta::assert_snapshot!("verify_valid", stdout(&out));
}

#[test]
fn refusal_text_report_names_one_reason() {
    let out = run(&[
        "verify",
        s(&fixtures().join("bundle-revoked-key.json")),
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!("verify_revoked", stdout(&out));

    let out = run(&[
        "verify",
        s(&fixtures().join("bundle-rolled-back.json")),
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
        "--min-serial",
        "7",
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "refused [serial-not-above-minimum]: serial 3 is not above the minimum 7\n"
    );
}

#[test]
fn warnings_go_to_stderr() {
    let out = run(&[
        "verify",
        s(&fixtures().join("bundle-expiring-soon.json")),
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stderr(&out),
        "warning: bundle serial 8 expires at 2026-03-05T00:00:00Z (4 days left); re-sign it\n"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"][0]["code"], "bundle-expires-soon");
}

#[test]
fn profile_option_is_enforced() {
    let out = run(&[
        "verify",
        s(&fixtures().join("bundle-valid.json")),
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
        "--profile",
        "finance",
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).starts_with("refused [profile-mismatch]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn oversized_bundle_is_refused_and_io_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; warden_trust::MAX_BUNDLE_BYTES + 10]).unwrap();
    let chain = fixtures().join("trust-root.json");
    let out = run(&["verify", s(&big), "--trust", s(&chain), "--now", NOW]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).starts_with("refused [oversized]"),
        "{}",
        stdout(&out)
    );

    let missing = dir.path().join("missing.json");
    let out = run(&["verify", s(&missing), "--trust", s(&chain), "--now", NOW]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot access"), "{}", stderr(&out));

    let out = run(&[
        "verify",
        s(&big),
        "--trust",
        s(&chain),
        "--now",
        "yesterday",
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn trust_show_lists_versions() {
    let out = run(&[
        "trust",
        "show",
        "--trust",
        s(&fixtures().join("trust-root.json")),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out).replace(s(&fixtures()), "[FIXTURES]");
    insta::assert_snapshot!("trust_show", text);

    let out = run(&[
        "trust",
        "show",
        "--trust",
        s(&fixtures().join("trust-root-rotation-new-keys-only.json")),
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).starts_with("refused [broken-chain]"),
        "{}",
        stdout(&out)
    );

    let out = run(&[
        "trust",
        "show",
        "--trust",
        s(&fixtures().join("trust-root-expired.json")),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("expired at 2026-02-15T00:00:00Z"),
        "{}",
        stderr(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["trust_roots"][0]["root_threshold"], 2);
}

#[test]
fn keygen_writes_a_private_key_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signer.pem");
    let public = dir.path().join("signer.pub");
    let out = run(&["keygen", "--out", s(&key), "--public", s(&public)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let signing = keyfile::read_signing_key(&key).unwrap();
    assert_eq!(
        keyfile::read_public_key(&public).unwrap(),
        signing.verifying_key()
    );
    let id = warden_trust::KeyId::of(&signing.verifying_key());
    assert!(
        stdout(&out).starts_with(&format!("key id: {id}\n")),
        "{}",
        stdout(&out)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let out = run(&["keygen", "--out", s(&key)]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(
        keyfile::read_signing_key(&key).unwrap().to_bytes(),
        signing.to_bytes(),
        "a refused keygen must not touch the key"
    );
    let out = run(&["keygen", "--out", s(&key), "--force"]);
    assert_eq!(code(&out), 0);
    assert_ne!(
        keyfile::read_signing_key(&key).unwrap().to_bytes(),
        signing.to_bytes()
    );
}

#[test]
fn keygen_output_is_read_by_openssl() {
    let Some(openssl) = warden_testkit::require_tool("openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let public = dir.path().join("k.pub");
    assert_eq!(
        code(&run(&["keygen", "--out", s(&key), "--public", s(&public)])),
        0
    );
    let pem =
        warden_testkit::stdout_of(Command::new(openssl).args(["pkey", "-in", s(&key), "-pubout"]));
    assert_eq!(pem, std::fs::read_to_string(&public).unwrap());
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.pem"));
    let out = run(&["keygen", "--out", s(&path)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    path
}

fn sign_bundle(dir: &Path, signer: &Path, serial: u64) -> PathBuf {
    let key = keyfile::read_signing_key(signer).unwrap();
    let statement = serde_json::json!({
        "profile_id": "engineering",
        "serial": serial,
        "issued_at": "2026-03-01T00:00:00Z",
        "not_before": "2026-03-01T00:00:00Z",
        "expires": "2026-04-01T00:00:00Z",
        "trust_root_version": 1,
        "manifest": {},
        "body": {"rules": []}
    });
    let bytes = serde_json::to_vec_pretty(&statement).unwrap();
    let path = dir.join(format!("bundle-{serial}.json"));
    std::fs::write(&path, warden_trust::sign_bundle(&bytes, &[&key]).to_json()).unwrap();
    path
}

/// The life of a trust root: init, add a signer, verify, revoke, rotate.
#[test]
fn trust_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [r1, r2, r3, r4, r5, ci] =
        ["root-1", "root-2", "root-3", "root-4", "root-5", "ci"].map(|n| keygen(d, n));
    let trust = d.join("trust-root.json");
    let t = s(&trust);
    let expires = "2099-01-01T00:00:00Z";

    let out = run(&[
        "trust",
        "init",
        "--out",
        t,
        "--root-key",
        s(&r1),
        "--root-key",
        s(&r2),
        "--root-key",
        s(&r3),
        "--root-threshold",
        "2",
        "--expires",
        expires,
        "--sign-with",
        s(&r1),
    ]);
    assert_eq!(code(&out), 2, "one signature cannot meet a threshold of 2");
    assert!(!trust.exists());

    let out = run(&[
        "trust",
        "init",
        "--out",
        t,
        "--root-key",
        s(&r1),
        "--root-key",
        s(&r2),
        "--root-key",
        s(&r3),
        "--root-threshold",
        "2",
        "--expires",
        expires,
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r2),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = run(&[
        "trust",
        "add-signer",
        "--trust",
        t,
        "--signer",
        s(&ci),
        "--signer-expires",
        expires,
        "--profile",
        "engineering",
        "--sign-with",
        s(&r2),
        "--sign-with",
        s(&r3),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("wrote trust root version 2"),
        "{}",
        stdout(&out)
    );

    let bundle = sign_bundle(d, &ci, 1);
    let now = "2026-03-02T00:00:00Z";
    let out = run(&["verify", s(&bundle), "--trust", t, "--now", now]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    let ci_id = warden_trust::KeyId::of(&keyfile::read_public_key(&ci).unwrap()).to_string();
    let out = run(&[
        "trust",
        "revoke",
        "--trust",
        t,
        "--key-id",
        &ci_id,
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r3),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&["verify", s(&bundle), "--trust", t, "--now", now]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).starts_with("refused [revoked-key]"),
        "{}",
        stdout(&out)
    );

    // A rotation signed only by the new root keys is refused and the file is unchanged.
    let before = std::fs::read(&trust).unwrap();
    let out = run(&[
        "trust",
        "rotate",
        "--trust",
        t,
        "--root-key",
        s(&r4),
        "--root-key",
        s(&r5),
        "--root-threshold",
        "2",
        "--sign-with",
        s(&r4),
        "--sign-with",
        s(&r5),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("0 of version 3's root keys"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&trust).unwrap(), before);

    let out = run(&[
        "trust",
        "rotate",
        "--trust",
        t,
        "--root-key",
        s(&r4),
        "--root-key",
        s(&r5),
        "--root-threshold",
        "2",
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r2),
        "--sign-with",
        s(&r4),
        "--sign-with",
        s(&r5),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = run(&["trust", "show", "--trust", t, "--format", "json"]);
    assert_eq!(code(&out), 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let roots = report["trust_roots"].as_array().unwrap();
    assert_eq!(roots.len(), 4);
    assert_eq!(roots[3]["root_keys"].as_object().unwrap().len(), 2);
    assert_eq!(roots[3]["revoked"][0], ci_id.as_str());

    // The rotated chain still verifies from version 1 with the library.
    let chain = warden_trust::TrustChain::from_json(&std::fs::read(&trust).unwrap()).unwrap();
    let root = warden_trust::verify_chain(&chain, None, parse_utc(now).unwrap()).unwrap();
    assert_eq!(root.version(), 4);
}

/// Compromise recovery: one version revokes the stolen key and resets the serial
/// endpoints accepted for its profile.
#[test]
fn serial_floor_reset_is_signed_by_the_root_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [r1, r2, r3, ci, ci2] = ["root-1", "root-2", "root-3", "ci", "ci-2"].map(|n| keygen(d, n));
    let trust = d.join("trust-root.json");
    let t = s(&trust);
    let expires = "2099-01-01T00:00:00Z";
    let out = run(&[
        "trust",
        "init",
        "--out",
        t,
        "--root-key",
        s(&r1),
        "--root-key",
        s(&r2),
        "--root-key",
        s(&r3),
        "--root-threshold",
        "2",
        "--expires",
        expires,
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r2),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&[
        "trust",
        "add-signer",
        "--trust",
        t,
        "--signer",
        s(&ci),
        "--signer-expires",
        expires,
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r2),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ci_id = warden_trust::KeyId::of(&keyfile::read_public_key(&ci).unwrap()).to_string();

    // Below the root threshold: refused, the file unchanged.
    let before = std::fs::read(&trust).unwrap();
    let reset = |serial: &str, signers: &[&Path]| {
        let mut args = vec![
            "trust",
            "reset-serial",
            "--trust",
            t,
            "--profile",
            "engineering",
            "--serial",
            serial,
            "--revoke",
            &ci_id,
        ];
        for k in signers {
            args.extend(["--sign-with", s(k)]);
        }
        run(&args)
    };
    let out = reset("0", &[&r1]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert_eq!(std::fs::read(&trust).unwrap(), before);
    // Above what a REG_DWORD carries: a usage error.
    let out = reset("4294967296", &[&r1, &r2]);
    assert_eq!(code(&out), 2);
    assert_eq!(std::fs::read(&trust).unwrap(), before);

    let out = reset("0", &[&r1, &r3]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("wrote trust root version 3"),
        "{}",
        stdout(&out)
    );
    let out = run(&["trust", "show", "--trust", t, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v3 = &report["trust_roots"][2];
    assert_eq!(v3["serial_resets"]["engineering"], 0);
    assert_eq!(v3["revoked"][0], ci_id.as_str());
    let text = stdout(&run(&["trust", "show", "--trust", t]));
    assert!(
        text.contains("serial reset: profile engineering to 0"),
        "{text}"
    );

    // The next version does not carry the reset again.
    let out = run(&[
        "trust",
        "add-signer",
        "--trust",
        t,
        "--signer",
        s(&ci2),
        "--signer-expires",
        expires,
        "--sign-with",
        s(&r1),
        "--sign-with",
        s(&r2),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&["trust", "show", "--trust", t, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["trust_roots"][3].get("serial_resets").is_none(),
        "{report}"
    );
}
