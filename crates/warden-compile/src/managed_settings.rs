//! Cortex Code's `managed-settings.json`, built from a resolved profile.
//!
//! The types below mirror the documented file, field for field, in the order the
//! file is written: Serde writes struct fields in declaration order, so the bytes
//! are fixed by this module alone. Optional sections are left out when the profile
//! says nothing about them; `permissions.defaultMode` is always written because the
//! documented default changed between releases (`deny`, then `allow`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use warden_policy::{Authenticator, AuthenticatorPolicy};
use warden_profile::ResolvedProfile;
use warden_profile::model::{DefaultMode, SandboxMode, Theme};

use crate::CompileError;

/// JSON Schema (2020-12) of `managed-settings.json` as Cortex Code documents it.
pub const CORTEX_MANAGED_SETTINGS_SCHEMA: &str =
    include_str!("../../../schemas/cortex-managed-settings.schema.json");

/// The only `version` Cortex Code accepts.
pub const VERSION: &str = "1.0";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedSettings {
    pub version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Tenant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    pub permissions: Permissions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<Required>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cli: Option<ClientOverride>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desktop: Option<ClientOverride>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Files>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui: Option<Ui>,
}

/// `tenant`: the account lock both clients enforce (against the host, too).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub allowed_accounts: Vec<String>,
}

/// `auth`: allowed authentication methods, globally and per account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_methods: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<BTreeMap<String, AccountAuth>>,
}

/// One `auth.accounts` entry. An empty list means any method.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAuth {
    pub allowed_methods: Vec<String>,
}

/// `permissions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_allow: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    pub default_mode: DefaultMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dangerously_allow_all: Option<bool>,
}

/// `settings`: behaviour users cannot override.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_no_history_mode: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_sandbox_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_sandbox_mode: Option<SandboxMode>,
}

/// `required` (and `cli.required`, `desktop.required`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Required {
    pub minimum_version: String,
}

/// `cli` / `desktop`: per-client overrides; only `required` is documented.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientOverride {
    pub required: Required,
}

/// `defaults`: suggestions users may override (CLI only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
}

/// `files`: admin-supplied files (CLI only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Files {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_file: Option<String>,
}

/// `ui`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ui {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_managed_banner: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hide_dangerous_options: Option<bool>,
}

impl ManagedSettings {
    /// Build the file from a profile.
    pub fn from_profile(p: &ResolvedProfile) -> Result<Self, CompileError> {
        let c = &p.cortex;

        let tenant = match p.policy.accounts.allow.last() {
            None => None,
            Some(layer) if layer.is_empty() => return Err(CompileError::EmptyAccountAllowList),
            // Base layers are linted to contain this one; the agent checks every layer.
            Some(layer) => Some(Tenant {
                allowed_accounts: layer.clone(),
            }),
        };

        let auth = auth(&p.policy.authenticators)?;

        // `enabled` switches the account and auth controls; when they are present and
        // the profile does not say, write `true` rather than rely on an undocumented
        // default.
        let enabled = c
            .enabled
            .or_else(|| (tenant.is_some() || auth.is_some()).then_some(true));

        let perms = c.permissions.clone().unwrap_or_default();
        let accounts = &p.policy.accounts;
        for pattern in accounts
            .deny
            .iter()
            .chain(accounts.allow.last().into_iter().flatten())
        {
            if pattern.contains(['(', ')']) || pattern.trim().is_empty() {
                return Err(CompileError::InvalidAccountPattern(pattern.clone()));
            }
        }
        // The lists the evaluation engine judges connections with: the profile's own,
        // plus `account(…)` patterns (see `PermissionPolicy::with_accounts`).
        let effective = p.policy.permissions.with_accounts(accounts);
        let only_allow = effective.only_allow.as_deref().map(with_sql_aliases);
        let deny = with_sql_aliases(&effective.deny);
        let permissions = Permissions {
            only_allow,
            deny: (!deny.is_empty()).then_some(deny),
            default_mode: perms.default_mode.unwrap_or(DefaultMode::Allow),
            dangerously_allow_all: perms.dangerously_allow_all,
        };

        let settings = c.settings.as_ref().and_then(|s| {
            let out = Settings {
                force_no_history_mode: s.force_no_history_mode,
                force_sandbox_enabled: s.force_sandbox_enabled,
                force_sandbox_mode: s.force_sandbox_mode,
            };
            (out.force_no_history_mode.is_some()
                || out.force_sandbox_enabled.is_some()
                || out.force_sandbox_mode.is_some())
            .then_some(out)
        });

        let req = c.required.clone().unwrap_or_default();
        let version = |v: Option<String>| v.map(|minimum_version| Required { minimum_version });
        let client = |v: Option<String>| version(v).map(|required| ClientOverride { required });

        let d = c.defaults.clone().unwrap_or_default();
        let defaults = Defaults {
            connection_name: p.connection.name.clone(),
            profile_name: d.profile_name,
            theme: d.theme,
        };
        let defaults = (defaults.connection_name.is_some()
            || defaults.profile_name.is_some()
            || defaults.theme.is_some())
        .then_some(defaults);

        let files = c.files.as_ref().and_then(|f| {
            (f.connections_file.is_some() || f.mcp_file.is_some()).then(|| Files {
                connections_file: f.connections_file.clone(),
                mcp_file: f.mcp_file.clone(),
            })
        });

        let ui = c.ui.as_ref().and_then(|u| {
            (u.show_managed_banner.is_some()
                || u.banner_text.is_some()
                || u.hide_dangerous_options.is_some())
            .then(|| Ui {
                show_managed_banner: u.show_managed_banner,
                banner_text: u.banner_text.clone(),
                hide_dangerous_options: u.hide_dangerous_options,
            })
        });

        Ok(Self {
            version: VERSION,
            enabled,
            tenant,
            auth,
            permissions,
            settings,
            required: version(req.minimum_version),
            cli: client(req.cli_minimum_version),
            desktop: client(req.desktop_minimum_version),
            defaults,
            files,
            ui,
        })
    }

