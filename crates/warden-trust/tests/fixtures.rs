//! Security fixtures: one per refusal, generated deterministically from fixed seeds.
//!
//! The files under `tests/fixtures/trust/` are the output of [`fixtures`]; the test
//! `fixtures_are_current` fails when they drift. Regenerate them with
//! `WARDEN_UPDATE_FIXTURES=1 cargo test -p warden-trust --test fixtures`.
//!
//! Every fixture is verified at [`NOW`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use warden_trust::dsse::sign_envelope;
use warden_trust::keys::{KeyId, SigningKey};
use warden_trust::time::parse_utc;
use warden_trust::{
    ArtifactDigest, POLICY_PAYLOAD_TYPE, PolicyStatement, RootError, TRUST_ROOT_PAYLOAD_TYPE,
    Timestamp, TrustChain, TrustRoot, VerifiedRoot, VerifyError, VerifyOptions, Warning,
    sign_bundle, verify_accepted, verify_bundle, verify_chain,
};

/// The time every fixture is judged at.
const NOW: &str = "2026-03-01T00:00:00Z";

fn ts(text: &str) -> Timestamp {
    parse_utc(text).unwrap()
}

fn now() -> Timestamp {
    ts(NOW)
}

/// A fixture key: its seed is SHA-256 of `warden-fixture-key:<name>`.
fn key(name: &str) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("warden-fixture-key:{name}")).into();
    SigningKey::from_bytes(&seed)
}

fn id(name: &str) -> KeyId {
    KeyId::of(&key(name).verifying_key())
}

/// The body a real caller would define; strict like the statement.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Body {
    managed_settings: Value,
    rules: Vec<String>,
}

const MANAGED_SETTINGS: &[u8] = b"{\"permissions\":{\"deny\":[\"Bash(curl:*)\"]}}\n";

fn statement(
    profile: &str,
    serial: u64,
    not_before: &str,
    expires: &str,
) -> PolicyStatement<Value> {
    PolicyStatement {
        profile_id: profile.to_owned(),
        serial,
        issued_at: ts(not_before),
        not_before: ts(not_before),
        expires: ts(expires),
        trust_root_version: 1,
        manifest: BTreeMap::from([(
            "managed-settings.json".to_owned(),
            ArtifactDigest::of(MANAGED_SETTINGS),
        )]),
        body: json!({
            "managed_settings": {"permissions": {"deny": ["Bash(curl:*)"]}},
            "rules": ["require-sso"],
        }),
    }
}

fn good_statement() -> PolicyStatement<Value> {
    statement(
        "engineering",
        7,
        "2026-02-15T00:00:00Z",
        "2026-03-31T00:00:00Z",
    )
}

fn signed(statement: &PolicyStatement<Value>, signers: &[&str]) -> Vec<u8> {
    let keys: Vec<SigningKey> = signers.iter().map(|n| key(n)).collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    sign_bundle(&statement.to_json().unwrap(), &refs).to_json()
}

fn signed_bytes(payload: &[u8], signers: &[&str]) -> Vec<u8> {
    let keys: Vec<SigningKey> = signers.iter().map(|n| key(n)).collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    sign_bundle(payload, &refs).to_json()
}

fn v1(policy_threshold: u32, expires: &str) -> TrustRoot {
    let roots: Vec<_> = ["root-1", "root-2", "root-3"]
        .iter()
        .map(|n| key(n).verifying_key())
        .collect();
    let mut root = TrustRoot::initial(&roots, 2, policy_threshold, ts(expires)).unwrap();
    let far = ts("2030-01-01T00:00:00Z");
    root.add_signer(key("signer-ci").verifying_key(), far, None)
        .unwrap();
    root.add_signer(
        key("signer-finance").verifying_key(),
        far,
        Some(BTreeSet::from(["finance".to_owned()])),
    )
    .unwrap();
    root.add_signer(
        key("signer-old").verifying_key(),
        ts("2026-02-01T00:00:00Z"),
        None,
    )
    .unwrap();
    root.add_signer(key("signer-compromised").verifying_key(), far, None)
        .unwrap();
    root
}

