//! `warden import`: an existing Cortex Code setup back into a profile.
//!
//! The input is a `managed-settings.json` value (or the Cortex Code keys of an MDM
//! channel, turned into one by [`from_mdm_keys`]). The output is profile TOML whose
//! compile gives the same settings, with a comment wherever a value needs explaining, and
//! a list of what could not be represented, so that nothing is dropped silently. No I/O.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Value};

/// Something of the input the profile does not carry exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportNote {
    /// JSON path of the input value (`permissions.foo`) or the MDM key.
    pub path: String,
    /// Why it is not in the profile, or how the compile will differ.
    pub message: String,
    /// True when the value is lost (not in the profile at all).
    pub dropped: bool,
}

/// The profile text and the notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub toml: String,
    pub notes: Vec<ImportNote>,
}

/// A TOML basic string, array of strings or scalar: JSON's spelling of these is valid
/// TOML (`\uXXXX` escapes included).
fn lit(v: &Value) -> String {
    v.to_string()
}

struct Out {
    sections: Vec<(String, Vec<String>)>,
    notes: Vec<ImportNote>,
}

impl Out {
    fn put(&mut self, section: &str, line: String) {
        match self.sections.iter_mut().find(|(s, _)| s == section) {
            Some((_, lines)) => lines.push(line),
            None => self.sections.push((section.to_owned(), vec![line])),
        }
    }

    fn note(&mut self, path: &str, message: impl Into<String>, dropped: bool) {
        self.notes.push(ImportNote {
            path: path.to_owned(),
            message: message.into(),
            dropped,
        });
    }

    fn drop_value(&mut self, path: &str, v: &Value, why: &str) {
        self.note(path, format!("{why}: {}", lit(v)), true);
    }
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|i| i.as_str().map(str::to_owned))
        .collect()
}

/// `(input key, profile key, expected kind)` of each simple section.
type Field = (&'static str, &'static str, fn(&Value) -> bool);

fn is_bool(v: &Value) -> bool {
    v.is_boolean()
}
fn is_str(v: &Value) -> bool {
    v.is_string()
}

fn simple(out: &mut Out, obj: &Map<String, Value>, prefix: &str, section: &str, fields: &[Field]) {
    for (k, v) in obj {
        let path = format!("{prefix}.{k}");
        match fields.iter().find(|(name, _, _)| name == k) {
            Some((_, key, ok)) if ok(v) => out.put(section, format!("{key} = {}", lit(v))),
            Some(_) => out.drop_value(&path, v, "not of the type Cortex Code reads"),
            None => out.drop_value(&path, v, "not a Cortex Code managed setting Warden knows"),
        }
    }
}

fn object<'a>(out: &mut Out, path: &str, v: &'a Value) -> Option<&'a Map<String, Value>> {
    let m = v.as_object();
    if m.is_none() {
        out.drop_value(path, v, "not an object");
    }
    m
}

