//! Windows delivery: registry files, Group Policy templates and Intune scripts.
//!
//! Cortex Code reads machine policy from `HKLM\Software\Policies\Microsoft\CortexCode`.
//! The registry carries Cortex Code's own values, including the whole
//! `managed-settings.json` as `CortexManagedSettingsBase64` (base64 of the exact file
//! bytes, read by Cortex Code CLI 1.2.0 or later, and unaffected by the file
//! permission check that non-English Windows editions can skip), and, under
//! `HKLM\SOFTWARE\Policies\Warden\Agent`, the signed bundle and its serial. The agent
//! also writes and guards the file on disk, for clients that do not read the embed.
//!
//! Every `REG_SZ` Cortex Code value must fit MS-GPREG's 65,535 data bytes (UTF-16LE
//! with the terminating NUL) in every artifact; `warden validate` reports a value
//! that does not ([`crate::limits`]). The agent's bundle is left out of
//! `Registry.pol` alone when it is longer, and `README.md` says so.
//!
//! [`WindowsBackend`] writes, under [`OUTPUT_DIR`]:
//!
//! | path | consumer |
//! |---|---|
//! | `<profile-id>.reg` | manual import, testing: replaces both keys (UTF-16LE with BOM, CRLF) |
//! | `Registry.pol` | a GPO's `Machine` folder |
//! | `CortexCode.admx`, `WardenAgent.admx` + `en-US/*.adml` | GPMC central store: one template for every profile (values are in the `.pol`, the scripts and `README.md`). `CortexCode.admx` is for Group Policy only: Intune's ADMX ingestion cannot write below `Software\Policies\Microsoft` |
//! | `intune/detect.ps1`, `intune/remediate.ps1` | Intune Remediations |
//! | `intune/install.ps1` | Intune platform script (first install) |
//! | `README.md` | the admin: which route to use, with this compile's sizes |
//!
//! The scripts carry the values themselves, so they are generated per profile. They
//! are pure ASCII (other characters are spelled `[char]0xNNNN`) so that Windows
//! PowerShell 5.1, which reads a BOM-less script in the ANSI code page, and Intune,
//! which wants UTF-8 without BOM, read the same text; lines end in CRLF.

use std::fmt::Write as _;

use warden_registry::known::{cortex_code, warden_agent};
use warden_registry::pol::MAX_POL_DATA_BYTES;
use warden_registry::{
    AdmxError, AdmxPolicy, AdmxPolicyKind, AdmxTemplate, Hive, KeyPath, KeyPathError,
    PolWriteError, PolicyClass, RegEntry, RegFile, RegTree, RegValue, RegWriteError, ValueOp,
    generate_admx, write_pol,
};

use crate::CompileError;
use crate::backend::{Artifact, Context, DeliveryBackend};
use crate::mdm::{MdmKey, MdmValue, MdmValues};

/// Folder of the compile output holding every Windows artifact.
pub const OUTPUT_DIR: &str = "windows";
/// Where the agent is installed, below `%ProgramFiles%`.
pub const AGENT_INSTALL_DIR: &str = "Warden";
/// The agent executable's file name.
pub const AGENT_EXE: &str = "warden-agent.exe";
/// Longest bundle a `Registry.pol` record (and so a GPO) can carry, in UTF-16
/// units: 65,535 data bytes including the terminating NUL.
pub const MAX_POL_BUNDLE_UNITS: usize = (MAX_POL_DATA_BYTES - 2) / 2;
/// Most data bytes MS-GPREG lets a `REG_SZ` carry (UTF-16LE, terminating NUL
/// included); applied to every Cortex Code value in every Windows artifact.
pub const MAX_REG_SZ_BYTES: usize = MAX_POL_DATA_BYTES;
/// Keys Intune's ADMX ingestion refuses to write below (Microsoft's "Win32 and
/// Desktop Bridge app ADMX policy ingestion" page), lower case, without hive.
pub const INTUNE_INGESTION_BLOCKED: [&str; 3] = [
    "system",
    "software\\microsoft",
    "software\\policies\\microsoft",
];
/// The string cap of Intune's editor for imported ADMX, in characters.
pub const INTUNE_ADMX_STRING_LIMIT: usize =
    warden_registry::admx::INTUNE_ADMX_STRING_LIMIT as usize;

const BACKEND: &str = "windows";
const CORTEX_TEMPLATE: &str = "CortexCode";
const AGENT_TEMPLATE: &str = "WardenAgent";
/// `maxLength` of Cortex Code's text policies unless a value is longer: Intune's
/// editor cap, which is also the ADMX default.
const SHORT_TEXT_MAX: u32 = warden_registry::admx::INTUNE_ADMX_STRING_LIMIT;