fn chain_of(root: &TrustRoot, signers: &[&str]) -> TrustChain {
    let keys: Vec<SigningKey> = signers.iter().map(|n| key(n)).collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    // Created well before NOW so that fixtures with past expiries can be built.
    TrustChain::create(root, &refs, ts("2025-01-01T00:00:00Z")).unwrap()
}

fn extend(chain: &mut TrustChain, next: &TrustRoot, signers: &[&str]) {
    let keys: Vec<SigningKey> = signers.iter().map(|n| key(n)).collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    chain
        .extend(next, &refs, ts("2025-01-01T00:00:00Z"))
        .unwrap();
}

/// v1 (three root keys, threshold 2) and v2 revoking `signer-compromised`.
fn main_chain() -> TrustChain {
    let first = v1(1, "2030-01-01T00:00:00Z");
    let mut chain = chain_of(&first, &["root-1", "root-2"]);
    let mut second = first.next_version();
    second.revoke(&id("signer-compromised")).unwrap();
    extend(&mut chain, &second, &["root-2", "root-3"]);
    chain
}

fn rotated_root() -> TrustRoot {
    let mut second = v1(1, "2030-01-01T00:00:00Z").next_version();
    let new_roots: Vec<_> = ["root-4", "root-5"]
        .iter()
        .map(|n| key(n).verifying_key())
        .collect();
    second.set_root_keys(&new_roots, 2);
    second
}

/// Every fixture file, by name.
fn fixtures() -> BTreeMap<&'static str, Vec<u8>> {
    let mut out = BTreeMap::new();

    out.insert("trust-root.json", main_chain().to_json());
    out.insert(
        "trust-root-threshold-2.json",
        chain_of(&v1(2, "2030-01-01T00:00:00Z"), &["root-1", "root-3"]).to_json(),
    );
    out.insert(
        "trust-root-expired.json",
        chain_of(&v1(1, "2026-02-15T00:00:00Z"), &["root-1", "root-2"]).to_json(),
    );
    let mut rotated = chain_of(&v1(1, "2030-01-01T00:00:00Z"), &["root-1", "root-2"]);
    extend(
        &mut rotated,
        &rotated_root(),
        &["root-1", "root-3", "root-4", "root-5"],
    );
    out.insert("trust-root-rotated.json", rotated.to_json());
    // Built by hand: `TrustChain::extend` refuses to sign this.
    let mut envelopes = chain_of(&v1(1, "2030-01-01T00:00:00Z"), &["root-1", "root-2"])
        .envelopes()
        .to_vec();
    let (k4, k5) = (key("root-4"), key("root-5"));
    envelopes.push(sign_envelope(
        TRUST_ROOT_PAYLOAD_TYPE,
        &rotated_root().to_json(),
        &[&k4, &k5],
    ));
    let forged = TrustChain::from_json(&chain_json(&envelopes)).unwrap();
    out.insert("trust-root-rotation-new-keys-only.json", forged.to_json());

    out.insert(
        "bundle-valid.json",
        signed(&good_statement(), &["signer-ci"]),
    );
    out.insert(
        "bundle-two-signers.json",
        signed(
            &statement("finance", 7, "2026-02-15T00:00:00Z", "2026-03-31T00:00:00Z"),
            &["signer-ci", "signer-finance"],
        ),
    );
    out.insert(
        "bundle-expiring-soon.json",
        signed(
            &statement(
                "engineering",
                8,
                "2026-02-15T00:00:00Z",
                "2026-03-05T00:00:00Z",
            ),
            &["signer-ci"],
        ),
    );

    let valid = signed(&good_statement(), &["signer-ci"]);
    let mut tampered = warden_trust::Envelope::from_json(&valid).unwrap();
    let text = String::from_utf8(tampered.payload.clone()).unwrap();
    tampered.payload = text.replace("\"serial\": 7", "\"serial\": 9").into_bytes();
    assert_ne!(tampered.payload, text.as_bytes());
    out.insert("bundle-tampered-payload.json", tampered.to_json());

    let mut swapped = warden_trust::Envelope::from_json(&valid).unwrap();
    swapped.payload_type = TRUST_ROOT_PAYLOAD_TYPE.to_owned();
    out.insert("bundle-payload-type-swapped.json", swapped.to_json());

    out.insert(
        "bundle-unknown-key.json",
        signed(&good_statement(), &["stranger"]),
    );
    out.insert(
        "bundle-revoked-key.json",
        signed(&good_statement(), &["signer-compromised"]),
    );
    out.insert(
        "bundle-signer-expired.json",
        signed(&good_statement(), &["signer-old"]),
    );
    out.insert(
        "bundle-signer-not-allowed.json",
        signed(&good_statement(), &["signer-finance"]),
    );
    out.insert(
        "bundle-expired.json",
        signed(
            &statement(
                "engineering",
                7,
                "2026-02-01T00:00:00Z",
                "2026-02-20T00:00:00Z",
            ),
            &["signer-ci"],
        ),
    );
    out.insert(
        "bundle-not-yet-valid.json",
        signed(
            &statement(
                "engineering",
                7,
                "2026-03-10T00:00:00Z",
                "2026-04-30T00:00:00Z",
            ),
            &["signer-ci"],
        ),
    );
    out.insert(
        "bundle-rolled-back.json",
        signed(
            &statement(
                "engineering",
                3,
                "2026-02-15T00:00:00Z",
                "2026-03-31T00:00:00Z",
            ),
            &["signer-ci"],
        ),
    );
    out.insert(
        "bundle-duplicate-signature.json",
        signed(&good_statement(), &["signer-ci", "signer-ci"]),
    );

    let mut with_extra = serde_json::to_value(good_statement()).unwrap();
    with_extra
        .as_object_mut()
        .unwrap()
        .insert("debug".to_owned(), json!(true));
    let mut payload = serde_json::to_vec_pretty(&with_extra).unwrap();
    payload.push(b'\n');
    out.insert(
        "bundle-unknown-field.json",
        signed_bytes(&payload, &["signer-ci"]),
    );

    let text = String::from_utf8(good_statement().to_json().unwrap()).unwrap();
    let duplicated = text.replacen("{\n", "{\n  \"serial\": 99,\n", 1);
    out.insert(
        "bundle-duplicate-key.json",
        signed_bytes(duplicated.as_bytes(), &["signer-ci"]),
    );

    out.insert("README.md", readme().into_bytes());
    out
}

