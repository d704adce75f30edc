//! The enforcement map: for every control a profile sets, per OS and client, what
//! enforces it, how hard that is to undo on the device, and where the behaviour rests on
//! an open reading of Snowflake's documentation.
//!
//! It is derived from the same compiled values the artifacts are made of (the
//! managed-settings file, the MDM values each OS backend writes, the endpoint rules and
//! the Snowflake section), so it cannot describe a delivery the compile does not make.
//! `warden explain --enforcement` prints it and `manifest.json` carries it.

use serde::Serialize;
use warden_profile::model::RuleMode;

use crate::manifest::{EndpointRule, Enforcer};
use crate::mdm::MdmKey;
use crate::{CompileError, Context};

/// Wire-format tag of the map when printed on its own.
pub const FORMAT: &str = "warden.enforcement/v1";

/// Operating systems a map entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Macos,
    Windows,
    Linux,
}

/// The two Cortex Code clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    Cli,
    Desktop,
}

/// What carries or enforces a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// A forced managed preference of `com.snowflake.coco` (macOS MDM profile).
    MdmForcedKey,
    /// A value under `HKLM\Software\Policies\Microsoft\CortexCode` (GPO, Intune).
    RegistryPolicy,
    /// Cortex Code's `managed-settings.json`, written and restored by the system agent.
    ManagedSettingsJson,
    /// The agent repairs it (`enforce` mode of an endpoint rule).
    AgentRepair,
    /// The agent reports it only (`audit` mode).
    AgentAudit,
    /// Snowflake enforces it on the server (`snowflake/setup.sql`).
    SnowflakeServer,
    /// Nothing enforces it for this client (the client ignores it, or the rule is off).
    NotEnforced,
}

/// How hard it is for someone on the device to undo the control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tamper {
    /// Not enforced at all.
    None,
    /// The user can undo it; the agent restores it at the next login.
    Low,
    /// An administrator of the device can undo it; the agent restores it on its schedule.
    Medium,
    /// Delivered by the MDM through a channel only it writes, or enforced by Snowflake.
    High,
}

/// One OS × client cell of a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub os: Os,
    pub client: Client,
    /// Strongest first; empty never (an unenforced control says `not-enforced`).
    pub mechanisms: Vec<Mechanism>,
    pub tamper_resistance: Tamper,
    /// One sentence: how it holds on this OS for this client.
    pub how: String,
    /// Where this depends on an open reading of the documentation, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_reading: Option<String>,
}

/// One control the profile sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    /// `managed-settings.json` path (`permissions.deny`), endpoint rule id
    /// (`connection.required`) or Snowflake key (`snowflake.pat`).
    pub id: String,
    /// Where the control comes from: `managed-settings`, `endpoint` or `snowflake`.
    pub kind: &'static str,
    /// The value, compactly.
    pub value: String,
    pub cells: Vec<Cell>,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnforcementMap {
    pub format: &'static str,
    pub profile: String,
    pub serial: u64,
    pub controls: Vec<Control>,
}

const OSES: [Os; 3] = [Os::Macos, Os::Windows, Os::Linux];
const CLIENTS: [Client; 2] = [Client::Cli, Client::Desktop];

/// The MDM key that carries one managed-settings path on its own, if any.
fn own_key(path: &str) -> Option<MdmKey> {
    Some(match path {
        "enabled" => MdmKey::Enabled,
        "tenant.allowedAccounts" => MdmKey::AllowedAccounts,
        "auth.allowedMethods" => MdmKey::AllowedAuthMethods,
        "auth.accounts" => MdmKey::AllowedAuthMethodsByAccount,
        "required.minimumVersion" => MdmKey::MinimumVersion,
        "cli.required.minimumVersion" => MdmKey::CliMinimumVersion,
        "desktop.required.minimumVersion" => MdmKey::DesktopMinimumVersion,
        _ => return None,
    })
}

