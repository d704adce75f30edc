//! The body of a signed policy bundle: the statement the compiler signs and the
//! endpoint agent enforces.
//!
//! A bundle is a DSSE envelope (see `warden-trust`) whose payload is a
//! [`Statement`]: identity, validity window and serial from `warden-trust`, and a
//! [`PolicyBody`] that names everything an endpoint must make true: the exact bytes
//! of Cortex Code's `managed-settings.json`, the values Cortex Code must see from the
//! MDM on each OS, and the rules only the agent enforces. Every type refuses unknown
//! fields: the agent parses only verified bytes, and parses them strictly.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use warden_policy::{ConnectionTemplate, EndpointModes, Policy};
use warden_trust::sha256_hex;

/// The signed statement of a policy bundle.
pub type Statement = warden_trust::PolicyStatement<PolicyBody>;

/// What every endpoint must run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// Cortex Code's expected state.
    pub cortex: ExpectedCortex,
    /// The rules the agent evaluates and enforces on the user's connections.
    pub endpoint: EndpointPolicy,
}

/// Cortex Code's expected state on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCortex {
    /// Standard base64 of the exact `managed-settings.json` bytes the agent writes.
    pub managed_settings: String,
    /// Lower-case hex sha256 of those bytes.
    pub managed_settings_sha256: String,
    /// Values of Cortex Code's macOS preference domain `com.snowflake.coco`, as the
    /// MDM must deliver them.
    pub macos: BTreeMap<String, PreferenceValue>,
    /// Values under `HKLM\Software\Policies\Microsoft\CortexCode`, as the MDM must
    /// deliver them.
    pub windows: BTreeMap<String, RegistryValue>,
    /// True when both MDM channels carry the file as [`EMBED_KEY`], whose value is
    /// [`managed_settings`](Self::managed_settings) itself and so is not repeated in
    /// [`macos`](Self::macos) and [`windows`](Self::windows): read the full maps with
    /// [`macos_values`](Self::macos_values) and [`windows_values`](Self::windows_values).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub embedded: bool,
}

/// Cortex Code's MDM key for the whole `managed-settings.json`, base64-encoded.
pub const EMBED_KEY: &str = "CortexManagedSettingsBase64";

/// A macOS preference value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PreferenceValue {
    Bool(bool),
    String(String),
    StringList(Vec<String>),
}

/// A registry value, tagged with its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", deny_unknown_fields)]
pub enum RegistryValue {
    #[serde(rename = "REG_SZ")]
    Sz(String),
    #[serde(rename = "REG_DWORD")]
    Dword(u32),
}

/// The rules the endpoint agent applies to the user's Snowflake connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointPolicy {
    /// The evaluation rules, identical to what `warden explain` and `warden test` use.
    pub policy: Policy,
    /// How hard each rule is enforced.
    pub modes: EndpointModes,
    /// The connection every endpoint must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_connection: Option<RequiredConnection>,
}

/// The connection every endpoint must have, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredConnection {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<ConnectionTemplate>,
}

/// A bundle body that does not hold together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    #[error("managed settings are not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error(
        "managed settings digest mismatch: the statement says {expected}, the bytes hash to {actual}"
    )]
    Digest { expected: String, actual: String },
}

impl ExpectedCortex {
    /// Describe `bytes` as the expected `managed-settings.json`.
    pub fn new(
        bytes: &[u8],
        macos: BTreeMap<String, PreferenceValue>,
        windows: BTreeMap<String, RegistryValue>,
    ) -> Self {
        Self {
            managed_settings: base64::engine::general_purpose::STANDARD.encode(bytes),
            managed_settings_sha256: sha256_hex(bytes),
            macos,
            windows,
            embedded: false,
        }
    }