/// Why the Windows artifacts could not be built. Reported as
/// [`CompileError::Backend`] with `backend = "windows"`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WindowsError {
    /// The bundle is stored as `REG_SZ` text.
    #[error("the signed bundle is not UTF-8 text")]
    BundleNotUtf8,
    /// A `.reg` `REG_SZ` cannot hold CR, LF or NUL; a bundle spread over lines is
    /// written on one line, which only JSON allows.
    #[error("the signed bundle has line breaks or control characters and is not JSON")]
    BundleNotJson,
    /// `PolicySerial` is a `REG_DWORD`.
    #[error("serial {serial} does not fit the REG_DWORD `PolicySerial` (at most 4294967295)")]
    SerialOutOfRange { serial: u64 },
    /// A Cortex Code value is over MS-GPREG's `REG_SZ` limit.
    #[error(
        "`{name}` is {size} bytes as REG_SZ (UTF-16LE with NUL), over the {limit}-byte limit of a registry policy value"
    )]
    CortexValueTooLarge {
        name: &'static str,
        size: usize,
        limit: usize,
    },
    /// A registry key constant is malformed.
    #[error("registry key: {0}")]
    Key(#[from] KeyPathError),
    /// The `.reg` writer refused a value.
    #[error(".reg file: {0}")]
    Reg(#[from] RegWriteError),
    /// The `Registry.pol` writer refused a value.
    #[error("Registry.pol: {0}")]
    Pol(#[from] PolWriteError),
    /// A script template is malformed.
    #[error("PowerShell template: {0}")]
    Template(String),
    /// The ADMX generator refused a template.
    #[error("ADMX template: {0}")]
    Admx(#[from] AdmxError),
}

impl From<WindowsError> for CompileError {
    fn from(e: WindowsError) -> Self {
        CompileError::Backend {
            backend: BACKEND,
            source: Box::new(e),
        }
    }
}

/// The Windows delivery backend (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowsBackend;

impl DeliveryBackend for WindowsBackend {
    fn name(&self) -> &'static str {
        BACKEND
    }

    fn artifacts(&self, cx: &Context<'_>, bundle: &[u8]) -> Result<Vec<Artifact>, CompileError> {
        Ok(build(cx, bundle)?)
    }
}

/// Cortex Code's registry values for `mdm`, in documentation order: the state the
/// signed bundle expects under [`cortex_code::KEY`].
///
/// `CortexEnabled` is `REG_DWORD` 1/0; string lists are `REG_SZ` holding a compact
/// JSON array; the per-account methods are the MDM JSON string unchanged; versions
/// are `REG_SZ`; `CortexManagedSettingsBase64` is the base64 of the exact
/// `managed-settings.json` bytes, as on macOS.
pub fn cortex_registry_values(mdm: &MdmValues) -> Vec<(String, RegValue)> {
    cortex_vals(mdm)
        .into_iter()
        .map(|(key, value)| (key.as_str().to_owned(), value.to_reg()))
        .collect()
}

/// The two registry types Warden writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Dword(u32),
    Sz(String),
}

impl Val {
    fn to_reg(&self) -> RegValue {
        match self {
            Val::Dword(n) => RegValue::Dword(*n),
            Val::Sz(s) => RegValue::Sz(s.clone()),
        }
    }
}

fn cortex_vals(mdm: &MdmValues) -> Vec<(MdmKey, Val)> {
    mdm.iter()
        .map(|(key, value)| {
            let value = match value {
                MdmValue::Bool(b) => Val::Dword(u32::from(*b)),
                text => Val::Sz(text.registry_text().expect("not a Bool").into_owned()),
            };
            (key, value)
        })
        .collect()
}

/// Everything the Windows files are made from, computed once.
struct Plan<'a> {
    profile_id: &'a str,
    profile_name: &'a str,
    serial: u32,
    cortex_key: KeyPath,
    agent_key: KeyPath,
    cortex: Vec<(MdmKey, Val)>,
    bundle: String,
    /// Whether the bundle fits one `Registry.pol` record.
    bundle_in_pol: bool,
}

impl Plan<'_> {
    fn agent_values(&self) -> Vec<(String, Val)> {
        vec![
            (
                warden_agent::POLICY_BUNDLE.name.to_owned(),
                Val::Sz(self.bundle.clone()),
            ),
            (
                warden_agent::POLICY_SERIAL.name.to_owned(),
                Val::Dword(self.serial),
            ),
        ]
    }

    /// Both keys with their values, in file order.
    fn keys(&self) -> [(&KeyPath, Vec<(String, Val)>); 2] {
        let cortex = self
            .cortex
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
            .collect();
        [
            (&self.cortex_key, cortex),
            (&self.agent_key, self.agent_values()),
        ]
    }
}