fn chain_json(envelopes: &[warden_trust::Envelope]) -> Vec<u8> {
    let values: Vec<Value> = envelopes
        .iter()
        .map(|e| serde_json::from_slice(&e.to_json()).unwrap())
        .collect();
    serde_json::to_vec(&values).unwrap()
}

/// (bundle, trust chain, min serial, expected refusal code or "valid").
const CASES: &[(&str, &str, Option<u64>, &str)] = &[
    ("bundle-valid.json", "trust-root.json", Some(6), "valid"),
    (
        "bundle-two-signers.json",
        "trust-root-threshold-2.json",
        None,
        "valid",
    ),
    (
        "bundle-expiring-soon.json",
        "trust-root.json",
        None,
        "valid",
    ),
    (
        "bundle-valid.json",
        "trust-root-rotated.json",
        None,
        "valid",
    ),
    (
        "bundle-tampered-payload.json",
        "trust-root.json",
        None,
        "bad-signature",
    ),
    (
        "bundle-payload-type-swapped.json",
        "trust-root.json",
        None,
        "wrong-payload-type",
    ),
    (
        "bundle-unknown-key.json",
        "trust-root.json",
        None,
        "unknown-key",
    ),
    (
        "bundle-revoked-key.json",
        "trust-root.json",
        None,
        "revoked-key",
    ),
    (
        "bundle-signer-expired.json",
        "trust-root.json",
        None,
        "signer-expired",
    ),
    (
        "bundle-signer-not-allowed.json",
        "trust-root.json",
        None,
        "signer-not-allowed",
    ),
    ("bundle-expired.json", "trust-root.json", None, "expired"),
    (
        "bundle-not-yet-valid.json",
        "trust-root.json",
        None,
        "not-yet-valid",
    ),
    (
        "bundle-rolled-back.json",
        "trust-root.json",
        Some(7),
        "serial-not-above-minimum",
    ),
    (
        "bundle-valid.json",
        "trust-root.json",
        Some(7),
        "serial-not-above-minimum",
    ),
    (
        "bundle-duplicate-signature.json",
        "trust-root-threshold-2.json",
        None,
        "below-threshold",
    ),
    (
        "bundle-valid.json",
        "trust-root-rotation-new-keys-only.json",
        None,
        "broken-chain",
    ),
    (
        "bundle-valid.json",
        "trust-root-expired.json",
        None,
        "trust-root-expired",
    ),
    (
        "bundle-unknown-field.json",
        "trust-root.json",
        None,
        "malformed",
    ),
    (
        "bundle-duplicate-key.json",
        "trust-root.json",
        None,
        "malformed",
    ),
];

