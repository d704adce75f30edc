//! `warden import`: an existing Cortex Code setup (a `managed-settings.json`, the
//! `com.snowflake.coco` keys of a `.mobileconfig` or plist, or the `CortexCode` policy
//! key of a `.reg`) as a profile with the same effect. What has no profile field is
//! reported on stderr and kept as a comment in the profile.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;
use warden_compile::import::{ImportNote, from_mdm_keys, import_settings};

use crate::CliError;

/// Cortex Code's preference domain on macOS.
const DOMAIN: &str = "com.snowflake.coco";
/// Cortex Code's policy key on Windows.
const POLICY_KEY: &str = r"HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\CortexCode";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `managed-settings.json`, a `.mobileconfig` or `.plist`, or a `.reg`
    file: PathBuf,
    /// The new profile's id (default: the file's stem)
    #[arg(long)]
    id: Option<String>,
    /// The new profile's display name (default: the id)
    #[arg(long)]
    name: Option<String>,
    /// Write the profile here instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let bytes = std::fs::read(&args.file).map_err(|e| CliError::io(&args.file, e))?;
    let (settings, mut notes) = read_input(&args.file, &bytes)?;
    let id = args.id.clone().unwrap_or_else(|| default_id(&args.file));
    let name = args.name.clone().unwrap_or_else(|| id.clone());
    let imported = import_settings(&settings, &id, &name);
    notes.extend(imported.notes);
    match &args.output {
        Some(out) => {
            std::fs::write(out, imported.toml.as_bytes()).map_err(|e| CliError::io(out, e))?
        }
        None => {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(imported.toml.as_bytes());
            let _ = o.flush();
        }
    }
    let mut err = anstream::stderr();
    for n in &notes {
        let (sev, code) = if n.dropped {
            ("warning", "import-unrepresented")
        } else {
            ("note", "import-changed")
        };
        let _ = writeln!(err, "{sev}[{code}]: {}: {}", n.path, n.message);
    }
    let dropped = notes.iter().filter(|n| n.dropped).count();
    if dropped > 0 {
        let _ = writeln!(
            err,
            "{dropped} value(s) could not be represented in the profile; they are listed as comments at its end"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn default_id(file: &Path) -> String {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported");
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').to_owned();
    if id.is_empty() || id == "managed-settings" {
        "imported".to_owned()
    } else {
        id
    }
}

fn read_input(file: &Path, bytes: &[u8]) -> Result<(Value, Vec<ImportNote>), CliError> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "mobileconfig" | "plist" => from_plist(file, bytes),
        "reg" => from_reg(file, bytes),
        _ => serde_json::from_slice::<Value>(bytes)
            .map(|v| (v, Vec::new()))
            .map_err(|e| CliError::failed(format!("`{}` is not JSON", file.display()), e)),
    }
}

fn plist_to_json(v: &plist::Value) -> Value {
    match v {
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Integer(i) => i
            .as_signed()
            .map(Value::from)
            .or_else(|| i.as_unsigned().map(Value::from))
            .unwrap_or(Value::Null),
        plist::Value::Real(r) => {
            serde_json::Number::from_f64(*r).map_or(Value::Null, Value::Number)
        }
        plist::Value::Array(a) => Value::Array(a.iter().map(plist_to_json).collect()),
        plist::Value::Dictionary(d) => Value::Object(
            d.iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect(),
        ),
        // Data and dates are no Cortex Code value type; they are reported as unreadable.
        _ => Value::Null,
    }
}

/// The Cortex Code keys of a plist: a bare domain plist, a payload of type
/// `com.snowflake.coco`, or the `Forced` settings of a managed-client payload.
fn cortex_keys(root: &plist::Dictionary) -> Option<plist::Dictionary> {
    if root.keys().any(|k| k.starts_with("Cortex")) {
        return Some(root.clone());
    }
    for payload in root
        .get("PayloadContent")
        .and_then(plist::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(plist::Value::as_dictionary)
    {
        match payload.get("PayloadType").and_then(plist::Value::as_string) {
            Some(DOMAIN) => return Some(payload.clone()),
            Some("com.apple.ManagedClient.preferences") => {
                let forced = payload
                    .get("PayloadContent")
                    .and_then(plist::Value::as_dictionary)
                    .and_then(|c| c.get(DOMAIN))
                    .and_then(plist::Value::as_dictionary)
                    .and_then(|d| d.get("Forced"))
                    .and_then(plist::Value::as_array);
                let mut keys = plist::Dictionary::new();
                for f in forced.into_iter().flatten() {
                    if let Some(s) = f
                        .as_dictionary()
                        .and_then(|f| f.get("mcx_preference_settings"))
                        .and_then(plist::Value::as_dictionary)
                    {
                        for (k, v) in s {
                            keys.insert(k.clone(), v.clone());
                        }
                    }
                }
                if !keys.is_empty() {
                    return Some(keys);
                }
            }
            _ => {}
        }
    }
    None
}

fn from_plist(file: &Path, bytes: &[u8]) -> Result<(Value, Vec<ImportNote>), CliError> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| CliError::failed(format!("`{}` is not a property list", file.display()), e))?;
    let Some(keys) = v.as_dictionary().and_then(cortex_keys) else {
        return Err(CliError::usage(format!(
            "`{}` holds no `{DOMAIN}` preferences",
            file.display()
        )));
    };
    let keys: Vec<(String, Value)> = keys
        .iter()
        .filter(|(k, _)| !k.starts_with("Payload") && !k.starts_with('_'))
        .map(|(k, v)| (k.clone(), plist_to_json(v)))
        .collect();
    Ok(from_mdm_keys(&keys))
}

fn from_reg(file: &Path, bytes: &[u8]) -> Result<(Value, Vec<ImportNote>), CliError> {
    use warden_registry::{KeyPath, RegEntry, RegFile, RegValue, ValueOp};
    let reg = RegFile::parse(bytes)
        .map_err(|e| CliError::failed(format!("`{}` is not a .reg file", file.display()), e))?;
    let want = KeyPath::parse(POLICY_KEY).expect("a valid key");
    let mut keys: Vec<(String, Value)> = Vec::new();
    for entry in &reg.entries {
        let RegEntry::Key { path, values } = entry else {
            continue;
        };
        if path.folded() != want.folded() {
            continue;
        }
        for (name, op) in values {
            keys.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            if let ValueOp::Set(v) = op {
                let json = match v {
                    RegValue::Sz(s) | RegValue::ExpandSz(s) => Value::from(s.as_str()),
                    RegValue::Dword(n) => Value::from(*n),
                    RegValue::Qword(n) => Value::from(*n),
                    RegValue::MultiSz(list) => Value::from(list.clone()),
                    _ => Value::Null,
                };
                keys.push((name.clone(), json));
            }
        }
    }
    if keys.is_empty() {
        return Err(CliError::usage(format!(
            "`{}` sets no values under {POLICY_KEY}",
            file.display()
        )));
    }
    Ok(from_mdm_keys(&keys))
}
