//! The change in effect between two profiles: what a reviewer needs to know, not
//! what changed in the text. Every change is classified as tightening, loosening or
//! neutral, so CI can require a second reviewer for anything that loosens.

use std::collections::BTreeSet;

use serde::Serialize;
use warden_policy::{Authenticator, DefaultMode, Glob};

use crate::model::RuleMode;
use crate::resolve::ResolvedProfile;

/// Direction of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Allows something the old profile refused.
    Loosening,
    /// Refuses something the old profile allowed.
    Tightening,
    /// Changes behaviour without widening or narrowing it.
    Neutral,
}

/// One change in effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub effect: Effect,
    /// `accounts`, `authenticators`, `roles`, `connection`, `permissions`, `settings`,
    /// `versions`, `endpoint`, `bundle`.
    pub area: &'static str,
    pub description: String,
}

fn set(items: &[String], upper: bool) -> BTreeSet<String> {
    items
        .iter()
        .map(|s| {
            if upper {
                s.to_uppercase()
            } else {
                s.to_lowercase()
            }
        })
        .collect()
}

/// The authentication methods a profile leaves allowed.
pub fn allowed_methods(p: &ResolvedProfile) -> BTreeSet<String> {
    let auth = &p.policy.authenticators;
    Authenticator::known_names()
        .filter(|m| {
            auth.allowed
                .iter()
                .all(|l| l.iter().any(|a| a.eq_ignore_ascii_case(m)))
        })
        .filter(|m| !auth.forbidden.iter().any(|f| f.eq_ignore_ascii_case(m)))
        .map(str::to_owned)
        .collect()
}

/// The methods a per-account entry leaves allowed: its list (empty means any method)
/// minus the profile's forbidden methods, which the engine checks first.
fn entry_methods(p: &ResolvedProfile, methods: &[String]) -> BTreeSet<String> {
    let forbidden = &p.policy.authenticators.forbidden;
    Authenticator::known_names()
        .filter(|m| methods.is_empty() || methods.iter().any(|a| a.eq_ignore_ascii_case(m)))
        .filter(|m| !forbidden.iter().any(|f| f.eq_ignore_ascii_case(m)))
        .map(str::to_owned)
        .collect()
}

/// Loosening when `after` allows a method `before` did not, tightening when it only
/// drops methods, neutral when both allow the same.
fn compare(before: &BTreeSet<String>, after: &BTreeSet<String>) -> Effect {
    if !after.is_subset(before) {
        Effect::Loosening
    } else if after.len() < before.len() {
        Effect::Tightening
    } else {
        Effect::Neutral
    }
}

