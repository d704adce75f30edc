//! A realistic input shared by the integration tests.

use std::collections::BTreeMap;

use base64::Engine as _;
use warden_macos::{MacosInput, PrefValue, artifacts};

/// The managed-settings.json the embedded base64 carries.
pub(crate) const MANAGED_SETTINGS: &[u8] =
    br#"{"version":"1.0","permissions":{"defaultMode":"deny","onlyAllow":["account(acme-*)"]},"ui":{"bannerText":"Managed by ACME IT <it@acme.example> & friends"}}"#;

/// A DSSE-shaped bundle with characters XML must escape.
pub(crate) const BUNDLE: &[u8] = br#"{"payloadType":"application/vnd.warden.bundle+json","payload":"eyJhIjoiPDw+PiJ9","signatures":[{"keyid":"k1","sig":"c2ln"}]}"#;

pub(crate) fn cortex_keys() -> BTreeMap<String, PrefValue> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(MANAGED_SETTINGS);
    BTreeMap::from([
        ("CortexEnabled".into(), PrefValue::Bool(true)),
        (
            "CortexAllowedAccounts".into(),
            PrefValue::StringList(vec!["acme-prod".into(), "acme-dev*".into()]),
        ),
        (
            "CortexAllowedAuthMethods".into(),
            PrefValue::StringList(vec![
                "OAUTH_AUTHORIZATION_CODE".into(),
                "EXTERNALBROWSER".into(),
            ]),
        ),
        (
            "CortexAllowedAuthMethodsByAccount".into(),
            PrefValue::String(
                r#"{"acme-svc":{"allowedMethods":["PROGRAMMATIC_ACCESS_TOKEN"]}}"#.into(),
            ),
        ),
        (
            "CortexMinimumVersion".into(),
            PrefValue::String("1.2.0".into()),
        ),
        ("CortexManagedSettingsBase64".into(), PrefValue::String(b64)),
    ])
}

pub(crate) fn input<'a>(
    id: &'a str,
    serial: u64,
    keys: &'a BTreeMap<String, PrefValue>,
) -> MacosInput<'a> {
    MacosInput {
        profile_id: id,
        display_name: "Cortex Code policy — ACME",
        organization: Some("ACME Corp"),
        description: Some("Account lock & SSO-only for Cortex Code"),
        serial,
        cortex_keys: keys,
        bundle: BUNDLE,
    }
}

pub(crate) fn build(id: &str, serial: u64) -> BTreeMap<String, Vec<u8>> {
    let keys = cortex_keys();
    artifacts(&input(id, serial, &keys))
        .unwrap()
        .into_iter()
        .collect()
}