/// Why a client does not honour a managed-settings path, if it does not.
fn ignored_by(path: &str, client: Client, os: Os) -> Option<&'static str> {
    if client == Client::Desktop && os == Os::Linux {
        return Some("Cortex Code Desktop is offered for macOS and Windows only");
    }
    if client == Client::Desktop {
        if path.starts_with("defaults.") {
            return Some("Desktop ignores `defaults.*`");
        }
        if path.starts_with("files.") {
            return Some("Desktop ignores `files.*`");
        }
        if path == "settings.forceSandboxEnabled" || path == "settings.forceSandboxMode" {
            return Some("Desktop ignores the sandbox settings");
        }
        if path.ends_with("[account()]") {
            return Some("Desktop reads `account(…)` patterns but does not enforce them");
        }
    }
    if client == Client::Cli && path.starts_with("desktop.") {
        return Some("the CLI reads only its own and the shared minimum version");
    }
    if client == Client::Desktop && path.starts_with("cli.") {
        return Some("Desktop reads only its own and the shared minimum version");
    }
    None
}

/// The documented behaviour this cell relies on that the sources leave open.
fn open_reading(path: &str, client: Client, os: Os) -> Option<String> {
    let s = match path {
        "required.minimumVersion" if client == Client::Desktop => {
            "the Desktop page says Desktop ignores `required.minimumVersion`; the MDM page says it blocks both clients"
        }
        "permissions.onlyAllow" | "permissions.onlyAllow[account()]" => {
            "whether a managed `onlyAllow` is scoped by pattern type (as the account example implies) or blocks every other type is not settled"
        }
        "tenant.allowedAccounts" | "permissions.deny[account()]" => {
            "the documentation does not say which string is matched (the account value, the host, or the server's account) nor whether locators are translated"
        }
        "defaults.connectionName" => {
            "a suggestion: users override it with `-c` or their own settings"
        }
        "files.connectionsFile" => {
            "loaded \"in addition to, or instead of\" the user's file: which one wins is not documented"
        }
        "ui.showManagedBanner" | "ui.bannerText" => {
            "whether the managed-mode banner is always shown or only with `ui.showManagedBanner` is not settled"
        }
        _ if os == Os::Windows && own_key(path).is_none() => {
            "Cortex Code skips the file's ACL check on some non-English editions of Windows; then the file is ignored"
        }
        _ => return None,
    };
    Some(s.to_owned())
}

fn compact(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(117).collect::<String>())
    } else {
        s
    }
}

