//! Every example profile's `.mobileconfig`, checked key by key and type by type
//! against Apple's own payload schemas (`tests/fixtures/vendor/apple-device-management`):
//! `TopLevel.yaml` for the profile dictionary, `CommonPayloadKeys.yaml` for every
//! payload, and `com.apple.ManagedClient.preferences.yaml` for the MCX payloads'
//! `PayloadContent` → domain → `Forced` → `mcx_preference_settings` structure.
//!
//! The check needs no external consumer, so it always runs. The unit tests at the end
//! mutate a compiled profile and show that the checker notices each kind of mistake.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use plist::Value;
use serde::Deserialize;
use warden_compile::{DeliveryBackend, MacosBackend};

/// One key of an Apple payload schema (the fields the check uses; the rest, such as
/// `content`, is prose).
#[derive(Debug, Clone, Deserialize)]
struct KeySpec {
    key: String,
    #[serde(rename = "type")]
    ty: String,
    /// `required` or `optional`; absent on item descriptions of arrays.
    presence: Option<String>,
    /// The only values allowed, where Apple lists them.
    rangelist: Option<Vec<serde_yaml_ng::Value>>,
    #[serde(default)]
    subkeys: Vec<KeySpec>,
    #[serde(rename = "supportedOS")]
    supported_os: Option<BTreeMap<String, serde_yaml_ng::Value>>,
}

