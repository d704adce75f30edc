//! Lints of the composed `[snowflake]` section: what the generated SQL must never do
//! to the account it governs. `warden validate` and `warden compile` share them, and
//! the SQL generator refuses the same shapes again.

use warden_diag::Finding;
use warden_policy::Glob;

use crate::codes::Code;
use crate::model::{AuthenticationPolicy, PolicyScope, Snowflake};
use crate::source::Document;

/// Snowflake's system-defined roles. None of them may be the Cortex Code role, and
/// every one except PUBLIC (which every user holds) is in the tokens'
/// `BLOCKED_ROLES_LIST`.
pub const SYSTEM_ROLES: [&str; 6] = [
    "ACCOUNTADMIN",
    "ORGADMIN",
    "SECURITYADMIN",
    "SYSADMIN",
    "USERADMIN",
    "PUBLIC",
];

/// User names that belong to Snowflake itself or, by convention, to an account's
/// administrators. Turning one into a service user would lock a person out.
pub const WELL_KNOWN_ADMIN_USERS: [&str; 10] = [
    "SNOWFLAKE",
    "ADMIN",
    "ADMINISTRATOR",
    "ROOT",
    "SYSTEM",
    "ACCOUNTADMIN",
    "ORGADMIN",
    "SECURITYADMIN",
    "SYSADMIN",
    "USERADMIN",
];

/// Interactive sign-in methods: a person policy keeping none of them leaves people
/// only keys and tokens.
pub const INTERACTIVE_METHODS: [&str; 4] = ["PASSWORD", "SAML", "OIDC", "ALL"];

/// The longest token lifetime Snowflake accepts, in days.
pub const SNOWFLAKE_MAX_PAT_DAYS: u32 = 365;

/// `MAX_EXPIRY_IN_DAYS` when the profile names none.
pub const DEFAULT_MAX_PAT_DAYS: u32 = 90;

/// Where a policy applies: listed users if any, else account-wide.
pub fn policy_scope(policy: &AuthenticationPolicy) -> PolicyScope {
    policy.apply_to.unwrap_or(if policy.users.is_empty() {
        PolicyScope::Account
    } else {
        PolicyScope::Users
    })
}

/// The `MAX_EXPIRY_IN_DAYS` the policies get.
pub fn max_pat_days(sf: &Snowflake) -> u32 {
    sf.pat_max_expiry_days.unwrap_or_else(|| {
        sf.service_user
            .as_ref()
            .and_then(|u| u.pat_days_to_expiry)
            .filter(|d| (1..=SNOWFLAKE_MAX_PAT_DAYS).contains(d))
            .unwrap_or(DEFAULT_MAX_PAT_DAYS)
    })
}

/// A token name Snowflake accepts: letters, digits and `_` only.
pub fn is_valid_pat_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An IPv4 address, optionally with a `/0`…`/32` prefix length.
pub fn is_ipv4_range(range: &str) -> bool {
    let (addr, prefix) = match range.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (range, None),
    };
    addr.parse::<std::net::Ipv4Addr>().is_ok()
        && prefix.is_none_or(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|n| n <= 32)
        })
}

/// Whether `role` is a system role or matches one of the forbidden role patterns;
/// returns what it matched.
pub fn system_role_match(role: &str, forbidden: &[String]) -> Option<String> {
    if let Some(r) = SYSTEM_ROLES.iter().find(|r| r.eq_ignore_ascii_case(role)) {
        return Some(format!("the system role {r}"));
    }
    forbidden
        .iter()
        .find(|p| Glob::new(p).is_ok_and(|g| g.matches(role)))
        .map(|p| format!("`connection.forbidden_roles` entry `{p}`"))
}

fn at(doc: &Document, code: Code, message: String, pointer: &str, help: &str) -> Finding {
    let pointer = if doc.spans.contains_key(pointer) {
        pointer
    } else if doc.spans.contains_key("/snowflake") {
        "/snowflake"
    } else {
        ""
    };
    Finding::new(code, code.severity(), message)
        .at(doc.locate(pointer, false))
        .help(help)
}