/// Leaf paths of the managed-settings file, with `account(…)` patterns split from the
/// tool patterns of `permissions.deny` / `permissions.onlyAllow`.
fn settings_controls(value: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        match v {
            serde_json::Value::Object(m) if prefix != "auth.accounts" => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            serde_json::Value::Array(items)
                if prefix == "permissions.deny" || prefix == "permissions.onlyAllow" =>
            {
                let (acct, tools): (Vec<_>, Vec<_>) = items.iter().partition(|i| {
                    i.as_str()
                        .is_some_and(|s| s.to_ascii_lowercase().starts_with("account("))
                });
                if !tools.is_empty() {
                    out.push((prefix.to_owned(), tools.into_iter().cloned().collect()));
                }
                if !acct.is_empty() {
                    out.push((
                        format!("{prefix}[account()]"),
                        acct.into_iter().cloned().collect(),
                    ));
                }
            }
            _ => out.push((prefix.to_owned(), v.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out.retain(|(p, _)| p != "version");
    out
}

fn settings_cell(cx: &Context<'_>, path: &str, os: Os, client: Client) -> Cell {
    let open = open_reading(path, client, os);
    if let Some(why) = ignored_by(path, client, os) {
        let agent = path.ends_with("[account()]");
        return Cell {
            os,
            client,
            mechanisms: if agent {
                vec![agent_mechanism(cx.profile.endpoint.forbidden_connections)]
            } else {
                vec![Mechanism::NotEnforced]
            },
            tamper_resistance: if agent {
                agent_tamper(cx.profile.endpoint.forbidden_connections)
            } else {
                Tamper::None
            },
            how: if agent {
                format!(
                    "{why}; the user-mode agent judges every connection's account instead ({} mode)",
                    mode_name(cx.profile.endpoint.forbidden_connections)
                )
            } else {
                why.to_owned()
            },
            open_reading: open,
        };
    }
    if cx.profile.cortex.enabled == Some(false) && switched_off_by_enabled(path) {
        return Cell {
            os,
            client,
            mechanisms: vec![Mechanism::NotEnforced],
            tamper_resistance: Tamper::None,
            how: "`[cortex] enabled = false` (`CortexEnabled` false) switches this control off: it is delivered, but Cortex Code does not apply it".to_owned(),
            open_reading: open,
        };
    }
    let file_managed = cx.profile.endpoint.managed_settings != RuleMode::Off;
    let mut mechanisms = Vec::new();
    let mut how = Vec::new();
    let key = own_key(path);
    match os {
        Os::Macos => {
            let keys = crate::macos::cortex_preference_values(&cx.mdm);
            let embedded = keys.contains_key(MdmKey::ManagedSettingsBase64.as_str());
            if let Some(k) = key.filter(|k| keys.contains_key(k.as_str())) {
                mechanisms.push(Mechanism::MdmForcedKey);
                how.push(format!("forced managed preference `{}` (MDM profile, root-owned; removable only by removing the profile)", k.as_str()));
            } else if embedded {
                mechanisms.push(Mechanism::MdmForcedKey);
                how.push("inside the forced managed preference `CortexManagedSettingsBase64` (the whole file, MDM profile)".to_owned());
            }
        }
        Os::Windows => {
            let values = crate::windows::cortex_registry_values(&cx.mdm);
            let has = |name: &str| values.iter().any(|(n, _)| n == name);
            if let Some(k) = key.filter(|k| has(k.as_str())) {
                mechanisms.push(Mechanism::RegistryPolicy);
                how.push(format!("machine policy value `{}` under HKLM (admin-only; GPO/Intune re-apply it, the agent reports drift)", k.as_str()));
            } else if has(MdmKey::ManagedSettingsBase64.as_str()) {
                mechanisms.push(Mechanism::RegistryPolicy);
                how.push("inside the machine policy value `CortexManagedSettingsBase64` (CLI ≥ 1.2.0 reads the embedded file)".to_owned());
            }
        }
        Os::Linux => {}
    }
    if file_managed {
        mechanisms.push(Mechanism::ManagedSettingsJson);
        how.push(match os {
            Os::Macos => "managed-settings.json (root, 0644), restored by the system agent at boot and on its schedule".to_owned(),
            Os::Windows => "managed-settings.json in %ProgramData%\\Cortex (ACL reset), restored by the agent's SYSTEM task on its schedule".to_owned(),
            Os::Linux => "managed-settings.json in /etc/cortex (root, 0644), restored by the system agent on its schedule".to_owned(),
        });
    }
    let tamper = match mechanisms.first() {
        Some(Mechanism::MdmForcedKey | Mechanism::RegistryPolicy) => Tamper::High,
        Some(Mechanism::ManagedSettingsJson) => Tamper::Medium,
        _ => Tamper::None,
    };
    if mechanisms.is_empty() {
        mechanisms.push(Mechanism::NotEnforced);
        how.push(
            "the `managed_settings` endpoint rule is off and no MDM key carries it".to_owned(),
        );
    }
    Cell {
        os,
        client,
        mechanisms,
        tamper_resistance: tamper,
        how: how.join("; "),
        open_reading: open,
    }
}

/// The controls `enabled` turns on and off (Cortex Code's MDM page: `tenant.*`,
/// `auth.*`, `required.*` and the per-client minimum versions).
fn switched_off_by_enabled(path: &str) -> bool {
    [
        "tenant.",
        "auth.",
        "required.",
        "cli.required.",
        "desktop.required.",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

fn agent_mechanism(mode: RuleMode) -> Mechanism {
    match mode {
        RuleMode::Enforce => Mechanism::AgentRepair,
        RuleMode::Audit => Mechanism::AgentAudit,
        RuleMode::Off => Mechanism::NotEnforced,
    }
}

fn agent_tamper(mode: RuleMode) -> Tamper {
    match mode {
        RuleMode::Enforce => Tamper::Low,
        _ => Tamper::None,
    }
}

fn mode_name(mode: RuleMode) -> &'static str {
    match mode {
        RuleMode::Enforce => "enforce",
        RuleMode::Audit => "audit",
        RuleMode::Off => "off",
    }
}

fn endpoint_cells(rule: &EndpointRule) -> Vec<Cell> {
    let mut cells = Vec::new();
    for os in OSES {
        for client in CLIENTS {
            let (tamper, how) = match (rule.enforced_by, rule.mode) {
                (_, RuleMode::Off) => (Tamper::None, "the rule is off".to_owned()),
                (Enforcer::AgentSystem, RuleMode::Enforce) => (
                    Tamper::Medium,
                    "the system agent restores it at boot and on its schedule".to_owned(),
                ),
                (Enforcer::AgentUser, RuleMode::Enforce) => (
                    Tamper::Low,
                    "the user-mode agent repairs the user's files at each login; the user can change them in between".to_owned(),
                ),
                (_, RuleMode::Audit) => (
                    Tamper::None,
                    "the agent reports it (non-compliant in the MDM) but changes nothing".to_owned(),
                ),
            };
            let desktop_linux = client == Client::Desktop && os == Os::Linux;
            cells.push(Cell {
                os,
                client,
                mechanisms: vec![if desktop_linux {
                    Mechanism::NotEnforced
                } else {
                    agent_mechanism(rule.mode)
                }],
                tamper_resistance: if desktop_linux { Tamper::None } else { tamper },
                how: if desktop_linux {
                    "Cortex Code Desktop is offered for macOS and Windows only".to_owned()
                } else {
                    how
                },
                open_reading: (rule.id.starts_with("connection.") || rule.id.starts_with("roles."))
                    .then(|| "Cortex Code's own connection-file resolution is not documented; the agent follows the Snowflake connector's".to_owned()),
            });
        }
    }
    cells
}

fn server_cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for os in OSES {
        for client in CLIENTS {
            cells.push(Cell {
                os,
                client,
                mechanisms: vec![Mechanism::SnowflakeServer],
                tamper_resistance: Tamper::High,
                how: "enforced by Snowflake for every client once an administrator runs snowflake/setup.sql".to_owned(),
                open_reading: None,
            });
        }
    }
    cells
}

/// The map for one compiled profile.
pub fn map(cx: &Context<'_>) -> Result<EnforcementMap, CompileError> {
    let value =
        serde_json::to_value(&cx.managed_settings).map_err(|source| CompileError::Serialize {
            path: crate::MANAGED_SETTINGS_PATH,
            source,
        })?;
    let mut controls = Vec::new();
    for (path, v) in settings_controls(&value) {
        let cells = OSES
            .iter()
            .flat_map(|&os| CLIENTS.iter().map(move |&c| (os, c)))
            .map(|(os, client)| settings_cell(cx, &path, os, client))
            .collect();
        controls.push(Control {
            id: path,
            kind: "managed-settings",
            value: compact(&v),
            cells,
        });
    }
    for rule in &cx.endpoint_rules {
        controls.push(Control {
            id: rule.id.to_owned(),
            kind: "endpoint",
            value: rule.rule.clone(),
            cells: endpoint_cells(rule),
        });
    }
    if let Some(sf) = &cx.profile.snowflake
        && let Ok(serde_json::Value::Object(m)) = serde_json::to_value(sf)
    {
        for (k, v) in m {
            if v.is_null() {
                continue;
            }
            controls.push(Control {
                id: format!("snowflake.{k}"),
                kind: "snowflake",
                value: compact(&v),
                cells: server_cells(),
            });
        }
    }
    Ok(EnforcementMap {
        format: FORMAT,
        profile: cx.profile.identity.id.clone(),
        serial: cx.profile.identity.serial,
        controls,
    })
}

fn os_name(os: Os) -> &'static str {
    match os {
        Os::Macos => "macOS",
        Os::Windows => "Windows",
        Os::Linux => "Linux",
    }
}

fn client_name(c: Client) -> &'static str {
    match c {
        Client::Cli => "CLI",
        Client::Desktop => "Desktop",
    }
}

fn mech_name(m: Mechanism) -> &'static str {
    match m {
        Mechanism::MdmForcedKey => "MDM-forced key",
        Mechanism::RegistryPolicy => "registry policy",
        Mechanism::ManagedSettingsJson => "managed-settings.json",
        Mechanism::AgentRepair => "agent repair",
        Mechanism::AgentAudit => "agent audit only",
        Mechanism::SnowflakeServer => "Snowflake server side",
        Mechanism::NotEnforced => "not enforced",
    }
}

