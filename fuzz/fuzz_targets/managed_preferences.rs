#![no_main]
//! Managed-preferences plists (binary, XML or ASCII) as the agent reads them: its own
//! domain (bundle source 1) and Cortex Code's (drift). Reading is bounded, so every
//! input is refused or read: never a panic, memory exhaustion or stack overflow.

use std::collections::BTreeMap;

use warden_bundle::PreferenceValue;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = warden_macos::parse_agent_preferences(data);
    let expected = BTreeMap::from([
        ("CortexEnabled".to_owned(), PreferenceValue::Bool(true)),
        (
            "CortexAllowedAccounts".to_owned(),
            PreferenceValue::StringList(vec!["acme-*".to_owned()]),
        ),
        (
            "CortexMinimumVersion".to_owned(),
            PreferenceValue::String("1.2.0".to_owned()),
        ),
    ]);
    let _ = warden_agent_core::drift::macos_drift(&expected, Some(data), "fuzz");
});
