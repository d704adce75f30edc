//! Properties of the produced artifacts, read back with the `plist` crate.

mod common;

use std::collections::BTreeMap;

use common::{BUNDLE, build, cortex_keys, input};
use plist::Value;
use warden_macos::{
    AGENT_DOMAIN, COCO_DOMAIN, MacosError, PrefValue, artifacts, mobileconfig,
    parse_agent_preferences,
};

fn parse(bytes: &[u8]) -> Value {
    Value::from_reader_xml(bytes).unwrap()
}

fn top(files: &BTreeMap<String, Vec<u8>>, id: &str) -> plist::Dictionary {
    parse(&files[&format!("{id}.mobileconfig")])
        .into_dictionary()
        .unwrap()
}

fn string<'a>(d: &'a plist::Dictionary, k: &str) -> &'a str {
    d.get(k).and_then(Value::as_string).unwrap()
}

fn payloads(d: &plist::Dictionary) -> Vec<plist::Dictionary> {
    d.get("PayloadContent")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|p| p.as_dictionary().unwrap().clone())
        .collect()
}

/// The `mcx_preference_settings` of `domain` inside a payload.
fn forced<'a>(payload: &'a plist::Dictionary, domain: &str) -> &'a plist::Dictionary {
    let content = payload
        .get("PayloadContent")
        .and_then(Value::as_dictionary)
        .unwrap();
    let forced = content[domain].as_dictionary().unwrap()["Forced"]
        .as_array()
        .unwrap();
    assert_eq!(forced.len(), 1);
    forced[0].as_dictionary().unwrap()["mcx_preference_settings"]
        .as_dictionary()
        .unwrap()
}

#[test]
fn lists_every_artifact() {
    let files = build("acme-baseline", 3);
    let names: Vec<_> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "acme-baseline.mobileconfig",
            "com.snowflake.coco.plist",
            "com.warden.agent.plist",
            "intune/com.snowflake.coco.xml",
            "intune/com.warden.agent.xml",
            "jamf-schema.json",
        ]
    );
}

#[test]
fn output_is_deterministic() {
    assert_eq!(build("acme-baseline", 3), build("acme-baseline", 3));
}

#[test]
fn profile_top_level_keys() {
    let files = build("acme-baseline", 3);
    let d = top(&files, "acme-baseline");
    assert_eq!(string(&d, "PayloadType"), "Configuration");
    assert_eq!(string(&d, "PayloadScope"), "System");
    assert_eq!(d["PayloadRemovalDisallowed"].as_boolean(), Some(true));
    assert_eq!(d["PayloadVersion"].as_signed_integer(), Some(1));
    assert_eq!(
        string(&d, "PayloadDisplayName"),
        "Cortex Code policy — ACME"
    );
    assert_eq!(string(&d, "PayloadOrganization"), "ACME Corp");
    assert_eq!(
        string(&d, "PayloadDescription"),
        "Account lock & SSO-only for Cortex Code"
    );
    assert_eq!(
        string(&d, "PayloadIdentifier"),
        "com.warden.policy.acme-baseline"
    );
    assert_eq!(
        string(&d, "PayloadUUID"),
        mobileconfig::payload_uuid("com.warden.policy.acme-baseline")
    );
    let keys: Vec<_> = d.keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "keys are written in sorted order");
}