fn build(cx: &Context<'_>, bundle: &[u8]) -> Result<Vec<Artifact>, WindowsError> {
    let bundle = one_line_bundle(bundle)?;
    let identity = &cx.profile.identity;
    let serial = u32::try_from(identity.serial).map_err(|_| WindowsError::SerialOutOfRange {
        serial: identity.serial,
    })?;
    let cortex = cortex_vals(&cx.mdm);
    for (key, value) in &cortex {
        if let Val::Sz(text) = value {
            let size = reg_sz_bytes(text);
            if size > MAX_REG_SZ_BYTES {
                return Err(WindowsError::CortexValueTooLarge {
                    name: key.as_str(),
                    size,
                    limit: MAX_REG_SZ_BYTES,
                });
            }
        }
    }
    let bundle_in_pol = reg_sz_bytes(&bundle) <= MAX_POL_DATA_BYTES;
    let plan = Plan {
        profile_id: &identity.id,
        profile_name: &identity.name,
        serial,
        cortex_key: KeyPath::new(cortex_code::HIVE, cortex_code::KEY)?,
        agent_key: KeyPath::new(warden_agent::HIVE, warden_agent::KEY)?,
        cortex,
        bundle,
        bundle_in_pol,
    };

    let reg = reg_file(&plan).to_bytes()?;
    let pol = registry_pol(&plan)?;
    let cortex_admx = generate_admx(&cortex_template())?;
    let agent_admx = generate_admx(&agent_template())?;
    let detect = script(&plan, Script::Detect)?;
    let remediate = script(&plan, Script::Remediate)?;
    let install = script(&plan, Script::Install)?;
    let readme = readme(
        &plan,
        &Sizes {
            reg: reg.len(),
            pol: pol.len(),
            remediate: remediate.len(),
        },
    );

    let path = |name: &str| format!("{OUTPUT_DIR}/{name}");
    let mut out = vec![
        Artifact::new(path(&format!("{}.reg", plan.profile_id)), reg),
        Artifact::new(path("Registry.pol"), pol),
        Artifact::new(path(&format!("{CORTEX_TEMPLATE}.admx")), cortex_admx.admx),
        Artifact::new(
            path(&format!("en-US/{CORTEX_TEMPLATE}.adml")),
            cortex_admx.adml,
        ),
        Artifact::new(path(&format!("{AGENT_TEMPLATE}.admx")), agent_admx.admx),
        Artifact::new(
            path(&format!("en-US/{AGENT_TEMPLATE}.adml")),
            agent_admx.adml,
        ),
        Artifact::new(path("intune/detect.ps1"), detect),
        Artifact::new(path("intune/remediate.ps1"), remediate),
        Artifact::new(path("intune/install.ps1"), install),
        Artifact::new(path("README.md"), readme),
    ];
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The bundle as one line of text. Compact JSON is kept byte for byte; JSON spread
/// over lines is written compactly, which changes only whitespace of the envelope
/// (the signature covers the payload, not the envelope's layout).
fn one_line_bundle(bundle: &[u8]) -> Result<String, WindowsError> {
    let text = std::str::from_utf8(bundle).map_err(|_| WindowsError::BundleNotUtf8)?;
    if !text.is_empty() && !text.chars().any(char::is_control) {
        return Ok(text.to_owned());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| WindowsError::BundleNotJson)?;
    let compact = value.to_string();
    if compact.chars().any(char::is_control) {
        return Err(WindowsError::BundleNotJson);
    }
    Ok(compact)
}

/// Each key is deleted first, so that importing the file leaves exactly the
/// compiled values (a value an older policy set does not linger).
fn reg_file(plan: &Plan<'_>) -> RegFile {
    let mut entries = Vec::new();
    for (key, values) in plan.keys() {
        entries.push(RegEntry::DeleteKey(key.clone()));
        entries.push(RegEntry::Key {
            path: key.clone(),
            values: values
                .into_iter()
                .map(|(name, value)| (name, ValueOp::Set(value.to_reg())))
                .collect(),
        });
    }
    RegFile { entries }
}

/// Group Policy's registry extension removes what a GPO's previous `Registry.pol`
/// set before it applies the new one, so the file needs no delete records. A bundle
/// over one record's limit is left out (with its serial, so the two never disagree);
/// `README.md` sends the agent's values to the scripts or the `.reg` then.
fn registry_pol(plan: &Plan<'_>) -> Result<Vec<u8>, WindowsError> {
    let mut tree = RegTree::new();
    for (i, (key, values)) in plan.keys().into_iter().enumerate() {
        if i == 1 && !plan.bundle_in_pol {
            continue;
        }
        for (name, value) in values {
            tree.set(key, &name, value.to_reg());
        }
    }
    Ok(write_pol(&tree.pol_entries(Hive::LocalMachine))?)
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// Data bytes of `s` as `REG_SZ`: UTF-16LE with the terminating NUL.
pub fn reg_sz_bytes(s: &str) -> usize {
    reg_sz_bytes_of_units(utf16_len(s))
}

/// Data bytes of a `REG_SZ` value of `units` UTF-16 units, with the terminating NUL.
pub fn reg_sz_bytes_of_units(units: usize) -> usize {
    (units + 1) * 2
}

/// True when Intune's ADMX ingestion refuses a policy writing below `key`.
pub fn intune_ingestion_blocks(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    INTUNE_INGESTION_BLOCKED
        .iter()
        .any(|b| key == *b || key.starts_with(&format!("{b}\\")))
}

/// Title and help text of each Cortex Code value, for the ADMX editor.
fn cortex_text(key: MdmKey) -> (&'static str, &'static str) {
    match key {
        MdmKey::Enabled => (
            "Turn on the account and authentication controls",
            "Enabled writes 1: Cortex Code applies the account lock, the authentication method lists and the minimum versions. Disabled writes 0. Turn them off through the channel that turned them on.",
        ),
        MdmKey::AllowedAccounts => (
            "Allowed Snowflake accounts",
            "A JSON array of account patterns (globs) that Cortex Code CLI and Desktop may connect to, such as [\"acme-prod\",\"acme-dev_*\"]. The host each connection reaches is checked, not only the account name.",
        ),
        MdmKey::AllowedAuthMethods => (
            "Allowed authentication methods",
            "A JSON array of authenticators Cortex Code accepts, such as [\"OAUTH_AUTHORIZATION_CODE\",\"EXTERNALBROWSER\"].",
        ),
        MdmKey::AllowedAuthMethodsByAccount => (
            "Allowed authentication methods per account",
            "A JSON object mapping an account pattern to its list of authenticators, such as {\"acme-ci\":[\"SNOWFLAKE_JWT\"]}. A matching entry replaces the global list; an exact account beats a glob.",
        ),
        MdmKey::MinimumVersion => (
            "Minimum Cortex Code version",
            "Oldest Cortex Code version allowed to start, for clients without a value of their own.",
        ),
        MdmKey::CliMinimumVersion => (
            "Minimum Cortex Code CLI version",
            "Oldest Cortex Code CLI version allowed to start.",
        ),
        MdmKey::DesktopMinimumVersion => (
            "Minimum Cortex Code Desktop version",
            "Oldest Cortex Code Desktop version allowed to start.",
        ),
        MdmKey::ManagedSettingsBase64 => (
            "Embedded managed settings",
            "The whole managed-settings.json, base64-encoded (as cortex managed-settings encode produces). Read by Cortex Code CLI 1.2.0 or later; not subject to the file permission check. An invalid value, or one over 256 KB, makes Cortex Code deny connections.",
        ),
        MdmKey::ManagedSettingsBase64Enabled => (
            "Use the embedded managed settings",
            "Enabled writes 1: Cortex Code applies the managed settings embedded in Embedded managed settings. Disabled writes 0.",
        ),
    }
}

fn template(
    name: &str,
    display_name: &str,
    description: &str,
    supported_on: &str,
    policies: Vec<AdmxPolicy>,
) -> AdmxTemplate {
    AdmxTemplate {
        namespace: format!("Warden.Policies.{name}"),
        prefix: name.to_ascii_lowercase(),
        revision: "1.0".to_owned(),
        display_name: display_name.to_owned(),
        description: description.to_owned(),
        category_id: name.to_owned(),
        category_display_name: display_name.to_owned(),
        supported_on_id: format!("SUPPORTED_{name}"),
        supported_on_display_name: supported_on.to_owned(),
        policies,
    }
}

/// Longest text a `Registry.pol` record carries, in characters.
const LONG_TEXT_MAX: u32 = MAX_POL_BUNDLE_UNITS as u32;

/// Whether a template may be imported through Intune's ADMX ingestion: a template
/// writing below a key Intune refuses ([`INTUNE_INGESTION_BLOCKED`]) is for Group
/// Policy only.
pub fn template_is_ingestible(t: &AdmxTemplate) -> bool {
    t.policies.iter().all(|p| !intune_ingestion_blocks(&p.key))
}

/// Every Cortex Code policy, whatever the profile sets, with fixed texts: one
/// template for every profile, so a central store holds one copy. The values of a
/// compile are in `Registry.pol`, the scripts and `README.md`.
pub fn cortex_template() -> AdmxTemplate {
    let policies = MdmKey::ALL
        .iter()
        .map(|key| {
            let (title, help) = cortex_text(*key);
            let name = key.as_str();
            let kind = match key {
                MdmKey::Enabled | MdmKey::ManagedSettingsBase64Enabled => AdmxPolicyKind::Boolean,
                MdmKey::MinimumVersion
                | MdmKey::CliMinimumVersion
                | MdmKey::DesktopMinimumVersion => AdmxPolicyKind::Text {
                    max_length: SHORT_TEXT_MAX,
                    required: true,
                    label: title.to_owned(),
                },
                MdmKey::AllowedAccounts
                | MdmKey::AllowedAuthMethods
                | MdmKey::AllowedAuthMethodsByAccount
                | MdmKey::ManagedSettingsBase64 => AdmxPolicyKind::Text {
                    max_length: LONG_TEXT_MAX,
                    required: true,
                    label: title.to_owned(),
                },
            };
            AdmxPolicy {
                id: name.to_owned(),
                class: PolicyClass::Machine,
                key: cortex_code::KEY.to_owned(),
                value_name: name.to_owned(),
                display_name: title.to_owned(),
                explain: help.to_owned(),
                kind,
            }
        })
        .collect();
    template(
        CORTEX_TEMPLATE,
        "Cortex Code",
        "Cortex Code machine policy, for Group Policy only (Intune's ADMX ingestion cannot write below Software\\Policies\\Microsoft: use Warden's remediation scripts there). The values to set are in the README.md, Registry.pol and scripts of each Warden compile.",
        "Cortex Code CLI 1.1.104 and Desktop 1.21.6 or later on Windows (the embedded managed settings: CLI 1.2.0 or later)",
        policies,
    )
}

/// The agent's bundle and serial, with fixed texts (one template for every profile).
pub fn agent_template() -> AdmxTemplate {
    let policies = vec![
        AdmxPolicy {
            id: warden_agent::POLICY_BUNDLE.name.to_owned(),
            class: PolicyClass::Machine,
            key: warden_agent::KEY.to_owned(),
            value_name: warden_agent::POLICY_BUNDLE.name.to_owned(),
            display_name: "Signed policy bundle".to_owned(),
            explain: format!(
                "The signed Warden policy bundle as one line of JSON, exactly as windows/Registry.pol and the Intune scripts of a Warden compile carry it. The agent verifies it against its pinned trust root and ignores a bundle that fails. It is longer than the {INTUNE_ADMX_STRING_LIMIT}-character limit of Intune's editor for imported ADMX: with Intune, use the remediation scripts."
            ),
            kind: AdmxPolicyKind::Text {
                max_length: LONG_TEXT_MAX,
                required: true,
                label: "Bundle JSON".to_owned(),
            },
        },
        AdmxPolicy {
            id: warden_agent::POLICY_SERIAL.name.to_owned(),
            class: PolicyClass::Machine,
            key: warden_agent::KEY.to_owned(),
            value_name: warden_agent::POLICY_SERIAL.name.to_owned(),
            display_name: "Policy serial".to_owned(),
            explain: "The serial of the signed bundle, for detection rules and reports; the serial inside the bundle stays authoritative. Each compile's README.md gives its value.".to_owned(),
            kind: AdmxPolicyKind::Decimal {
                min: 0,
                max: u32::MAX,
                label: "Serial".to_owned(),
            },
        },
    ];
    template(
        AGENT_TEMPLATE,
        "Warden agent",
        "The signed policy the Warden agent enforces.",
        "Warden agent on Windows 10 or later",
        policies,
    )
}

/// A PowerShell expression whose value is `s`, in printable ASCII only:
/// single-quoted runs (where `$`, backtick and `"` are literal and `'` is doubled)
/// joined with `[char]0xNNNN` for every other UTF-16 unit.
fn powershell_string(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            if c == '\'' {
                run.push('\'');
            }
            run.push(c);
        } else {
            if !run.is_empty() || parts.is_empty() {
                parts.push(format!("'{run}'"));
                run.clear();
            }
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                parts.push(format!("[char]0x{unit:04X}"));
            }
        }
    }
    if !run.is_empty() || parts.is_empty() {
        parts.push(format!("'{run}'"));
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" + "))
    }
}

