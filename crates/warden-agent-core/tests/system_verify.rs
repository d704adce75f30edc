//! Bundle verification in system mode: what is accepted, what is refused, and that
//! the last known-good policy stays in force after every refusal.

mod system_common;

use system_common::*;
use warden_agent_core::state::State;

/// An endpoint that accepted bundle 7 and wrote its settings.
fn with_seven() -> Endpoint {
    let e = Endpoint::linux();
    e.deliver(&bundle(7));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    e
}

fn state(e: &Endpoint) -> State {
    State::load(&e.paths.state_file()).unwrap().unwrap()
}

#[test]
fn a_valid_bundle_is_applied_with_the_right_bytes_mode_and_state() {
    let e = with_seven();
    assert_eq!(e.mode(&e.paths.managed_settings), 0o644);
    assert_eq!(e.mode(e.paths.managed_settings_dir()), 0o755);
    let s = state(&e);
    assert_eq!(s.serial, Some(7));
    assert_eq!(s.profile_id.as_deref(), Some("acme-baseline"));
    assert_eq!(s.trust_root_version, Some(1));
    assert_eq!(
        s.last_known_good.as_deref().map(str::as_bytes),
        Some(bundle(7).as_slice())
    );
    // The trusted time is the newest signed time: bundle 7's issue time.
    assert_eq!(s.trusted_time.as_deref(), Some("2026-02-15T00:00:00Z"));
    assert_eq!(s.last_result.unwrap().exit_code, 0);
    let policy = e.check().policy.unwrap();
    assert!(policy.source.starts_with("file "), "{}", policy.source);
    // Idempotent: a second enforce finds nothing to do.
    let again = e.enforce();
    assert!(again.findings.is_empty(), "{:#?}", again.findings);
}

#[test]
fn every_bad_bundle_is_refused_and_the_last_known_good_stays() {
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("tampered", tampered(8), "bad-signature"),
        (
            "unknown key",
            sign(
                &statement(
                    9,
                    &managed_settings(9),
                    "2026-02-15T00:00:00Z",
                    "2026-03-31T00:00:00Z",
                ),
                &["signer-rogue"],
            ),
            "unknown-key",
        ),
        (
            "expired",
            std::fs::read(fixture_dir().join("bundle-9-expired.json")).unwrap(),
            "expired",
        ),
        ("lower serial", bundle(6), "serial-not-above-minimum"),
        ("not json", b"{\"payloadType\": 1}".to_vec(), "malformed"),
    ];
    for (what, bytes, code) in cases {
        let e = with_seven();
        e.deliver(&bytes);
        for report in [e.check(), e.enforce()] {
            assert_eq!(report.exit_code(), 1, "{what}: {:#?}", report.findings);
            assert_eq!(open_codes(&report), [code], "{what}");
            let policy = report.policy.unwrap();
            assert_eq!(policy.serial, 7, "{what}");
            assert!(
                policy.source.starts_with("last known-good (from file "),
                "{what}: {}",
                policy.source
            );
        }
        assert_eq!(e.settings().unwrap(), managed_settings(7), "{what}");
        assert_eq!(state(&e).serial, Some(7), "{what}");
    }
}

#[test]
fn a_revoked_key_is_refused_once_the_trust_root_revokes_it() {
    let e = with_seven();
    let revoked = std::fs::read(fixture_dir().join("bundle-9-revoked-key.json")).unwrap();
    e.install(&e.paths.trust_root, &trust_chain_v2().to_json());
    e.deliver(&revoked);
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["revoked-key"]);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    assert_eq!(state(&e).trust_root_version, Some(2));
    // The chain can no longer be rolled back to version 1, which trusted that key.
    e.install(&e.paths.trust_root, &trust_chain_v1().to_json());
    let r = e.enforce();
    assert_eq!(open_codes(&r), ["trust-root-rollback", "revoked-key"]);
    assert_eq!(e.settings().unwrap(), managed_settings(7));
}

#[test]
fn a_newer_bundle_replaces_the_file_and_the_same_bytes_are_accepted_again() {
    let e = with_seven();
    e.deliver(&bundle(8));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    assert_eq!(codes(&r), ["managed-settings-different"]);
    assert!(r.findings[0].fixed);
    assert_eq!(e.settings().unwrap(), managed_settings(8));
    // Delivering the accepted bundle again is not a rollback.
    assert_eq!(e.enforce().exit_code(), 0);
    assert_eq!(state(&e).serial, Some(8));
}

#[test]
fn no_bundle_ever_means_cannot_evaluate_and_nothing_changes() {
    let e = Endpoint::linux();
    let r = e.check();
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["no-bundle"]);
    assert!(!e.paths.state_dir.exists(), "check wrote state");
    let r = e.enforce();
    assert_eq!(r.exit_code(), 2);
    assert!(e.settings().is_none());
    assert!(!e.paths.managed_settings_dir().exists());
    // A first bundle that fails verification changes nothing either.
    e.deliver(&tampered(8));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["bad-signature"]);
    assert!(e.settings().is_none());
}

#[test]
fn a_missing_trust_root_cannot_evaluate_a_first_bundle() {
    let e = Endpoint::linux();
    std::fs::remove_file(&e.paths.trust_root).unwrap();
    e.deliver(&bundle(7));
    let r = e.check();
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["trust-root-missing", "no-trust-root"]);
}

#[test]
fn an_expired_last_known_good_still_governs_and_says_so() {
    let e = with_seven();
    // Bundle 7 expires 2026-03-31; the MDM stops delivering anything newer.
    let r = e.enforce_at("2026-04-05T00:00:00Z");
    assert_eq!(r.exit_code(), 1);
    assert_eq!(open_codes(&r), ["expired"]);
    assert!(
        r.findings[0].message.contains("still governs"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.policy.unwrap().serial, 7);
    // Hand-edits are still repaired from it.
    std::fs::write(&e.paths.managed_settings, b"{}").unwrap();
    let r = e.enforce_at("2026-04-05T00:00:00Z");
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "managed-settings-different" && f.fixed)
    );
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    // With the bundle file gone, the state's copy governs and is reported as expired.
    std::fs::remove_file(&e.paths.bundle_file).unwrap();
    let r = e.check_at("2026-04-05T00:00:00Z");
    assert_eq!(open_codes(&r), ["last-known-good-expired"]);
    assert!(codes(&r).contains(&"no-bundle"));
}

#[test]
fn the_clock_never_goes_behind_the_trusted_time() {
    let e = with_seven();
    e.enforce_at("2026-04-05T00:00:00Z");
    // Only signed times move the trusted time: bundle 7 was issued 2026-02-15.
    assert_eq!(
        state(&e).trusted_time.as_deref(),
        Some("2026-02-15T00:00:00Z")
    );
    // A clock set back to when an expired bundle was valid (2026-01-01 to
    // 2026-02-01) does not make it valid again: verification runs at the trusted time.
    e.deliver(&std::fs::read(fixture_dir().join("bundle-9-expired.json")).unwrap());
    let r = e.check_at("2026-01-15T00:00:00Z");
    assert_eq!(open_codes(&r), ["expired"]);
}

#[test]
fn a_corrupt_state_is_reported_and_nothing_is_written() {
    let e = with_seven();
    std::fs::write(e.paths.state_file(), b"{ not json").unwrap();
    std::fs::write(&e.paths.managed_settings, b"{}").unwrap();
    let r = e.enforce();
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["state-invalid"]);
    assert_eq!(e.settings().unwrap(), b"{}");
    assert_eq!(std::fs::read(e.paths.state_file()).unwrap(), b"{ not json");
}
