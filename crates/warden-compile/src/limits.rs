//! Size limits of the compiled artifacts, measured on the real compile so that
//! `warden validate` reports what `warden compile` would otherwise refuse.
//!
//! | limit | applies to | source |
//! |---|---|---|
//! | 256,000 bytes of base64 | `CortexManagedSettingsBase64` on every MDM channel | Cortex Code's MDM page ("larger than 256 KB makes CoCo deny connections"), counted in decimal kilobytes |
//! | 65,535 data bytes (UTF-16LE with the NUL) | every Cortex Code `REG_SZ` value on Windows | MS-GPREG (`Registry.pol`), applied to the `.reg` and the scripts too so every route carries the same values |
//!
//! The agent's signed bundle is not measured here: it is signed after validation,
//! and a bundle too long for `Registry.pol` is left out of that one file (see
//! [`crate::windows`]), never a reason to fail.

use base64::Engine as _;
use warden_diag::{Finding, Location};
use warden_profile::{Code, ResolvedProfile};

use crate::CompileError;
use crate::backend::Context;
use crate::managed_settings::ManagedSettings;
use crate::mdm::MdmValue;
use crate::windows::{MAX_REG_SZ_BYTES, reg_sz_bytes};

/// Every size limit the profile's compiled values break, with the measured sizes.
pub fn findings(profile: &ResolvedProfile) -> Vec<Finding> {
    let file = profile.chain.last().cloned().unwrap_or_default();
    let at = |pointer: &str| Location::file(file.clone()).with_pointer(pointer);
    let finding = |message: String, pointer: &str| {
        Finding::new(
            Code::RegistryValueTooLarge,
            Code::RegistryValueTooLarge.severity(),
            message,
        )
        .at(at(pointer))
    };
    let mut out = Vec::new();
    let cx = match Context::new(profile) {
        Ok(cx) => cx,
        Err(CompileError::ManagedSettingsTooLarge { size, limit }) => {
            let file_bytes = ManagedSettings::from_profile(profile)
                .and_then(|s| s.to_bytes())
                .map(|b| b.len())
                .unwrap_or_default();
            out.push(
                finding(
                    format!(
                        "managed-settings.json compiles to {file_bytes} bytes, {size} bytes in base64 (`CortexManagedSettingsBase64`); Cortex Code denies connections over {limit}"
                    ),
                    "/cortex/permissions",
                )
                .help("shorten or merge permission patterns (globs such as `web_*` cover many tools)"),
            );
            return out;
        }
        // Other refusals are not size limits; `warden compile` reports them.
        Err(_) => return out,
    };
    for (key, value) in cx.mdm.iter() {
        let text = match value {
            MdmValue::String(s) => s.clone(),
            MdmValue::StringList(l) => serde_json::Value::from(l.clone()).to_string(),
            MdmValue::Bool(_) => continue,
        };
        let size = reg_sz_bytes(&text);
        if size > MAX_REG_SZ_BYTES {
            let detail = if key == crate::MdmKey::ManagedSettingsBase64 {
                let b64 =
                    base64::engine::general_purpose::STANDARD.encode(&cx.managed_settings_bytes);
                format!(
                    " (managed-settings.json is {} bytes, {} characters in base64; at most {} characters fit)",
                    cx.managed_settings_bytes.len(),
                    b64.len(),
                    MAX_REG_SZ_BYTES / 2 - 1
                )
            } else {
                String::new()
            };
            out.push(
                finding(
                    format!(
                        "`{}` is {size} bytes as REG_SZ (UTF-16LE with NUL), over the {MAX_REG_SZ_BYTES}-byte limit of a Windows registry policy value{detail}",
                        key.as_str()
                    ),
                    pointer_of(key),
                )
                .help("shorten the lists behind this value (globs such as `web_*` cover many tools); Windows cannot carry it otherwise"),
            );
        }
    }
    out
}

fn pointer_of(key: crate::MdmKey) -> &'static str {
    use crate::MdmKey as K;
    match key {
        K::AllowedAccounts => "/accounts/allow",
        K::AllowedAuthMethods | K::AllowedAuthMethodsByAccount => "/authenticators",
        K::MinimumVersion | K::CliMinimumVersion | K::DesktopMinimumVersion => "/cortex/required",
        K::ManagedSettingsBase64 => "/cortex/permissions",
        K::Enabled | K::ManagedSettingsBase64Enabled => "/cortex",
    }
}