/// `[Microsoft.Win32.RegistryKey]::SetValue` takes a DWORD as `Int32`, so the
/// value is written as the `Int32` with the same bits.
fn powershell_dword(n: u32) -> String {
    i32::from_ne_bytes(n.to_ne_bytes()).to_string()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Detect,
    Remediate,
    Install,
}

/// The script templates: complete PowerShell with `@@NAME@@` placeholders (see
/// `templates/windows/README.md`).
const DETECT_TEMPLATE: &str = include_str!("../templates/windows/detect.ps1");
const REMEDIATE_TEMPLATE: &str = include_str!("../templates/windows/remediate.ps1");
const INSTALL_TEMPLATE: &str = include_str!("../templates/windows/install.ps1");
const OPEN_HKLM: &str = include_str!("../templates/windows/open-hklm.ps1");
const WRITE_POLICY: &str = include_str!("../templates/windows/write-policy.ps1");
const FIND_DRIFT: &str = include_str!("../templates/windows/find-drift.ps1");

/// The `@@NAME@@` placeholders of `template` (`NAME` upper case and `_`), in order.
fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find("@@") {
        let tail = &rest[at + 2..];
        let Some(end) = tail.find("@@") else { break };
        let name = &tail[..end];
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            out.push(name);
            rest = &tail[end + 2..];
        } else {
            rest = tail;
        }
    }
    out
}

