//! The keys Cortex Code reads from its preference domain, and their checks.
//!
//! The catalog follows Cortex Code's MDM documentation (account and
//! authentication controls, minimum versions, the embedded managed settings).
//! It drives both validation and the Jamf schema, so the two cannot disagree.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::{MacosError, PrefValue};

/// Cortex Code's preference domain on macOS.
pub const COCO_DOMAIN: &str = "com.snowflake.coco";

/// The largest embedded-settings value accepted. Cortex Code denies connections
/// above 256 KB; the limit is read as 256,000 bytes of the base64 text so that no
/// reading of "KB" lets an oversized value through.
pub const MANAGED_SETTINGS_LIMIT: usize = 256_000;

/// What a key holds, beyond its plist type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Text,
    TextList,
    /// A string holding a JSON object.
    JsonObject,
    /// A string holding standard base64 of a JSON object (the managed settings).
    Base64Json,
}

/// One documented key of [`COCO_DOMAIN`].
#[derive(Debug)]
pub(crate) struct CortexKey {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) title: &'static str,
    pub(crate) description: &'static str,
}

/// Every key Warden writes to Cortex Code's domain, in the order a form shows them.
pub(crate) const CORTEX_KEYS: &[CortexKey] = &[
    CortexKey {
        name: "CortexEnabled",
        kind: Kind::Bool,
        title: "Enable account and authentication controls",
        description: "Turns the account, authentication and minimum-version controls on or off. Switch them off through the same channel that deployed them.",
    },
    CortexKey {
        name: "CortexAllowedAccounts",
        kind: Kind::TextList,
        title: "Allowed Snowflake accounts",
        description: "Account patterns (globs) Cortex Code may connect to, for both CLI and Desktop. The host Cortex Code connects to is checked, so a connection that names an allowed account but points at another account's host is refused.",
    },
    CortexKey {
        name: "CortexAllowedAuthMethods",
        kind: Kind::TextList,
        title: "Allowed authentication methods",
        description: "Authenticators Cortex Code accepts, for example OAUTH_AUTHORIZATION_CODE, EXTERNALBROWSER, PROGRAMMATIC_ACCESS_TOKEN or SNOWFLAKE.",
    },
    CortexKey {
        name: "CortexAllowedAuthMethodsByAccount",
        kind: Kind::JsonObject,
        title: "Allowed authentication methods per account",
        description: "A JSON object (as a string) keyed by account pattern, giving the authentication methods allowed for matching accounts. A matching entry replaces the global list; an empty list allows any method; an exact key beats a glob.",
    },
    CortexKey {
        name: "CortexMinimumVersion",
        kind: Kind::Text,
        title: "Minimum version",
        description: "Oldest Cortex Code version (CLI and Desktop) allowed to start.",
    },
    CortexKey {
        name: "CortexCliMinimumVersion",
        kind: Kind::Text,
        title: "Minimum CLI version",
        description: "Oldest Cortex Code CLI version allowed to start.",
    },
    CortexKey {
        name: "CortexDesktopMinimumVersion",
        kind: Kind::Text,
        title: "Minimum Desktop version",
        description: "Oldest Cortex Code Desktop version allowed to start.",
    },
    CortexKey {
        name: "CortexManagedSettingsBase64",
        kind: Kind::Base64Json,
        title: "Managed settings (base64)",
        description: "The whole managed-settings.json, base64-encoded (as `cortex managed-settings encode` produces). An invalid value, or one larger than 256 KB, makes Cortex Code deny connections.",
    },
    CortexKey {
        name: "CortexManagedSettingsBase64Enabled",
        kind: Kind::Bool,
        title: "Use the embedded managed settings",
        description: "Whether Cortex Code applies the managed settings embedded in CortexManagedSettingsBase64.",
    },
];

fn lookup(name: &str) -> Option<&'static CortexKey> {
    CORTEX_KEYS.iter().find(|k| k.name == name)
}

/// Check every key and value the caller wants in [`COCO_DOMAIN`].
pub(crate) fn check_cortex_keys(keys: &BTreeMap<String, PrefValue>) -> Result<(), MacosError> {
    for (name, value) in keys {
        let key = lookup(name).ok_or_else(|| MacosError::UnknownCortexKey { key: name.clone() })?;
        value.check_representable(&format!("{COCO_DOMAIN}/{name}"))?;
        check_kind(key, value)?;
    }
    Ok(())
}