    /// The exact file bytes: two-space indentation, fixed key order, final newline.
    /// The bytes are checked against [`CORTEX_MANAGED_SETTINGS_SCHEMA`] first, since
    /// an invalid file puts every client into restricted mode.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CompileError> {
        let value = serde_json::to_value(self).map_err(|source| CompileError::Serialize {
            path: crate::MANAGED_SETTINGS_PATH,
            source,
        })?;
        check_schema(&value)?;
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|source| CompileError::Serialize {
                path: crate::MANAGED_SETTINGS_PATH,
                source,
            })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The length of [`ManagedSettings::to_bytes`]'s output, counted as it is
    /// serialized: nothing is kept and nothing is checked against the schema.
    pub fn file_len(&self) -> Result<usize, CompileError> {
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut count = Count(0);
        serde_json::to_writer_pretty(&mut count, self).map_err(|source| {
            CompileError::Serialize {
                path: crate::MANAGED_SETTINGS_PATH,
                source,
            }
        })?;
        // The final newline.
        Ok(count.0 + 1)
    }
}

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(CORTEX_MANAGED_SETTINGS_SCHEMA).map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| e.to_string())
});

/// Validate a `managed-settings.json` document against Cortex Code's schema. Every
/// problem is reported, each prefixed with its JSON pointer.
pub fn check_schema(value: &serde_json::Value) -> Result<(), CompileError> {
    let validator = VALIDATOR
        .as_ref()
        .map_err(|e| CompileError::SchemaViolation(format!("the schema itself is invalid: {e}")))?;
    // Collecting errors walks the whole document; a valid one needs only the yes.
    if validator.is_valid(value) {
        return Ok(());
    }
    let problems: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CompileError::SchemaViolation(problems.join("; ")))
    }
}

/// The canonical spelling of a method name: upper case for known names, an Okta URL
/// as written.
fn canonical(method: &str) -> String {
    Authenticator::parse(method).as_str().to_owned()
}

fn contains(list: &[String], method: &str) -> bool {
    list.iter().any(|m| m.trim().eq_ignore_ascii_case(method))
}

fn push_unique(out: &mut Vec<String>, method: String) {
    if !contains(out, &method) {
        out.push(method);
    }
}

/// Every known method but the forbidden ones, in the policy library's order.
fn all_but_forbidden(forbidden: &[String]) -> Vec<String> {
    Authenticator::known_names()
        .filter(|m| !contains(forbidden, m))
        .map(str::to_owned)
        .collect()
}