/// Compare `old` with `new`.
pub fn diff(old: &ResolvedProfile, new: &ResolvedProfile) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |effect, area, description: String| {
        out.push(Change {
            effect,
            area,
            description,
        })
    };

    // Accounts: the innermost allow layer is what Cortex Code enforces; a new pattern
    // that no old pattern covers widens it.
    let allow = |p: &ResolvedProfile| p.policy.accounts.allow.last().cloned();
    match (allow(old), allow(new)) {
        (Some(_), None) => push(
            Effect::Loosening,
            "accounts",
            "the account allow list was removed: every account is allowed".into(),
        ),
        (None, Some(n)) => push(
            Effect::Tightening,
            "accounts",
            format!("accounts are now restricted to {}", quoted(&n)),
        ),
        (Some(o), Some(n)) => {
            let (os, ns) = (set(&o, false), set(&n, false));
            for added in ns.difference(&os) {
                let covered = Glob::new(added).is_ok_and(|a| {
                    o.iter().any(|p| {
                        Glob::new(p).is_ok_and(|p| p.covers(&a) == warden_policy::Containment::Yes)
                    })
                });
                if covered {
                    push(
                        Effect::Neutral,
                        "accounts",
                        format!("allow pattern `{added}` added (within an existing pattern)"),
                    );
                } else {
                    push(
                        Effect::Loosening,
                        "accounts",
                        format!("accounts matching `{added}` are newly allowed"),
                    );
                }
            }
            for removed in os.difference(&ns) {
                push(
                    Effect::Tightening,
                    "accounts",
                    format!("accounts matching `{removed}` are no longer allowed"),
                );
            }
        }
        (None, None) => {}
    }
    let (od, nd) = (
        set(&old.policy.accounts.deny, false),
        set(&new.policy.accounts.deny, false),
    );
    for added in nd.difference(&od) {
        push(
            Effect::Tightening,
            "accounts",
            format!("accounts matching `{added}` are newly denied"),
        );
    }
    for removed in od.difference(&nd) {
        push(
            Effect::Loosening,
            "accounts",
            format!("accounts matching `{removed}` are no longer denied"),
        );
    }

    // Authentication methods.
    let (om, nm) = (allowed_methods(old), allowed_methods(new));
    for added in nm.difference(&om) {
        push(
            Effect::Loosening,
            "authenticators",
            format!("`{added}` is newly allowed"),
        );
    }
    for removed in om.difference(&nm) {
        push(
            Effect::Tightening,
            "authenticators",
            format!("`{removed}` is no longer allowed"),
        );
    }
    let (opa, npa) = (
        &old.policy.authenticators.per_account,
        &new.policy.authenticators.per_account,
    );
    for (account, methods) in npa {
        match opa.get(account) {
            // A new entry replaces the global allowed sets for the accounts it matches.
            None => push(
                compare(&allowed_methods(old), &entry_methods(new, methods)),
                "authenticators",
                format!("per-account methods for `{account}`: {}", quoted(methods)),
            ),
            Some(old_methods) if set(old_methods, true) != set(methods, true) => {
                let wider = old_methods.is_empty() && !methods.is_empty();
                let effect = if methods.is_empty()
                    || set(methods, true)
                        .difference(&set(old_methods, true))
                        .next()
                        .is_some()
                        && !wider
                {
                    Effect::Loosening
                } else {
                    Effect::Tightening
                };
                push(
                    effect,
                    "authenticators",
                    format!(
                        "per-account methods for `{account}`: {} → {}",
                        quoted(old_methods),
                        quoted(methods)
                    ),
                );
            }
            Some(_) => {}
        }
    }
    for (account, old_methods) in opa.iter().filter(|(k, _)| !npa.contains_key(*k)) {
        push(
            compare(&entry_methods(old, old_methods), &allowed_methods(new)),
            "authenticators",
            format!("per-account methods for `{account}` removed; the global list applies"),
        );
    }

    // Roles and the required connection.
    let (ofr, nfr) = (
        set(&old.policy.roles.forbidden, true),
        set(&new.policy.roles.forbidden, true),
    );
    for added in nfr.difference(&ofr) {
        push(
            Effect::Tightening,
            "roles",
            format!("role `{added}` is newly forbidden"),
        );
    }
    for removed in ofr.difference(&nfr) {
        push(
            Effect::Loosening,
            "roles",
            format!("role `{removed}` is no longer forbidden"),
        );
    }
    match (old.policy.roles.require_role, new.policy.roles.require_role) {
        (true, false) => push(
            Effect::Loosening,
            "roles",
            "connections no longer have to name a role".into(),
        ),
        (false, true) => push(
            Effect::Tightening,
            "roles",
            "connections must now name a role".into(),
        ),
        _ => {}
    }
    if old.policy.roles.default_role != new.policy.roles.default_role {
        push(
            Effect::Neutral,
            "roles",
            format!(
                "default role: {} → {}",
                opt(&old.policy.roles.default_role),
                opt(&new.policy.roles.default_role)
            ),
        );
    }
    if old.connection.name != new.connection.name {
        push(
            Effect::Neutral,
            "connection",
            format!(
                "required connection: {} → {}",
                opt(&old.connection.name),
                opt(&new.connection.name)
            ),
        );
    }
    let acct = |p: &ResolvedProfile| {
        p.connection
            .template
            .as_ref()
            .and_then(|t| t.account.clone())
    };
    if acct(old) != acct(new) {
        push(
            Effect::Neutral,
            "connection",
            format!(
                "required connection's account: {} → {}",
                opt(&acct(old)),
                opt(&acct(new))
            ),
        );
    }

    // Cortex Code permissions.
    let (op, np) = (&old.policy.permissions, &new.policy.permissions);
    match (op.default_mode, np.default_mode) {
        (DefaultMode::Deny, DefaultMode::Allow) => push(
            Effect::Loosening,
            "permissions",
            "`default_mode` deny → allow: anything no rule names is now permitted".into(),
        ),
        (DefaultMode::Allow, DefaultMode::Deny) => push(
            Effect::Tightening,
            "permissions",
            "`default_mode` allow → deny".into(),
        ),
        _ => {}
    }
    let (odn, ndn) = (set(&op.deny, false), set(&np.deny, false));
    for added in ndn.difference(&odn) {
        push(
            Effect::Tightening,
            "permissions",
            format!("`{added}` is newly denied"),
        );
    }
    for removed in odn.difference(&ndn) {
        push(
            Effect::Loosening,
            "permissions",
            format!("`{removed}` is no longer denied"),
        );
    }
    match (&op.only_allow, &np.only_allow) {
        (Some(_), None) => push(
            Effect::Loosening,
            "permissions",
            "`only_allow` was removed".into(),
        ),
        (None, Some(n)) => push(
            Effect::Tightening,
            "permissions",
            format!("tools are now limited to {}", quoted(n)),
        ),
        (Some(o), Some(n)) => {
            let (os, ns) = (set(o, false), set(n, false));
            for added in ns.difference(&os) {
                push(
                    Effect::Loosening,
                    "permissions",
                    format!("`{added}` is newly in `only_allow`"),
                );
            }
            for removed in os.difference(&ns) {
                push(
                    Effect::Tightening,
                    "permissions",
                    format!("`{removed}` is no longer in `only_allow`"),
                );
            }
        }
        (None, None) => {}
    }
    let perms = |p: &ResolvedProfile| p.cortex.permissions.clone().unwrap_or_default();
    flag(
        &mut out,
        "permissions",
        "dangerously_allow_all",
        perms(old).dangerously_allow_all,
        perms(new).dangerously_allow_all,
        true,
    );

    // Settings Cortex Code enforces.
    let s = |p: &ResolvedProfile| p.cortex.settings.clone().unwrap_or_default();
    flag(
        &mut out,
        "settings",
        "force_no_history_mode",
        s(old).force_no_history_mode,
        s(new).force_no_history_mode,
        false,
    );
    flag(
        &mut out,
        "settings",
        "force_sandbox_enabled",
        s(old).force_sandbox_enabled,
        s(new).force_sandbox_enabled,
        false,
    );
    if s(old).force_sandbox_mode != s(new).force_sandbox_mode {
        out.push(Change {
            effect: Effect::Neutral,
            area: "settings",
            description: format!(
                "`force_sandbox_mode`: {} → {}",
                sandbox(s(old).force_sandbox_mode),
                sandbox(s(new).force_sandbox_mode)
            ),
        });
    }
    let ui = |p: &ResolvedProfile| p.cortex.ui.clone().unwrap_or_default();
    flag(
        &mut out,
        "settings",
        "hide_dangerous_options",
        ui(old).hide_dangerous_options,
        ui(new).hide_dangerous_options,
        false,
    );
    let enabled = |p: &ResolvedProfile| p.cortex.enabled.unwrap_or(true);
    if enabled(old) != enabled(new) {
        let effect = if enabled(new) {
            Effect::Tightening
        } else {
            Effect::Loosening
        };
        out.push(Change {
            effect,
            area: "settings",
            description: format!(
                "Cortex Code account and authentication controls {}",
                if enabled(new) {
                    "switched on"
                } else {
                    "switched off"
                }
            ),
        });
    }

    // Minimum versions.
    let req = |p: &ResolvedProfile| p.cortex.required.clone().unwrap_or_default();
    for (name, o, n) in [
        (
            "minimum_version",
            req(old).minimum_version,
            req(new).minimum_version,
        ),
        (
            "cli_minimum_version",
            req(old).cli_minimum_version,
            req(new).cli_minimum_version,
        ),
        (
            "desktop_minimum_version",
            req(old).desktop_minimum_version,
            req(new).desktop_minimum_version,
        ),
    ] {
        if o == n {
            continue;
        }
        let effect = match (
            o.as_deref().map(semver::Version::parse),
            n.as_deref().map(semver::Version::parse),
        ) {
            (Some(_), None) => Effect::Loosening,
            (None, Some(_)) => Effect::Tightening,
            (Some(Ok(a)), Some(Ok(b))) if b < a => Effect::Loosening,
            (Some(Ok(a)), Some(Ok(b))) if b > a => Effect::Tightening,
            _ => Effect::Neutral,
        };
        out.push(Change {
            effect,
            area: "versions",
            description: format!("`{name}`: {} → {}", opt(&o), opt(&n)),
        });
    }

    // Endpoint enforcement.
    let modes = |p: &ResolvedProfile| {
        let e = p.endpoint;
        [
            ("managed_settings", e.managed_settings),
            ("required_connection", e.required_connection),
            ("default_connection", e.default_connection),
            ("role", e.role),
            ("forbidden_connections", e.forbidden_connections),
            ("plaintext_secrets", e.plaintext_secrets),
            ("file_modes", e.file_modes),
        ]
    };
    for ((name, o), (_, n)) in modes(old).into_iter().zip(modes(new)) {
        if o != n {
            let effect = if n < o {
                Effect::Loosening
            } else {
                Effect::Tightening
            };
            out.push(Change {
                effect,
                area: "endpoint",
                description: format!("endpoint rule `{name}`: {} → {}", mode(o), mode(n)),
            });
        }
    }
    let (ol, nl) = (
        old.identity.bundle_lifetime_days,
        new.identity.bundle_lifetime_days,
    );
    if ol != nl {
        let effect = if nl > ol {
            Effect::Loosening
        } else {
            Effect::Tightening
        };
        out.push(Change {
            effect,
            area: "bundle",
            description: format!("bundles stay valid {ol} → {nl} days"),
        });
    }
    // An unsigned profile can be rewritten by the MDM on the way.
    flag(
        &mut out,
        "macos",
        "sign_mobileconfig",
        old.macos.sign_mobileconfig,
        new.macos.sign_mobileconfig,
        false,
    );
    out.sort_by(|a, b| (a.effect, a.area).cmp(&(b.effect, b.area)));
    out
}

