//! Composition of a profile with the profile it `extends`.
//!
//! A child can only narrow its base: the effective policy must satisfy both. Account
//! and authenticator allow lists become layers that a connection must pass one by
//! one; denies, forbidden methods and forbidden roles add up; switches that tighten
//! (`force_*`, `require_role`, rule modes) can be raised but not lowered. Where a
//! child tries to loosen, composition keeps the base's value and reports
//! `extends-widens`.

use std::collections::BTreeMap;

use warden_diag::Finding;
pub use warden_policy::EndpointModes;
use warden_policy::{
    AccountPolicy, AuthenticatorPolicy, DefaultMode as PolicyDefaultMode, Glob, PermissionPolicy,
    Policy, RolePolicy,
};

use crate::codes::Code;
use crate::model::{
    ConnectionTemplate, Cortex, DefaultMode, EndpointRules, Macos, Permissions, Profile, Required,
    Settings, Snowflake, TestCase, Ui,
};
use crate::source::Document;

/// Default bundle lifetime when no profile in the chain sets one.
pub const DEFAULT_BUNDLE_LIFETIME_DAYS: u32 = 30;

/// Identity after composition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedIdentity {
    pub id: String,
    pub name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    pub serial: u64,
    pub bundle_lifetime_days: u32,
}

/// The required connection after composition.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RequiredConnection {
    pub name: Option<String>,
    pub default_role: Option<String>,
    pub default_warehouse: Option<String>,
    pub template: Option<ConnectionTemplate>,
}

/// Set the modes a profile names; the others keep their value.
fn apply_modes(modes: &mut EndpointModes, rules: &EndpointRules) {
    let pairs = [
        (&mut modes.managed_settings, rules.managed_settings),
        (&mut modes.required_connection, rules.required_connection),
        (&mut modes.default_connection, rules.default_connection),
        (&mut modes.role, rules.role),
        (
            &mut modes.forbidden_connections,
            rules.forbidden_connections,
        ),
        (&mut modes.plaintext_secrets, rules.plaintext_secrets),
        (&mut modes.file_modes, rules.file_modes),
    ];
    for (slot, value) in pairs {
        if let Some(v) = value {
            *slot = v;
        }
    }
}

/// A profile with its `extends` chain applied: what `compile`, `test` and `explain` use.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProfile {
    /// Files of the chain, base first; the last one is the profile itself.
    pub chain: Vec<String>,
    pub identity: ResolvedIdentity,
    /// The rules every connection is evaluated against (shared with the agent).
    pub policy: Policy,
    pub connection: RequiredConnection,
    /// Cortex Code settings after composition.
    pub cortex: Cortex,
    pub endpoint: EndpointModes,
    pub snowflake: Option<Snowflake>,
    /// macOS delivery options after composition.
    pub macos: Macos,
    /// Test cases of the profile itself (not of its base), with their pointers.
    pub tests: Vec<(String, TestCase)>,
}

impl ResolvedProfile {
    /// The profile on its own, with no base.
    pub fn from_root(file: &str, p: &Profile) -> Self {
        let mut r = Self {
            chain: Vec::new(),
            identity: ResolvedIdentity {
                id: String::new(),
                name: String::new(),
                organization: None,
                description: None,
                serial: 0,
                bundle_lifetime_days: DEFAULT_BUNDLE_LIFETIME_DAYS,
            },
            policy: Policy {
                accounts: AccountPolicy {
                    allow: Vec::new(),
                    deny: Vec::new(),
                },
                authenticators: AuthenticatorPolicy {
                    allowed: Vec::new(),
                    forbidden: Vec::new(),
                    per_account: BTreeMap::new(),
                },
                roles: RolePolicy {
                    default_role: None,
                    forbidden: Vec::new(),
                    require_role: false,
                },
                required_connection: None,
                permissions: PermissionPolicy {
                    deny: Vec::new(),
                    only_allow: None,
                    default_mode: PolicyDefaultMode::Allow,
                },
            },
            connection: RequiredConnection::default(),
            cortex: Cortex::default(),
            endpoint: EndpointModes::default(),
            snowflake: None,
            macos: Macos::default(),
            tests: Vec::new(),
        };
        let mut sink = Vec::new();
        r.overlay(file, p, None, &mut sink);
        r
    }

