//! Semantic lints: problems the schema cannot see.
//!
//! `layer` lints look at one file on its own (every pattern, version and name in
//! it); `effective` lints look at the composed policy (what the endpoint will do).

use serde_json::Value;
use warden_diag::Finding;
use warden_policy::{Authenticator, Glob, PermissionPattern};

use crate::codes::Code;
use crate::model::{DefaultMode, Profile};
use crate::resolve::ResolvedProfile;
use crate::source::{Document, escape_pointer};

/// Longest bundle lifetime that does not draw a warning.
pub const MAX_QUIET_LIFETIME_DAYS: u32 = 90;

/// Largest serial a profile may carry: Windows delivers it as a 32-bit REG_DWORD.
pub const MAX_SERIAL: u64 = u32::MAX as u64;

fn finding(code: Code, message: String, doc: &Document, pointer: &str) -> Finding {
    Finding::new(code, code.severity(), message).at(doc.locate(pointer, false))
}

/// Lints of one file on its own.
pub fn layer(doc: &Document, p: &Profile) -> Vec<Finding> {
    let mut out = Vec::new();
    plist_representable(doc, &doc.value, &mut Vec::new(), &mut out);

    if let Some(acc) = &p.accounts {
        for (list, patterns) in [("allow", &acc.allow), ("deny", &acc.deny)] {
            for (i, pattern) in patterns.iter().flatten().enumerate() {
                let ptr = || format!("/accounts/{list}/{i}");
                match Glob::new(pattern) {
                    Err(e) => out.push(
                        finding(Code::InvalidGlob, format!("invalid account pattern `{pattern}`: {e}"), doc, &ptr())
                            .help("patterns are globs: `*` matches any run of characters, `?` exactly one"),
                    ),
                    Ok(g) if list == "allow" && g.is_match_all() => out.push(
                        finding(Code::AllowAllAccounts, format!("`{pattern}` allows every Snowflake account"), doc, &ptr())
                            .help("list your organization's accounts, e.g. `myorg-*`"),
                    ),
                    Ok(_) => {}
                }
            }
        }
    }

    if let Some(auth) = &p.authenticators {
        for (list, methods) in [("allowed", &auth.allowed), ("forbidden", &auth.forbidden)] {
            for (i, m) in methods.iter().flatten().enumerate() {
                check_method(doc, m, || format!("/authenticators/{list}/{i}"), &mut out);
            }
        }
        for (account, methods) in auth.per_account.iter().flatten() {
            let base = format!("/authenticators/per_account/{}", escape_pointer(account));
            if let Err(e) = Glob::new(account) {
                out.push(
                    Finding::new(
                        Code::InvalidGlob,
                        Code::InvalidGlob.severity(),
                        format!("invalid account pattern `{account}`: {e}"),
                    )
                    .at(doc.locate(&base, true)),
                );
            }
            for (i, m) in methods.iter().enumerate() {
                check_method(doc, m, || format!("{base}/{i}"), &mut out);
            }
        }
    }

    if let Some(conn) = &p.connection {
        for (i, role) in conn.forbidden_roles.iter().flatten().enumerate() {
            if let Err(e) = Glob::new(role) {
                out.push(finding(
                    Code::InvalidGlob,
                    format!("invalid role pattern `{role}`: {e}"),
                    doc,
                    &format!("/connection/forbidden_roles/{i}"),
                ));
            }
        }
        if let Some(m) = conn
            .template
            .as_ref()
            .and_then(|t| t.authenticator.as_ref())
        {
            check_method(
                doc,
                m,
                || "/connection/template/authenticator".into(),
                &mut out,
            );
        }
    }

    if let Some(cortex) = &p.cortex {
        if let Some(perms) = &cortex.permissions {
            for (list, patterns) in [("only_allow", &perms.only_allow), ("deny", &perms.deny)] {
                for (i, pattern) in patterns.iter().flatten().enumerate() {
                    if let Err(e) = PermissionPattern::parse(pattern) {
                        out.push(
                            finding(Code::InvalidPermissionPattern, format!("invalid permission pattern `{pattern}`: {e}"), doc, &format!("/cortex/permissions/{list}/{i}"))
                                .help("use a bare tool name (`read`) or `type(filter)` (`bash(git:*)`, `mcp(https://*)`, `account(myorg-*)`)"),
                        );
                    }
                }
            }
            if let Some(only) = &perms.only_allow {
                let accounts = only
                    .iter()
                    .filter(|p| p.trim_start().to_ascii_lowercase().starts_with("account("))
                    .count();
                if accounts > 0 && accounts < only.len() {
                    out.push(
                        finding(Code::OnlyAllowMixesAccount, "`only_allow` mixes `account(…)` with tool patterns; Cortex Code's documentation contradicts itself on how such a list is evaluated".into(), doc, "/cortex/permissions/only_allow")
                            .help("restrict accounts with `[accounts] allow` (compiled into `tenant.allowedAccounts`) and keep `only_allow` for tools"),
                    );
                }
            }
            // The compiler lists every allowed account in a non-empty `onlyAllow`, so
            // accounts get one answer under both readings; other types may not.
            let policy = warden_policy::PermissionPolicy {
                deny: Vec::new(),
                only_allow: perms.only_allow.clone(),
                default_mode: match perms.default_mode {
                    Some(DefaultMode::Deny) => warden_policy::DefaultMode::Deny,
                    _ => warden_policy::DefaultMode::Allow,
                },
            };
            let open: Vec<&str> = policy
                .unscoped_categories()
                .into_iter()
                .filter(|c| *c != warden_policy::Category::Account)
                .map(warden_policy::category_name)
                .collect();
            if !open.is_empty() {
                out.push(
                    finding(Code::OnlyAllowScopeAmbiguous, format!("`only_allow` names no {} pattern while `default_mode` is `allow`: Cortex Code blocks such items if its managed allowlist covers every type, and allows them if it is scoped by type, as profile allowlists are; the documentation says both", open.join(", ")), doc, "/cortex/permissions/only_allow")
                        .help("set `default_mode = \"deny\"`, or list a pattern of each type (`mcp(*)`, `skill(*)`, `plugin(*)` to allow all of one), so both readings agree"),
                );
            }
            if perms.dangerously_allow_all == Some(true) {
                out.push(
                    finding(Code::DangerouslyAllowAll, "`dangerously_allow_all = true` lets users run every tool call without approval".into(), doc, "/cortex/permissions/dangerously_allow_all")
                        .help("leave it unset or false unless this fleet really needs bypass mode"),
                );
            }
        }
        if let Some(req) = &cortex.required {
            for (name, v) in [
                ("minimum_version", &req.minimum_version),
                ("cli_minimum_version", &req.cli_minimum_version),
                ("desktop_minimum_version", &req.desktop_minimum_version),
            ] {
                if let Some(v) = v
                    && let Err(e) = semver::Version::parse(v)
                {
                    out.push(
                        finding(
                            Code::InvalidVersion,
                            format!("`{v}` is not a semantic version: {e}"),
                            doc,
                            &format!("/cortex/required/{name}"),
                        )
                        .help("write MAJOR.MINOR.PATCH, e.g. `1.1.89`"),
                    );
                }
            }
        }
    }

    if p.profile.serial > MAX_SERIAL {
        out.push(
            finding(
                Code::SerialTooLarge,
                format!(
                    "serial {} is above {MAX_SERIAL}: Windows carries the serial as a 32-bit REG_DWORD, and one bundle at a serial no later bundle can exceed blocks every update",
                    p.profile.serial
                ),
                doc,
                "/profile/serial",
            )
            .help(format!("use a serial of at most {MAX_SERIAL}: a counter raised by one on every change")),
        );
    }

    if let Some(days) = p.profile.bundle_lifetime_days
        && days > MAX_QUIET_LIFETIME_DAYS
    {
        out.push(
                finding(Code::BundleLifetimeTooLong, format!("bundles would stay valid for {days} days; a stolen or stale bundle stays usable that long"), doc, "/profile/bundle_lifetime_days")
                    .help(format!("use at most {MAX_QUIET_LIFETIME_DAYS} days and re-sign on a schedule")),
            );
    }

    if let Some(sf) = &p.snowflake {
        let mut names: Vec<(String, &str)> = Vec::new();
        if let Some(role) = &sf.role {
            names.push(("/snowflake/role".into(), role));
        }
        for (field, list) in [
            ("warehouses", &sf.warehouses),
            ("databases", &sf.databases),
            ("read_schemas", &sf.read_schemas),
        ] {
            for (i, n) in list.iter().enumerate() {
                names.push((format!("/snowflake/{field}/{i}"), n));
            }
        }
        if let Some(u) = &sf.service_user {
            names.push(("/snowflake/service_user/name".into(), &u.name));
            if let Some(n) = &u.network_policy {
                names.push(("/snowflake/service_user/network_policy".into(), n));
            }
            if let Some(n) = &u.pat_name {
                names.push(("/snowflake/service_user/pat_name".into(), n));
            }
        }
        for (i, u) in sf.break_glass_users.iter().enumerate() {
            names.push((format!("/snowflake/break_glass_users/{i}"), u));
        }
        if let Some(n) = &sf.break_glass_policy {
            names.push(("/snowflake/break_glass_policy".into(), n));
        }
        if let Some(net) = &sf.network {
            names.push(("/snowflake/network/rule".into(), &net.rule));
        }
        for (field, pol) in [
            ("person_policy", &sf.person_policy),
            ("service_policy", &sf.service_policy),
        ] {
            if let Some(pol) = pol {
                names.push((format!("/snowflake/{field}/name"), &pol.name));
                for (i, u) in pol.users.iter().enumerate() {
                    names.push((format!("/snowflake/{field}/users/{i}"), u));
                }
                for (i, m) in pol.methods.iter().enumerate() {
                    names.push((format!("/snowflake/{field}/methods/{i}"), m));
                }
            }
        }
        for (ptr, name) in names {
            let qualified = ptr.contains("read_schemas")
                || ptr.ends_with("/name") && ptr.contains("policy")
                || ptr == "/snowflake/break_glass_policy"
                || ptr == "/snowflake/network/rule";
            if !is_safe_identifier(name, qualified) {
                out.push(
                    finding(Code::UnsafeIdentifier, format!("`{name}` is not a plain Snowflake identifier"), doc, &ptr)
                        .help("use letters, digits, `_` and `$`, starting with a letter or `_` (`DB.SCHEMA.NAME` where a qualified name is expected)"),
                );
            }
        }
    }

    for (i, t) in p.tests.iter().enumerate() {
        if t.connection.is_some() == t.tool.is_some() {
            out.push(finding(
                Code::InvalidTestCase,
                format!(
                    "test `{}` must name exactly one of `connection` and `tool`",
                    t.name
                ),
                doc,
                &format!("/tests/{i}"),
            ));
        }
        if let Some(tool) = &t.tool
            && let Err(e) = warden_policy::Invocation::parse(tool)
        {
            out.push(finding(
                Code::InvalidTestCase,
                format!("test `{}`: invalid tool invocation `{tool}`: {e}", t.name),
                doc,
                &format!("/tests/{i}/tool"),
            ));
        }
    }
    out
}

