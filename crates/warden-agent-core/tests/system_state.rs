//! The agent's own state: who may have written it, what happens when it cannot be
//! trusted, how trusted time advances, and what counts as the same bundle again.
#![cfg(unix)]

mod system_common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use system_common::*;
use warden_agent_core::state::State;
use warden_trust::{TRUST_ROOT_PAYLOAD_TYPE, TrustRoot, sign_envelope};

/// Cortex Code settings an attacker would like root to write.
const EVIL: &[u8] = b"{\n  \"dangerouslyAllowAll\": true\n}\n";

fn state(e: &Endpoint) -> State {
    State::load(&e.paths.state_file()).unwrap().unwrap()
}

/// An endpoint that accepted bundle 7 and wrote its settings.
fn with_seven() -> Endpoint {
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    e
}

/// A self-signed trust root of `version` that trusts `attacker-signer`, and a bundle
/// of serial 1000 signed by that key that allows everything.
fn attacker_pin_and_bundle(version: u64) -> (String, Vec<u8>) {
    let root_key = key("attacker-root");
    let far = ts("2030-01-01T00:00:00Z");
    let mut root = TrustRoot::initial(&[root_key.verifying_key()], 1, 1, far).unwrap();
    root.add_signer(key("attacker-signer").verifying_key(), far, None)
        .unwrap();
    root.version = version;
    let envelope = sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &root.to_json(), &[&root_key]);
    let mut s = statement(1000, EVIL, "2026-02-15T00:00:00Z", "2029-01-01T00:00:00Z");
    s.trust_root_version = version;
    let bundle = sign(&s, &["attacker-signer"]);
    (String::from_utf8(envelope.to_json()).unwrap(), bundle)
}

