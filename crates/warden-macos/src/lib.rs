//! macOS delivery formats for a compiled Warden policy.
//!
//! [`artifacts`] turns already-computed preference values into the files IT
//! uploads to Jamf Pro, Intune or any MDM, all relative to the compile output's
//! [`OUTPUT_DIR`] folder:
//!
//! | path | consumer |
//! |---|---|
//! | `<profile-id>.mobileconfig` | any MDM, manual install: one MCX `Forced` payload per domain, `PayloadScope` System |
//! | `com.snowflake.coco.plist`, `com.warden.agent.plist` | Jamf "Application & Custom Settings" upload |
//! | `intune/<domain>.xml` | Intune "Preference file" (keys only, no `<plist>`/`<dict>`) |
//! | `jamf-schema.json` | Jamf custom schema form for Cortex Code's keys |
//!
//! Cortex Code's domain files are written only when the profile sets at least
//! one of its keys. Output is a pure function of the input: dictionaries are
//! written in sorted key order, identifiers and UUIDs derive from the profile id
//! (see [`mobileconfig`]), and values a plist cannot carry are refused with a
//! [`MacosError`] instead of being altered. [`parse_agent_preferences`] reads the
//! agent's domain back on the endpoint.
#![forbid(unsafe_code)]

pub mod bounded;
mod cortex;
mod error;
mod jamf;
pub mod mobileconfig;
mod read;
mod render;
mod value;

use std::collections::BTreeMap;

pub use bounded::{BoundedError, Limits, read_bounded};
pub use cortex::{COCO_DOMAIN, MANAGED_SETTINGS_LIMIT};
pub use error::MacosError;
pub use read::{AgentPreferences, PreferencesError, parse_agent_preferences};
pub use value::PrefValue;

use value::check_text;

/// The agent's own preference domain; its managed file is
/// `/Library/Managed Preferences/com.warden.agent.plist`.
pub const AGENT_DOMAIN: &str = "com.warden.agent";
/// Key in [`AGENT_DOMAIN`] holding the signed bundle (DSSE JSON) as a string.
pub const POLICY_BUNDLE_KEY: &str = "PolicyBundle";
/// Key in [`AGENT_DOMAIN`] holding the bundle's serial as an integer.
pub const POLICY_SERIAL_KEY: &str = "PolicySerial";
/// Folder of the compile output that the paths returned by [`artifacts`] are relative to.
pub const OUTPUT_DIR: &str = "macos";
/// File name of the Jamf custom schema.
pub const JAMF_SCHEMA_FILE: &str = "jamf-schema.json";

/// Everything the macOS formats need from a compiled profile.
#[derive(Debug, Clone, Copy)]
pub struct MacosInput<'a> {
    /// Profile id (`[a-z0-9][a-z0-9-]{0,62}`); names the profile and its identifiers.
    pub profile_id: &'a str,
    /// `PayloadDisplayName` shown in MDM consoles and System Settings.
    pub display_name: &'a str,
    /// `PayloadOrganization`, omitted when `None`.
    pub organization: Option<&'a str>,
    /// `PayloadDescription`, omitted when `None`.
    pub description: Option<&'a str>,
    /// The bundle's serial, delivered as [`POLICY_SERIAL_KEY`].
    pub serial: u64,
    /// Cortex Code's keys for [`COCO_DOMAIN`] (`CortexEnabled`,
    /// `CortexAllowedAccounts`, `CortexAllowedAuthMethods`,
    /// `CortexAllowedAuthMethodsByAccount` as a JSON string, the three minimum
    /// versions, `CortexManagedSettingsBase64`, `CortexManagedSettingsBase64Enabled`):
    /// only the keys the profile sets, already computed. Unknown keys are refused.
    pub cortex_keys: &'a BTreeMap<String, PrefValue>,
    /// The signed bundle (DSSE JSON bytes), delivered as [`POLICY_BUNDLE_KEY`].
    pub bundle: &'a [u8],
}

/// Build every macOS artifact, sorted by path (relative to [`OUTPUT_DIR`]).
///
/// ```
/// use std::collections::BTreeMap;
/// use warden_macos::{MacosInput, PrefValue, artifacts};
///
/// let keys = BTreeMap::from([("CortexEnabled".to_owned(), PrefValue::Bool(true))]);
/// let files = artifacts(&MacosInput {
///     profile_id: "acme-baseline",
///     display_name: "Cortex Code policy",
///     organization: Some("ACME"),
///     description: None,
///     serial: 7,
///     cortex_keys: &keys,
///     bundle: br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}"#,
/// })?;
/// assert_eq!(files[0].0, "acme-baseline.mobileconfig");
/// # Ok::<(), warden_macos::MacosError>(())
/// ```
pub fn artifacts(input: &MacosInput<'_>) -> Result<Vec<(String, Vec<u8>)>, MacosError> {
    check_profile_id(input.profile_id)?;
    check_text("PayloadDisplayName", input.display_name)?;
    if let Some(org) = input.organization {
        check_text("PayloadOrganization", org)?;
    }
    if let Some(desc) = input.description {
        check_text("PayloadDescription", desc)?;
    }
    cortex::check_cortex_keys(input.cortex_keys)?;
    let agent_keys = agent_keys(input)?;

    let coco = mobileconfig::settings(input.cortex_keys);
    let agent = mobileconfig::settings(&agent_keys);
    let mut domains: Vec<(&str, &BTreeMap<String, plist::Value>)> = Vec::new();
    if !coco.is_empty() {
        domains.push((COCO_DOMAIN, &coco));
    }
    domains.push((AGENT_DOMAIN, &agent));

    let text = mobileconfig::ProfileText {
        profile_id: input.profile_id,
        display_name: input.display_name,
        organization: input.organization,
        description: input.description,
    };
    let mut out = vec![
        (
            format!("{}.mobileconfig", input.profile_id),
            render::document(&mobileconfig::profile(&text, &domains))?,
        ),
        (
            JAMF_SCHEMA_FILE.to_owned(),
            jamf::schema(input.cortex_keys)?,
        ),
    ];
    for (domain, keys) in &domains {
        let dict = render::sorted_dict(keys.iter().map(|(k, v)| (k.clone(), v.clone())));
        out.push((format!("{domain}.plist"), render::document(&dict)?));
        out.push((format!("intune/{domain}.xml"), render::fragment(keys)?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn agent_keys(input: &MacosInput<'_>) -> Result<BTreeMap<String, PrefValue>, MacosError> {
    let bundle = std::str::from_utf8(input.bundle).map_err(|_| MacosError::BundleNotUtf8)?;
    check_text(&format!("{AGENT_DOMAIN}/{POLICY_BUNDLE_KEY}"), bundle)?;
    let serial = i64::try_from(input.serial).map_err(|_| MacosError::SerialOutOfRange {
        serial: input.serial,
    })?;
    Ok(BTreeMap::from([
        (
            POLICY_BUNDLE_KEY.to_owned(),
            PrefValue::String(bundle.to_owned()),
        ),
        (POLICY_SERIAL_KEY.to_owned(), PrefValue::Integer(serial)),
    ]))
}

/// The profile schema's id alphabet; it becomes a file name and an identifier component.
fn check_profile_id(id: &str) -> Result<(), MacosError> {
    let bytes = id.as_bytes();
    let ok = (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(MacosError::InvalidProfileId { id: id.to_owned() })
    }
}
