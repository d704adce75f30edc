//! Drift between what the MDM delivers to Cortex Code and what the bundle signed.
//!
//! Cortex Code reads account and authentication controls (and optionally the whole
//! managed settings) from its own MDM channel: the `com.snowflake.coco` managed
//! preferences on macOS, `HKLM\Software\Policies\Microsoft\CortexCode` on Windows.
//! The agent cannot and must not write those (the MDM owns them); it reports every
//! value that is missing, different or unexpected so the MDM console shows which
//! endpoints did not receive the reviewed profile. The comparisons are pure
//! functions; [`mdm_drift`] is the thin reading edge.

use std::collections::BTreeMap;

use warden_bundle::{ExpectedCortex, PreferenceValue, RegistryValue};
use warden_registry::PolicyRegistry;
use warden_registry::known::cortex_code;
use warden_registry::value::RegValue;

use crate::fsutil::{self, ReadError};
use crate::paths::{Paths, Platform};
use crate::report::{Finding, Severity};

/// Largest managed-preferences file read (the embedded settings are capped at 256 KB).
const MAX_PREFERENCES_BYTES: u64 = 2 << 20;

fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}… ({} characters)", text.chars().count())
    }
}

fn missing(name: &str, expected: &str, at: &str) -> Finding {
    Finding::new(
        "mdm-value-missing",
        Severity::Error,
        format!("`{name}` is not delivered; the bundle expects {expected}"),
    )
    .at(at)
}

fn different(name: &str, expected: &str, actual: &str, at: &str) -> Finding {
    Finding::new(
        "mdm-value-different",
        Severity::Error,
        format!("`{name}` is {actual}; the bundle expects {expected}"),
    )
    .at(at)
}

fn unexpected(name: &str, actual: &str, at: &str) -> Finding {
    Finding::new(
        "mdm-value-unexpected",
        Severity::Error,
        format!("`{name}` is set to {actual} but the bundle does not set it"),
    )
    .at(at)
}

fn describe_pref(v: &PreferenceValue) -> String {
    match v {
        PreferenceValue::Bool(b) => b.to_string(),
        PreferenceValue::String(s) => format!("\"{}\"", short(s)),
        PreferenceValue::StringList(l) => short(&format!("{l:?}")),
    }
}

fn describe_plist(v: &plist::Value) -> String {
    match v {
        plist::Value::Boolean(b) => b.to_string(),
        plist::Value::String(s) => format!("\"{}\"", short(s)),
        plist::Value::Integer(i) => format!("integer {i}"),
        plist::Value::Array(items) => short(&format!(
            "{:?}",
            items
                .iter()
                .map(|i| i
                    .as_string()
                    .map_or_else(|| "<non-string>".to_owned(), str::to_owned))
                .collect::<Vec<_>>()
        )),
        other => format!("a {}", plist_kind(other)),
    }
}

fn plist_kind(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::Array(_) => "array",
        plist::Value::Dictionary(_) => "dictionary",
        plist::Value::Boolean(_) => "boolean",
        plist::Value::Data(_) => "data value",
        plist::Value::Date(_) => "date",
        plist::Value::Real(_) => "real number",
        plist::Value::Integer(_) => "integer",
        plist::Value::String(_) => "string",
        _ => "value",
    }
}

fn pref_matches(expected: &PreferenceValue, actual: &plist::Value) -> bool {
    match (expected, actual) {
        (PreferenceValue::Bool(e), plist::Value::Boolean(a)) => e == a,
        (PreferenceValue::String(e), plist::Value::String(a)) => e == a,
        (PreferenceValue::StringList(e), plist::Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| a.as_string() == Some(e))
        }
        _ => false,
    }
}

/// Keys macOS or the MDM add to every managed domain.
fn bookkeeping(key: &str) -> bool {
    key.starts_with("Payload") || key.starts_with('_')
}