/// Replace each `@@NAME@@` of `template` by its value. The template is checked
/// before anything is replaced: every placeholder must have a value and every value
/// must have exactly one placeholder.
fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, WindowsError> {
    let found = placeholders(template);
    if let Some(unknown) = found.iter().find(|n| !values.iter().any(|(v, _)| v == *n)) {
        return Err(WindowsError::Template(format!(
            "placeholder @@{unknown}@@ has no value"
        )));
    }
    let mut out = template.to_owned();
    for (name, value) in values {
        let count = found.iter().filter(|n| *n == name).count();
        if count != 1 {
            return Err(WindowsError::Template(format!(
                "placeholder @@{name}@@ occurs {count} times, not once"
            )));
        }
        out = out.replacen(&format!("@@{name}@@"), value, 1);
    }
    Ok(out)
}

fn script(plan: &Plan<'_>, which: Script) -> Result<Vec<u8>, WindowsError> {
    // Detection only reads; the other two write.
    let (template, functions) = match which {
        Script::Detect => (DETECT_TEMPLATE, ("FIND_DRIFT", FIND_DRIFT)),
        Script::Remediate => (REMEDIATE_TEMPLATE, ("WRITE_POLICY", WRITE_POLICY)),
        Script::Install => (INSTALL_TEMPLATE, ("WRITE_POLICY", WRITE_POLICY)),
    };
    let mut policy = String::new();
    write_values(&mut policy, plan);
    let serial = plan.serial.to_string();
    let agent = powershell_string(&format!("{AGENT_INSTALL_DIR}\\{AGENT_EXE}"));
    let text = fill(
        template,
        &[
            ("PROFILE_ID", plan.profile_id),
            ("SERIAL", &serial),
            ("POLICY", policy.trim_end_matches('\n')),
            ("AGENT", &agent),
            ("OPEN_HKLM", OPEN_HKLM.trim_end_matches('\n')),
            functions,
        ],
    )?;
    Ok(text.replace('\n', "\r\n").into_bytes())
}

