#![no_main]
//! The bundle verifier on arbitrary bytes, against a fixed trust root: a typed
//! refusal, never a panic, and never an acceptance of bytes that were not signed.

use std::sync::LazyLock;

use warden_bundle::PolicyBody;
use warden_trust::{
    SigningKey, Timestamp, TrustChain, TrustRoot, VerifiedRoot, VerifyOptions, verify_bundle,
    verify_chain,
};

static ROOT: LazyLock<VerifiedRoot> = LazyLock::new(|| {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let expires: Timestamp = "2036-01-01T00:00:00Z".parse().unwrap();
    let mut root = TrustRoot::initial(&[key.verifying_key()], 1, 1, expires).unwrap();
    root.add_signer(key.verifying_key(), expires, None).unwrap();
    let chain = TrustChain::create(&root, &[&key], now).unwrap();
    verify_chain(&chain, None, now).unwrap()
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let options = VerifyOptions {
        now: "2026-06-01T00:00:00Z".parse().unwrap(),
        min_serial: None,
        profile_id: None,
    };
    let _ = verify_bundle::<PolicyBody>(data, &ROOT, &options);
    // The trust-chain parser and verifier on the same bytes.
    if let Ok(chain) = TrustChain::from_json(data) {
        let _ = verify_chain(&chain, Some(&ROOT), options.now);
    }
});