    /// Like [`new`](Self::new), with [`EMBED_KEY`] expected on both MDM channels and
    /// carried once: any [`EMBED_KEY`] entry of the maps is dropped, since its value is
    /// the managed settings themselves.
    pub fn embedded(
        bytes: &[u8],
        mut macos: BTreeMap<String, PreferenceValue>,
        mut windows: BTreeMap<String, RegistryValue>,
    ) -> Self {
        macos.remove(EMBED_KEY);
        windows.remove(EMBED_KEY);
        Self {
            embedded: true,
            ..Self::new(bytes, macos, windows)
        }
    }

    /// Every value the macOS preference domain must show, [`EMBED_KEY`] included.
    pub fn macos_values(&self) -> BTreeMap<String, PreferenceValue> {
        let mut out = self.macos.clone();
        if self.embedded {
            out.insert(
                EMBED_KEY.to_owned(),
                PreferenceValue::String(self.managed_settings.clone()),
            );
        }
        out
    }

    /// Every value the Cortex Code registry key must show, [`EMBED_KEY`] included.
    pub fn windows_values(&self) -> BTreeMap<String, RegistryValue> {
        let mut out = self.windows.clone();
        if self.embedded {
            out.insert(
                EMBED_KEY.to_owned(),
                RegistryValue::Sz(self.managed_settings.clone()),
            );
        }
        out
    }

    /// The exact `managed-settings.json` bytes, checked against their digest.
    pub fn managed_settings_bytes(&self) -> Result<Vec<u8>, BodyError> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(&self.managed_settings)?;
        let actual = sha256_hex(&bytes);
        if actual != self.managed_settings_sha256 {
            return Err(BodyError::Digest {
                expected: self.managed_settings_sha256.clone(),
                actual,
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_settings_round_trip_and_digest_is_checked() {
        let e = ExpectedCortex::new(b"{\"version\":\"1.0\"}\n", BTreeMap::new(), BTreeMap::new());
        assert_eq!(
            e.managed_settings_bytes().unwrap(),
            b"{\"version\":\"1.0\"}\n"
        );
        let mut bad = e.clone();
        bad.managed_settings_sha256 = "00".repeat(32);
        assert!(matches!(
            bad.managed_settings_bytes(),
            Err(BodyError::Digest { .. })
        ));
    }

    #[test]
    fn the_embedded_file_is_carried_once_and_expected_on_both_channels() {
        let bytes = b"{\"version\":\"1.0\"}\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let macos = BTreeMap::from([
            (EMBED_KEY.to_owned(), PreferenceValue::String(b64.clone())),
            ("CortexEnabled".to_owned(), PreferenceValue::Bool(true)),
        ]);
        let windows = BTreeMap::from([
            (EMBED_KEY.to_owned(), RegistryValue::Sz(b64.clone())),
            ("CortexEnabled".to_owned(), RegistryValue::Dword(1)),
        ]);
        let e = ExpectedCortex::embedded(bytes, macos.clone(), windows.clone());
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json.matches(&b64).count(), 1, "{json}");
        let back: ExpectedCortex = serde_json::from_str(&json).unwrap();
        assert_eq!(back.macos_values(), macos);
        assert_eq!(back.windows_values(), windows);
        // Without the flag nothing is implied.
        let plain = ExpectedCortex::new(bytes, BTreeMap::new(), BTreeMap::new());
        assert!(plain.windows_values().is_empty());
        assert!(!serde_json::to_string(&plain).unwrap().contains("embedded"));
    }

    #[test]
    fn registry_values_are_tagged_and_strict() {
        let v: RegistryValue = serde_json::from_str(r#"{"type":"REG_DWORD","data":1}"#).unwrap();
        assert_eq!(v, RegistryValue::Dword(1));
        assert!(
            serde_json::from_str::<RegistryValue>(r#"{"type":"REG_BINARY","data":1}"#).is_err()
        );
        assert!(
            serde_json::from_str::<EndpointPolicy>(r#"{"policy":{},"modes":{},"x":1}"#).is_err()
        );
    }
}
