//! macOS delivery: the `.mobileconfig`, Jamf and Intune forms, from `warden-macos`,
//! and, for a profile with `[macos] sign_mobileconfig = true`, the same profile
//! CMS-signed (see [`crate::CompileOutput::sign_mobileconfig`]).
//!
//! | path | for |
//! |---|---|
//! | `macos/<id>.mobileconfig` | MDMs that edit or template profiles (Jamf's editor, Intune's `{{…}}` variables), and review |
//! | `macos/<id>.signed.mobileconfig` | upload or manual install where the signer should show and nothing may rewrite it; Jamf Pro keeps it read-only |

use std::collections::BTreeMap;

use warden_macos::{MacosInput, PrefValue};

use crate::CompileError;
use crate::backend::{Artifact, Context, DeliveryBackend};
use crate::mdm::{MdmValue, MdmValues};

/// The unsigned configuration profile of `profile_id`.
pub fn mobileconfig_path(profile_id: &str) -> String {
    format!("{}/{profile_id}.mobileconfig", warden_macos::OUTPUT_DIR)
}

/// The CMS-signed configuration profile of `profile_id`, beside the unsigned one.
pub fn signed_mobileconfig_path(profile_id: &str) -> String {
    format!(
        "{}/{profile_id}.signed.mobileconfig",
        warden_macos::OUTPUT_DIR
    )
}

/// Writes `macos/…` (see `warden-macos` for the files and their consumers).
#[derive(Debug, Clone, Copy, Default)]
pub struct MacosBackend;

/// Cortex Code's preference values for `mdm`: the state MDM must deliver to the
/// `com.snowflake.coco` domain, and what the bundle tells the agent to expect.
pub fn cortex_preference_values(mdm: &MdmValues) -> BTreeMap<String, PrefValue> {
    mdm.iter()
        .map(|(key, value)| {
            let v = match value {
                MdmValue::Bool(b) => PrefValue::Bool(*b),
                MdmValue::String(s) => PrefValue::String(s.clone()),
                MdmValue::StringList(l) => PrefValue::StringList(l.clone()),
            };
            (key.as_str().to_owned(), v)
        })
        .collect()
}

impl DeliveryBackend for MacosBackend {
    fn name(&self) -> &'static str {
        "macos"
    }

    fn artifacts(&self, cx: &Context<'_>, bundle: &[u8]) -> Result<Vec<Artifact>, CompileError> {
        let id = &cx.profile.identity;
        let keys = cortex_preference_values(&cx.mdm);
        let input = MacosInput {
            profile_id: &id.id,
            display_name: &id.name,
            organization: id.organization.as_deref(),
            description: id.description.as_deref(),
            serial: id.serial,
            cortex_keys: &keys,
            bundle,
        };
        let files = warden_macos::artifacts(&input).map_err(|e| CompileError::Backend {
            backend: "macos",
            source: Box::new(e),
        })?;
        Ok(files
            .into_iter()
            .map(|(path, bytes)| Artifact {
                path: format!("{}/{path}", warden_macos::OUTPUT_DIR),
                bytes,
            })
            .collect())
    }
}