    /// Lay `child` over this (base) profile. `doc` locates findings in the child.
    pub fn overlay(
        &mut self,
        file: &str,
        child: &Profile,
        doc: Option<&Document>,
        findings: &mut Vec<Finding>,
    ) {
        let is_base = self.chain.is_empty();
        self.chain.push(file.to_owned());
        let mut widen = |pointer: &str, what: String| {
            if let Some(doc) = doc {
                findings.push(
                    Finding::new(Code::ExtendsWidens, Code::ExtendsWidens.severity(), what)
                        .at(doc.locate(pointer, true))
                        .help("a profile that extends another can only narrow it; remove this or make it stricter"),
                );
            }
        };

        // Identity: the child's own, inheriting what it leaves out.
        let id = &child.profile;
        self.identity.id = id.id.clone();
        self.identity.name = id.name.clone();
        if id.organization.is_some() {
            self.identity.organization = id.organization.clone();
        }
        self.identity.description = id.description.clone();
        self.identity.serial = id.serial;
        if let Some(days) = id.bundle_lifetime_days {
            self.identity.bundle_lifetime_days = days;
        }

        // Accounts: allow lists layer up, denies add up.
        if let Some(acc) = &child.accounts {
            if let Some(allow) = &acc.allow {
                if !is_base {
                    for (i, pattern) in allow.iter().enumerate() {
                        if !within_layers(pattern, &self.policy.accounts.allow) {
                            widen(
                                &format!("/accounts/allow/{i}"),
                                format!(
                                    "account pattern `{pattern}` is not within the base profile's allow list"
                                ),
                            );
                        }
                    }
                }
                self.policy.accounts.allow.push(allow.clone());
            }
            extend_unique(&mut self.policy.accounts.deny, acc.deny.iter().flatten());
        }

        // Authenticators. Per-account entries the child does not write itself are
        // inherited; they are narrowed to the child's accounts and methods below.
        let inherited: Vec<String> = if is_base {
            Vec::new()
        } else {
            let own: Vec<String> = child
                .authenticators
                .iter()
                .flat_map(|a| a.per_account.iter().flatten())
                .map(|(k, _)| k.to_lowercase())
                .collect();
            self.policy
                .authenticators
                .per_account
                .keys()
                .filter(|k| !own.contains(&k.to_lowercase()))
                .cloned()
                .collect()
        };
        if let Some(auth) = &child.authenticators {
            if let Some(allowed) = &auth.allowed {
                self.policy.authenticators.allowed.push(allowed.clone());
            }
            extend_unique(
                &mut self.policy.authenticators.forbidden,
                auth.forbidden.iter().flatten(),
            );
            for (account, methods) in auth.per_account.iter().flatten() {
                let key = account.to_lowercase();
                let existing = self
                    .policy
                    .authenticators
                    .per_account
                    .iter()
                    .find(|(k, _)| k.to_lowercase() == key)
                    .map(|(k, v)| (k.clone(), v.clone()));
                match existing {
                    Some((k, old)) if !is_subset(methods, &old) => widen(
                        &format!(
                            "/authenticators/per_account/{}",
                            crate::source::escape_pointer(account)
                        ),
                        format!(
                            "methods for account `{account}` are wider than the base profile's for `{k}`"
                        ),
                    ),
                    existing => {
                        // The child's spelling replaces a base key that differs only in case.
                        if let Some((k, _)) = existing {
                            self.policy.authenticators.per_account.remove(&k);
                        }
                        self.policy
                            .authenticators
                            .per_account
                            .insert(account.clone(), methods.clone());
                    }
                }
            }
        }
        // Reported after the last `widen`, which holds `findings` until then.
        let mut narrowing = Vec::new();
        if !is_base {
            self.narrow_inherited_per_account(&inherited, child, doc, &mut narrowing);
        }

        // Connection and roles.
        if let Some(conn) = &child.connection {
            if let Some(name) = &conn.required_name {
                self.connection.name = Some(name.clone());
                self.policy.required_connection = Some(name.clone());
            }
            if let Some(role) = &conn.default_role {
                self.connection.default_role = Some(role.clone());
                self.policy.roles.default_role = Some(role.clone());
            }
            if let Some(wh) = &conn.default_warehouse {
                self.connection.default_warehouse = Some(wh.clone());
            }
            if let Some(t) = &conn.template {
                self.connection.template = Some(t.clone());
            }
            extend_unique(
                &mut self.policy.roles.forbidden,
                conn.forbidden_roles.iter().flatten(),
            );
            match conn.require_role {
                Some(false) if self.policy.roles.require_role => {
                    widen(
                        "/connection/require_role",
                        "`require_role = false` loosens the base profile".into(),
                    );
                }
                Some(v) => self.policy.roles.require_role = v,
                None => {}
            }
        }

        // Cortex Code settings.
        if let Some(cortex) = &child.cortex {
            self.overlay_cortex(cortex, is_base, &mut widen);
        }

        // Endpoint rule modes: may be raised, never lowered.
        if let Some(rules) = &child.endpoint {
            let before = self.endpoint;
            let mut after = before;
            apply_modes(&mut after, rules);
            let names = [
                (
                    "managed_settings",
                    before.managed_settings,
                    after.managed_settings,
                ),
                (
                    "required_connection",
                    before.required_connection,
                    after.required_connection,
                ),
                (
                    "default_connection",
                    before.default_connection,
                    after.default_connection,
                ),
                ("role", before.role, after.role),
                (
                    "forbidden_connections",
                    before.forbidden_connections,
                    after.forbidden_connections,
                ),
                (
                    "plaintext_secrets",
                    before.plaintext_secrets,
                    after.plaintext_secrets,
                ),
                ("file_modes", before.file_modes, after.file_modes),
            ];
            let mut lowered = false;
            for (name, old, new) in names {
                if !is_base && new < old {
                    lowered = true;
                    widen(
                        &format!("/endpoint/{name}"),
                        format!("endpoint rule `{name}` lowered from {old:?} to {new:?}")
                            .to_lowercase(),
                    );
                }
            }
            if !lowered || is_base {
                self.endpoint = after;
            }
        }

        if child.snowflake.is_some() {
            self.snowflake = child.snowflake.clone();
        }

        // A signed profile the base asks for cannot be switched off.
        if let Some(sign) = child.macos.as_ref().and_then(|m| m.sign_mobileconfig) {
            if !is_base && !sign && self.macos.sign_mobileconfig == Some(true) {
                widen(
                    "/macos/sign_mobileconfig",
                    "`sign_mobileconfig = false` switches off the base profile's signed configuration profile".into(),
                );
            } else {
                self.macos.sign_mobileconfig = Some(sign);
            }
        }
        findings.extend(narrowing);
        self.tests = child
            .tests
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/tests/{i}"), t.clone()))
            .collect();
    }