/// Lints of the composed section. `own` is false when the section comes from a base
/// profile, whose own run reports it; then only the role is checked again, against
/// forbidden roles this profile may have added.
pub fn lint(doc: &Document, sf: &Snowflake, forbidden: &[String], own: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(role) = &sf.role
        && let Some(what) = system_role_match(role, forbidden)
    {
        out.push(at(
            doc,
            Code::SnowflakeSystemRole,
            format!("`[snowflake] role = \"{role}\"` is {what}; setup would grant it to the service user and restrict the token to it"),
            if own { "/snowflake/role" } else { "/connection/forbidden_roles" },
            "create a dedicated least-privileged role for Cortex Code, e.g. `CORTEX_CLI_ROLE`",
        ));
    }
    if !own {
        return out;
    }

    if let Some(user) = &sf.service_user {
        if let Some(u) = WELL_KNOWN_ADMIN_USERS
            .iter()
            .find(|u| u.eq_ignore_ascii_case(&user.name))
        {
            out.push(at(
                doc,
                Code::SnowflakeSystemUser,
                format!("service user `{}` is the well-known administrator name {u}; setup would make it TYPE = SERVICE, which ends its password and SSO sign-in", user.name),
                "/snowflake/service_user/name",
                "name a new, dedicated user, e.g. `CORTEX_CLI_SVC`; setup refuses any existing user that is not marked `managed by warden`",
            ));
        } else if sf
            .break_glass_users
            .iter()
            .any(|b| b.eq_ignore_ascii_case(&user.name))
        {
            out.push(at(
                doc,
                Code::SnowflakeSystemUser,
                format!(
                    "service user `{}` is also a break-glass administrator",
                    user.name
                ),
                "/snowflake/service_user/name",
                "a break-glass administrator is a person; give the service user its own name",
            ));
        }
        if let Some(name) = &user.pat_name
            && !is_valid_pat_name(name)
        {
            out.push(at(
                doc,
                Code::PatNameInvalid,
                format!("token name `{name}` may only use letters, digits and underscores"),
                "/snowflake/service_user/pat_name",
                "e.g. `CORTEX_CLI_PAT`",
            ));
        }
    }

    if let Some(net) = &sf.network {
        for (i, range) in net.allowed_ip_ranges.iter().enumerate() {
            if !is_ipv4_range(range) {
                out.push(at(
                    doc,
                    Code::InvalidValue,
                    format!("`{range}` is not an IPv4 address or CIDR range"),
                    &format!("/snowflake/network/allowed_ip_ranges/{i}"),
                    "write e.g. `192.0.2.0/24` or `198.51.100.10`",
                ));
            }
        }
    }

    let max = sf.pat_max_expiry_days;
    if let Some(m) = max
        && !(1..=SNOWFLAKE_MAX_PAT_DAYS).contains(&m)
    {
        out.push(at(
            doc,
            Code::PatLifetime,
            format!("`pat_max_expiry_days = {m}` is outside 1 to {SNOWFLAKE_MAX_PAT_DAYS} days"),
            "/snowflake/pat_max_expiry_days",
            "Snowflake recommends at most 90 days",
        ));
    }
    if let Some(days) = sf.service_user.as_ref().and_then(|u| u.pat_days_to_expiry) {
        let limit = max_pat_days(sf).min(SNOWFLAKE_MAX_PAT_DAYS);
        if days == 0 || days > limit {
            out.push(at(
                doc,
                Code::PatLifetime,
                format!("`pat_days_to_expiry = {days}` is outside 1 to {limit} days, the policies' MAX_EXPIRY_IN_DAYS"),
                "/snowflake/service_user/pat_days_to_expiry",
                "use a lifetime the policy allows (Snowflake recommends at most 90 days) and rotate the token on a schedule",
            ));
        }
    }

    if let Some(person) = &sf.person_policy
        && policy_scope(person) == PolicyScope::Account
        && sf.break_glass_users.is_empty()
    {
        let interactive = person.methods.iter().any(|m| {
            INTERACTIVE_METHODS
                .iter()
                .any(|i| i.eq_ignore_ascii_case(m.trim()))
        });
        let message = if interactive {
            format!(
                "person policy `{}` applies account-wide but no `break_glass_users` keep an administrator's own sign-in if it goes wrong",
                person.name
            )
        } else {
            format!(
                "person policy `{}` applies account-wide with no interactive method (PASSWORD, SAML or OIDC) and no `break_glass_users`: every person, administrators included, would be locked out",
                person.name
            )
        };
        out.push(at(
            doc,
            Code::PersonPolicyLockout,
            message,
            "/snowflake/person_policy",
            "add `[snowflake] break_glass_users = [\"<ADMIN_USER>\"]`, and keep the methods your people sign in with (SAML, OIDC, PASSWORD)",
        ));
    }

    if let Some(service) = &sf.service_policy
        && policy_scope(service) == PolicyScope::Account
        && service.confirm_account_wide != Some(true)
    {
        out.push(at(
            doc,
            Code::ServicePolicyAccountWide,
            format!("service policy `{}` applies account-wide: it restricts every SERVICE and LEGACY_SERVICE user of the account, not only Cortex Code's", service.name),
            "/snowflake/service_policy",
            "apply it to the Cortex Code service user (`apply_to = \"users\"`, `users = [...]`), or set `confirm_account_wide = true`",
        ));
    }
    out
}