fn readme() -> String {
    let mut text = format!(
        "# Trust fixtures\n\n\
         Generated by `crates/warden-trust/tests/fixtures.rs` from fixed seeds; do not edit.\n\
         Regenerate with `WARDEN_UPDATE_FIXTURES=1 cargo test -p warden-trust --test fixtures`.\n\n\
         Verify each at `{NOW}`, e.g.\n\
         `warden verify bundle-valid.json --trust trust-root.json --now {NOW}`.\n\n\
         | bundle | trust chain | --min-serial | verdict |\n|---|---|---|---|\n"
    );
    for (bundle, chain, min, expected) in CASES {
        let min = min.map_or_else(|| "-".to_owned(), |m| m.to_string());
        text.push_str(&format!("| {bundle} | {chain} | {min} | {expected} |\n"));
    }
    text
}

fn fixture_dir() -> PathBuf {
    warden_testkit::repo_root().join("tests/fixtures/trust")
}

#[test]
fn fixtures_are_current() {
    let fixtures = fixtures();
    let dir = fixture_dir();
    if std::env::var_os("WARDEN_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &fixtures {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate the fixtures", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = fixtures.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        on_disk, expected,
        "fixture files differ from the generator's"
    );
    for (name, bytes) in &fixtures {
        let current = std::fs::read(dir.join(name)).unwrap();
        assert!(
            current == *bytes,
            "{name} is stale; run WARDEN_UPDATE_FIXTURES=1 cargo test -p warden-trust --test fixtures"
        );
    }
}

fn verify(
    bundle: &str,
    chain: &str,
    min_serial: Option<u64>,
) -> Result<warden_trust::VerifiedBundle<Body>, VerifyError> {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures[chain])?;
    let root = verify_chain(&chain, None, now())?;
    let options = VerifyOptions {
        min_serial,
        ..VerifyOptions::at(now())
    };
    verify_bundle::<Body>(&fixtures[bundle], &root, &options)
}

#[test]
fn every_case_gets_its_verdict() {
    for (bundle, chain, min, expected) in CASES {
        let code = match verify(bundle, chain, *min) {
            Ok(_) => "valid",
            Err(e) => e.code(),
        };
        assert_eq!(code, *expected, "{bundle} against {chain}");
    }
}

#[test]
fn valid_bundle_returns_the_verified_bytes() {
    let verified = verify("bundle-valid.json", "trust-root.json", Some(6)).unwrap();
    assert_eq!(verified.statement.serial, 7);
    assert_eq!(verified.statement.profile_id, "engineering");
    assert_eq!(verified.payload, good_statement().to_json().unwrap());
    assert_eq!(verified.signers, vec![id("signer-ci")]);
    assert!(verified.warnings.is_empty());
    assert!(verified.statement.manifest["managed-settings.json"].matches(MANAGED_SETTINGS));
    assert_eq!(
        verified.statement.body.rules,
        vec!["require-sso".to_owned()]
    );
}

#[test]
fn tampered_payload_is_a_bad_signature() {
    let err = verify("bundle-tampered-payload.json", "trust-root.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::BadSignature {
            keyid: id("signer-ci").to_string()
        }
    );
}

#[test]
fn swapped_payload_type_is_refused() {
    let err = verify("bundle-payload-type-swapped.json", "trust-root.json", None).unwrap_err();
    assert!(
        matches!(err, VerifyError::WrongPayloadType { found, .. } if found == TRUST_ROOT_PAYLOAD_TYPE)
    );
}

#[test]
fn unknown_key_is_refused() {
    let err = verify("bundle-unknown-key.json", "trust-root.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::UnknownKey {
            keyid: id("stranger").to_string()
        }
    );
}