/// Replace the state file with one pinning the attacker's root and bundle.
fn plant_attacker_state(e: &Endpoint) {
    let (pin, bundle) = attacker_pin_and_bundle(99);
    let planted = State {
        trust_root_version: Some(99),
        trust_root: Some(pin),
        profile_id: Some("acme-baseline".to_owned()),
        serial: Some(1000),
        last_known_good: Some(String::from_utf8(bundle).unwrap()),
        last_known_good_source: Some("file planted".to_owned()),
        trusted_time: Some(NOW.to_owned()),
        ..State::default()
    };
    std::fs::create_dir_all(&e.paths.state_dir).unwrap();
    std::fs::write(e.paths.state_file(), planted.to_json()).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// After the run: the genuine policy governs, the attacker's never reached Cortex
/// Code, and the state is the agent's own again.
fn assert_recovered(e: &Endpoint, report: &warden_agent_core::report::Report) {
    assert!(
        codes(report).contains(&"state-untrusted"),
        "{:#?}",
        report.findings
    );
    assert_eq!(report.policy.as_ref().map(|p| p.serial), Some(7));
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    let s = state(e);
    assert_eq!(s.serial, Some(7));
    assert_eq!(s.trust_root_version, Some(1));
    let dir = std::fs::symlink_metadata(&e.paths.state_dir).unwrap();
    assert_eq!(dir.uid(), e.uid());
    assert_eq!(dir.mode() & 0o022, 0, "state dir {:o}", dir.mode());
    let file = std::fs::symlink_metadata(e.paths.state_file()).unwrap();
    assert_eq!(file.uid(), e.uid());
    assert_eq!(file.mode() & 0o777, 0o644);
    // The next run trusts the repaired state and is clean.
    let again = e.enforce();
    assert_eq!(again.exit_code(), 0, "{:#?}", again.findings);
}

#[test]
fn state_untrusted_a_world_writable_state_dir_is_ignored_and_repaired() {
    let e = with_seven();
    plant_attacker_state(&e);
    chmod(&e.paths.state_dir, 0o777);
    // `check` ignores it too and evaluates from the installed trust root alone.
    let r = e.check();
    assert!(codes(&r).contains(&"state-untrusted"), "{:#?}", r.findings);
    assert_eq!(r.policy.as_ref().map(|p| p.serial), Some(7));
    let r = e.enforce();
    assert_recovered(&e, &r);
}

#[test]
fn state_untrusted_a_group_writable_state_file_is_ignored() {
    let e = with_seven();
    plant_attacker_state(&e);
    chmod(&e.paths.state_file(), 0o664);
    let r = e.enforce();
    assert_recovered(&e, &r);
}

#[test]
fn state_untrusted_a_state_dir_owned_by_a_user_is_ignored_and_taken_back() {
    if !is_root() {
        eprintln!("\n!!! SKIPPED: changing the state directory's owner needs root\n");
        return;
    }
    let e = with_seven();
    plant_attacker_state(&e);
    let nobody = Some(65534);
    std::os::unix::fs::chown(&e.paths.state_dir, nobody, nobody).unwrap();
    std::os::unix::fs::chown(e.paths.state_file(), nobody, nobody).unwrap();
    std::os::unix::fs::chown(e.paths.lock_file(), nobody, nobody).unwrap();
    let r = e.enforce();
    assert_recovered(&e, &r);
    let lock = std::fs::symlink_metadata(e.paths.lock_file()).unwrap();
    assert_eq!((lock.uid(), lock.mode() & 0o777), (0, 0o600));
}

#[test]
fn state_untrusted_a_pin_that_does_not_chain_to_the_installed_root_is_refused() {
    // The state's owner and modes are right, but its pinned root is only signed by
    // itself: it never came from the installed chain.
    let e = with_seven();
    plant_attacker_state(&e);
    let r = e.enforce();
    assert_recovered(&e, &r);
}

#[test]
fn state_untrusted_a_lock_file_others_can_open_is_replaced() {
    let e = with_seven();
    chmod(&e.paths.lock_file(), 0o666);
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    let lock = std::fs::symlink_metadata(e.paths.lock_file()).unwrap();
    assert_eq!(lock.mode() & 0o777, 0o600);
}

// --- trusted time -------------------------------------------------------------

#[test]
fn trusted_time_a_forward_clock_jump_does_not_freeze_updates() {
    let e = with_seven();
    // One run with the clock far ahead (an NTP spoof, a wrong RTC).
    let r = e.enforce_at("2027-02-01T00:00:00Z");
    assert_eq!(r.policy.as_ref().map(|p| p.serial), Some(7));
    // The trusted time only moved to what was signed: bundle 7's issue time.
    assert_eq!(
        state(&e).trusted_time.as_deref(),
        Some("2026-02-15T00:00:00Z")
    );
    // Back on the real clock, a fresh bundle is accepted.
    e.deliver(&bundle(8));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(r.policy.unwrap().serial, 8);
    assert_eq!(e.settings().unwrap(), managed_settings(8));
}

#[test]
fn trusted_time_never_goes_below_the_newest_signed_time() {
    let e = with_seven();
    // Bundle 8, issued 2026-03-20, valid until 2026-03-31.
    let mut s = statement(
        8,
        &managed_settings(8),
        "2026-03-20T00:00:00Z",
        "2026-03-31T00:00:00Z",
    );
    s.issued_at = ts("2026-03-20T00:00:00Z");
    e.deliver(&sign(&s, &["signer-ci"]));
    let r = e.enforce_at("2026-03-21T00:00:00Z");
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(
        state(&e).trusted_time.as_deref(),
        Some("2026-03-20T00:00:00Z")
    );
    // A clock set back before that signed time runs at the signed time: bundle 7 is
    // below the serial floor, and a bundle not yet valid then stays refused.
    e.deliver(&bundle(7));
    let r = e.check_at("2026-01-01T00:00:00Z");
    assert_eq!(open_codes(&r), ["serial-not-above-minimum"]);
    let mut late = statement(
        9,
        &managed_settings(9),
        "2026-03-25T00:00:00Z",
        "2026-03-31T00:00:00Z",
    );
    late.issued_at = ts("2026-03-25T00:00:00Z");
    e.deliver(&sign(&late, &["signer-ci"]));
    let r = e.check_at("2026-01-01T00:00:00Z");
    assert_eq!(open_codes(&r), ["not-yet-valid"]);
}

// --- the same statement again ----------------------------------------------------

#[test]
fn reserialized_bundle_with_the_same_statement_is_not_a_rollback() {
    let e = with_seven();
    // The MDM re-encodes the envelope: other whitespace and key order, same payload.
    let value: serde_json::Value = serde_json::from_slice(&bundle(7)).unwrap();
    let compact = serde_json::to_vec(&value).unwrap();
    assert_ne!(compact, bundle(7));
    e.deliver(&compact);
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(state(&e).serial, Some(7));
    // A different statement at the same serial is still a rollback.
    let other = sign(
        &statement(
            7,
            &managed_settings(8),
            "2026-02-15T00:00:00Z",
            "2026-03-31T00:00:00Z",
        ),
        &["signer-ci"],
    );
    e.deliver(&other);
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["serial-not-above-minimum"]);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
}