/// Import a `managed-settings.json` value as a profile with `id`.
pub fn import_settings(settings: &Value, id: &str, name: &str) -> Imported {
    let mut out = Out {
        sections: Vec::new(),
        notes: Vec::new(),
    };
    out.put("profile", format!("id = {}", lit(&Value::from(id))));
    out.put("profile", format!("name = {}", lit(&Value::from(name))));
    out.put("profile", "serial = 1".to_owned());
    let Some(top) = settings.as_object() else {
        out.drop_value("", settings, "the file is not a JSON object");
        return finish(out);
    };
    let mut account_deny = Vec::new();
    for (k, v) in top {
        match k.as_str() {
            "version" => {
                if v != "1.0" {
                    out.note(
                        "version",
                        format!(
                            "is {}; Cortex Code requires \"1.0\" and Warden always writes it",
                            lit(v)
                        ),
                        false,
                    );
                }
            }
            "enabled" if v.is_boolean() => out.put("cortex", format!("enabled = {v}")),
            "tenant" => {
                let Some(m) = object(&mut out, "tenant", v) else {
                    continue;
                };
                for (k, v) in m {
                    match (k.as_str(), strings(v)) {
                        ("allowedAccounts", Some(list)) if !list.is_empty() => {
                            out.put("accounts", format!("allow = {}", lit(&Value::from(list))));
                        }
                        _ => out.drop_value(
                            &format!("tenant.{k}"),
                            v,
                            "not representable as an account allow list",
                        ),
                    }
                }
            }
            "auth" => {
                let Some(m) = object(&mut out, "auth", v) else {
                    continue;
                };
                for (k, v) in m {
                    match k.as_str() {
                        "allowedMethods" if strings(v).is_some() => {
                            out.put("authenticators", format!("allowed = {}", lit(v)));
                            out.note("auth.allowedMethods", "compiled back in canonical (upper-case) spelling, duplicates removed", false);
                        }
                        "accounts" if v.is_object() => {
                            for (acct, entry) in v.as_object().into_iter().flatten() {
                                let methods = entry.get("allowedMethods").and_then(strings);
                                match methods {
                                    Some(list)
                                        if entry.as_object().is_some_and(|e| e.len() == 1) =>
                                    {
                                        out.put(
                                            "authenticators.per_account",
                                            format!(
                                                "{} = {}",
                                                lit(&Value::from(acct.as_str())),
                                                lit(&Value::from(list))
                                            ),
                                        );
                                    }
                                    _ => out.drop_value(
                                        &format!("auth.accounts.{acct}"),
                                        entry,
                                        "not `{ \"allowedMethods\": [...] }`",
                                    ),
                                }
                            }
                        }
                        _ => out.drop_value(
                            &format!("auth.{k}"),
                            v,
                            "not a Cortex Code auth setting Warden knows",
                        ),
                    }
                }
            }
            "permissions" => {
                let Some(m) = object(&mut out, "permissions", v) else {
                    continue;
                };
                for (k, v) in m {
                    let path = format!("permissions.{k}");
                    match k.as_str() {
                        "onlyAllow" if strings(v).is_some() => {
                            out.put("cortex.permissions", format!("only_allow = {}", lit(v)));
                        }
                        "deny" if strings(v).is_some() => {
                            let (acct, tools): (Vec<String>, Vec<String>) =
                                strings(v).unwrap_or_default().into_iter().partition(|p| {
                                    p.to_ascii_lowercase().starts_with("account(")
                                        && p.ends_with(')')
                                });
                            for a in acct {
                                account_deny.push(a["account(".len()..a.len() - 1].to_owned());
                            }
                            if !tools.is_empty() {
                                out.put(
                                    "cortex.permissions",
                                    format!("deny = {}", lit(&Value::from(tools))),
                                );
                            }
                        }
                        "defaultMode" if v == "allow" || v == "deny" => {
                            out.put("cortex.permissions", format!("default_mode = {v}"));
                        }
                        "dangerouslyAllowAll" if v.is_boolean() => {
                            out.put("cortex.permissions", format!("dangerously_allow_all = {v}"));
                        }
                        _ => out.drop_value(
                            &path,
                            v,
                            "not a Cortex Code permission setting Warden knows",
                        ),
                    }
                }
                if !m.contains_key("defaultMode") {
                    out.note(
                        "permissions.defaultMode",
                        "absent; Warden always writes it, as \"allow\" (the documented default)",
                        false,
                    );
                }
            }
            "settings" => {
                let Some(m) = object(&mut out, "settings", v) else {
                    continue;
                };
                let m = m.clone();
                simple(
                    &mut out,
                    &m,
                    "settings",
                    "cortex.settings",
                    &[
                        ("forceNoHistoryMode", "force_no_history_mode", is_bool),
                        ("forceSandboxEnabled", "force_sandbox_enabled", is_bool),
                        ("forceSandboxMode", "force_sandbox_mode", |v| {
                            v == "regular" || v == "autoAllow"
                        }),
                    ],
                );
            }
            "required" | "cli" | "desktop" => {
                let key = match k.as_str() {
                    "required" => "minimum_version",
                    "cli" => "cli_minimum_version",
                    _ => "desktop_minimum_version",
                };
                let version = match k.as_str() {
                    "required" => v.get("minimumVersion"),
                    _ => v.get("required").and_then(|r| r.get("minimumVersion")),
                };
                let only = match k.as_str() {
                    "required" => v.as_object().is_some_and(|m| m.len() == 1),
                    _ => {
                        v.as_object().is_some_and(|m| m.len() == 1)
                            && v["required"].as_object().is_some_and(|m| m.len() == 1)
                    }
                };
                match version {
                    Some(s) if s.is_string() && only => {
                        out.put("cortex.required", format!("{key} = {s}"))
                    }
                    _ => out.drop_value(k, v, "not a minimum version Warden knows"),
                }
            }
            "defaults" => {
                let Some(m) = object(&mut out, "defaults", v) else {
                    continue;
                };
                for (k, v) in m {
                    match k.as_str() {
                        "connectionName" if v.is_string() => {
                            out.put("connection", format!("# In a profile the default connection is the required one: the agent also\n# makes sure it exists and is the default (see [endpoint]).\nrequired_name = {v}"));
                        }
                        "profileName" if v.is_string() => {
                            out.put("cortex.defaults", format!("profile_name = {v}"))
                        }
                        "theme" if v == "dark" || v == "light" || v == "pro" => {
                            out.put("cortex.defaults", format!("theme = {v}"));
                        }
                        _ => out.drop_value(
                            &format!("defaults.{k}"),
                            v,
                            "not a Cortex Code default Warden knows",
                        ),
                    }
                }
            }
            "files" => {
                let Some(m) = object(&mut out, "files", v) else {
                    continue;
                };
                let m = m.clone();
                simple(
                    &mut out,
                    &m,
                    "files",
                    "cortex.files",
                    &[
                        ("connectionsFile", "connections_file", is_str),
                        ("mcpFile", "mcp_file", is_str),
                    ],
                );
            }
            "ui" => {
                let Some(m) = object(&mut out, "ui", v) else {
                    continue;
                };
                let m = m.clone();
                simple(
                    &mut out,
                    &m,
                    "ui",
                    "cortex.ui",
                    &[
                        ("showManagedBanner", "show_managed_banner", is_bool),
                        ("bannerText", "banner_text", is_str),
                        ("hideDangerousOptions", "hide_dangerous_options", is_bool),
                    ],
                );
            }
            _ => out.drop_value(k, v, "not a Cortex Code managed setting Warden knows"),
        }
    }
    if !account_deny.is_empty() {
        out.put(
            "accounts",
            format!(
                "# From the `account(…)` patterns of `permissions.deny`.\ndeny = {}",
                lit(&Value::from(account_deny))
            ),
        );
        out.note(
            "permissions.deny",
            "`account(…)` patterns are compiled after the tool patterns",
            false,
        );
    }
    if (top.contains_key("tenant") || top.contains_key("auth")) && !top.contains_key("enabled") {
        out.note(
            "enabled",
            "absent; with account or auth controls Warden writes `enabled: true`",
            false,
        );
    }
    finish(out)
}