/// `pointer` is called only for a finding: most methods are valid.
fn check_method(
    doc: &Document,
    method: &str,
    pointer: impl FnOnce() -> String,
    out: &mut Vec<Finding>,
) {
    if !Authenticator::is_valid_method_name(method) {
        let known: Vec<String> = Authenticator::known_names().map(str::to_owned).collect();
        let mut f = finding(
            Code::UnknownAuthenticator,
            format!("`{method}` is not an authentication method Snowflake knows"),
            doc,
            &pointer(),
        );
        f.help = Some(
            match crate::schema::suggest(&method.to_uppercase(), &known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of: {}", known.join(", ")),
            },
        );
        out.push(f);
    }
}

/// A name that can be written into SQL unquoted: `[A-Za-z_][A-Za-z0-9_$]*`, at most
/// 255 characters, optionally `DB.SCHEMA[.NAME]`. Anything else (quotes, `;`, `--`,
/// spaces) is refused rather than escaped, so no profile string can reach SQL as code.
pub fn is_safe_identifier(name: &str, qualified: bool) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > if qualified { 3 } else { 1 } {
        return false;
    }
    parts.iter().all(|part| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && part.len() <= 255
    })
}

/// One step of the way to a value: a JSON pointer is written only for a finding.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer_of(path: &[Step<'_>]) -> String {
    use std::fmt::Write as _;
    let mut pointer = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                pointer.push('/');
                pointer.push_str(&escape_pointer(k));
            }
            Step::Index(i) => {
                let _ = write!(pointer, "/{i}");
            }
        }
    }
    pointer
}