#[derive(Debug, Deserialize)]
struct PayloadInfo {
    payloadtype: String,
    #[serde(rename = "supportedOS")]
    supported_os: BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
struct PayloadSchema {
    payload: PayloadInfo,
    payloadkeys: Vec<KeySpec>,
}

fn load_schema(name: &str) -> PayloadSchema {
    let path = warden_testkit::test_data(&format!("vendor/apple-device-management/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `macOS: introduced: n/a` marks a key or payload macOS does not support.
fn macos_unsupported(os: Option<&BTreeMap<String, serde_yaml_ng::Value>>) -> bool {
    os.and_then(|m| m.get("macOS"))
        .and_then(|m| m.get("introduced"))
        .and_then(serde_yaml_ng::Value::as_str)
        .is_some_and(|v| v == "n/a")
}

/// Whether more than one payload of this type may be in one profile on macOS.
fn macos_multiple(os: &BTreeMap<String, serde_yaml_ng::Value>) -> bool {
    os.get("macOS")
        .and_then(|m| m.get("multiple"))
        .and_then(serde_yaml_ng::Value::as_bool)
        .unwrap_or(false)
}

/// Apple's schemas, read once.
struct Checker {
    top: PayloadSchema,
    common: PayloadSchema,
    /// Payload-specific schemas by `PayloadType`.
    payloads: BTreeMap<String, PayloadSchema>,
}

impl Checker {
    fn new() -> Self {
        let mcx = load_schema("com.apple.ManagedClient.preferences.yaml");
        let top = load_schema("TopLevel.yaml");
        let common = load_schema("CommonPayloadKeys.yaml");
        assert_eq!(top.payload.payloadtype, "TopLevel");
        assert_eq!(common.payload.payloadtype, "CommonPayloadKeys");
        // A schema read wrongly (an empty key list) would make every check pass.
        assert!(top.payloadkeys.len() >= 10 && common.payloadkeys.len() >= 4);
        assert!(!mcx.payloadkeys.is_empty());
        let payloads = BTreeMap::from([(mcx.payload.payloadtype.clone(), mcx)]);
        Self {
            top,
            common,
            payloads,
        }
    }

    /// Every way `profile` departs from Apple's schemas, each prefixed with its path.
    fn check(&self, profile: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let Some(top) = profile.as_dictionary() else {
            out.push("/: the profile is not a dictionary".to_owned());
            return out;
        };
        // `PayloadContent` holds payloads of many types; each is checked against the
        // common keys and its own type's schema, not against the generic item entry.
        let top_keys: Vec<KeySpec> = self
            .top
            .payloadkeys
            .iter()
            .map(|k| {
                let mut k = k.clone();
                if k.key == "PayloadContent" {
                    k.subkeys.clear();
                }
                k
            })
            .collect();
        check_dict("", top, &top_keys, &mut out);

        let mut identifiers = BTreeSet::new();
        let mut uuids = BTreeSet::new();
        let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
        for (name, v) in [
            ("PayloadIdentifier", top.get("PayloadIdentifier")),
            ("PayloadUUID", top.get("PayloadUUID")),
        ] {
            if let Some(s) = v.and_then(Value::as_string) {
                let set = if name == "PayloadUUID" {
                    &mut uuids
                } else {
                    &mut identifiers
                };
                set.insert(s.to_owned());
            }
        }
        let payloads = top
            .get("PayloadContent")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if payloads.is_empty() {
            out.push("/PayloadContent: no payload".to_owned());
        }
        for (i, item) in payloads.iter().enumerate() {
            let path = format!("/PayloadContent/{i}");
            let Some(payload) = item.as_dictionary() else {
                out.push(format!("{path}: a payload is not a dictionary"));
                continue;
            };
            let ty = payload
                .get("PayloadType")
                .and_then(Value::as_string)
                .unwrap_or_default();
            let Some(schema) = self.payloads.get(ty) else {
                out.push(format!(
                    "{path}: no Apple schema for PayloadType `{ty}` is vendored"
                ));
                continue;
            };
            *per_type.entry(ty.to_owned()).or_default() += 1;
            if macos_unsupported(Some(&schema.payload.supported_os)) {
                out.push(format!("{path}: `{ty}` is not supported on macOS"));
            }
            // The payload's own keys override common ones of the same name
            // (`PayloadContent` is not common, so none do today).
            let mut keys: Vec<KeySpec> = schema.payloadkeys.clone();
            for k in &self.common.payloadkeys {
                if !keys.iter().any(|s| s.key == k.key) {
                    keys.push(k.clone());
                }
            }
            check_dict(&path, payload, &keys, &mut out);
            // "This string must be unique within the profile"; UUIDs are globally unique.
            if let Some(id) = payload.get("PayloadIdentifier").and_then(Value::as_string)
                && !identifiers.insert(id.to_owned())
            {
                out.push(format!(
                    "{path}/PayloadIdentifier: `{id}` is used twice in the profile"
                ));
            }
            if let Some(u) = payload.get("PayloadUUID").and_then(Value::as_string)
                && !uuids.insert(u.to_owned())
            {
                out.push(format!("{path}/PayloadUUID: `{u}` is used twice"));
            }
        }
        for (ty, n) in per_type {
            if n > 1 && !macos_multiple(&self.payloads[&ty].payload.supported_os) {
                out.push(format!(
                    "/PayloadContent: {n} payloads of `{ty}`, which macOS allows once"
                ));
            }
        }
        out
    }
}

/// Check a dictionary against a list of key specs: required keys present, every key
/// declared (or covered by an `ANY` entry), each value of its declared type.
fn check_dict(path: &str, dict: &plist::Dictionary, keys: &[KeySpec], out: &mut Vec<String>) {
    let any = keys.iter().find(|k| k.key == "ANY");
    for spec in keys {
        let required = spec.presence.as_deref() == Some("required");
        if spec.key == "ANY" {
            if required && dict.is_empty() {
                out.push(format!("{path}: at least one entry is required"));
            }
        } else if required && !dict.contains_key(&spec.key) {
            out.push(format!("{path}: required key `{}` is missing", spec.key));
        }
    }
    for (name, value) in dict {
        let child = format!("{path}/{name}");
        match keys.iter().find(|k| k.key == *name).or(any) {
            Some(spec) => check_value(&child, value, spec, out),
            None => out.push(format!("{child}: key not declared by Apple's schema")),
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "<array>",
        Value::Dictionary(_) => "<dictionary>",
        Value::Boolean(_) => "<boolean>",
        Value::Data(_) => "<data>",
        Value::Date(_) => "<date>",
        Value::Real(_) => "<real>",
        Value::Integer(_) => "<integer>",
        Value::String(_) => "<string>",
        _ => "<other>",
    }
}

fn in_range(v: &Value, allowed: &[serde_yaml_ng::Value]) -> bool {
    allowed.iter().any(|a| match (v, a) {
        (Value::String(s), serde_yaml_ng::Value::String(r)) => s == r,
        (Value::Integer(i), serde_yaml_ng::Value::Number(n)) => {
            i.as_signed().is_some() && i.as_signed() == n.as_i64()
        }
        (Value::Real(f), serde_yaml_ng::Value::Number(n)) => Some(*f) == n.as_f64(),
        (Value::Boolean(b), serde_yaml_ng::Value::Bool(r)) => b == r,
        _ => false,
    })
}

fn check_value(path: &str, value: &Value, spec: &KeySpec, out: &mut Vec<String>) {
    if macos_unsupported(spec.supported_os.as_ref()) {
        out.push(format!("{path}: `{}` is not supported on macOS", spec.key));
    }
    let got = type_name(value);
    if spec.ty != "<any>" && spec.ty != got {
        out.push(format!("{path}: expected {}, found {got}", spec.ty));
        return;
    }
    if let Some(range) = &spec.rangelist
        && !in_range(value, range)
    {
        out.push(format!(
            "{path}: {value:?} is not one of Apple's allowed values {range:?}"
        ));
    }
    match value {
        Value::Dictionary(d) if !spec.subkeys.is_empty() => check_dict(path, d, &spec.subkeys, out),
        // An array's subkeys describe its items (one entry).
        Value::Array(items) if !spec.subkeys.is_empty() => {
            let item = &spec.subkeys[0];
            for (i, v) in items.iter().enumerate() {
                check_value(&format!("{path}/{i}"), v, item, out);
            }
        }
        _ => {}
    }
}

/// The `.mobileconfig` of a profile file, parsed.
fn compiled_mobileconfig(path: &Path) -> (String, Value) {
    let profile = common::load(path);
    let output = warden_compile::compile(&profile).unwrap();
    let cx = output.context();
    let bundle = br#"{"payloadType":"application/vnd.warden.policy.v1+json","payload":"e30=","signatures":[]}"#;
    let files = MacosBackend.artifacts(cx, bundle).unwrap();
    let id = profile.identity.id.clone();
    let file = files
        .iter()
        .find(|a| a.path == format!("macos/{id}.mobileconfig"))
        .expect("a .mobileconfig");
    (id, Value::from_reader_xml(&file.bytes[..]).unwrap())
}

fn examples() -> Vec<std::path::PathBuf> {
    let profiles = warden_profile::discover(&common::root().join("profiles/examples")).unwrap();
    assert!(profiles.len() >= 4, "the examples are missing");
    profiles
}

#[test]
fn every_example_mobileconfig_follows_apples_schemas() {
    let checker = Checker::new();
    let mut checked = 0;
    for path in examples() {
        let (id, profile) = compiled_mobileconfig(&path);
        let problems = checker.check(&profile);
        assert!(problems.is_empty(), "{id}.mobileconfig:\n{problems:#?}");
        // Both payloads (Cortex Code's domain and the agent's) were looked at.
        let payloads = profile.as_dictionary().unwrap()["PayloadContent"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(payloads, 2, "{id}");
        checked += 1;
    }
    assert!(checked >= 4);
}

/// A compiled profile to break on purpose.
fn sample() -> Value {
    compiled_mobileconfig(&common::root().join("profiles/examples/org-baseline.toml")).1
}

fn top(v: &mut Value) -> &mut plist::Dictionary {
    v.as_dictionary_mut().unwrap()
}

fn first_payload(v: &mut Value) -> &mut plist::Dictionary {
    top(v)
        .get_mut("PayloadContent")
        .unwrap()
        .as_array_mut()
        .unwrap()[0]
        .as_dictionary_mut()
        .unwrap()
}

/// The single entry of `Forced` in the first payload.
fn forced_item(v: &mut Value) -> &mut plist::Dictionary {
    let content = first_payload(v)
        .get_mut("PayloadContent")
        .unwrap()
        .as_dictionary_mut()
        .unwrap();
    let domain = content.values_mut().next().unwrap();
    domain
        .as_dictionary_mut()
        .unwrap()
        .get_mut("Forced")
        .unwrap()
        .as_array_mut()
        .unwrap()[0]
        .as_dictionary_mut()
        .unwrap()
}

fn rename(d: &mut plist::Dictionary, from: &str, to: &str) {
    let v = d.remove(from).unwrap();
    d.insert(to.to_owned(), v);
}

fn problems_of(mutate: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut v = sample();
    mutate(&mut v);
    Checker::new().check(&v)
}

fn assert_reports(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem containing {needle:?}, got {problems:#?}"
    );
}

#[test]
fn the_unmodified_sample_passes() {
    assert_eq!(Checker::new().check(&sample()), Vec::<String>::new());
}

#[test]
fn a_misnamed_top_level_key_is_reported() {
    let p = problems_of(|v| rename(top(v), "PayloadIdentifier", "PayloadIdentifer"));
    assert_reports(&p, "/PayloadIdentifer: key not declared");
    assert_reports(&p, ": required key `PayloadIdentifier` is missing");
}

#[test]
fn a_mistyped_top_level_key_is_reported() {
    let p = problems_of(|v| {
        top(v).insert("PayloadVersion".into(), Value::String("1".into()));
    });
    assert_reports(&p, "/PayloadVersion: expected <integer>, found <string>");
    let p = problems_of(|v| {
        top(v).insert("PayloadRemovalDisallowed".into(), Value::Integer(1.into()));
    });
    assert_reports(&p, "/PayloadRemovalDisallowed: expected <boolean>");
}

#[test]
fn values_outside_apples_range_lists_are_reported() {
    for (key, value) in [
        ("PayloadType", Value::String("Profile".into())),
        ("PayloadScope", Value::String("Machine".into())),
        ("TargetDeviceType", Value::Integer(7.into())),
        ("PayloadVersion", Value::Integer(2.into())),
    ] {
        let p = problems_of(|v| {
            top(v).insert(key.into(), value);
        });
        assert_reports(&p, &format!("/{key}: "));
        assert_reports(&p, "allowed values");
    }
}

#[test]
fn common_payload_keys_are_checked_in_every_payload() {
    let p = problems_of(|v| rename(first_payload(v), "PayloadUUID", "PayloadUuid"));
    assert_reports(
        &p,
        "/PayloadContent/0: required key `PayloadUUID` is missing",
    );
    assert_reports(&p, "/PayloadContent/0/PayloadUuid: key not declared");
    let p = problems_of(|v| {
        first_payload(v).insert("PayloadDisplayName".into(), Value::Boolean(true));
    });
    assert_reports(
        &p,
        "/PayloadContent/0/PayloadDisplayName: expected <string>",
    );
    let p = problems_of(|v| {
        first_payload(v).insert("PayloadType".into(), Value::String("com.example.x".into()));
    });
    assert_reports(&p, "no Apple schema for PayloadType `com.example.x`");
}

#[test]
fn payload_identifiers_must_be_unique_within_the_profile() {
    let p = problems_of(|v| {
        let id = top(v)["PayloadIdentifier"].clone();
        first_payload(v).insert("PayloadIdentifier".into(), id);
    });
    assert_reports(&p, "/PayloadContent/0/PayloadIdentifier: ");
    assert_reports(&p, "used twice");
}

#[test]
fn the_mcx_structure_is_checked() {
    let p = problems_of(|v| rename(forced_item(v), "mcx_preference_settings", "mcx_preferences"));
    assert_reports(
        &p,
        "/Forced/0: required key `mcx_preference_settings` is missing",
    );
    assert_reports(&p, "/Forced/0/mcx_preferences: key not declared");
    let p = problems_of(|v| {
        forced_item(v).insert("mcx_preference_settings".into(), Value::Array(Vec::new()));
    });
    assert_reports(
        &p,
        "/Forced/0/mcx_preference_settings: expected <dictionary>",
    );
    // `Forced` is an array of dictionaries, not the dictionary itself.
    let p = problems_of(|v| {
        let content = first_payload(v)
            .get_mut("PayloadContent")
            .unwrap()
            .as_dictionary_mut()
            .unwrap();
        let domain = content
            .values_mut()
            .next()
            .unwrap()
            .as_dictionary_mut()
            .unwrap();
        let item = domain["Forced"].as_array().unwrap()[0].clone();
        domain.insert("Forced".into(), item);
    });
    assert_reports(&p, "/Forced: expected <array>, found <dictionary>");
    // A misspelt `Set-Once` / `Forced` is not a key of a preference domain.
    let p = problems_of(|v| {
        let content = first_payload(v)
            .get_mut("PayloadContent")
            .unwrap()
            .as_dictionary_mut()
            .unwrap();
        let domain = content
            .values_mut()
            .next()
            .unwrap()
            .as_dictionary_mut()
            .unwrap();
        rename(domain, "Forced", "Force");
    });
    assert_reports(&p, "/Force: key not declared");
}