#[test]
fn unknown_key_without_a_hint_is_still_refused() {
    let mut env =
        warden_trust::Envelope::from_json(&fixtures()["bundle-unknown-key.json"]).unwrap();
    env.signatures[0].keyid = id("signer-ci").to_string();
    // A hint naming a trusted key does not make the signature that key's.
    let chain = TrustChain::from_json(&fixtures()["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    let err = verify_bundle::<Body>(&env.to_json(), &root, &VerifyOptions::at(now())).unwrap_err();
    assert_eq!(err.code(), "bad-signature");
    env.signatures[0].keyid = String::new();
    let err = verify_bundle::<Body>(&env.to_json(), &root, &VerifyOptions::at(now())).unwrap_err();
    assert_eq!(err.code(), "unknown-key");
}

#[test]
fn revoked_key_is_refused_after_rotation_revokes_it() {
    let err = verify("bundle-revoked-key.json", "trust-root.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::RevokedKey {
            keyid: id("signer-compromised").to_string()
        }
    );
    // Under version 1 alone the same bundle was fine.
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let v1 = VerifiedRoot::pin(&chain.envelopes()[0].to_json()).unwrap();
    assert!(
        verify_bundle::<Body>(
            &fixtures["bundle-revoked-key.json"],
            &v1,
            &VerifyOptions::at(now())
        )
        .is_ok()
    );
}

#[test]
fn expired_signer_and_out_of_scope_signer_are_refused() {
    let err = verify("bundle-signer-expired.json", "trust-root.json", None).unwrap_err();
    assert!(
        matches!(err, VerifyError::SignerExpired { keyid, .. } if keyid == id("signer-old").as_str())
    );
    let err = verify("bundle-signer-not-allowed.json", "trust-root.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::SignerNotAllowed {
            keyid: id("signer-finance").to_string(),
            profile_id: "engineering".to_owned()
        }
    );
}