    /// A per-account entry replaces the global allowed sets for its accounts, so an
    /// entry inherited from the base would escape what the child says: it is dropped
    /// when it can match none of the child's allowed accounts, and cut down to the
    /// child's allowed methods (an inherited "any method" becomes exactly them). An entry
    /// left with no method is an error: an empty list would mean "any method".
    fn narrow_inherited_per_account(
        &mut self,
        inherited: &[String],
        child: &Profile,
        doc: Option<&Document>,
        findings: &mut Vec<Finding>,
    ) {
        let allow = child.accounts.as_ref().and_then(|a| a.allow.as_ref());
        let methods = child
            .authenticators
            .as_ref()
            .and_then(|a| a.allowed.as_ref());
        let per_account = &mut self.policy.authenticators.per_account;
        for key in inherited {
            if let Some(allow) = allow
                && !may_match_any(key, allow)
            {
                per_account.remove(key);
                continue;
            }
            let Some(methods) = methods else { continue };
            let Some(old) = per_account.get(key) else {
                continue;
            };
            let narrowed: Vec<String> = if old.is_empty() {
                methods.clone()
            } else {
                old.iter()
                    .filter(|m| {
                        methods
                            .iter()
                            .any(|a| a.trim().eq_ignore_ascii_case(m.trim()))
                    })
                    .cloned()
                    .collect()
            };
            if narrowed.is_empty() {
                if let Some(doc) = doc {
                    findings.push(
                        Finding::new(
                            Code::PerAccountNoMethodLeft,
                            Code::PerAccountNoMethodLeft.severity(),
                            format!(
                                "the base profile's per-account entry `{key}` allows {}, none of which this profile allows",
                                old.join(", ")
                            ),
                        )
                        .at(doc.locate("/authenticators/allowed", true))
                        .help(format!(
                            "allow one of those methods, give `{key}` its own `[authenticators.per_account]` entry within the base's, or stop allowing its accounts"
                        )),
                    );
                }
                continue;
            }
            per_account.insert(key.clone(), narrowed);
        }
    }

