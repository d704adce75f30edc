//! `manifest.json`: what was compiled, and what only the endpoint agent enforces.
//!
//! Auditors and CI read it to check every artifact (size and SHA-256) and to see
//! which rules of the profile Cortex Code cannot enforce itself, and who does.

use std::collections::BTreeMap;

use serde::Serialize;
use warden_profile::ResolvedProfile;
use warden_profile::model::RuleMode;

use crate::CompileError;

/// Wire-format tag of the manifest.
pub const FORMAT: &str = "warden.manifest/v1";

/// Who enforces a rule on the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcer {
    /// `warden-agent` running as root / SYSTEM (system paths only).
    AgentSystem,
    /// `warden-agent` running as the user at login (the user's Snowflake files).
    AgentUser,
}

/// A rule of the profile that Cortex Code has no setting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointRule {
    /// Stable identifier, shared with the agent's report.
    pub id: &'static str,
    /// What must hold, with the profile's values.
    pub rule: String,
    /// Why Cortex Code cannot enforce it.
    pub why: &'static str,
    pub enforced_by: Enforcer,
    /// What the agent does: `audit` reports, `enforce` repairs, `off` skips.
    pub mode: RuleMode,
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rules of `p` that only the endpoint agent can enforce, in a fixed order.
pub fn endpoint_rules(p: &ResolvedProfile) -> Vec<EndpointRule> {
    let modes = &p.endpoint;
    let mut out = vec![EndpointRule {
        id: "managed-settings.file",
        rule: "managed-settings.json matches the signed copy byte for byte and only administrators can write it or its folder".into(),
        why: "Cortex Code silently ignores a file that fails its ownership check and never restores a changed or deleted file",
        enforced_by: Enforcer::AgentSystem,
        mode: modes.managed_settings,
    }];
    if let Some(name) = &p.connection.name {
        out.push(EndpointRule {
            id: "connection.required",
            rule: format!("the connection `{name}` exists in the user's connections file"),
            why: "Cortex Code has no setting that creates or requires a connection",
            enforced_by: Enforcer::AgentUser,
            mode: modes.required_connection,
        });
        out.push(EndpointRule {
            id: "connection.default",
            rule: format!("`{name}` is the default connection"),
            why: "`defaults.connectionName` is a suggestion users may override, and Desktop ignores it",
            enforced_by: Enforcer::AgentUser,
            mode: modes.default_connection,
        });
    }
    if let Some(role) = &p.policy.roles.default_role {
        out.push(EndpointRule {
            id: "roles.default",
            rule: format!("the required connection uses the role `{role}`"),
            why: "Cortex Code has no role setting; without one a connection runs as the user's default role",
            enforced_by: Enforcer::AgentUser,
            mode: modes.role,
        });
    }
    if p.policy.roles.require_role {
        out.push(EndpointRule {
            id: "roles.require-role",
            rule: "every connection names a role".into(),
            why: "Cortex Code has no role setting; a connection without a role runs as the user's default role, which the policy cannot see",
            enforced_by: Enforcer::AgentUser,
            mode: modes.role,
        });
    }
    if !p.policy.roles.forbidden.is_empty() {
        out.push(EndpointRule {
            id: "roles.forbidden",
            rule: format!(
                "no connection uses a role matching {}",
                list(&p.policy.roles.forbidden)
            ),
            why: "Cortex Code has no role setting",
            enforced_by: Enforcer::AgentUser,
            mode: modes.forbidden_connections,
        });
    }
    if !p.policy.accounts.deny.is_empty() {
        out.push(EndpointRule {
            id: "accounts.deny",
            rule: format!(
                "no connection points at an account matching {}",
                list(&p.policy.accounts.deny)
            ),
            why: "the compiled `account(…)` deny patterns are enforced by the CLI only; Desktop reads them but does not enforce them",
            enforced_by: Enforcer::AgentUser,
            mode: modes.forbidden_connections,
        });
    }
    if p.policy.accounts.allow.len() > 1 {
        out.push(EndpointRule {
            id: "accounts.allow-layers",
            rule: "every connection's account matches each allow list of the `extends` chain".into(),
            why: "`tenant.allowedAccounts` carries one list, the innermost; the base lists are checked by the agent",
            enforced_by: Enforcer::AgentUser,
            mode: modes.forbidden_connections,
        });
    }
    out.push(EndpointRule {
        id: "secrets.plaintext",
        rule: "no password or token is written in plain text in the connection files".into(),
        why: "Cortex Code reads connection files as they are and has no setting about secrets in them",
        enforced_by: Enforcer::AgentUser,
        mode: modes.plaintext_secrets,
    });
    out.push(EndpointRule {
        id: "files.modes",
        rule: "connection files are 0600, the Snowflake directory 0700, and key and token files are readable by the user only".into(),
        why: "Cortex Code has no setting for file modes; the Snowflake clients only warn or refuse",
        enforced_by: Enforcer::AgentUser,
        mode: modes.file_modes,
    });
    out
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    profile: ProfileRef<'a>,
    artifacts: Vec<Entry<'a>>,
    endpoint_rules: &'a [EndpointRule],
    /// Per control × OS × client: what enforces it (`warden explain --enforcement`).
    enforcement: &'a [crate::enforcement::Control],
}

#[derive(Serialize)]
struct ProfileRef<'a> {
    id: &'a str,
    serial: u64,
}

#[derive(Serialize)]
struct Entry<'a> {
    path: &'a str,
    size: usize,
    sha256: String,
}

pub use warden_trust::sha256_hex;

/// Render the manifest over `artifacts` (path → bytes, listed in path order).
pub fn render(
    p: &ResolvedProfile,
    artifacts: &BTreeMap<String, Vec<u8>>,
    rules: &[EndpointRule],
    enforcement: &[crate::enforcement::Control],
) -> Result<Vec<u8>, CompileError> {
    let manifest = Manifest {
        format: FORMAT,
        profile: ProfileRef {
            id: &p.identity.id,
            serial: p.identity.serial,
        },
        artifacts: artifacts
            .iter()
            .map(|(path, bytes)| Entry {
                path,
                size: bytes.len(),
                sha256: sha256_hex(bytes),
            })
            .collect(),
        endpoint_rules: rules,
        enforcement,
    };
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|source| CompileError::Serialize {
            path: crate::MANIFEST_PATH,
            source,
        })?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