// --- compromise recovery: a stolen key signed the largest serial ------------------

/// Versions 1 and 2 of the fixture chain, version 2 signed by a threshold of the
/// root keys with `edit` applied to its JSON (so the story also reads against
/// agents that predate a field).
fn chain_with_v2(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let v1 = trust_chain_v1();
    let first = v1.envelopes()[0].clone();
    let root: TrustRoot = serde_json::from_slice(&first.payload).unwrap();
    let mut next = serde_json::to_value(root.next_version()).unwrap();
    edit(&mut next);
    let mut payload = serde_json::to_vec_pretty(&next).unwrap();
    payload.push(b'\n');
    let (k1, k2) = (key("root-1"), key("root-2"));
    let second = sign_envelope(TRUST_ROOT_PAYLOAD_TYPE, &payload, &[&k1, &k2]);
    format!(
        "[{}, {}]",
        String::from_utf8(first.to_json()).unwrap(),
        String::from_utf8(second.to_json()).unwrap()
    )
    .into_bytes()
}

#[test]
fn serial_floor_reset_recovers_from_a_stolen_key_that_signed_the_largest_serial() {
    let e = with_seven();
    // 1. The stolen key signs serial u64::MAX, and the endpoint accepts it.
    let stolen = sign(
        &statement(
            u64::MAX,
            EVIL,
            "2026-02-15T00:00:00Z",
            "2026-03-31T00:00:00Z",
        ),
        &["signer-compromised"],
    );
    e.deliver(&stolen);
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(state(&e).serial, Some(u64::MAX));
    // 2. Every genuine bundle after it is refused: nothing is above u64::MAX.
    e.deliver(&bundle(8));
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["serial-not-above-minimum"]);
    // 3. The root keys sign version 2: the stolen key revoked, the profile's
    //    accepted serial reset to 7.
    let compromised = warden_trust::KeyId::of(&key("signer-compromised").verifying_key());
    let chain = chain_with_v2(|v| {
        v["signers"]
            .as_object_mut()
            .unwrap()
            .remove(&compromised.to_string());
        v["revoked"] = serde_json::json!([compromised.to_string()]);
        v["serial_resets"] = serde_json::json!({"acme-baseline": 7});
    });
    e.install(&e.paths.trust_root, &chain);
    // 4. The genuine bundle 8 is accepted in the same run.
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(r.policy.unwrap().serial, 8);
    assert_eq!(e.settings().unwrap(), managed_settings(8));
    let s = state(&e);
    assert_eq!((s.serial, s.trust_root_version), (Some(8), Some(2)));
    // 5. The reset applies once: later runs keep the floor at 8, and the stolen
    //    bundle stays refused for its revoked key.
    e.deliver(&bundle(8));
    assert_eq!(e.enforce().exit_code(), 0);
    e.deliver(&bundle(7));
    assert_eq!(open_codes(&e.enforce()), ["serial-not-above-minimum"]);
    e.deliver(&stolen);
    assert_eq!(open_codes(&e.enforce()), ["revoked-key"]);
    assert_eq!(e.settings().unwrap(), managed_settings(8));
    assert_eq!(state(&e).serial, Some(8));
}

#[test]
fn serial_floor_reset_for_another_profile_changes_nothing() {
    let e = with_seven();
    e.install(
        &e.paths.trust_root,
        &chain_with_v2(|v| v["serial_resets"] = serde_json::json!({"other-profile": 0})),
    );
    e.deliver(&bundle(6));
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["serial-not-above-minimum"]);
    assert_eq!(state(&e).serial, Some(7));
    assert_eq!(state(&e).trust_root_version, Some(2));
}