fn tamper_name(t: Tamper) -> &'static str {
    match t {
        Tamper::None => "none",
        Tamper::Low => "low",
        Tamper::Medium => "medium",
        Tamper::High => "high",
    }
}

fn mechs(c: &Cell) -> String {
    c.mechanisms
        .iter()
        .map(|m| mech_name(*m))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl EnforcementMap {
    /// For people: one block per control, one line per OS × client.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "enforcement map of {} (serial {})",
            self.profile, self.serial
        );
        for c in &self.controls {
            let _ = writeln!(s, "\n{} [{}] = {}", c.id, c.kind, c.value);
            for cell in &c.cells {
                let _ = writeln!(
                    s,
                    "  {:<8}{:<8}{} (tamper resistance: {})",
                    os_name(cell.os),
                    client_name(cell.client),
                    mechs(cell),
                    tamper_name(cell.tamper_resistance)
                );
                if let Some(o) = &cell.open_reading {
                    let _ = writeln!(s, "                  open reading: {o}");
                }
            }
        }
        s
    }

    /// For a pull-request comment: one row per control, one column per OS × client
    /// (`mechanism (tamper resistance)`), open readings as numbered notes below.
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let esc = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        let columns: Vec<(Os, Client)> = OSES
            .iter()
            .flat_map(|&os| CLIENTS.iter().map(move |&c| (os, c)))
            .filter(|&(os, c)| !(os == Os::Linux && c == Client::Desktop))
            .collect();
        let mut notes: Vec<String> = Vec::new();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "### Enforcement map: `{}` (serial {})\n",
            self.profile, self.serial
        );
        let head: Vec<String> = columns
            .iter()
            .map(|(os, c)| format!("{} {}", os_name(*os), client_name(*c)))
            .collect();
        let _ = writeln!(s, "| control | value | {} |", head.join(" | "));
        let _ = writeln!(s, "|---|---|{}", "---|".repeat(columns.len()));
        for c in &self.controls {
            let mut refs = Vec::new();
            let cells: Vec<String> = columns
                .iter()
                .map(|&(os, client)| {
                    let Some(cell) = c.cells.iter().find(|x| x.os == os && x.client == client)
                    else {
                        return "n/a".to_owned();
                    };
                    if let Some(o) = &cell.open_reading {
                        let n = match notes.iter().position(|x| x == o) {
                            Some(i) => i + 1,
                            None => {
                                notes.push(o.clone());
                                notes.len()
                            }
                        };
                        if !refs.contains(&n) {
                            refs.push(n);
                        }
                    }
                    format!("{} ({})", mechs(cell), tamper_name(cell.tamper_resistance))
                })
                .collect();
            let marks: String = refs.iter().map(|n| format!(" [{n}]")).collect();
            let _ = writeln!(
                s,
                "| `{}`{marks} | `{}` | {} |",
                esc(&c.id),
                esc(&c.value),
                cells.join(" | ")
            );
        }
        s.push_str("\nCortex Code Desktop is offered for macOS and Windows only.\n");
        if !notes.is_empty() {
            s.push_str("\nOpen readings of the documentation:\n\n");
            for (i, n) in notes.iter().enumerate() {
                let _ = writeln!(s, "{}. {}", i + 1, esc(n));
            }
        }
        s
    }
}
