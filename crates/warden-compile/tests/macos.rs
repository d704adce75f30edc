//! The macOS delivery of every example profile, read back by Python's `plistlib`:
//! Cortex Code's keys equal the matching `managed-settings.json` controls, and the
//! embedded base64 decodes to the exact file bytes.

mod common;

use serde_json::Value;
use warden_compile::{DeliveryBackend, MacosBackend};

/// Read the `com.snowflake.coco` forced settings out of a `.mobileconfig` with
/// plistlib, as JSON (base64 kept as the string it is delivered as).
const READ_COCO: &str = r#"
import json, plistlib, sys
profile = plistlib.load(open(sys.argv[1], "rb"))
for payload in profile["PayloadContent"]:
    for domain, body in payload["PayloadContent"].items():
        if domain == "com.snowflake.coco":
            print(json.dumps(body["Forced"][0]["mcx_preference_settings"]))
"#;

#[test]
fn cortex_keys_match_managed_settings_for_every_example() {
    let Some(python) = warden_testkit::require_python_module("plistlib") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let profiles = warden_profile::discover(&common::root().join("profiles/examples")).unwrap();
    assert!(profiles.len() >= 4);
    for path in profiles {
        let profile = common::load(&path);
        let output = warden_compile::compile(&profile).unwrap();
        let cx = output.context();
        let bundle = br#"{"payloadType":"application/vnd.warden.policy.v1+json","payload":"e30=","signatures":[]}"#;
        let files = MacosBackend.artifacts(cx, bundle).unwrap();
        let id = &profile.identity.id;
        let mobileconfig = files
            .iter()
            .find(|a| a.path == format!("macos/{id}.mobileconfig"))
            .expect("a .mobileconfig");
        let file = tmp.path().join(format!("{id}.mobileconfig"));
        std::fs::write(&file, &mobileconfig.bytes).unwrap();
        let keys: Value =
            serde_json::from_str(&warden_testkit::run_python(&python, READ_COCO, [&file])).unwrap();
        let settings: Value = serde_json::from_slice(&cx.managed_settings_bytes).unwrap();

        // The whole file, byte for byte.
        let b64 = keys["CortexManagedSettingsBase64"]
            .as_str()
            .expect("base64 key");
        let decoded = warden_testkit::run_python(
            &python,
            "import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.argv[1]))",
            [b64],
        );
        assert_eq!(
            decoded.as_bytes(),
            cx.managed_settings_bytes,
            "{id}: base64 is not the file"
        );

        // Each control, against the file's value (absent on both sides, or equal).
        let pairs = [
            ("CortexEnabled", settings.pointer("/enabled")),
            (
                "CortexAllowedAccounts",
                settings.pointer("/tenant/allowedAccounts"),
            ),
            (
                "CortexAllowedAuthMethods",
                settings.pointer("/auth/allowedMethods"),
            ),
            (
                "CortexMinimumVersion",
                settings.pointer("/required/minimumVersion"),
            ),
            (
                "CortexCliMinimumVersion",
                settings.pointer("/cli/required/minimumVersion"),
            ),
            (
                "CortexDesktopMinimumVersion",
                settings.pointer("/desktop/required/minimumVersion"),
            ),
        ];
        for (key, expected) in pairs {
            assert_eq!(keys.get(key), expected, "{id}: {key}");
        }
        // Per-account methods travel as a JSON string of the same mapping.
        match (
            keys.get("CortexAllowedAuthMethodsByAccount"),
            settings.pointer("/auth/accounts"),
        ) {
            (None, None) => {}
            (Some(Value::String(json)), Some(Value::Object(accounts))) => {
                let by_account: Value = serde_json::from_str(json).unwrap();
                for (pattern, entry) in accounts {
                    assert_eq!(
                        by_account.get(pattern),
                        entry.get("allowedMethods"),
                        "{id}: methods for {pattern}"
                    );
                }
                assert_eq!(by_account.as_object().unwrap().len(), accounts.len());
            }
            other => panic!("{id}: per-account methods differ: {other:?}"),
        }
    }
}