/// Compare Cortex Code's managed-preferences plist (`None`: the file is absent)
/// with the signed expectation. The plist is read within
/// [`warden_macos::Limits::MANAGED_PREFERENCES`]: one beyond them is `mdm-unreadable`.
pub fn macos_drift(
    expected: &BTreeMap<String, PreferenceValue>,
    plist_bytes: Option<&[u8]>,
    at: &str,
) -> Vec<Finding> {
    let actual = match plist_bytes {
        None => plist::Dictionary::new(),
        Some(bytes) => {
            match warden_macos::read_bounded(bytes, &warden_macos::Limits::MANAGED_PREFERENCES) {
                Ok(plist::Value::Dictionary(d)) => d,
                Ok(_) => {
                    return vec![
                        Finding::new(
                            "mdm-unreadable",
                            Severity::Error,
                            "Cortex Code's managed preferences are not a dictionary",
                        )
                        .at(at),
                    ];
                }
                Err(e) => {
                    return vec![
                        Finding::new(
                            "mdm-unreadable",
                            Severity::Error,
                            format!("Cortex Code's managed preferences are refused: {e}"),
                        )
                        .at(at),
                    ];
                }
            }
        }
    };
    let mut findings = Vec::new();
    for (name, want) in expected {
        match actual.get(name) {
            None => findings.push(missing(name, &describe_pref(want), at)),
            Some(got) if !pref_matches(want, got) => {
                findings.push(different(
                    name,
                    &describe_pref(want),
                    &describe_plist(got),
                    at,
                ));
            }
            Some(_) => {}
        }
    }
    let mut extra: Vec<(&String, &plist::Value)> = actual
        .iter()
        .filter(|(k, _)| !bookkeeping(k) && !expected.contains_key(*k))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(b.0));
    for (name, got) in extra {
        findings.push(unexpected(name, &describe_plist(got), at));
    }
    findings
}

fn describe_reg(v: &RegValue) -> String {
    match v {
        RegValue::Sz(s) => format!("REG_SZ \"{}\"", short(s)),
        RegValue::ExpandSz(s) => format!("REG_EXPAND_SZ \"{}\"", short(s)),
        RegValue::MultiSz(l) => format!("REG_MULTI_SZ {}", short(&format!("{l:?}"))),
        RegValue::Dword(d) => format!("REG_DWORD {d}"),
        RegValue::Qword(q) => format!("REG_QWORD {q}"),
        RegValue::Binary(b) => format!("REG_BINARY ({} bytes)", b.len()),
        RegValue::Raw { kind, data } => format!("type {kind} ({} bytes)", data.len()),
    }
}

fn describe_expected_reg(v: &RegistryValue) -> String {
    match v {
        RegistryValue::Sz(s) => format!("REG_SZ \"{}\"", short(s)),
        RegistryValue::Dword(d) => format!("REG_DWORD {d}"),
    }
}

fn reg_matches(expected: &RegistryValue, actual: &RegValue) -> bool {
    match (expected, actual) {
        (RegistryValue::Sz(e), RegValue::Sz(a)) => e == a,
        (RegistryValue::Dword(e), RegValue::Dword(a)) => e == a,
        _ => false,
    }
}

/// Compare the values of Cortex Code's policy key (`None`: the key is absent) with
/// the signed expectation. Value names compare case-insensitively, as Windows does.
pub fn windows_drift(
    expected: &BTreeMap<String, RegistryValue>,
    actual: Option<&BTreeMap<String, RegValue>>,
    at: &str,
) -> Vec<Finding> {
    let empty = BTreeMap::new();
    let actual = actual.unwrap_or(&empty);
    let find = |name: &str| {
        actual
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let mut findings = Vec::new();
    for (name, want) in expected {
        match find(name) {
            None => findings.push(missing(name, &describe_expected_reg(want), at)),
            Some(got) if !reg_matches(want, got) => findings.push(different(
                name,
                &describe_expected_reg(want),
                &describe_reg(got),
                at,
            )),
            Some(_) => {}
        }
    }
    for (name, got) in actual {
        if !expected.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            findings.push(unexpected(name, &describe_reg(got), at));
        }
    }
    findings
}

