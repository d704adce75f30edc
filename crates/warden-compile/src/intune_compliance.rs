//! Intune custom compliance for Windows: the discovery script and the rules JSON.
//!
//! Intune's custom compliance feature runs a PowerShell *discovery script* on the device
//! (as SYSTEM), which returns one compressed JSON object of setting values, and judges it
//! with a *rules file*: `{"Rules": [{SettingName, Operator, DataType, Operand,
//! MoreInfoUrl, RemediationStrings: [{Language, Title, Description}]}]}` (Microsoft Learn,
//! "Custom compliance JSON files for Microsoft Intune" and "Custom compliance discovery
//! scripts for Microsoft Intune"). With both uploaded, devices show compliant or
//! non-compliant in Intune compliance itself, not only in remediation output.
//!
//! The script stays thin: it runs `warden-agent check --system --format
//! intune-compliance`, which prints the values, and only when the agent is missing or its
//! output is not JSON does it report the failure values itself.

use std::fmt::Write as _;

use serde::Serialize;

use crate::windows::{AGENT_EXE, AGENT_INSTALL_DIR};
use crate::{Artifact, CompileError, Context, DeliveryBackend};

/// The discovery script (upload under Device compliance → Scripts → Windows).
pub const DISCOVERY_PATH: &str = "windows/intune/compliance-discovery.ps1";
/// The rules file (select it in the compliance policy, after the script).
pub const RULES_PATH: &str = "windows/intune/compliance-rules.json";

/// Where a user reads how to become compliant again; shown in the Company Portal.
pub const MORE_INFO_URL: &str = "https://docs.snowflake.com/en/user-guide/cortex-code/mdm-policy";

/// The settings the discovery script returns, with the names `warden-agent` prints.
pub mod setting {
    pub const AGENT_INSTALLED: &str = "WardenAgentInstalled";
    pub const EVALUABLE: &str = "WardenPolicyEvaluable";
    pub const POLICY_ID: &str = "WardenPolicyId";
    pub const POLICY_SERIAL: &str = "WardenPolicySerial";
    pub const COMPLIANT: &str = "WardenCompliant";
}

/// One rule of the rules file, field names as Microsoft documents them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub setting_name: &'static str,
    pub operator: &'static str,
    pub data_type: &'static str,
    pub operand: serde_json::Value,
    pub more_info_url: &'static str,
    pub remediation_strings: Vec<RemediationString>,
}

/// A message the Company Portal shows for a non-compliant setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemediationString {
    pub language: &'static str,
    pub title: String,
    pub description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RulesFile<'a> {
    rules: &'a [Rule],
}

fn en(title: String, description: &str) -> Vec<RemediationString> {
    vec![RemediationString {
        language: "en_US",
        title,
        description: description.to_owned(),
    }]
}

/// The rules for a profile: the agent is installed, the profile's policy (at least this
/// serial) is in force, and the agent's check finds nothing open.
pub fn rules(profile_id: &str, serial: u64) -> Vec<Rule> {
    use setting as s;
    let rule = |name, operator, data_type, operand: serde_json::Value, title, description| Rule {
        setting_name: name,
        operator,
        data_type,
        operand,
        more_info_url: MORE_INFO_URL,
        remediation_strings: en(title, description),
    };
    vec![
        rule(
            s::AGENT_INSTALLED,
            "IsEquals",
            "Boolean",
            true.into(),
            "The Warden agent is not installed.".to_owned(),
            "Cortex Code policy cannot be verified on this device. Install the Warden agent from the Company Portal.",
        ),
        rule(
            s::EVALUABLE,
            "IsEquals",
            "Boolean",
            true.into(),
            "No verified Cortex Code policy is in force.".to_owned(),
            "The Warden agent found no signed policy it could verify. Sync the device and restart it; contact IT if this stays.",
        ),
        rule(
            s::POLICY_ID,
            "IsEquals",
            "String",
            profile_id.into(),
            format!("The Cortex Code policy in force is {{ActualValue}}, not {profile_id}."),
            "The device runs another policy profile than the one assigned. Sync the device; contact IT if this stays.",
        ),
        rule(
            s::POLICY_SERIAL,
            "GreaterEquals",
            "Int64",
            serial.into(),
            format!("The Cortex Code policy is at serial {{ActualValue}}, older than {serial}."),
            "The device has not received the current policy yet. Sync the device and restart it.",
        ),
        rule(
            s::COMPLIANT,
            "IsEquals",
            "Boolean",
            true.into(),
            "Cortex Code is not configured as the organization requires.".to_owned(),
            "The Warden agent found a problem it could not repair (for example a changed managed-settings file or a wrong registry value). Restart the device; contact IT if this stays.",
        ),
    ]
}

/// The rules file's bytes: pretty JSON, LF line ends, a final newline.
pub fn rules_json(profile_id: &str, serial: u64) -> Result<Vec<u8>, CompileError> {
    let rules = rules(profile_id, serial);
    let mut bytes = serde_json::to_vec_pretty(&RulesFile { rules: &rules }).map_err(|source| {
        CompileError::Serialize {
            path: RULES_PATH,
            source,
        }
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

const DISCOVERY_BODY: &str = include_str!("intune_compliance/discovery.ps1");

/// The discovery script: CRLF, ASCII, ending in `return $hash | ConvertTo-Json -Compress`
/// as Microsoft requires.
pub fn discovery_script(profile_id: &str, serial: u64) -> Vec<u8> {
    let mut s = String::new();
    let _ = write!(
        s,
        "# Warden Intune custom compliance: discovery script for profile `{id}` (serial {serial}).\n\
         # Generated by `warden compile`; pair it with compliance-rules.json from the same folder.\n\
         # Settings: \"Run this script using the logged on credentials\": No (SYSTEM);\n\
         # \"Run script in 64 bit PowerShell Host\": Yes.\n\
         \n\
         $Agent = Join-Path $env:ProgramFiles '{dir}\\{exe}'\n",
        id = profile_id.replace(['\r', '\n'], " "),
        dir = AGENT_INSTALL_DIR,
        exe = AGENT_EXE,
    );
    s.push_str(DISCOVERY_BODY);
    s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

/// Emits both files under `windows/intune/`, for the serial the bundle was signed with
/// (the profile's own when `serial` is `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct IntuneComplianceBackend {
    pub serial: Option<u64>,
}

impl DeliveryBackend for IntuneComplianceBackend {
    fn name(&self) -> &'static str {
        "intune-compliance"
    }

    fn artifacts(&self, cx: &Context<'_>, _bundle: &[u8]) -> Result<Vec<Artifact>, CompileError> {
        let id = &cx.profile.identity.id;
        let serial = self.serial.unwrap_or(cx.profile.identity.serial);
        Ok(vec![
            Artifact::new(DISCOVERY_PATH, discovery_script(id, serial)),
            Artifact::new(RULES_PATH, rules_json(id, serial)?),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_ends_as_microsoft_requires_and_is_ascii_crlf() {
        let s = discovery_script("acme", 7);
        assert!(s.is_ascii());
        let text = String::from_utf8(s).unwrap();
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(
            text.trim_end()
                .ends_with("return $hash | ConvertTo-Json -Compress")
        );
        for name in [
            setting::AGENT_INSTALLED,
            setting::EVALUABLE,
            setting::POLICY_ID,
            setting::POLICY_SERIAL,
            setting::COMPLIANT,
        ] {
            assert!(
                text.contains(name),
                "{name} missing from the fallback values"
            );
        }
    }
}