fn check_kind(key: &CortexKey, value: &PrefValue) -> Result<(), MacosError> {
    let wrong = |expected| MacosError::CortexKeyType {
        key: key.name.to_owned(),
        expected,
        found: value.type_name(),
    };
    let malformed = |reason: String| MacosError::MalformedValue {
        key: key.name.to_owned(),
        reason,
    };
    match (key.kind, value) {
        (Kind::Bool, PrefValue::Bool(_))
        | (Kind::Text, PrefValue::String(_))
        | (Kind::TextList, PrefValue::StringList(_)) => Ok(()),
        (Kind::JsonObject, PrefValue::String(text)) => {
            json_object(text.as_bytes()).map_err(malformed)
        }
        (Kind::Base64Json, PrefValue::String(text)) => {
            if text.len() > MANAGED_SETTINGS_LIMIT {
                return Err(MacosError::ValueTooLarge {
                    key: key.name.to_owned(),
                    len: text.len(),
                    limit: MANAGED_SETTINGS_LIMIT,
                });
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| malformed(format!("not standard base64: {e}")))?;
            json_object(&bytes).map_err(|e| malformed(format!("decoded text {e}")))
        }
        (Kind::Bool, _) => Err(wrong("a boolean")),
        (Kind::TextList, _) => Err(wrong("a list of strings")),
        (Kind::Text | Kind::JsonObject | Kind::Base64Json, _) => Err(wrong("a string")),
    }
}

fn json_object(bytes: &[u8]) -> Result<(), String> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("is JSON but not an object".to_owned()),
        Err(e) => Err(format!("is not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, value: PrefValue) -> Result<(), MacosError> {
        check_cortex_keys(&BTreeMap::from([(name.to_owned(), value)]))
    }

    #[test]
    fn catalog_names_are_unique() {
        let mut names: Vec<_> = CORTEX_KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CORTEX_KEYS.len());
    }

    #[test]
    fn accepts_documented_shapes() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(br#"{"version":"1.0"}"#);
        one("CortexEnabled", PrefValue::Bool(true)).unwrap();
        one(
            "CortexAllowedAccounts",
            PrefValue::StringList(vec!["acme-*".into()]),
        )
        .unwrap();
        one(
            "CortexAllowedAuthMethodsByAccount",
            PrefValue::String(r#"{"acme-prod":{"allowedMethods":[]}}"#.into()),
        )
        .unwrap();
        one("CortexManagedSettingsBase64", PrefValue::String(b64)).unwrap();
    }

    #[test]
    fn refuses_unknown_keys() {
        let err = one("CortexEnable", PrefValue::Bool(true)).unwrap_err();
        assert!(matches!(err, MacosError::UnknownCortexKey { key } if key == "CortexEnable"));
    }

    #[test]
    fn refuses_wrong_types() {
        let err = one("CortexEnabled", PrefValue::Integer(1)).unwrap_err();
        assert!(matches!(
            err,
            MacosError::CortexKeyType {
                expected: "a boolean",
                found: "an integer",
                ..
            }
        ));
        let err = one("CortexAllowedAccounts", PrefValue::String("acme".into())).unwrap_err();
        assert!(matches!(
            err,
            MacosError::CortexKeyType {
                expected: "a list of strings",
                ..
            }
        ));
    }

    #[test]
    fn refuses_malformed_embedded_content() {
        for (key, text) in [
            ("CortexAllowedAuthMethodsByAccount", "[1]"),
            ("CortexAllowedAuthMethodsByAccount", "{"),
            ("CortexManagedSettingsBase64", "not base64!"),
            ("CortexManagedSettingsBase64", "WzFd"), // base64 of `[1]`
        ] {
            let err = one(key, PrefValue::String(text.into())).unwrap_err();
            assert!(
                matches!(err, MacosError::MalformedValue { .. }),
                "{key}={text}: {err}"
            );
        }
    }

    #[test]
    fn refuses_oversized_managed_settings() {
        let big = "A".repeat(MANAGED_SETTINGS_LIMIT + 4);
        let err = one("CortexManagedSettingsBase64", PrefValue::String(big)).unwrap_err();
        assert!(matches!(
            err,
            MacosError::ValueTooLarge {
                limit: MANAGED_SETTINGS_LIMIT,
                ..
            }
        ));
    }
}