/// Read Cortex Code's MDM values for `paths.platform` and compare them. Linux has
/// no MDM channel for Cortex Code, so nothing is compared there.
pub fn mdm_drift(
    paths: &Paths,
    registry: Option<&dyn PolicyRegistry>,
    expected: &ExpectedCortex,
) -> Vec<Finding> {
    match paths.platform {
        Platform::MacOs => {
            let Some(path) = &paths.cortex_preferences else {
                return Vec::new();
            };
            let at = path.display().to_string();
            match fsutil::read_regular(path, MAX_PREFERENCES_BYTES) {
                Ok(bytes) => macos_drift(&expected.macos_values(), Some(&bytes), &at),
                Err(ReadError::NotFound) => macos_drift(&expected.macos_values(), None, &at),
                Err(e) => vec![
                    Finding::new(
                        "mdm-unreadable",
                        Severity::Error,
                        format!("cannot read Cortex Code's managed preferences: {e}"),
                    )
                    .at(at),
                ],
            }
        }
        Platform::Windows => {
            let at = format!(r"HKEY_LOCAL_MACHINE\{}", cortex_code::KEY);
            let Some(registry) = registry else {
                return if expected.windows_values().is_empty() {
                    Vec::new()
                } else {
                    vec![
                        Finding::new(
                            "mdm-unreadable",
                            Severity::Error,
                            "no registry is available to compare Cortex Code's policy values",
                        )
                        .at(at),
                    ]
                };
            };
            match registry.read_key(cortex_code::HIVE, cortex_code::KEY) {
                Ok(values) => windows_drift(&expected.windows_values(), values.as_ref(), &at),
                Err(e) => vec![
                    Finding::new(
                        "mdm-unreadable",
                        Severity::Error,
                        format!("cannot read Cortex Code's policy key: {e}"),
                    )
                    .at(at),
                ],
            }
        }
        Platform::Linux => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plist_drift_names_each_difference_and_ignores_bookkeeping() {
        let expected = BTreeMap::from([
            ("CortexEnabled".to_owned(), PreferenceValue::Bool(true)),
            (
                "CortexAllowedAccounts".to_owned(),
                PreferenceValue::StringList(vec!["acme-*".into()]),
            ),
            (
                "CortexMinimumVersion".to_owned(),
                PreferenceValue::String("1.2.0".into()),
            ),
        ]);
        let plist = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>CortexEnabled</key><false/>
<key>CortexAllowedAccounts</key><array><string>acme-*</string></array>
<key>CortexExtra</key><string>x</string>
<key>PayloadUUID</key><string>u</string>
</dict></plist>"#;
        let f = macos_drift(&expected, Some(plist), "p");
        let codes: Vec<_> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "mdm-value-different",
                "mdm-value-missing",
                "mdm-value-unexpected"
            ]
        );
        assert!(f[0].message.contains("CortexEnabled"));
        assert!(f[1].message.contains("CortexMinimumVersion"));
        assert!(f[2].message.contains("CortexExtra"));
        assert_eq!(macos_drift(&expected, None, "p").len(), 3);
        assert_eq!(
            macos_drift(&expected, Some(b"junk"), "p")[0].code,
            "mdm-unreadable"
        );
    }

    #[test]
    fn a_removed_embedded_policy_is_reported_missing() {
        let expected = ExpectedCortex::embedded(
            b"{\"version\":\"1.0\"}\n",
            BTreeMap::new(),
            BTreeMap::from([("CortexEnabled".to_owned(), RegistryValue::Dword(1))]),
        );
        let b64 = expected.managed_settings.clone();
        let mut actual = BTreeMap::from([
            ("CortexEnabled".to_owned(), RegValue::Dword(1)),
            ("CortexManagedSettingsBase64".to_owned(), RegValue::Sz(b64)),
        ]);
        assert!(windows_drift(&expected.windows_values(), Some(&actual), "k").is_empty());
        actual.remove("CortexManagedSettingsBase64");
        let f = windows_drift(&expected.windows_values(), Some(&actual), "k");
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, "mdm-value-missing");
        assert!(f[0].message.contains("CortexManagedSettingsBase64"));
        let f = macos_drift(&expected.macos_values(), None, "p");
        assert!(
            f.iter()
                .any(|f| f.message.contains("CortexManagedSettingsBase64"))
        );
    }

    #[test]
    fn registry_drift_is_case_insensitive_and_typed() {
        let expected = BTreeMap::from([
            ("CortexEnabled".to_owned(), RegistryValue::Dword(1)),
            (
                "CortexMinimumVersion".to_owned(),
                RegistryValue::Sz("1.2.0".into()),
            ),
        ]);
        let actual = BTreeMap::from([
            ("cortexenabled".to_owned(), RegValue::Dword(1)),
            (
                "CortexMinimumVersion".to_owned(),
                RegValue::ExpandSz("1.2.0".into()),
            ),
        ]);
        let f = windows_drift(&expected, Some(&actual), "k");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "mdm-value-different");
        assert!(
            windows_drift(&expected, None, "k")
                .iter()
                .all(|f| f.code == "mdm-value-missing")
        );
    }
}
