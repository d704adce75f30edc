//! Test inputs shared by the integration tests.

/// A file of `tests/fixtures/cms/`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = warden_testkit::test_data(&format!("cms/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A configuration profile as `warden compile` writes it.
pub(crate) fn mobileconfig() -> Vec<u8> {
    use std::collections::BTreeMap;
    use warden_macos::{MacosInput, PrefValue};
    let keys = BTreeMap::from([
        ("CortexEnabled".to_owned(), PrefValue::Bool(true)),
        (
            "CortexAllowedAccounts".to_owned(),
            PrefValue::StringList(vec!["acme-*".into()]),
        ),
    ]);
    let files = warden_macos::artifacts(&MacosInput {
        profile_id: "acme-baseline",
        display_name: "Cortex Code policy",
        organization: Some("ACME"),
        description: None,
        serial: 7,
        cortex_keys: &keys,
        bundle:
            br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}"#,
    })
    .unwrap();
    let (path, bytes) = &files[0];
    assert_eq!(path, "acme-baseline.mobileconfig");
    bytes.clone()
}