/// `auth`: the intersection of the allow layers minus forbidden methods (or every
/// known method minus forbidden ones), and per-account lists with forbidden methods
/// removed. Left out when nothing restricts methods.
fn auth(a: &AuthenticatorPolicy) -> Result<Option<Auth>, CompileError> {
    let allowed_methods = if a.allowed.is_empty() && a.forbidden.is_empty() {
        None
    } else {
        let mut out = Vec::new();
        match a.allowed.split_last() {
            None => out = all_but_forbidden(&a.forbidden),
            Some((innermost, outer)) => {
                for m in innermost {
                    let m = canonical(m);
                    if outer.iter().all(|layer| contains(layer, &m)) && !contains(&a.forbidden, &m)
                    {
                        push_unique(&mut out, m);
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(CompileError::NoMethodLeft {
                scope: "any account".into(),
            });
        }
        Some(out)
    };

    let accounts = if a.per_account.is_empty() {
        None
    } else {
        let mut map = BTreeMap::new();
        for (account, methods) in &a.per_account {
            let list = if methods.is_empty() {
                // Cortex Code reads an empty list as "any method", which would bring
                // forbidden methods back.
                if a.forbidden.is_empty() {
                    Vec::new()
                } else {
                    all_but_forbidden(&a.forbidden)
                }
            } else {
                let mut out = Vec::new();
                for m in methods {
                    let m = canonical(m);
                    if !contains(&a.forbidden, &m) {
                        push_unique(&mut out, m);
                    }
                }
                if out.is_empty() {
                    return Err(CompileError::NoMethodLeft {
                        scope: format!("account `{account}`"),
                    });
                }
                out
            };
            map.insert(
                account.clone(),
                AccountAuth {
                    allowed_methods: list,
                },
            );
        }
        Some(map)
    };

    Ok(
        (allowed_methods.is_some() || accounts.is_some()).then_some(Auth {
            allowed_methods,
            accounts,
        }),
    )
}

/// The other client's name for a SQL pattern: the CLI says `sql_execute` (since
/// 1.1.8), Desktop still says `snowflake_sql_execute`.
fn sql_alias(pattern: &str) -> Option<String> {
    const CLI: &str = "sql_execute";
    const DESKTOP: &str = "snowflake_sql_execute";
    let trimmed = pattern.trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest_ok = |rest: &str| rest.is_empty() || rest.starts_with('(');
    if lower.starts_with(DESKTOP) && rest_ok(&lower[DESKTOP.len()..]) {
        Some(trimmed["snowflake_".len()..].to_owned())
    } else if lower.starts_with(CLI) && rest_ok(&lower[CLI.len()..]) {
        Some(format!("snowflake_{trimmed}"))
    } else {
        None
    }
}

/// The list with duplicates (case-insensitive) removed and every SQL pattern
/// followed by its other-client spelling, so one file serves CLI and Desktop.
fn with_sql_aliases(patterns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        push_unique(&mut out, p.clone());
        if let Some(alias) = sql_alias(p)
            && !contains(patterns, &alias)
        {
            push_unique(&mut out, alias);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn sql_patterns_get_both_spellings_once() {
        assert_eq!(
            with_sql_aliases(&s(&["read", "sql_execute", "bash"])),
            s(&["read", "sql_execute", "snowflake_sql_execute", "bash"])
        );
        assert_eq!(
            with_sql_aliases(&s(&["snowflake_sql_execute", "sql_execute"])),
            s(&["snowflake_sql_execute", "sql_execute"])
        );
        assert_eq!(
            with_sql_aliases(&s(&["SQL_EXECUTE(select*)"])),
            s(&["SQL_EXECUTE(select*)", "snowflake_SQL_EXECUTE(select*)"])
        );
        assert_eq!(
            with_sql_aliases(&s(&["sql_executex", "read", "READ"])),
            s(&["sql_executex", "read"])
        );
    }

    fn policy(allowed: &[&[&str]], forbidden: &[&str]) -> AuthenticatorPolicy {
        AuthenticatorPolicy {
            allowed: allowed.iter().map(|l| s(l)).collect(),
            forbidden: s(forbidden),
            per_account: BTreeMap::new(),
        }
    }

    #[test]
    fn allowed_methods_intersect_layers_minus_forbidden() {
        let a = policy(
            &[
                &[
                    "EXTERNALBROWSER",
                    "OAUTH_AUTHORIZATION_CODE",
                    "SNOWFLAKE_JWT",
                ],
                &["oauth_authorization_code", "externalbrowser", "snowflake"],
            ],
            &["EXTERNALBROWSER"],
        );
        let got = auth(&a).unwrap().unwrap();
        assert_eq!(got.allowed_methods, Some(s(&["OAUTH_AUTHORIZATION_CODE"])));
        assert_eq!(got.accounts, None);
    }

    #[test]
    fn forbidden_only_means_every_other_known_method() {
        let got = auth(&policy(&[], &["SNOWFLAKE"])).unwrap().unwrap();
        let methods = got.allowed_methods.unwrap();
        assert!(!methods.iter().any(|m| m == "SNOWFLAKE"));
        assert_eq!(methods.len(), Authenticator::known_names().count() - 1);
    }

    #[test]
    fn nothing_restricting_means_no_auth_section() {
        assert_eq!(auth(&policy(&[], &[])).unwrap(), None);
    }

    #[test]
    fn per_account_lists_drop_forbidden_and_never_become_empty() {
        let mut a = policy(&[], &["SNOWFLAKE"]);
        a.per_account
            .insert("acme-ci".into(), s(&["snowflake_jwt", "SNOWFLAKE"]));
        a.per_account.insert("acme-dev".into(), Vec::new());
        let got = auth(&a).unwrap().unwrap();
        let accounts = got.accounts.unwrap();
        assert_eq!(accounts["acme-ci"].allowed_methods, s(&["SNOWFLAKE_JWT"]));
        // "Any method" is spelled out, without the forbidden one.
        assert!(!accounts["acme-dev"].allowed_methods.is_empty());
        assert!(!contains(
            &accounts["acme-dev"].allowed_methods,
            "SNOWFLAKE"
        ));

        a.per_account.insert("acme-x".into(), s(&["snowflake"]));
        assert!(matches!(
            auth(&a),
            Err(CompileError::NoMethodLeft { scope }) if scope.contains("acme-x")
        ));
    }

    #[test]
    fn empty_intersection_is_refused() {
        let a = policy(&[&["EXTERNALBROWSER"], &["SNOWFLAKE_JWT"]], &[]);
        assert!(matches!(auth(&a), Err(CompileError::NoMethodLeft { .. })));
    }
}