#[test]
fn expected_profile_is_checked_before_parsing_and_after() {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    let for_profile = |p: &str| VerifyOptions {
        profile_id: Some(p.to_owned()),
        ..VerifyOptions::at(now())
    };
    let err = verify_bundle::<Body>(
        &fixtures["bundle-signer-not-allowed.json"],
        &root,
        &for_profile("engineering"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "signer-not-allowed");
    let err = verify_bundle::<Body>(
        &fixtures["bundle-valid.json"],
        &root,
        &for_profile("finance"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        VerifyError::ProfileMismatch {
            expected: "finance".to_owned(),
            found: "engineering".to_owned()
        }
    );
    assert!(
        verify_bundle::<Body>(
            &fixtures["bundle-valid.json"],
            &root,
            &for_profile("engineering")
        )
        .is_ok()
    );
}

#[test]
fn time_window_has_a_small_skew_on_not_before_only() {
    let err = verify("bundle-expired.json", "trust-root.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::Expired {
            expires: ts("2026-02-20T00:00:00Z"),
            now: now()
        }
    );
    let err = verify("bundle-not-yet-valid.json", "trust-root.json", None).unwrap_err();
    assert_eq!(err.code(), "not-yet-valid");

    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    let bundle = &fixtures["bundle-not-yet-valid.json"];
    let four_minutes_early = VerifyOptions::at(ts("2026-03-09T23:56:00Z"));
    assert!(verify_bundle::<Body>(bundle, &root, &four_minutes_early).is_ok());
    let six_minutes_early = VerifyOptions::at(ts("2026-03-09T23:54:00Z"));
    assert_eq!(
        verify_bundle::<Body>(bundle, &root, &six_minutes_early)
            .unwrap_err()
            .code(),
        "not-yet-valid"
    );
    let at_expiry = VerifyOptions::at(ts("2026-04-30T00:00:00Z"));
    assert_eq!(
        verify_bundle::<Body>(bundle, &root, &at_expiry)
            .unwrap_err()
            .code(),
        "expired"
    );
}

#[test]
fn rolled_back_serial_is_refused() {
    let err = verify("bundle-rolled-back.json", "trust-root.json", Some(7)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::SerialNotAbove {
            serial: 3,
            minimum: 7
        }
    );
}

#[test]
fn duplicated_signature_counts_once() {
    let err = verify(
        "bundle-duplicate-signature.json",
        "trust-root-threshold-2.json",
        None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        VerifyError::BelowThreshold {
            valid: 1,
            required: 2
        }
    );
    let two = verify(
        "bundle-two-signers.json",
        "trust-root-threshold-2.json",
        None,
    )
    .unwrap();
    assert_eq!(two.signers.len(), 2);
}

#[test]
fn rotation_signed_only_by_new_keys_breaks_the_chain() {
    let err = verify(
        "bundle-valid.json",
        "trust-root-rotation-new-keys-only.json",
        None,
    )
    .unwrap_err();
    match err {
        VerifyError::BrokenChain { version, reason } => {
            assert_eq!(version, 2);
            assert!(reason.contains("0 of version 1's root keys"), "{reason}");
        }
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn proper_rotation_is_followed() {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root-rotated.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    assert_eq!(root.version(), 2);
    assert!(root.root().root_keys.contains_key(&id("root-4")));
    assert!(!root.root().root_keys.contains_key(&id("root-1")));
}

#[test]
fn expired_trust_root_is_refused() {
    let err = verify("bundle-valid.json", "trust-root-expired.json", None).unwrap_err();
    assert_eq!(
        err,
        VerifyError::TrustRootExpired {
            version: 1,
            expires: ts("2026-02-15T00:00:00Z")
        }
    );
}

#[test]
fn unknown_field_and_duplicate_key_fail_strict_parsing() {
    let err = verify("bundle-unknown-field.json", "trust-root.json", None).unwrap_err();
    assert!(err.to_string().contains("unknown field `debug`"), "{err}");
    let err = verify("bundle-duplicate-key.json", "trust-root.json", None).unwrap_err();
    assert!(err.to_string().contains("duplicate key `serial`"), "{err}");
}

#[test]
fn oversized_envelope_is_refused_before_parsing() {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    // Not even JSON: the cap must come first.
    let huge = vec![b'x'; warden_trust::MAX_BUNDLE_BYTES + 1];
    let err = verify_bundle::<Body>(&huge, &root, &VerifyOptions::at(now())).unwrap_err();
    assert_eq!(
        err,
        VerifyError::Oversized {
            what: "bundle",
            size: warden_trust::MAX_BUNDLE_BYTES + 1,
            max: warden_trust::MAX_BUNDLE_BYTES
        }
    );
    let huge_chain = vec![b' '; warden_trust::MAX_TRUST_CHAIN_BYTES + 1];
    assert_eq!(
        TrustChain::from_json(&huge_chain).unwrap_err().code(),
        "oversized"
    );
}

#[test]
fn too_many_signatures_are_refused() {
    let payload = good_statement().to_json().unwrap();
    let k = key("signer-ci");
    let keys: Vec<&SigningKey> =
        std::iter::repeat_n(&k, warden_trust::MAX_SIGNATURES + 1).collect();
    let bundle = sign_bundle(&payload, &keys).to_json();
    let chain = TrustChain::from_json(&fixtures()["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    let err = verify_bundle::<Body>(&bundle, &root, &VerifyOptions::at(now())).unwrap_err();
    assert_eq!(err.code(), "malformed");
}

#[test]
fn every_flipped_signature_bit_is_refused() {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let root = verify_chain(&chain, None, now()).unwrap();
    let env = warden_trust::Envelope::from_json(&fixtures["bundle-valid.json"]).unwrap();
    for bit in 0..512 {
        let mut bad = env.clone();
        bad.signatures[0].sig[bit / 8] ^= 1 << (bit % 8);
        let err =
            verify_bundle::<Body>(&bad.to_json(), &root, &VerifyOptions::at(now())).unwrap_err();
        assert_eq!(err.code(), "bad-signature", "bit {bit}");
    }
    for byte in 0..env.payload.len() {
        let mut bad = env.clone();
        bad.payload[byte] ^= 0x01;
        assert!(
            verify_bundle::<Body>(&bad.to_json(), &root, &VerifyOptions::at(now())).is_err(),
            "payload byte {byte}"
        );
    }
}

#[test]
fn warnings_for_short_remaining_validity() {
    let verified = verify("bundle-expiring-soon.json", "trust-root.json", None).unwrap();
    assert_eq!(
        verified.warnings,
        vec![Warning::BundleExpiresSoon {
            serial: 8,
            expires: ts("2026-03-05T00:00:00Z"),
            days_left: 4
        }]
    );
    let chain = TrustChain::from_json(&fixtures()["trust-root.json"]).unwrap();
    let late = ts("2029-12-01T00:00:00Z");
    let root = verify_chain(&chain, None, late).unwrap();
    assert_eq!(
        root.warnings(late),
        vec![Warning::TrustRootExpiresSoon {
            version: 2,
            expires: ts("2030-01-01T00:00:00Z"),
            days_left: 31
        }]
    );
}

#[test]
fn pinned_root_refuses_rollback_and_forks() {
    let fixtures = fixtures();
    let chain = TrustChain::from_json(&fixtures["trust-root.json"]).unwrap();
    let v2 = verify_chain(&chain, None, now()).unwrap();
    // The stored highest version re-anchors on the next run.
    let pinned_v2 = VerifiedRoot::pin(&v2.envelope().to_json()).unwrap();
    assert_eq!(pinned_v2, v2);

    let v1 = VerifiedRoot::pin(&chain.envelopes()[0].to_json()).unwrap();
    assert_eq!(verify_chain(&chain, Some(&v1), now()).unwrap().version(), 2);
    assert_eq!(verify_chain(&chain, Some(&v2), now()).unwrap().version(), 2);

    let only_v1 = TrustChain::from_json(&chain_json(&chain.envelopes()[..1])).unwrap();
    assert_eq!(
        verify_chain(&only_v1, Some(&v2), now()).unwrap_err(),
        VerifyError::TrustRootRollback {
            pinned: 2,
            offered: 1
        }
    );

    let other = TrustChain::from_json(&fixtures["trust-root-rotated.json"]).unwrap();
    let err = verify_chain(&other, Some(&v2), now()).unwrap_err();
    assert_eq!(err.code(), "broken-chain");
}

#[test]
fn tampered_trust_root_version_breaks_the_chain() {
    let chain = main_chain();
    let mut envelopes = chain.envelopes().to_vec();
    let text = String::from_utf8(envelopes[1].payload.clone()).unwrap();
    envelopes[1].payload = text
        .replace("\"policy_threshold\": 1", "\"policy_threshold\": 2")
        .into_bytes();
    let tampered = TrustChain::from_json(&chain_json(&envelopes)).unwrap();
    let err = verify_chain(&tampered, None, now()).unwrap_err();
    assert!(
        matches!(err, VerifyError::BrokenChain { version: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn builder_refuses_under_signed_versions() {
    let first = v1(1, "2030-01-01T00:00:00Z");
    let lone = key("root-1");
    let err = TrustChain::create(&first, &[&lone], now()).unwrap_err();
    assert!(
        matches!(err, RootError::Unauthorized { version: 1, .. }),
        "{err:?}"
    );

    let mut chain = chain_of(&first, &["root-1", "root-2"]);
    let (k4, k5) = (key("root-4"), key("root-5"));
    let err = chain
        .extend(&rotated_root(), &[&k4, &k5], now())
        .unwrap_err();
    assert!(
        matches!(err, RootError::Unauthorized { version: 2, .. }),
        "{err:?}"
    );

    let mut skipped = first.next_version().next_version();
    skipped.expires = ts("2031-01-01T00:00:00Z");
    let (k1, k2) = (key("root-1"), key("root-2"));
    let err = chain.extend(&skipped, &[&k1, &k2], now()).unwrap_err();
    assert!(
        matches!(
            err,
            RootError::Version {
                previous: 1,
                found: 3
            }
        ),
        "{err:?}"
    );

    let mut past = first.next_version();
    past.expires = ts("2026-01-01T00:00:00Z");
    let err = chain.extend(&past, &[&k1, &k2], now()).unwrap_err();
    assert!(matches!(err, RootError::ExpiresInPast { .. }), "{err:?}");

    assert!(matches!(
        first.clone().revoke(&id("root-1")),
        Err(RootError::RevokeRootKey(_))
    ));
    assert!(matches!(
        TrustRoot::initial(&[k1.verifying_key()], 2, 1, now()),
        Err(RootError::Threshold { role: "root", .. })
    ));
}

#[test]
fn payload_type_of_a_bundle_is_bound_into_the_signature() {
    // A bundle envelope relabelled as a trust root cannot extend a chain.
    let chain = main_chain();
    let mut envelopes = chain.envelopes().to_vec();
    let bundle = warden_trust::Envelope::from_json(&fixtures()["bundle-valid.json"]).unwrap();
    let mut relabelled = bundle.clone();
    relabelled.payload_type = TRUST_ROOT_PAYLOAD_TYPE.to_owned();
    envelopes.push(relabelled);
    let err = verify_chain(
        &TrustChain::from_json(&chain_json(&envelopes)).unwrap(),
        None,
        now(),
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::BrokenChain { version: 3, .. }));
    assert_eq!(bundle.payload_type, POLICY_PAYLOAD_TYPE);
}

#[test]
fn version_zero_cannot_be_pinned() {
    let mut root = v1(1, "2030-01-01T00:00:00Z");
    root.version = 0;
    let (k1, k2) = (key("root-1"), key("root-2"));
    let envelope = sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &root.to_json(), &[&k1, &k2]);
    let err = VerifiedRoot::pin(&envelope.to_json()).unwrap_err();
    assert_eq!(err.code(), "broken-chain");
}

#[test]
fn state_untrusted_an_accepted_chain_must_start_at_the_installed_root() {
    let installed = main_chain();
    let v2 = verify_accepted(&installed, &installed).unwrap();
    assert_eq!(v2.version(), 2);
    assert_eq!(
        verify_accepted(&installed, &installed.up_to(1))
            .unwrap()
            .version(),
        1
    );

    // A chain of its own, however well signed, does not chain to the installed root.
    let stranger = chain_of(&rotated_root_as_v1(), &["root-4", "root-5"]);
    let err = verify_accepted(&installed, &stranger).unwrap_err();
    assert!(
        matches!(err, VerifyError::BrokenChain { version: 1, .. }),
        "{err:?}"
    );
    // Neither does a self-signed version 99 stored on its own.
    let mut lone = rotated_root_as_v1();
    lone.version = 99;
    let (k4, k5) = (key("root-4"), key("root-5"));
    let envelope = sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &lone.to_json(), &[&k4, &k5]);
    let forged = TrustChain::from_json(&chain_json(&[envelope])).unwrap();
    assert_eq!(
        verify_accepted(&installed, &forged).unwrap_err().code(),
        "broken-chain"
    );
}

fn rotated_root_as_v1() -> TrustRoot {
    let roots: Vec<_> = ["root-4", "root-5"]
        .iter()
        .map(|n| key(n).verifying_key())
        .collect();
    TrustRoot::initial(&roots, 2, 1, ts("2030-01-01T00:00:00Z")).unwrap()
}

#[test]
fn serial_floor_reset_is_read_from_versions_above_the_pin_only() {
    let first = v1(1, "2030-01-01T00:00:00Z");
    let mut chain = chain_of(&first, &["root-1", "root-2"]);
    let mut second = first.next_version();
    second.revoke(&id("signer-compromised")).unwrap();
    second.serial_resets.insert("acme".to_owned(), 41);
    extend(&mut chain, &second, &["root-1", "root-2"]);
    // The next version does not carry the reset over.
    let third = second.next_version();
    assert!(third.serial_resets.is_empty());
    extend(&mut chain, &third, &["root-1", "root-2"]);

    let resets = |after| chain.serial_resets_after(after).unwrap();
    assert_eq!(resets(0).get("acme"), Some(&41));
    assert_eq!(resets(1).get("acme"), Some(&41));
    assert!(
        resets(2).is_empty(),
        "an endpoint pinned at 2 already applied it"
    );
    // A root without resets serializes exactly as before the field existed.
    assert!(
        !String::from_utf8(first.to_json())
            .unwrap()
            .contains("serial_resets")
    );
    // The reset is signed like everything else: tampering breaks the chain.
    let mut envelopes = chain.envelopes().to_vec();
    let text = String::from_utf8(envelopes[1].payload.clone()).unwrap();
    envelopes[1].payload = text.replace("\"acme\": 41", "\"acme\": 0").into_bytes();
    let tampered = TrustChain::from_json(&chain_json(&envelopes)).unwrap();
    assert_eq!(
        verify_chain(&tampered, None, now()).unwrap_err().code(),
        "broken-chain"
    );
}