    fn overlay_cortex(&mut self, c: &Cortex, is_base: bool, widen: &mut impl FnMut(&str, String)) {
        let out = &mut self.cortex;
        // `enabled = false` switches the controls off: loosening.
        if let Some(enabled) = c.enabled {
            if !is_base && !enabled && out.enabled != Some(false) {
                widen(
                    "/cortex/enabled",
                    "`enabled = false` switches off the base profile's controls".into(),
                );
            } else {
                out.enabled = Some(enabled);
            }
        }
        // Turning the embedded policy off where the base turned it on loosens.
        if let Some(embed) = c.managed_settings_base64_enabled {
            if !is_base && !embed && out.managed_settings_base64_enabled == Some(true) {
                widen(
                    "/cortex/managed_settings_base64_enabled",
                    "`managed_settings_base64_enabled = false` switches off the base profile's embedded policy".into(),
                );
            } else {
                out.managed_settings_base64_enabled = Some(embed);
            }
        }
        if let Some(p) = &c.permissions {
            let base = out.permissions.get_or_insert_with(Permissions::default);
            extend_unique(
                base.deny.get_or_insert_with(Vec::new),
                p.deny.iter().flatten(),
            );
            if let Some(only) = &p.only_allow {
                if let (false, Some(parent)) = (is_base, &base.only_allow) {
                    for (i, pattern) in only.iter().enumerate() {
                        if !parent
                            .iter()
                            .any(|q| q.eq_ignore_ascii_case(pattern) || covers(q, pattern))
                        {
                            widen(
                                &format!("/cortex/permissions/only_allow/{i}"),
                                format!(
                                    "`{pattern}` is not within the base profile's `only_allow`"
                                ),
                            );
                        }
                    }
                }
                base.only_allow = Some(only.clone());
            }
            if let Some(mode) = p.default_mode {
                if !is_base
                    && mode == DefaultMode::Allow
                    && base.default_mode == Some(DefaultMode::Deny)
                {
                    widen(
                        "/cortex/permissions/default_mode",
                        "`default_mode = \"allow\"` loosens the base profile's `deny`".into(),
                    );
                } else {
                    base.default_mode = Some(mode);
                    self.policy.permissions.default_mode = match mode {
                        DefaultMode::Allow => PolicyDefaultMode::Allow,
                        DefaultMode::Deny => PolicyDefaultMode::Deny,
                    };
                }
            }
            if let Some(all) = p.dangerously_allow_all {
                if !is_base && all && base.dangerously_allow_all != Some(true) {
                    widen(
                        "/cortex/permissions/dangerously_allow_all",
                        "`dangerously_allow_all = true` loosens the base profile".into(),
                    );
                } else {
                    base.dangerously_allow_all = Some(all);
                }
            }
            self.policy.permissions.deny = base.deny.clone().unwrap_or_default();
            self.policy.permissions.only_allow = base.only_allow.clone();
        }
        if let Some(s) = &c.settings {
            let base = out.settings.get_or_insert_with(Settings::default);
            for (name, old, new) in [
                (
                    "force_no_history_mode",
                    &mut base.force_no_history_mode,
                    s.force_no_history_mode,
                ),
                (
                    "force_sandbox_enabled",
                    &mut base.force_sandbox_enabled,
                    s.force_sandbox_enabled,
                ),
            ] {
                match new {
                    Some(false) if !is_base && *old == Some(true) => {
                        widen(
                            &format!("/cortex/settings/{name}"),
                            format!("`{name} = false` loosens the base profile"),
                        );
                    }
                    Some(v) => *old = Some(v),
                    None => {}
                }
            }
            if s.force_sandbox_mode.is_some() {
                base.force_sandbox_mode = s.force_sandbox_mode;
            }
        }
        if let Some(r) = &c.required {
            let base = out.required.get_or_insert_with(Required::default);
            for (name, old, new) in [
                (
                    "minimum_version",
                    &mut base.minimum_version,
                    &r.minimum_version,
                ),
                (
                    "cli_minimum_version",
                    &mut base.cli_minimum_version,
                    &r.cli_minimum_version,
                ),
                (
                    "desktop_minimum_version",
                    &mut base.desktop_minimum_version,
                    &r.desktop_minimum_version,
                ),
            ] {
                let Some(new) = new else { continue };
                let lower = match (
                    old.as_deref().map(semver::Version::parse),
                    semver::Version::parse(new),
                ) {
                    (Some(Ok(o)), Ok(n)) => n < o,
                    _ => false,
                };
                if !is_base && lower {
                    widen(
                        &format!("/cortex/required/{name}"),
                        format!("`{name}` is lower than the base profile's"),
                    );
                } else {
                    *old = Some(new.clone());
                }
            }
        }
        if let Some(d) = &c.defaults {
            let base = out.defaults.get_or_insert_with(Default::default);
            if d.profile_name.is_some() {
                base.profile_name = d.profile_name.clone();
            }
            if d.theme.is_some() {
                base.theme = d.theme;
            }
        }
        if let Some(f) = &c.files {
            let base = out.files.get_or_insert_with(Default::default);
            if f.connections_file.is_some() {
                base.connections_file = f.connections_file.clone();
            }
            if f.mcp_file.is_some() {
                base.mcp_file = f.mcp_file.clone();
            }
        }
        if let Some(u) = &c.ui {
            let base = out.ui.get_or_insert_with(Ui::default);
            if u.show_managed_banner.is_some() {
                base.show_managed_banner = u.show_managed_banner;
            }
            if u.banner_text.is_some() {
                base.banner_text = u.banner_text.clone();
            }
            match u.hide_dangerous_options {
                Some(false) if !is_base && base.hide_dangerous_options == Some(true) => {
                    widen(
                        "/cortex/ui/hide_dangerous_options",
                        "`hide_dangerous_options = false` loosens the base profile".into(),
                    );
                }
                Some(v) => base.hide_dangerous_options = Some(v),
                None => {}
            }
        }
    }
}

