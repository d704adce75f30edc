//! The values Cortex Code reads from its MDM domain (`com.snowflake.coco` on macOS,
//! `HKLM\Software\Policies\Microsoft\CortexCode` on Windows).
//!
//! The macOS and Windows backends render these into plists and registry values, and
//! the signed bundle carries them as the state every endpoint must show. They are
//! derived from the compiled [`ManagedSettings`], so the file and the MDM keys can
//! never disagree.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::CompileError;
use crate::managed_settings::ManagedSettings;

/// Cortex Code refuses an embedded policy larger than 256 KB; counted in decimal
/// kilobytes, the stricter reading.
pub const MAX_BASE64_BYTES: usize = 256_000;

/// Characters of `CortexManagedSettingsBase64` for a `managed-settings.json` of
/// `file_len` bytes: standard base64 with padding.
pub fn embedded_file_len(file_len: usize) -> usize {
    base64::encoded_len(file_len, true).expect("a profile-sized file fits base64")
}

/// A Cortex Code MDM key, in the order the documentation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MdmKey {
    Enabled,
    AllowedAccounts,
    AllowedAuthMethods,
    AllowedAuthMethodsByAccount,
    MinimumVersion,
    CliMinimumVersion,
    DesktopMinimumVersion,
    ManagedSettingsBase64,
    ManagedSettingsBase64Enabled,
}

impl MdmKey {
    /// Every key, in documentation order.
    pub const ALL: [MdmKey; 9] = [
        Self::Enabled,
        Self::AllowedAccounts,
        Self::AllowedAuthMethods,
        Self::AllowedAuthMethodsByAccount,
        Self::MinimumVersion,
        Self::CliMinimumVersion,
        Self::DesktopMinimumVersion,
        Self::ManagedSettingsBase64,
        Self::ManagedSettingsBase64Enabled,
    ];

    /// The key name as Cortex Code reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "CortexEnabled",
            Self::AllowedAccounts => "CortexAllowedAccounts",
            Self::AllowedAuthMethods => "CortexAllowedAuthMethods",
            Self::AllowedAuthMethodsByAccount => "CortexAllowedAuthMethodsByAccount",
            Self::MinimumVersion => "CortexMinimumVersion",
            Self::CliMinimumVersion => "CortexCliMinimumVersion",
            Self::DesktopMinimumVersion => "CortexDesktopMinimumVersion",
            Self::ManagedSettingsBase64 => "CortexManagedSettingsBase64",
            Self::ManagedSettingsBase64Enabled => "CortexManagedSettingsBase64Enabled",
        }
    }
}

/// A value's type decides its plist and registry form: `Bool` is `<true/>` /
/// `REG_DWORD`, `StringList` is `<array>` / a JSON array in `REG_SZ`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MdmValue {
    Bool(bool),
    String(String),
    StringList(Vec<String>),
}

impl MdmValue {
    /// The text Windows carries in a `REG_SZ`: a string as it is, a list as a compact
    /// JSON array; `None` for a `Bool`, which is a `REG_DWORD`.
    pub fn registry_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Bool(_) => None,
            Self::String(s) => Some(Cow::Borrowed(s)),
            Self::StringList(list) => Some(Cow::Owned(
                serde_json::to_string(list).expect("a list of strings serializes"),
            )),
        }
    }
}

/// The keys a profile sets, in [`MdmKey`] order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MdmValues(BTreeMap<MdmKey, MdmValue>);

impl MdmValues {
    /// Derive the values from a compiled file and its exact bytes, and the profile's
    /// `[cortex] managed_settings_base64_enabled` (written only when it says).
    pub fn from_settings(
        settings: &ManagedSettings,
        file_bytes: &[u8],
        embed_enabled: Option<bool>,
    ) -> Result<Self, CompileError> {
        let mut values = Self::without_embedded_file(settings, embed_enabled)?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(file_bytes);
        if encoded.len() > MAX_BASE64_BYTES {
            return Err(CompileError::ManagedSettingsTooLarge {
                size: encoded.len(),
                limit: MAX_BASE64_BYTES,
            });
        }
        values
            .0
            .insert(MdmKey::ManagedSettingsBase64, MdmValue::String(encoded));
        Ok(values)
    }

    /// Every value [`MdmValues::from_settings`] derives except
    /// `CortexManagedSettingsBase64`, the file itself, whose size follows from the
    /// file's length alone ([`embedded_file_len`]).
    pub fn without_embedded_file(
        settings: &ManagedSettings,
        embed_enabled: Option<bool>,
    ) -> Result<Self, CompileError> {
        let mut map = BTreeMap::new();
        if let Some(enabled) = settings.enabled {
            map.insert(MdmKey::Enabled, MdmValue::Bool(enabled));
        }
        if let Some(tenant) = &settings.tenant {
            map.insert(
                MdmKey::AllowedAccounts,
                MdmValue::StringList(tenant.allowed_accounts.clone()),
            );
        }
        if let Some(auth) = &settings.auth {
            if let Some(methods) = &auth.allowed_methods {
                map.insert(
                    MdmKey::AllowedAuthMethods,
                    MdmValue::StringList(methods.clone()),
                );
            }
            if let Some(accounts) = &auth.accounts {
                // The documented MDM form maps each account straight to its list
                // (`{"acme-prod":["EXTERNALBROWSER"]}`), unlike the file's
                // `{"allowedMethods": […]}` objects.
                let flat: BTreeMap<&str, &[String]> = accounts
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.allowed_methods.as_slice()))
                    .collect();
                let json =
                    serde_json::to_string(&flat).map_err(|source| CompileError::Serialize {
                        path: crate::MANAGED_SETTINGS_PATH,
                        source,
                    })?;
                map.insert(MdmKey::AllowedAuthMethodsByAccount, MdmValue::String(json));
            }
        }
        let versions = [
            (MdmKey::MinimumVersion, settings.required.as_ref()),
            (
                MdmKey::CliMinimumVersion,
                settings.cli.as_ref().map(|c| &c.required),
            ),
            (
                MdmKey::DesktopMinimumVersion,
                settings.desktop.as_ref().map(|c| &c.required),
            ),
        ];
        for (key, required) in versions {
            if let Some(r) = required {
                map.insert(key, MdmValue::String(r.minimum_version.clone()));
            }
        }
        if let Some(on) = embed_enabled {
            map.insert(MdmKey::ManagedSettingsBase64Enabled, MdmValue::Bool(on));
        }
        Ok(Self(map))
    }

    pub fn get(&self, key: MdmKey) -> Option<&MdmValue> {
        self.0.get(&key)
    }

    /// The keys and values in [`MdmKey`] order.
    pub fn iter(&self) -> impl Iterator<Item = (MdmKey, &MdmValue)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A JSON object keyed by the Cortex Code key names, for the signed bundle.
impl Serialize for MdmValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_unique_and_ordered() {
        let mut names: Vec<&str> = MdmKey::ALL.iter().map(|k| k.as_str()).collect();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
        let mut sorted = MdmKey::ALL;
        sorted.sort();
        assert_eq!(sorted, MdmKey::ALL);
    }
}