fn write_values(s: &mut String, plan: &Plan<'_>) {
    s.push_str("# The policy: key below HKLM, value name, registry kind, data.\n");
    let keys = plan.keys();
    let _ = writeln!(
        s,
        "$PolicyKeys = @({})",
        keys.iter()
            .map(|(k, _)| powershell_string(k.path()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.push_str("$Policy = @(\n");
    for (key, values) in &keys {
        for (name, value) in values {
            let (kind, data) = match value {
                Val::Dword(n) => ("DWord", powershell_dword(*n)),
                Val::Sz(text) => ("String", powershell_string(text)),
            };
            let _ = writeln!(
                s,
                "    @{{ Key = {}; Name = {}; Kind = '{kind}'; Data = {data} }}",
                powershell_string(key.path()),
                powershell_string(name),
            );
        }
    }
    s.push_str(")\n\n");
}

struct Sizes {
    reg: usize,
    pol: usize,
    remediate: usize,
}

/// Values longer than this are summarised in `README.md` (length and digest).
const README_VALUE_MAX: usize = 200;

fn values_table(plan: &Plan<'_>) -> String {
    let mut rows = Vec::new();
    for (key, values) in plan.keys() {
        for (name, value) in values {
            let (kind, data) = match value {
                Val::Dword(n) => ("REG_DWORD", n.to_string()),
                Val::Sz(text) if text.chars().count() <= README_VALUE_MAX => {
                    ("REG_SZ", format!("`{}`", text.replace('|', "\\|")))
                }
                Val::Sz(text) => (
                    "REG_SZ",
                    format!(
                        "{} characters, sha256 `{}`: copy it from `Registry.pol` or the scripts",
                        utf16_len(&text),
                        warden_trust::sha256_hex(text.as_bytes())
                    ),
                ),
            };
            rows.push(format!(
                "| `{}\\{name}` | {kind} | {data} |",
                key.full_name()
            ));
        }
    }
    rows.join("\n")
}

fn readme(plan: &Plan<'_>, sizes: &Sizes) -> Vec<u8> {
    let bundle_units = utf16_len(&plan.bundle);
    let longest_cortex = plan
        .cortex
        .iter()
        .filter_map(|(k, v)| match v {
            Val::Sz(s) => Some((utf16_len(s), k.as_str())),
            Val::Dword(_) => None,
        })
        .max();
    let cortex_names: Vec<&str> = plan.cortex.iter().map(|(k, _)| k.as_str()).collect();
    let id = plan.profile_id;
    let mut s = String::new();
    let _ = write!(
        s,
        "# Windows delivery for `{id}`, {name} (serial {serial})

Generated by `warden compile`. Two registry keys carry the policy, both under
`HKEY_LOCAL_MACHINE` (Cortex Code reads the machine hive only):

| key | values |
|---|---|
| `{cortex_key}` | {cortex_list} |
| `{agent_key}` | `PolicyBundle` (REG_SZ, the signed bundle), `PolicySerial` (REG_DWORD) |

`CortexManagedSettingsBase64` is the whole `managed-settings.json` of this compile,
base64 of its exact bytes (Cortex Code CLI 1.2.0 or later reads it; a policy
embedded in registry policy is not subject to the file permission check that
non-English Windows editions can skip). The Warden agent
(`warden-agent enforce --system`) also writes the file to `%ProgramData%\\Cortex\\`
from the verified bundle and keeps its ACL safe, for clients that read only the file.

## Values of this compile

| value | type | data |
|---|---|---|
{values_table}

## Files

| file | what it is |
|---|---|
| `{id}.reg` | both keys, for a manual `reg import` or a test machine. Deletes each key first, so it leaves exactly these values. UTF-16LE with BOM, CRLF, as regedit writes. |
| `Registry.pol` | the same values for a GPO's `Machine` folder (PReg format). Group Policy removes what the GPO's previous file set before applying a new one. |
| `CortexCode.admx`, `en-US/CortexCode.adml` | Group Policy template declaring every Cortex Code policy. The same file for every profile; the values to enter are in the table above. **Group Policy only**: Intune's ADMX ingestion cannot write below `Software\\Policies\\Microsoft`, so with Intune use the remediation scripts. |
| `WardenAgent.admx`, `en-US/WardenAgent.adml` | Group Policy template for the agent's bundle and serial; the same file for every profile. |
| `intune/detect.ps1` | Intune Remediations detection: exits 1 when the registry values differ from this profile's, when the agent is missing, or when `warden-agent check --format intune` is not compliant; prints one line: the system verdict, then the console user's last user-mode result. |
| `intune/remediate.ps1` | Intune Remediations remediation: writes the values (removing stale ones) through the 64-bit registry view, then runs `warden-agent enforce --system`. |
| `intune/install.ps1` | Intune platform script for the first install: writes the values and runs the agent if it is already there. It installs no program: deploy the agent package (`packaging/windows/install.ps1`, as a Win32 app) separately; the agent's startup task applies the policy once installed. |

The scripts are printable ASCII with CRLF line ends (readable as UTF-8 without
BOM and in any ANSI code page); characters outside ASCII are written as
`[char]0xNNNN`. Run them as SYSTEM: in Intune set \"Run this script using the
logged-on credentials\" to No. They start themselves again in 64-bit PowerShell
when Intune launches the 32-bit one, and write through the 64-bit registry view
either way. \"Enforce script signature check\" needs the scripts signed with
your code-signing certificate first.

## Which route

- **Intune (recommended for Intune-managed devices): Remediations.** Create a
  remediation with `detect.ps1` and `remediate.ps1`, run as SYSTEM, in 64-bit
  PowerShell, on a schedule (daily, or hourly for faster roll-out). Add
  `install.ps1` as a platform script if devices should get the values at enrolment.
  The bundle is {bundle_units} characters, over the {intune_cap}-character string limit of
  Intune's editor for imported ADMX, so the ADMX route cannot carry it.
- **Not Intune ADMX ingestion.** Microsoft's ADMX ingestion does not allow
  policies that write below `System`, `Software\\Microsoft` or
  `Software\\Policies\\Microsoft`, and Cortex Code's key is there:
  `CortexCode.admx` is for Group Policy only.
- **Group Policy (on-premises AD).** Either copy `Registry.pol` into the GPO's
  `Machine` folder (`\\\\<domain>\\SYSVOL\\<domain>\\Policies\\{{GPO-GUID}}\\Machine\\`),
  or copy the ADMX files to the central store (`PolicyDefinitions` and
  `PolicyDefinitions\\en-US`) and set the policies in GPMC with the values shown
  in the table above. `Registry.pol` is the easier way to carry the bundle,
  which GPMC's text box takes only as one pasted line. A GPO carries at most
  {pol_limit} bytes per value (the bundle takes {bundle_bytes}). {pol_bundle_note}
- **Manual or test machine.** `reg import {id}.reg` from an elevated prompt
  (use the 64-bit `reg.exe`: `%WINDIR%\\sysnative\\reg.exe` from a 32-bit shell).

Whatever the route, install the agent package on every device: it verifies the
bundle, writes `managed-settings.json` and reports compliance.

## Sizes in this compile

| item | size |
|---|---|
| signed bundle (`PolicyBundle`) | {bundle_units} characters, {bundle_bytes} bytes as REG_SZ (limit {pol_limit} in Registry.pol, {intune_cap} characters in Intune's ADMX editor) |
| longest Cortex Code value | {longest} |
| `{id}.reg` | {reg} bytes |
| `Registry.pol` | {pol} bytes |
| `intune/remediate.ps1` | {remediate} bytes |
",
        serial = plan.serial,
        name = plan.profile_name,
        cortex_key = plan.cortex_key.full_name(),
        agent_key = plan.agent_key.full_name(),
        cortex_list = if cortex_names.is_empty() {
            "(none set by this profile)".to_owned()
        } else {
            cortex_names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        intune_cap = INTUNE_ADMX_STRING_LIMIT,
        longest = match longest_cortex {
            Some((len, name)) => format!("{len} characters, `{name}`"),
            None => "no string values".to_owned(),
        },
        pol_limit = MAX_POL_DATA_BYTES,
        bundle_bytes = reg_sz_bytes_of_units(bundle_units),
        values_table = values_table(plan),
        pol_bundle_note = if plan.bundle_in_pol {
            "This `Registry.pol` carries it."
        } else {
            "**This bundle is longer, so this `Registry.pol` carries Cortex Code's values only**: deliver `PolicyBundle` and `PolicySerial` with the Intune scripts or the `.reg` file."
        },
        reg = sizes.reg,
        pol = sizes.pol,
        remediate = sizes.remediate,
    );
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_strings_are_ascii_and_quote_safely() {
        assert_eq!(powershell_string(""), "''");
        assert_eq!(powershell_string("a'b$(x)"), "'a''b$(x)'");
        assert_eq!(
            powershell_string("ü"),
            "('' + [char]0x00FC)",
            "a leading non-ASCII character still yields a string"
        );
        assert_eq!(
            powershell_string("a\u{2019}b"),
            "('a' + [char]0x2019 + 'b')"
        );
        assert_eq!(
            powershell_string("\u{1F600}"),
            "('' + [char]0xD83D + [char]0xDE00)"
        );
        assert_eq!(powershell_string("x\ty"), "('x' + [char]0x0009 + 'y')");
    }

    #[test]
    fn templates_fill_every_placeholder_once() {
        assert_eq!(fill("a @@X@@ b", &[("X", "1")]).unwrap(), "a 1 b");
        assert!(
            fill("a @@X@@ @@Y@@", &[("X", "1")]).is_err(),
            "unknown placeholder"
        );
        assert!(fill("a @@X@@ @@X@@", &[("X", "1")]).is_err(), "twice");
        assert!(fill("a", &[("X", "1")]).is_err(), "missing");
        // A value is never scanned for placeholders.
        assert_eq!(fill("@@X@@", &[("X", "@@Y@@")]).unwrap(), "@@Y@@");
        for t in [
            DETECT_TEMPLATE,
            REMEDIATE_TEMPLATE,
            INSTALL_TEMPLATE,
            OPEN_HKLM,
            WRITE_POLICY,
            FIND_DRIFT,
        ] {
            assert!(t.is_ascii() && !t.contains('\r'));
        }
        for f in [OPEN_HKLM, WRITE_POLICY, FIND_DRIFT] {
            assert!(placeholders(f).is_empty());
        }
    }

    #[test]
    fn dwords_keep_their_bits() {
        assert_eq!(powershell_dword(1), "1");
        assert_eq!(powershell_dword(u32::MAX), "-1");
        assert_eq!(powershell_dword(0x8000_0000), "-2147483648");
    }
}