fn extend_unique<'a>(into: &mut Vec<String>, items: impl IntoIterator<Item = &'a String>) {
    for item in items {
        if !into.iter().any(|x| x.eq_ignore_ascii_case(item)) {
            into.push(item.clone());
        }
    }
}

/// `methods` allows no more than `base` (an empty list means any method).
fn is_subset(methods: &[String], base: &[String]) -> bool {
    if base.is_empty() {
        return true;
    }
    !methods.is_empty()
        && methods
            .iter()
            .all(|m| base.iter().any(|b| b.eq_ignore_ascii_case(m)))
}

/// Whether some account could match both `key` and one of `patterns`; an invalid
/// pattern (reported as `invalid-glob`) counts as a possible match.
fn may_match_any(key: &str, patterns: &[String]) -> bool {
    let Ok(key) = Glob::new(key) else {
        return true;
    };
    patterns.iter().any(|p| match Glob::new(p) {
        Ok(p) => p.intersects(&key),
        Err(_) => true,
    })
}

fn covers(wider: &str, narrower: &str) -> bool {
    match (Glob::new(wider), Glob::new(narrower)) {
        (Ok(w), Ok(n)) => w.covers(&n) == warden_policy::Containment::Yes,
        _ => false,
    }
}

/// A child pattern is acceptable when, in every base layer, some pattern covers it.
/// An undecidable containment is accepted: the agent still evaluates every layer.
fn within_layers(pattern: &str, layers: &[Vec<String>]) -> bool {
    let Ok(narrow) = Glob::new(pattern) else {
        return true; // reported as invalid-glob
    };
    layers.iter().all(|layer| {
        layer.iter().any(|p| match Glob::new(p) {
            Ok(w) => w.covers(&narrow) != warden_policy::Containment::No,
            Err(_) => true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Syntax, parse};

    fn base() -> Profile {
        serde_json::from_value(serde_json::json!({
            "profile": { "id": "base", "name": "Base", "serial": 1 },
            "accounts": { "allow": ["acme-*", "partner-*"] },
            "authenticators": {
                "allowed": ["EXTERNALBROWSER", "SNOWFLAKE_JWT"],
                "per_account": {
                    "acme-ci": ["SNOWFLAKE_JWT", "EXTERNALBROWSER"],
                    "acme-etl": [],
                    "partner-*": ["SNOWFLAKE_JWT"]
                }
            }
        }))
        .unwrap()
    }

    /// Lay `child` (JSON) over `base()`: the composed policy and the child's findings.
    fn compose(child: serde_json::Value) -> (ResolvedProfile, Vec<Finding>) {
        let text = child.to_string();
        let doc = parse("child.json", text.as_bytes(), Syntax::Json).unwrap();
        let child: Profile = serde_json::from_value(child).unwrap();
        let mut r = ResolvedProfile::from_root("base.json", &base());
        let mut findings = Vec::new();
        r.overlay("child.json", &child, Some(&doc), &mut findings);
        (r, findings)
    }

    fn entries(r: &ResolvedProfile) -> Vec<(String, Vec<String>)> {
        r.policy
            .authenticators
            .per_account
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn a_child_that_narrows_nothing_inherits_every_entry() {
        let (r, f) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 }
        }));
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(entries(&r).len(), 3);
    }

    #[test]
    fn entries_for_accounts_the_child_no_longer_allows_are_dropped() {
        let (r, f) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 },
            "accounts": { "allow": ["acme-*"] }
        }));
        assert!(f.is_empty(), "{f:?}");
        let keys: Vec<String> = entries(&r).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, s(&["acme-ci", "acme-etl"]));
        // A glob key that overlaps the child's accounts stays.
        let (r, _) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 },
            "accounts": { "allow": ["partner-eu*"] }
        }));
        let keys: Vec<String> = entries(&r).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, s(&["partner-*"]));
    }

    #[test]
    fn inherited_entries_keep_only_the_childs_allowed_methods() {
        let (r, f) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 },
            "accounts": { "allow": ["acme-*"] },
            "authenticators": { "allowed": ["externalbrowser"] }
        }));
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(
            entries(&r),
            [
                ("acme-ci".to_owned(), s(&["EXTERNALBROWSER"])),
                // "Any method" becomes exactly the child's list, never wider.
                ("acme-etl".to_owned(), s(&["externalbrowser"])),
            ]
        );
        // The engine now refuses the base's key pair for the CI account.
        let verdict = r
            .policy
            .evaluate_connection(&warden_policy::ConnectionParams {
                name: "ci".into(),
                account: Some("acme-ci".into()),
                authenticator: Some("snowflake_jwt".into()),
                ..Default::default()
            });
        assert!(!verdict.authenticator.allowed);
    }

    #[test]
    fn the_childs_own_entry_is_not_narrowed_by_its_allowed_list() {
        let (r, f) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 },
            "accounts": { "allow": ["acme-*"] },
            "authenticators": {
                "allowed": ["EXTERNALBROWSER"],
                "per_account": { "ACME-CI": ["SNOWFLAKE_JWT"] }
            }
        }));
        assert!(f.is_empty(), "{f:?}");
        let e = entries(&r);
        // One entry per account, in the child's spelling.
        assert!(
            e.contains(&("ACME-CI".to_owned(), s(&["SNOWFLAKE_JWT"]))),
            "{e:?}"
        );
        assert!(!e.iter().any(|(k, _)| k == "acme-ci"), "{e:?}");
    }

    #[test]
    fn an_entry_left_without_methods_is_an_error() {
        let (r, f) = compose(serde_json::json!({
            "profile": { "id": "c", "name": "C", "serial": 2 },
            "accounts": { "allow": ["partner-*"] },
            "authenticators": { "allowed": ["EXTERNALBROWSER"] }
        }));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, Code::PerAccountNoMethodLeft.as_str());
        assert!(f[0].message.contains("`partner-*`"), "{}", f[0].message);
        // Never written empty, which would mean "any method".
        assert!(entries(&r).iter().all(|(_, m)| !m.is_empty()));
    }
}
