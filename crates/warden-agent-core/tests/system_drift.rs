//! Bundle discovery from MDM channels and drift of Cortex Code's MDM values.

mod system_common;

use system_common::*;
use warden_agent_core::paths::Platform;
use warden_registry::RegFileRegistry;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap()
}

fn mac(coco: Option<&str>) -> Endpoint {
    let e = Endpoint::new(Platform::MacOs);
    e.install(
        e.paths.agent_preferences.as_ref().unwrap(),
        &fixture("com.warden.agent.plist"),
    );
    if let Some(name) = coco {
        e.install(e.paths.cortex_preferences.as_ref().unwrap(), &fixture(name));
    }
    e
}

fn windows(reg: &str) -> Endpoint {
    let mut e = Endpoint::new(Platform::Windows);
    e.registry = Some(RegFileRegistry::from_reg_bytes([fixture(reg).as_slice()]).unwrap());
    e
}

#[test]
fn macos_managed_preferences_deliver_the_bundle_and_win_over_the_file() {
    let e = mac(Some("com.snowflake.coco.plist"));
    e.deliver(&bundle(8));
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    let policy = r.policy.unwrap();
    assert_eq!(policy.serial, 7);
    assert!(
        policy.source.starts_with("managed preferences "),
        "{}",
        policy.source
    );
    assert!(policy.source.ends_with("com.warden.agent.plist"));
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    assert!(
        e.paths
            .managed_settings
            .ends_with("Library/Application Support/Cortex/managed-settings.json")
    );
}

#[test]
fn macos_drift_is_reported_per_value_and_never_written() {
    let e = mac(Some("com.snowflake.coco-drift.plist"));
    let before = fixture("com.snowflake.coco-drift.plist");
    let r = e.enforce();
    assert_eq!(r.exit_code(), 1);
    let drift: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code.starts_with("mdm-"))
        .map(|f| (f.code.as_str(), f.message.split('`').nth(1).unwrap()))
        .collect();
    assert_eq!(
        drift,
        [
            ("mdm-value-missing", "CortexAllowedAccounts"),
            ("mdm-value-different", "CortexEnabled"),
            ("mdm-value-unexpected", "CortexAllowedAuthMethods"),
        ]
    );
    assert!(
        r.findings
            .iter()
            .filter(|f| f.code.starts_with("mdm-"))
            .all(|f| !f.fixed)
    );
    assert_eq!(
        std::fs::read(e.paths.cortex_preferences.as_ref().unwrap()).unwrap(),
        before
    );
}

#[test]
fn missing_cortex_preferences_are_reported_as_missing_values() {
    let e = mac(None);
    let r = e.check();
    let missing = r
        .findings
        .iter()
        .filter(|f| f.code == "mdm-value-missing")
        .count();
    assert_eq!(missing, 3);
}

#[test]
fn a_broken_agent_plist_is_reported_with_its_source() {
    let e = mac(Some("com.snowflake.coco.plist"));
    e.install(
        e.paths.agent_preferences.as_ref().unwrap(),
        b"<plist><dict>",
    );
    e.deliver(&bundle(7));
    let r = e.check();
    assert_eq!(r.exit_code(), 2);
    assert_eq!(codes(&r), ["bundle-unreadable"]);
    assert!(
        r.findings[0]
            .path
            .as_deref()
            .unwrap()
            .starts_with("managed preferences ")
    );
}

#[test]
fn the_registry_delivers_the_bundle_and_matching_values_are_compliant() {
    let e = windows("registry.reg");
    let r = e.enforce();
    assert_eq!(r.exit_code(), 0, "{:#?}", r.findings);
    let policy = r.policy.unwrap();
    assert_eq!(
        policy.source,
        r"registry HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Warden\Agent"
    );
    assert_eq!(e.settings().unwrap(), managed_settings(7));
    assert!(
        e.paths
            .managed_settings
            .ends_with("ProgramData/Cortex/managed-settings.json")
    );
}

#[test]
fn registry_drift_is_reported_per_value() {
    let e = windows("registry-drift.reg");
    let r = e.check();
    assert_eq!(r.exit_code(), 1);
    let drift: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code.starts_with("mdm-"))
        .map(|f| (f.code.as_str(), f.message.split('`').nth(1).unwrap()))
        .collect();
    assert_eq!(
        drift,
        [
            ("mdm-value-different", "CortexMinimumVersion"),
            ("mdm-value-unexpected", "CortexManagedSettingsBase64Enabled"),
        ]
    );
    assert!(
        r.findings.iter().any(|f| f.path.as_deref()
            == Some(r"HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\CortexCode"))
    );
}

#[test]
fn without_the_agent_key_the_bundle_file_is_used() {
    let mut e = Endpoint::new(Platform::Windows);
    e.registry = Some(RegFileRegistry::default());
    e.deliver(&bundle(7));
    let r = e.check();
    assert!(r.policy.unwrap().source.starts_with("file "));
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.code == "mdm-value-missing")
            .count(),
        2
    );
}