/// A tightening switch: `true` is strict unless `true_loosens`.
fn flag(
    out: &mut Vec<Change>,
    area: &'static str,
    name: &str,
    old: Option<bool>,
    new: Option<bool>,
    true_loosens: bool,
) {
    let (o, n) = (old.unwrap_or(false), new.unwrap_or(false));
    if o != n {
        let effect = if n == true_loosens {
            Effect::Loosening
        } else {
            Effect::Tightening
        };
        out.push(Change {
            effect,
            area,
            description: format!("`{name}`: {o} → {n}"),
        });
    }
}

fn sandbox(m: Option<crate::model::SandboxMode>) -> &'static str {
    match m {
        None => "(none)",
        Some(crate::model::SandboxMode::Regular) => "`regular`",
        Some(crate::model::SandboxMode::AutoAllow) => "`autoAllow`",
    }
}

fn mode(m: RuleMode) -> &'static str {
    match m {
        RuleMode::Off => "off",
        RuleMode::Audit => "audit",
        RuleMode::Enforce => "enforce",
    }
}

fn opt(v: &Option<String>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_owned(), |s| format!("`{s}`"))
}

fn quoted(items: &[String]) -> String {
    if items.is_empty() {
        return "(any)".to_owned();
    }
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsLoader, load};

    fn baseline() -> ResolvedProfile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../profiles/examples/org-baseline.toml");
        load(&path, &FsLoader).profile.expect("baseline loads")
    }

    fn per_account_effects(old: &ResolvedProfile, new: &ResolvedProfile) -> Vec<Effect> {
        diff(old, new)
            .into_iter()
            .filter(|c| c.description.starts_with("per-account"))
            .map(|c| c.effect)
            .collect()
    }

    #[test]
    fn a_new_per_account_entry_that_bypasses_the_global_sets_loosens() {
        let mut old = baseline();
        old.policy.authenticators.allowed = vec![vec!["EXTERNALBROWSER".into()]];
        let mut new = old.clone();
        new.policy
            .authenticators
            .per_account
            .insert("acme-prod".into(), Vec::new());
        assert_eq!(per_account_effects(&old, &new), [Effect::Loosening]);
        // Taking it away again narrows those accounts back to the global sets.
        assert_eq!(per_account_effects(&new, &old), [Effect::Tightening]);
    }

    #[test]
    fn a_new_per_account_entry_within_the_global_sets_tightens() {
        let old = baseline();
        let mut new = old.clone();
        new.policy
            .authenticators
            .per_account
            .insert("acme-prod".into(), vec!["EXTERNALBROWSER".into()]);
        assert_eq!(per_account_effects(&old, &new), [Effect::Tightening]);
    }
}