/// The first character of `s` an XML plist cannot carry: a control character (C0,
/// DEL or C1) other than tab, LF and CR.
fn first_unrepresentable(s: &str) -> Option<char> {
    if s.is_ascii() {
        return s
            .bytes()
            .find(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
            .map(char::from);
    }
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Values a property list (and the registry) cannot carry: control characters other
/// than tab, LF and CR, integers beyond 64 bits, `null`. `path` leads to `v`.
fn plist_representable<'a>(
    doc: &Document,
    v: &'a Value,
    path: &mut Vec<Step<'a>>,
    out: &mut Vec<Finding>,
) {
    match v {
        Value::String(s) => {
            if let Some(c) = first_unrepresentable(s) {
                out.push(
                    finding(Code::PlistUnrepresentable, format!("the value contains control character U+{:04X}, which a macOS property list cannot carry", c as u32), doc, &pointer_of(path))
                        .help("remove the control character"),
                );
            }
        }
        Value::Number(n)
            if !(n.is_i64() || n.is_u64())
                && n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() > 9.0e15) =>
        {
            out.push(finding(
                Code::PlistUnrepresentable,
                format!("the number {n} does not fit a 64-bit integer"),
                doc,
                &pointer_of(path),
            ));
        }
        Value::Null => out.push(
            finding(
                Code::PlistUnrepresentable,
                "`null` cannot be carried by a property list or the registry".into(),
                doc,
                &pointer_of(path),
            )
            .help("leave the key out instead"),
        ),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                plist_representable(doc, item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Step::Key(k));
                plist_representable(doc, item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Lints of the composed policy, reported in the profile's own file.
pub fn effective(
    doc: &Document,
    r: &ResolvedProfile,
    base_serial: Option<(u64, &str)>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let policy = &r.policy;

    if let Some((parent, file)) = base_serial
        && r.identity.serial < parent
    {
        out.push(
            finding(
                Code::SerialBelowParent,
                format!(
                    "serial {} is lower than the base profile's serial {parent} (`{file}`)",
                    r.identity.serial
                ),
                doc,
                "/profile/serial",
            )
            .help(format!("use a serial of at least {parent}")),
        );
    }

    // The required connection.
    if let Some(name) = &r.connection.name {
        let template = r.connection.template.as_ref();
        match template.and_then(|t| t.account.as_ref()) {
            None => out.push(
                finding(Code::RequiredConnectionIncomplete, format!("required connection `{name}` has no `[connection.template]` with an `account`, so endpoints cannot create it"), doc, "/connection/required_name")
                    .help("add `[connection.template]` with at least `account` and `authenticator`"),
            ),
            Some(account) => {
                let params = warden_policy::ConnectionParams {
                    name: name.clone(),
                    account: Some(account.clone()),
                    host: template.and_then(|t| t.host.clone()),
                    authenticator: template.and_then(|t| t.authenticator.clone()),
                    role: r.connection.default_role.clone(),
                    ..Default::default()
                };
                let account_verdict = policy.evaluate_account(&params);
                if account_verdict.status != warden_policy::AccountStatus::Allowed {
                    let ptr = if doc.spans.contains_key("/connection/template/account") { "/connection/template/account" } else { "/connection/required_name" };
                    out.push(
                        finding(Code::RequiredAccountNotAllowed, format!("the required connection's account `{account}` is {}: {}", crate::cases::account_status_name(account_verdict.status), account_verdict.rule.explanation), doc, ptr)
                            .help("use an `orgname-accountname` the allow list admits, or widen `[accounts] allow`"),
                    );
                }
            }
        }
    }

    versions(doc, r, &mut out);
    cortex_disabled(doc, r, &mut out);

    // Roles.
    if let Some(role) = &policy.roles.default_role
        && let Some(p) = policy
            .roles
            .forbidden
            .iter()
            .find(|p| Glob::new(p).is_ok_and(|g| g.matches(role)))
    {
        out.push(
            finding(
                Code::DefaultRoleForbidden,
                format!("default role `{role}` is forbidden by `{p}`"),
                doc,
                if doc.spans.contains_key("/connection/default_role") {
                    "/connection/default_role"
                } else {
                    "/connection/forbidden_roles"
                },
            )
            .help("pick a least-privileged role that is not forbidden"),
        );
    }

    // Authenticators: something must be left.
    let auth = &policy.authenticators;
    let remaining = Authenticator::known_names()
        .filter(|m| {
            auth.allowed
                .iter()
                .all(|layer| layer.iter().any(|a| a.eq_ignore_ascii_case(m)))
        })
        .filter(|m| !auth.forbidden.iter().any(|f| f.eq_ignore_ascii_case(m)))
        .count();
    if remaining == 0 {
        let ptr = if doc.spans.contains_key("/authenticators/forbidden") {
            "/authenticators/forbidden"
        } else {
            "/authenticators"
        };
        out.push(
            finding(
                Code::AllAuthenticatorsForbidden,
                "no authentication method is left allowed; every connection would be refused"
                    .into(),
                doc,
                ptr,
            )
            .help(
                "allow at least one method, e.g. `EXTERNALBROWSER` or `OAUTH_AUTHORIZATION_CODE`",
            ),
        );
    }

    // Deny patterns that no allowed account can reach.
    if !policy.accounts.allow.is_empty() && !policy.accounts.deny.is_empty() {
        // Each allow pattern compiled once, not once per deny pattern.
        let allow: Vec<Vec<Glob>> = policy
            .accounts
            .allow
            .iter()
            .map(|layer| layer.iter().filter_map(|a| Glob::new(a).ok()).collect())
            .collect();
        for pattern in &policy.accounts.deny {
            let Ok(deny) = Glob::new(pattern) else {
                continue;
            };
            let reachable = allow
                .iter()
                .all(|layer| layer.iter().any(|a| a.intersects(&deny)));
            if !reachable {
                // Reported where the pattern is written, not again in every child.
                let Some(ptr) = own_pointer(doc, "/accounts/deny", pattern) else {
                    continue;
                };
                out.push(
                    finding(
                        Code::UnreachableDeny,
                        format!(
                            "deny pattern `{pattern}` can never match: no allowed account fits it"
                        ),
                        doc,
                        &ptr,
                    )
                    .help("remove it, or fix a typo in it"),
                );
            }
        }
    }

    if let Some(sf) = &r.snowflake {
        let own = doc.spans.contains_key("/snowflake");
        out.extend(crate::snowflake_lints::lint(
            doc,
            sf,
            &policy.roles.forbidden,
            own,
        ));
    }
    out
}

/// `enabled = false` switches off the Cortex Code controls the account, method and
/// version rules compile into; reported in the file that says so.
fn cortex_disabled(doc: &Document, r: &ResolvedProfile, out: &mut Vec<Finding>) {
    if r.cortex.enabled != Some(false) || !doc.spans.contains_key("/cortex/enabled") {
        return;
    }
    let auth = &r.policy.authenticators;
    let req = r.cortex.required.clone().unwrap_or_default();
    let mut off = Vec::new();
    if !r.policy.accounts.allow.is_empty() {
        off.push("`[accounts] allow` (`tenant.allowedAccounts`)");
    }
    if !auth.allowed.is_empty() || !auth.forbidden.is_empty() || !auth.per_account.is_empty() {
        off.push("`[authenticators]` (`auth.*`)");
    }
    if req.minimum_version.is_some()
        || req.cli_minimum_version.is_some()
        || req.desktop_minimum_version.is_some()
    {
        off.push("`[cortex.required]` (`required.*`)");
    }
    if off.is_empty() {
        return;
    }
    let mode = match r.endpoint.forbidden_connections {
        warden_policy::RuleMode::Enforce => "enforce: it quarantines refused connections",
        warden_policy::RuleMode::Audit => "audit: it only reports refused connections",
        warden_policy::RuleMode::Off => "off: nothing checks refused connections",
    };
    out.push(
        finding(
            Code::CortexControlsDisabled,
            format!(
                "`enabled = false` switches off Cortex Code's account and authentication controls: {} are compiled but Cortex Code does not apply them; `account(…)` permissions still apply in the CLI, and the agent's `forbidden_connections` rule is {mode}",
                off.join(", ")
            ),
            doc,
            "/cortex/enabled",
        )
        .help("remove `enabled = false`, or set `[endpoint] forbidden_connections = \"enforce\"` so the agent refuses what Cortex Code no longer does"),
    );
}

/// The pointer of `item` in the array at `array` of this document, if it is there.
fn own_pointer(doc: &Document, array: &str, item: &str) -> Option<String> {
    doc.value
        .pointer(array)?
        .as_array()?
        .iter()
        .position(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(item)))
        .map(|i| format!("{array}/{i}"))
}

/// Which client version a compiled key needs, from Cortex Code's MDM page and
/// changelog. `cli` is the CLI version, `desktop` the Desktop version; `None` means
/// the client does not read the key.
pub struct KeyNeed {
    /// What the profile relies on.
    pub what: &'static str,
    /// The profile pointer that turns it on.
    pub pointer: &'static str,
    pub cli: Option<&'static str>,
    pub desktop: Option<&'static str>,
}

/// Keys a profile opts into that need a newer client than the rest of the policy;
/// the whole version table is in `docs/cortex-versions.md`.
pub const KEY_NEEDS: &[KeyNeed] = &[KeyNeed {
    what: "the embedded policy (`CortexManagedSettingsBase64Enabled`) on Windows",
    pointer: "/cortex/managed_settings_base64_enabled",
    cli: Some("1.2.0"),
    desktop: None,
}];

/// Oldest CLI release of the 1.21 line Desktop versions start at: a shared
/// minimum from here on blocks every CLI, whose releases are 1.2.x.
const DESKTOP_LINE: (u64, u64) = (1, 21);

fn versions(doc: &Document, r: &ResolvedProfile, out: &mut Vec<Finding>) {
    let req = r.cortex.required.clone().unwrap_or_default();
    let parse = |v: &Option<String>| v.as_deref().and_then(|v| semver::Version::parse(v).ok());
    let shared = parse(&req.minimum_version);
    let cli = parse(&req.cli_minimum_version).or_else(|| shared.clone());
    let desktop = parse(&req.desktop_minimum_version).or_else(|| shared.clone());

    // One shared value against two version lines (CLI 1.2.x, Desktop 1.21.x).
    if let Some(v) = &shared
        && req.cli_minimum_version.is_none()
        && (v.major, v.minor) >= DESKTOP_LINE
    {
        out.push(
            finding(Code::SharedMinimumVersion, format!("`minimum_version = \"{v}\"` is on Desktop's version line (1.21.x) and also applies to the CLI, whose versions are 1.2.x: it would stop every CLI from starting"), doc, "/cortex/required/minimum_version")
                .help("set `cli_minimum_version` and `desktop_minimum_version` separately"),
        );
    }

    let embed = r.cortex.managed_settings_base64_enabled == Some(true);
    for (need, used) in KEY_NEEDS.iter().zip([embed]) {
        if !used {
            continue;
        }
        for (client, have, want) in [("CLI", &cli, need.cli), ("Desktop", &desktop, need.desktop)] {
            let (Some(have), Some(want)) = (have, want) else {
                continue;
            };
            let want_v = semver::Version::parse(want).expect("the table holds versions");
            if *have < want_v {
                let ptr = if doc.spans.contains_key(need.pointer) {
                    need.pointer
                } else {
                    "/cortex/required"
                };
                out.push(
                    finding(Code::KeyNeedsNewerClient, format!("{} needs Cortex Code {client} {want} or later, but the profile's minimum {client} version is {have}", need.what), doc, ptr)
                        .help(format!("raise the {client} minimum to {want}, or accept that older clients ignore it")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_scan_finds_what_the_char_scan_finds() {
        let slow = |s: &str| {
            s.chars()
                .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        };
        for c in (0u32..0x100).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("ab{c}"), format!("{c}\té")] {
                assert_eq!(first_unrepresentable(&s), slow(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn pointers_are_written_escaped_and_only_for_findings() {
        let path = [Step::Key("a/b"), Step::Index(3), Step::Key("c~d")];
        assert_eq!(pointer_of(&path), "/a~1b/3/c~0d");
        assert_eq!(pointer_of(&[]), "");
    }
}