const ORDER: &[&str] = &[
    "profile",
    "accounts",
    "authenticators",
    "authenticators.per_account",
    "connection",
    "cortex",
    "cortex.permissions",
    "cortex.settings",
    "cortex.required",
    "cortex.defaults",
    "cortex.files",
    "cortex.ui",
];

fn finish(mut out: Out) -> Imported {
    out.sections
        .sort_by_key(|(s, _)| ORDER.iter().position(|o| o == s).unwrap_or(ORDER.len()));
    let mut s = String::from(
        "#:schema ../schemas/profile.schema.json\n# Imported by `warden import`; review, then set [profile] and [endpoint].\n",
    );
    for (section, lines) in &out.sections {
        let _ = writeln!(s, "\n[{section}]");
        for l in lines {
            let _ = writeln!(s, "{l}");
        }
    }
    let dropped: Vec<&ImportNote> = out.notes.iter().filter(|n| n.dropped).collect();
    if !dropped.is_empty() {
        s.push_str("\n# Not imported (no profile field has this effect):\n");
        for n in dropped {
            for line in format!("{}: {}", n.path, n.message).lines() {
                let _ = writeln!(s, "#   {line}");
            }
        }
    }
    Imported {
        toml: s,
        notes: out.notes,
    }
}

/// The Cortex Code keys of an MDM channel (plist or registry values, already typed) as
/// a `managed-settings.json` value. `CortexManagedSettingsBase64`, when present, is the
/// whole file and wins; the other keys then only have to agree with it.
pub fn from_mdm_keys(keys: &[(String, Value)]) -> (Value, Vec<ImportNote>) {
    let mut notes = Vec::new();
    let get = |name: &str| {
        keys.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    if let Some(b64) = get("CortexManagedSettingsBase64").and_then(Value::as_str) {
        match base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            Some(v) => return (v, notes),
            None => notes.push(ImportNote {
                path: "CortexManagedSettingsBase64".into(),
                message:
                    "is not base64 of a JSON document; the individual keys are imported instead"
                        .into(),
                dropped: true,
            }),
        }
    }
    let mut root = Map::new();
    root.insert("version".into(), "1.0".into());
    let list = |v: &Value| -> Option<Value> {
        match v {
            Value::Array(_) => Some(v.clone()),
            // The registry carries lists as a JSON array in a REG_SZ.
            Value::String(s) => serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_array),
            _ => None,
        }
    };
    for (k, v) in keys {
        let bad = |notes: &mut Vec<ImportNote>| {
            notes.push(ImportNote {
                path: k.clone(),
                message: format!("has a value Cortex Code does not read: {v}"),
                dropped: true,
            });
        };
        let set = |root: &mut Map<String, Value>, path: &[&str], value: Value| {
            let mut cur = root;
            for p in &path[..path.len() - 1] {
                cur = cur
                    .entry((*p).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("an object");
            }
            cur.insert(path[path.len() - 1].to_owned(), value);
        };
        match k.to_ascii_lowercase().as_str() {
            "cortexenabled" => match v {
                Value::Bool(_) => set(&mut root, &["enabled"], v.clone()),
                Value::Number(n) if n.as_u64().is_some_and(|n| n <= 1) => {
                    set(&mut root, &["enabled"], Value::Bool(n.as_u64() == Some(1)));
                }
                _ => bad(&mut notes),
            },
            "cortexallowedaccounts" => match list(v) {
                Some(l) => set(&mut root, &["tenant", "allowedAccounts"], l),
                None => bad(&mut notes),
            },
            "cortexallowedauthmethods" => match list(v) {
                Some(l) => set(&mut root, &["auth", "allowedMethods"], l),
                None => bad(&mut notes),
            },
            "cortexallowedauthmethodsbyaccount" => {
                match v
                    .as_str()
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
                {
                    // The MDM value maps an account to its list; the file wraps the list
                    // in `{"allowedMethods": …}`.
                    Some(Value::Object(m)) => {
                        let wrapped: Map<String, Value> = m
                            .into_iter()
                            .map(|(acct, v)| match v {
                                Value::Array(_) => {
                                    (acct, serde_json::json!({ "allowedMethods": v }))
                                }
                                other => (acct, other),
                            })
                            .collect();
                        set(&mut root, &["auth", "accounts"], Value::Object(wrapped));
                    }
                    _ => bad(&mut notes),
                }
            }
            "cortexminimumversion" if v.is_string() => {
                set(&mut root, &["required", "minimumVersion"], v.clone());
            }
            "cortexcliminimumversion" if v.is_string() => {
                set(&mut root, &["cli", "required", "minimumVersion"], v.clone());
            }
            "cortexdesktopminimumversion" if v.is_string() => {
                set(
                    &mut root,
                    &["desktop", "required", "minimumVersion"],
                    v.clone(),
                );
            }
            "cortexmanagedsettingsbase64" => {}
            "cortexmanagedsettingsbase64enabled" => notes.push(ImportNote {
                path: k.clone(),
                message: "Warden sets it itself with the embedded file".into(),
                dropped: false,
            }),
            _ => bad(&mut notes),
        }
    }
    (Value::Object(root), notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_reported_and_commented_not_dropped() {
        let v: Value = serde_json::json!({
            "version": "1.0",
            "permissions": { "defaultMode": "deny", "deny": ["bash(rm:*)", "account(x-*)"], "askFirst": ["bash"] },
            "telemetry": { "off": true }
        });
        let out = import_settings(&v, "imported", "Imported");
        let dropped: Vec<&str> = out
            .notes
            .iter()
            .filter(|n| n.dropped)
            .map(|n| n.path.as_str())
            .collect();
        assert_eq!(dropped, ["permissions.askFirst", "telemetry"]);
        assert!(out.toml.contains(
            "#   telemetry: not a Cortex Code managed setting Warden knows: {\"off\":true}"
        ));
        assert!(out.toml.contains("deny = [\"x-*\"]"));
        assert!(out.toml.contains("deny = [\"bash(rm:*)\"]"));
        let parsed: toml::Value = toml::from_str(&out.toml).unwrap();
        assert_eq!(
            parsed["cortex"]["permissions"]["default_mode"].as_str(),
            Some("deny")
        );
    }

    #[test]
    fn registry_values_become_settings() {
        let (v, notes) = from_mdm_keys(&[
            ("CortexEnabled".into(), Value::from(1)),
            ("CortexAllowedAccounts".into(), Value::from("[\"acme-*\"]")),
            ("CortexMinimumVersion".into(), Value::from("1.1.89")),
            ("Bogus".into(), Value::from("x")),
        ]);
        assert_eq!(v["enabled"], true);
        assert_eq!(v["tenant"]["allowedAccounts"][0], "acme-*");
        assert_eq!(v["required"]["minimumVersion"], "1.1.89");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].path, "Bogus");
    }
}
