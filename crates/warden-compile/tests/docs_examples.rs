//! Every documented Cortex Code example, produced from a profile.

mod common;

use serde_json::Value;
use warden_compile::{MANAGED_SETTINGS_PATH, MdmKey, MdmValue};

const EXAMPLES: [&str; 6] = [
    "basic-corporate",
    "approved-accounts",
    "approved-tools",
    "bash-dangerous-blocked",
    "high-security",
    "mdm-example",
];

/// The documented example with the three deliberate differences applied: Desktop's
/// `snowflake_sql_execute` after every `sql_execute`, an explicit `defaultMode`, and,
/// in an `onlyAllow` that names no account, `account(*)` (the profiles here have no
/// `[accounts] allow`), so accounts are decided alike under both readings of the docs.
fn as_compiled(mut doc: Value) -> Value {
    let perms = doc
        .as_object_mut()
        .unwrap()
        .entry("permissions")
        .or_insert_with(|| serde_json::json!({}));
    let perms = perms.as_object_mut().unwrap();
    perms
        .entry("defaultMode")
        .or_insert_with(|| Value::from("allow"));
    for list in ["onlyAllow", "deny"] {
        if let Some(Value::Array(items)) = perms.get_mut(list) {
            let mut out = Vec::new();
            for item in items.drain(..) {
                let is_sql = item == "sql_execute";
                out.push(item);
                if is_sql {
                    out.push(Value::from("snowflake_sql_execute"));
                }
            }
            *items = out;
        }
    }
    let deny_mode = perms.get("defaultMode") == Some(&Value::from("deny"));
    let only = perms
        .entry("onlyAllow")
        .or_insert_with(|| Value::Array(Vec::new()));
    let items = only.as_array_mut().unwrap();
    let names_accounts = items
        .iter()
        .any(|i| i.as_str().is_some_and(|s| s.starts_with("account(")));
    if (!items.is_empty() || deny_mode) && !names_accounts {
        items.push(Value::from("account(*)"));
    }
    if items.is_empty() {
        perms.remove("onlyAllow");
    }
    doc
}

#[test]
fn documented_examples_compile_to_the_documented_files() {
    let mut written = Vec::new();
    for name in EXAMPLES {
        let dir = common::fixtures().join("docs").join(name);
        let profile = common::load(&dir.join("profile.toml"));
        let output = warden_compile::compile(&profile).unwrap();
        let bytes = &output.artifacts()[MANAGED_SETTINGS_PATH];

        common::assert_snapshot(&dir.join("managed-settings.json"), bytes);
        written.push(dir.join("managed-settings.json"));

        let ours: Value = serde_json::from_slice(bytes).unwrap();
        let doc: Value =
            serde_json::from_slice(&std::fs::read(dir.join("doc.json")).unwrap()).unwrap();
        assert_eq!(ours, as_compiled(doc), "{name}");
        warden_compile::managed_settings::check_schema(&ours).unwrap();

        let text = std::str::from_utf8(bytes).unwrap();
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{name}");
        assert!(
            text.contains("\n  \"version\": \"1.0\""),
            "{name}: two-space indent"
        );
    }
    common::check_jsonschema(&written);
}

#[test]
fn mdm_example_matches_the_documented_keys() {
    let dir = common::fixtures().join("docs/mdm-example");
    let profile = common::load(&dir.join("profile.toml"));
    let output = warden_compile::compile(&profile).unwrap();
    let mdm = &output.context().mdm;
    let doc: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(dir.join("doc-mdm.json")).unwrap()).unwrap();

    for key in MdmKey::ALL {
        let ours = mdm.get(key);
        match (key, ours, doc.get(key.as_str())) {
            (MdmKey::ManagedSettingsBase64, Some(MdmValue::String(b64)), None) => {
                use base64::Engine as _;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                assert_eq!(decoded, output.artifacts()[MANAGED_SETTINGS_PATH]);
            }
            // A JSON string: compare what it means, not its spacing.
            (MdmKey::AllowedAuthMethodsByAccount, Some(MdmValue::String(s)), Some(d)) => {
                let ours: Value = serde_json::from_str(s).unwrap();
                let doc: Value = serde_json::from_str(d.as_str().unwrap()).unwrap();
                assert_eq!(ours, doc);
            }
            (_, Some(v), Some(d)) => assert_eq!(&serde_json::to_value(v).unwrap(), d, "{key:?}"),
            (_, None, None) => {}
            (key, ours, doc) => panic!("{key:?}: ours {ours:?}, documented {doc:?}"),
        }
    }
}

#[test]
fn mdm_keys_follow_the_file_they_describe() {
    let dir = common::fixtures().join("docs/basic-corporate");
    let profile = common::load(&dir.join("profile.toml"));
    let output = warden_compile::compile(&profile).unwrap();
    let keys: Vec<&str> = output
        .context()
        .mdm
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    // No account or auth controls: no `enabled`, only the version and the file.
    assert_eq!(
        keys,
        ["CortexMinimumVersion", "CortexManagedSettingsBase64"]
    );
}