#[test]
fn payloads_carry_forced_settings_for_both_domains() {
    let files = build("acme-baseline", 3);
    let p = payloads(&top(&files, "acme-baseline"));
    assert_eq!(p.len(), 2);
    for payload in &p {
        assert_eq!(
            string(payload, "PayloadType"),
            "com.apple.ManagedClient.preferences"
        );
        assert_eq!(payload["PayloadVersion"].as_signed_integer(), Some(1));
    }
    let coco = forced(&p[0], COCO_DOMAIN);
    assert_eq!(coco["CortexEnabled"].as_boolean(), Some(true));
    assert_eq!(coco.len(), cortex_keys().len());
    let accounts: Vec<_> = coco["CortexAllowedAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(accounts, ["acme-prod", "acme-dev*"], "list order is kept");

    let agent = forced(&p[1], AGENT_DOMAIN);
    assert_eq!(
        agent["PolicyBundle"].as_string().unwrap().as_bytes(),
        BUNDLE
    );
    assert_eq!(agent["PolicySerial"].as_signed_integer(), Some(3));
}

#[test]
fn managed_settings_base64_is_a_string_not_data() {
    let files = build("acme-baseline", 3);
    for path in [
        "acme-baseline.mobileconfig",
        "com.snowflake.coco.plist",
        "intune/com.snowflake.coco.xml",
    ] {
        let text = std::str::from_utf8(&files[path]).unwrap();
        let at = text.find("<key>CortexManagedSettingsBase64</key>").unwrap();
        let next = text[at..].lines().nth(1).unwrap().trim_start();
        assert!(next.starts_with("<string>"), "{path}: {next}");
        assert!(!text.contains("<data>"), "{path}");
    }
}

#[test]
fn identifiers_and_uuids_stay_put_across_serials() {
    let (a, b) = (build("acme-baseline", 3), build("acme-baseline", 4));
    let (ta, tb) = (top(&a, "acme-baseline"), top(&b, "acme-baseline"));
    for k in ["PayloadIdentifier", "PayloadUUID"] {
        assert_eq!(string(&ta, k), string(&tb, k));
        for (pa, pb) in payloads(&ta).iter().zip(payloads(&tb).iter()) {
            assert_eq!(string(pa, k), string(pb, k));
        }
    }
    assert_ne!(a["com.warden.agent.plist"], b["com.warden.agent.plist"]);
}

#[test]
fn different_profiles_get_different_identifiers_and_uuids() {
    let (a, b) = (build("acme-baseline", 3), build("acme-data-team", 3));
    let (ta, tb) = (top(&a, "acme-baseline"), top(&b, "acme-data-team"));
    let mut seen = std::collections::BTreeSet::new();
    for d in [&ta, &tb] {
        for dict in std::iter::once(d.clone()).chain(payloads(d)) {
            assert!(seen.insert(string(&dict, "PayloadIdentifier").to_owned()));
            assert!(seen.insert(string(&dict, "PayloadUUID").to_owned()));
        }
    }
    assert_eq!(seen.len(), 12);
}

#[test]
fn bare_plists_and_fragments_hold_the_same_keys() {
    let files = build("acme-baseline", 3);
    let coco = parse(&files["com.snowflake.coco.plist"])
        .into_dictionary()
        .unwrap();
    let p = payloads(&top(&files, "acme-baseline"));
    assert_eq!(&coco, forced(&p[0], COCO_DOMAIN));

    let fragment = std::str::from_utf8(&files["intune/com.warden.agent.xml"]).unwrap();
    assert!(!fragment.contains("<plist") && !fragment.contains("<dict"));
    let wrapped = format!("<plist version=\"1.0\"><dict>{fragment}</dict></plist>");
    let agent = parse(wrapped.as_bytes()).into_dictionary().unwrap();
    assert_eq!(&agent, forced(&p[1], AGENT_DOMAIN));
}

#[test]
fn agent_plist_reads_back() {
    let files = build("acme-baseline", 42);
    let prefs = parse_agent_preferences(&files["com.warden.agent.plist"]).unwrap();
    assert_eq!(prefs.bundle, BUNDLE);
    assert_eq!(prefs.serial, 42);
}

#[test]
fn no_cortex_keys_means_agent_domain_only() {
    let keys = BTreeMap::new();
    let files: BTreeMap<_, _> = artifacts(&input("agent-only", 1, &keys))
        .unwrap()
        .into_iter()
        .collect();
    assert!(!files.contains_key("com.snowflake.coco.plist"));
    assert!(files.contains_key("com.warden.agent.plist"));
    assert_eq!(payloads(&top(&files, "agent-only")).len(), 1);
}

#[test]
fn optional_texts_are_omitted() {
    let keys = cortex_keys();
    let mut i = input("acme", 1, &keys);
    i.organization = None;
    i.description = None;
    let files: BTreeMap<_, _> = artifacts(&i).unwrap().into_iter().collect();
    let d = top(&files, "acme");
    assert!(!d.contains_key("PayloadOrganization") && !d.contains_key("PayloadDescription"));
}

#[test]
fn refuses_unrepresentable_values() {
    let keys = cortex_keys();
    let mut bad = keys.clone();
    bad.insert(
        "CortexAllowedAccounts".into(),
        PrefValue::StringList(vec!["ok".into(), "acme\u{1}".into()]),
    );
    let err = artifacts(&input("acme", 1, &bad)).unwrap_err();
    assert!(
        matches!(&err, MacosError::Unrepresentable { field, character, .. }
            if field == "com.snowflake.coco/CortexAllowedAccounts[1]" && character == "U+0001"),
        "{err}"
    );

    let mut i = input("acme", 1, &keys);
    i.display_name = "line\rbreak";
    assert!(matches!(
        artifacts(&i),
        Err(MacosError::Unrepresentable { .. })
    ));

    let mut i = input("acme", 1, &keys);
    i.bundle = b"{\"a\":\"\x1b\"}";
    assert!(matches!(
        artifacts(&i),
        Err(MacosError::Unrepresentable { .. })
    ));

    let mut i = input("acme", 1, &keys);
    i.bundle = b"\xff\xfe";
    assert!(matches!(artifacts(&i), Err(MacosError::BundleNotUtf8)));

    let i = input("acme", u64::MAX, &keys);
    assert!(matches!(
        artifacts(&i),
        Err(MacosError::SerialOutOfRange { .. })
    ));
}

#[test]
fn refuses_bad_profile_ids() {
    let keys = cortex_keys();
    for id in [
        "",
        "Acme",
        "-acme",
        "acme.prod",
        "acme/../x",
        "a_b",
        &"a".repeat(64),
    ] {
        let err = artifacts(&input(id, 1, &keys)).unwrap_err();
        assert!(matches!(err, MacosError::InvalidProfileId { .. }), "{id}");
    }
    assert!(artifacts(&input(&"a".repeat(63), 1, &keys)).is_ok());
}
