//! Size limits of the compiled artifacts, measured on the settings `warden compile`
//! derives (their lengths, without building the files), so that `warden validate`
//! reports what `warden compile` would otherwise refuse.
//!
//! | limit | applies to | source |
//! |---|---|---|
//! | 256,000 bytes of base64 | `CortexManagedSettingsBase64` on every MDM channel | Cortex Code's MDM page ("larger than 256 KB makes CoCo deny connections"), counted in decimal kilobytes |
//! | 65,535 data bytes (UTF-16LE with the NUL) | every Cortex Code `REG_SZ` value on Windows | MS-GPREG (`Registry.pol`), applied to the `.reg` and the scripts too so every route carries the same values |
//!
//! The agent's signed bundle is not measured here: it is signed after validation,
//! and a bundle too long for `Registry.pol` is left out of that one file (see
//! [`crate::windows`]), never a reason to fail.

use warden_diag::{Finding, Location};
use warden_profile::{Code, ResolvedProfile};

use crate::MdmKey;
use crate::managed_settings::ManagedSettings;
use crate::mdm::{MAX_BASE64_BYTES, MdmValues, embedded_file_len};
use crate::windows::{MAX_REG_SZ_BYTES, reg_sz_bytes, reg_sz_bytes_of_units};

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
    // Measured, not built: the lengths follow from the settings without encoding the
    // file. Other refusals are not size limits; `warden compile` reports them.
    let Ok(settings) = ManagedSettings::from_profile(profile) else {
        return out;
    };
    let Ok(file_len) = settings.file_len() else {
        return out;
    };
    let embedded_len = embedded_file_len(file_len);
    if embedded_len > MAX_BASE64_BYTES {
        out.push(
            finding(
                format!(
                    "managed-settings.json compiles to {file_len} bytes, {embedded_len} bytes in base64 (`CortexManagedSettingsBase64`); Cortex Code denies connections over {MAX_BASE64_BYTES}"
                ),
                "/cortex/permissions",
            )
            .help("shorten or merge permission patterns (globs such as `web_*` cover many tools)"),
        );
        return out;
    }
    // Base64 is ASCII: one UTF-16 unit a character.
    let embedded_sz = reg_sz_bytes_of_units(embedded_len);
    // Every other value is a part of the file written more compactly (a string
    // without its quotes and escapes, a list or map as compact JSON), and UTF-16 never
    // takes more units than UTF-8 takes bytes, so none can be longer as REG_SZ than the
    // whole file would be. Below the limit, only the base64 value needs measuring.
    if reg_sz_bytes_of_units(file_len) <= MAX_REG_SZ_BYTES && embedded_sz <= MAX_REG_SZ_BYTES {
        return out;
    }
    let Ok(values) =
        MdmValues::without_embedded_file(&settings, profile.cortex.managed_settings_base64_enabled)
    else {
        return out;
    };
    let mut sizes: Vec<(MdmKey, usize)> = values
        .iter()
        .filter_map(|(key, value)| Some((key, reg_sz_bytes(&value.registry_text()?))))
        .collect();
    sizes.push((MdmKey::ManagedSettingsBase64, embedded_sz));
    sizes.sort_by_key(|&(key, _)| key);
    for (key, size) in sizes {
        if size > MAX_REG_SZ_BYTES {
            let detail = if key == MdmKey::ManagedSettingsBase64 {
                format!(
                    " (managed-settings.json is {file_len} bytes, {embedded_len} characters in base64; at most {} characters fit)",
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

fn pointer_of(key: MdmKey) -> &'static str {
    use MdmKey as K;
    match key {
        K::AllowedAccounts => "/accounts/allow",
        K::AllowedAuthMethods | K::AllowedAuthMethodsByAccount => "/authenticators",
        K::MinimumVersion | K::CliMinimumVersion | K::DesktopMinimumVersion => "/cortex/required",
        K::ManagedSettingsBase64 => "/cortex/permissions",
        K::Enabled | K::ManagedSettingsBase64Enabled => "/cortex",
    }
}
