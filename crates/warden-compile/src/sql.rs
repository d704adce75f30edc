//! `snowflake/preflight.sql`, `snowflake/setup.sql` and `snowflake/teardown.sql`:
//! the server-side boundary.
//!
//! The single-role pattern: a least-privileged role, a `TYPE = SERVICE` user holding
//! only that role, authentication policies that keep person users away from
//! programmatic access tokens and require network policy evaluation for service
//! users, and a token restricted to the role. Each step runs under the
//! least-privileged administrative role that can perform it and says why.
//!
//! Every object setup creates carries `COMMENT = 'managed by warden: <profile id>'`.
//! Setup refuses to change an existing object without that marker, skips an
//! attachment that is already ours and fails loudly on anyone else's; teardown only
//! removes what carries the marker. Preflight only reads (`SHOW`, `DESCRIBE`,
//! `SELECT`) and returns one verdict per check.
//!
//! Names reach SQL only as quoted identifiers or escaped string literals. The
//! profile linter already refuses anything but plain identifiers; the generator
//! refuses them again and quotes anyway, so no profile string can become SQL code.

use std::fmt::Write as _;

use warden_profile::ResolvedProfile;
use warden_profile::lints::is_safe_identifier;
use warden_profile::model::{AuthenticationPolicy, PatRoute, PolicyScope, Snowflake};
use warden_profile::snowflake_lints::{
    SNOWFLAKE_MAX_PAT_DAYS, SYSTEM_ROLES, is_valid_pat_name, max_pat_days, policy_scope,
    system_role_match,
};

use crate::CompileError;

/// The three scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlScripts {
    pub preflight: String,
    pub setup: String,
    pub teardown: String,
}

/// `AUTHENTICATION_METHODS` values Snowflake accepts.
pub const POLICY_METHODS: [&str; 8] = [
    "ALL",
    "SAML",
    "OIDC",
    "PASSWORD",
    "OAUTH",
    "KEYPAIR",
    "PROGRAMMATIC_ACCESS_TOKEN",
    "WORKLOAD_IDENTITY",
];

const PAT: &str = "PROGRAMMATIC_ACCESS_TOKEN";

/// Quote one identifier part. A plain identifier is upper-cased first, because that
/// is the object Snowflake resolves it to unquoted; anything else is kept as written
/// with every `"` doubled, so it stays one identifier token whatever it contains.
pub fn quote_identifier(part: &str) -> String {
    if is_safe_identifier(part, false) {
        format!("\"{}\"", part.to_ascii_uppercase())
    } else {
        format!("\"{}\"", part.replace('"', "\"\""))
    }
}

/// A single-quoted string literal: `'` doubled, and `\` and control characters
/// escaped, since Snowflake reads backslash escapes inside string literals.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text for a `--` comment: one line, whatever the input holds.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A plain identifier, refused unless the linter would accept it, then quoted.
fn ident(name: &str) -> Result<String, CompileError> {
    if !is_safe_identifier(name, false) {
        return Err(CompileError::UnsafeIdentifier(name.to_owned()));
    }
    Ok(quote_identifier(name))
}

/// A possibly qualified name (`DB.SCHEMA.NAME`), each part quoted.
fn qualified(name: &str) -> Result<String, CompileError> {
    if !is_safe_identifier(name, true) {
        return Err(CompileError::UnsafeIdentifier(name.to_owned()));
    }
    Ok(name
        .split('.')
        .map(quote_identifier)
        .collect::<Vec<_>>()
        .join("."))
}

/// The name Snowflake stores for a plain identifier (for string-literal uses).
fn stored_name(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// A script assembled step by step.
struct Script {
    text: String,
    step: usize,
}

impl Script {
    fn new(header: &[String]) -> Self {
        let mut text = String::new();
        for line in header {
            if line.is_empty() {
                text.push_str("--\n");
            } else {
                let _ = writeln!(text, "-- {line}");
            }
        }
        Self { text, step: 0 }
    }

    /// One step: a title, why it is done this way, the admin role, the statements.
    fn step(&mut self, title: &str, why: &[&str], role: &str, statements: &[String]) {
        self.step += 1;
        let _ = writeln!(self.text, "\n-- {}. {}", self.step, comment_text(title));
        for line in why {
            let _ = writeln!(self.text, "-- {}", comment_text(line));
        }
        if !role.is_empty() {
            let _ = writeln!(self.text, "USE ROLE {role};");
        }
        for s in statements {
            self.text.push_str(s);
            if !s.ends_with('\n') {
                self.text.push('\n');
            }
        }
    }
}

/// Where a policy applies; a policy scoped to users must name some.
fn scope(policy: &AuthenticationPolicy) -> Result<PolicyScope, CompileError> {
    let scope = policy_scope(policy);
    if scope == PolicyScope::Users && policy.users.is_empty() {
        return Err(CompileError::PolicyWithoutUsers(policy.name.clone()));
    }
    Ok(scope)
}

/// The policy's methods, upper-cased and checked against Snowflake's list.
fn methods(policy: &AuthenticationPolicy) -> Result<Vec<String>, CompileError> {
    policy
        .methods
        .iter()
        .map(|m| {
            let upper = m.trim().to_ascii_uppercase();
            if POLICY_METHODS.contains(&upper.as_str()) {
                Ok(upper)
            } else {
                Err(CompileError::UnknownPolicyMethod {
                    policy: policy.name.clone(),
                    method: m.clone(),
                })
            }
        })
        .collect()
}

fn method_list(methods: &[String]) -> String {
    methods
        .iter()
        .map(|m| string_literal(m))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The marker every object setup creates carries as (the start of) its COMMENT.
pub fn marker(p: &ResolvedProfile) -> String {
    format!("managed by warden: {}", p.identity.id)
}

/// A SQL condition: the `"comment"` column of a SHOW output carries our marker.
fn marked(m: &str) -> String {
    format!(
        "(\"comment\" = {} OR STARTSWITH(\"comment\", {}))",
        string_literal(m),
        string_literal(&format!("{m}; "))
    )
}

/// A schema object: its quoted SQL name and its stored parts, database and schema
/// first (`None` where the name leaves them to the current schema).
struct Obj {
    sql: String,
    db: Option<String>,
    schema: Option<String>,
    name: String,
}

impl Obj {
    fn new(name: &str) -> Result<Self, CompileError> {
        let sql = qualified(name)?;
        let parts: Vec<String> = name.split('.').map(stored_name).collect();
        Ok(match parts.as_slice() {
            [db, schema, n] => Obj {
                sql,
                db: Some(db.clone()),
                schema: Some(schema.clone()),
                name: n.clone(),
            },
            [n] => Obj {
                sql,
                db: None,
                schema: None,
                name: n.clone(),
            },
            _ => return Err(CompileError::InvalidSchemaName(name.to_owned())),
        })
    }

    /// The name as a string literal for `POLICY_REFERENCES(POLICY_NAME => …)`.
    fn literal(&self) -> String {
        match (&self.db, &self.schema) {
            (Some(d), Some(s)) => string_literal(&format!("{d}.{s}.{}", self.name)),
            _ => string_literal(&self.name),
        }
    }

    /// The database's `INFORMATION_SCHEMA`, where `POLICY_REFERENCES` lives.
    fn information_schema(&self) -> Result<String, CompileError> {
        Ok(match &self.db {
            Some(d) => format!("{}.INFORMATION_SCHEMA", ident(d)?),
            None => "INFORMATION_SCHEMA".into(),
        })
    }

    /// A condition on SHOW output selecting exactly this object.
    fn show_filter(&self) -> String {
        let (db, schema) = match (&self.db, &self.schema) {
            (Some(d), Some(s)) => (string_literal(d), string_literal(s)),
            _ => ("CURRENT_DATABASE()".into(), "CURRENT_SCHEMA()".into()),
        };
        format!(
            "\"name\" = {} AND \"database_name\" = {db} AND \"schema_name\" = {schema}",
            string_literal(&self.name)
        )
    }

    fn is_qualified(&self) -> bool {
        self.db.is_some()
    }
}

/// A Snowflake Scripting block, run through `EXECUTE IMMEDIATE` so that Snowsight,
/// the Snowflake CLI and SnowSQL all read it as one statement. The body sits in a
/// `$$` string, so nothing in it may contain `$$`.
fn block(declare: &[String], body: &[String]) -> Result<String, CompileError> {
    let mut inner = String::new();
    if !declare.is_empty() {
        inner.push_str("DECLARE\n");
        for d in declare {
            let _ = writeln!(inner, "  {d}");
        }
    }
    inner.push_str("BEGIN\n");
    for b in body {
        for line in b.lines() {
            let _ = writeln!(inner, "  {line}");
        }
    }
    inner.push_str("END;\n");
    if inner.contains("$$") {
        return Err(CompileError::UnsafeIdentifier(
            "a name or comment containing `$$`".into(),
        ));
    }
    Ok(format!("EXECUTE IMMEDIATE $$\n{inner}$$;"))
}

/// Declarations for [`probe`].
fn probe_vars() -> Vec<String> {
    vec![
        "found INTEGER DEFAULT 0;".into(),
        "ours INTEGER DEFAULT 0;".into(),
    ]
}

/// Statements setting `found` and `ours` (rows carrying our marker) from a SHOW.
fn probe(show: &str, filter: &str, m: &str) -> Vec<String> {
    vec![
        format!("{show};"),
        format!(
            "SELECT COUNT(*), COUNT_IF({}) INTO :found, :ours\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE {filter};",
            marked(m)
        ),
    ]
}

/// An exception declaration with a fixed message.
fn exception(name: &str, code: u32, message: &str) -> String {
    format!(
        "{name} EXCEPTION (-{code}, {});",
        string_literal(&comment_text(message))
    )
}

/// Roles listed in `BLOCKED_ROLES_LIST`: the system roles but PUBLIC, then every
/// forbidden role that is a plain name (patterns cannot be listed).
fn blocked_roles(p: &ResolvedProfile) -> Vec<String> {
    let mut out: Vec<String> = SYSTEM_ROLES
        .iter()
        .filter(|r| **r != "PUBLIC")
        .map(|r| (*r).to_owned())
        .collect();
    for r in &p.policy.roles.forbidden {
        let upper = stored_name(r);
        if is_safe_identifier(r, false) && upper != "PUBLIC" && !out.contains(&upper) {
            out.push(upper);
        }
    }
    out
}

/// The role, refused if it is a system or forbidden role.
fn checked_role(p: &ResolvedProfile, sf: &Snowflake) -> Result<Option<String>, CompileError> {
    let Some(role) = &sf.role else {
        return Ok(None);
    };
    if let Some(what) = system_role_match(role, &p.policy.roles.forbidden) {
        return Err(CompileError::SystemRole {
            role: role.clone(),
            what,
        });
    }
    Ok(Some(ident(role)?))
}

/// Everything the three scripts share.
struct Plan<'a> {
    p: &'a ResolvedProfile,
    sf: &'a Snowflake,
    route: PatRoute,
    marker: String,
    role: Option<String>,
    policies: Vec<PolicyPlan<'a>>,
    network: Option<NetworkPlan>,
    schemas: Vec<(String, String, bool)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    BreakGlass,
    Person,
    Service,
}

struct PolicyPlan<'a> {
    kind: Kind,
    obj: Obj,
    methods: Vec<String>,
    scope: PolicyScope,
    users: Vec<&'a str>,
}

struct NetworkPlan {
    rule: Obj,
    policy: String,
    policy_stored: String,
    ranges: Vec<String>,
}

/// Methods break-glass administrators keep: every interactive and key method, no
/// tokens.
const BREAK_GLASS_METHODS: [&str; 5] = ["PASSWORD", "SAML", "OIDC", "OAUTH", "KEYPAIR"];

impl<'a> Plan<'a> {
    fn new(p: &'a ResolvedProfile, sf: &'a Snowflake) -> Result<Self, CompileError> {
        let route = sf.pat_route.unwrap_or_default();
        let role = checked_role(p, sf)?;
        let mut policies = Vec::new();
        if let Some(person) = &sf.person_policy {
            let scope = scope(person)?;
            if scope == PolicyScope::Account && sf.break_glass_users.is_empty() {
                return Err(CompileError::NoBreakGlass(person.name.clone()));
            }
            if !sf.break_glass_users.is_empty() {
                let name = match &sf.break_glass_policy {
                    Some(n) => n.clone(),
                    None => {
                        let mut parts: Vec<&str> = person.name.split('.').collect();
                        parts.pop();
                        parts.push("BREAK_GLASS");
                        parts.join(".")
                    }
                };
                policies.push(PolicyPlan {
                    kind: Kind::BreakGlass,
                    obj: Obj::new(&name)?,
                    methods: BREAK_GLASS_METHODS
                        .iter()
                        .map(|m| (*m).to_owned())
                        .collect(),
                    scope: PolicyScope::Users,
                    users: sf.break_glass_users.iter().map(String::as_str).collect(),
                });
            }
            let mut list = methods(person)?;
            let has_pat = list.iter().any(|m| m == PAT || m == "ALL");
            match route {
                PatRoute::ServiceUser if has_pat => {
                    return Err(CompileError::PersonPolicyAllowsPat(person.name.clone()));
                }
                PatRoute::PersonUsers if !has_pat => list.push(PAT.into()),
                _ => {}
            }
            policies.push(PolicyPlan {
                kind: Kind::Person,
                obj: Obj::new(&person.name)?,
                methods: list,
                scope,
                users: person.users.iter().map(String::as_str).collect(),
            });
        } else if !sf.break_glass_users.is_empty() {
            return Err(CompileError::BreakGlassWithoutPersonPolicy);
        }
        if let Some(service) = &sf.service_policy {
            let list = methods(service)?;
            if !list.iter().any(|m| m == PAT || m == "ALL") {
                return Err(CompileError::ServicePolicyWithoutPat(service.name.clone()));
            }
            let scope = scope(service)?;
            if scope == PolicyScope::Account && service.confirm_account_wide != Some(true) {
                return Err(CompileError::ServicePolicyAccountWide(service.name.clone()));
            }
            policies.push(PolicyPlan {
                kind: Kind::Service,
                obj: Obj::new(&service.name)?,
                methods: list,
                scope,
                users: service.users.iter().map(String::as_str).collect(),
            });
        }
        let network = match (&sf.network, &sf.service_user) {
            (Some(net), Some(user)) => {
                let rule = Obj::new(&net.rule)?;
                if !rule.is_qualified() {
                    return Err(CompileError::InvalidSchemaName(net.rule.clone()));
                }
                let policy_name = user
                    .network_policy
                    .clone()
                    .unwrap_or_else(|| format!("{}_NETWORK", stored_name(&user.name)));
                for r in &net.allowed_ip_ranges {
                    if !r
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'/')
                    {
                        return Err(CompileError::InvalidIpRange(r.clone()));
                    }
                }
                Some(NetworkPlan {
                    rule,
                    policy: ident(&policy_name)?,
                    policy_stored: stored_name(&policy_name),
                    ranges: net.allowed_ip_ranges.clone(),
                })
            }
            (Some(_), None) => return Err(CompileError::NetworkWithoutServiceUser),
            _ => None,
        };
        let mut schemas: Vec<(String, String, bool)> = Vec::new();
        let objs = policies
            .iter()
            .map(|p| (&p.obj, false))
            .chain(network.iter().map(|n| (&n.rule, true)));
        for (obj, is_rule) in objs {
            if let (Some(d), Some(s)) = (&obj.db, &obj.schema) {
                match schemas.iter_mut().find(|(a, b, _)| a == d && b == s) {
                    Some(e) => e.2 |= is_rule,
                    None => schemas.push((d.clone(), s.clone(), is_rule)),
                }
            }
        }
        if let Some(user) = &sf.service_user {
            if let Some(u) = warden_profile::snowflake_lints::WELL_KNOWN_ADMIN_USERS
                .iter()
                .find(|u| u.eq_ignore_ascii_case(&user.name))
            {
                return Err(CompileError::SystemUser((*u).to_owned()));
            }
            if let Some(pat) = &user.pat_name
                && !is_valid_pat_name(ident(pat)?.trim_matches('"'))
            {
                return Err(CompileError::InvalidPatName(pat.clone()));
            }
            if let Some(days) = user.pat_days_to_expiry
                && (days == 0 || days > max_pat_days(sf).min(SNOWFLAKE_MAX_PAT_DAYS))
            {
                return Err(CompileError::PatLifetime(days));
            }
        }
        Ok(Plan {
            p,
            sf,
            route,
            marker: marker(p),
            role,
            policies,
            network,
            schemas,
        })
    }

    fn marker_lit(&self) -> String {
        string_literal(&self.marker)
    }

    fn id(&self) -> &str {
        &self.p.identity.id
    }

    /// `PAT_POLICY` of the service policy, and of the person policy on the person route.
    fn pat_policy(&self, kind: Kind) -> Option<Vec<String>> {
        let blocked = blocked_roles(self.p)
            .iter()
            .map(|r| string_literal(r))
            .collect::<Vec<_>>()
            .join(", ");
        let max = max_pat_days(self.sf);
        let default = self
            .sf
            .service_user
            .as_ref()
            .and_then(|u| u.pat_days_to_expiry)
            .unwrap_or(max)
            .min(max);
        let mut props = vec!["NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED".to_owned()];
        match kind {
            Kind::Service => {
                props.push("REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = TRUE".into());
            }
            Kind::Person if self.route == PatRoute::PersonUsers => {
                props.push("REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = TRUE".into());
            }
            _ => return None,
        }
        props.push(format!("BLOCKED_ROLES_LIST = ({blocked})"));
        props.push(format!("DEFAULT_EXPIRY_IN_DAYS = {default}"));
        props.push(format!("MAX_EXPIRY_IN_DAYS = {max}"));
        Some(props)
    }

    fn policy_comment(&self, kind: Kind) -> String {
        let what = match kind {
            Kind::BreakGlass => "break-glass administrators",
            Kind::Person => "person users",
            Kind::Service => "service users",
        };
        string_literal(&format!("{}; {what}", self.marker))
    }
}

/// Render the scripts, or `None` when the profile has no `[snowflake]` section.
pub fn render(p: &ResolvedProfile) -> Result<Option<SqlScripts>, CompileError> {
    let Some(sf) = &p.snowflake else {
        return Ok(None);
    };
    let plan = Plan::new(p, sf)?;
    Ok(Some(SqlScripts {
        preflight: preflight(&plan)?,
        setup: setup(&plan)?,
        teardown: teardown(&plan)?,
    }))
}

fn profile_line(p: &ResolvedProfile) -> String {
    format!(
        "Warden profile `{}` (serial {})",
        comment_text(&p.identity.id),
        p.identity.serial
    )
}

const USE_SCHEMA: [&str; 2] = [
    "A policy name is not qualified: it is looked up in the current database and",
    "schema. Run USE SCHEMA <database>.<schema> before this step.",
];

// ---------------------------------------------------------------- preflight

/// One verdict row from a SHOW command's output about one named object.
fn object_check(label: &str, show: &str, filter: &str, m: &str, absent: &str) -> [String; 2] {
    [
        format!("{show};"),
        format!(
            "SELECT {} AS check_name,\n  CASE WHEN COUNT(*) = 0 THEN {}\n       WHEN COUNT_IF({}) > 0 THEN 'OK: exists and is managed by this profile'\n       ELSE 'STOP: exists and is not managed by this profile; setup refuses to change it' END AS verdict\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE {filter};",
            string_literal(&comment_text(label)),
            string_literal(absent),
            marked(m)
        ),
    ]
}

fn preflight(plan: &Plan<'_>) -> Result<String, CompileError> {
    let p = plan.p;
    let sf = plan.sf;
    let m = &plan.marker;
    let header = vec![
        format!("Snowflake preflight for {}.", profile_line(p)),
        "Generated by `warden compile`. Run it BEFORE setup.sql and read every verdict.".into(),
        String::new(),
        "It only reads: SHOW, DESCRIBE and SELECT. Each check returns one row with a".into(),
        "verdict: OK, REVIEW (setup would change something people rely on) or STOP".into(),
        "(setup would refuse, or would harm the account). Checks reading".into(),
        "SNOWFLAKE.ACCOUNT_USAGE lag by up to two hours and need a role that may read it.".into(),
        format!(
            "Objects this profile manages carry COMMENT = '{}'.",
            comment_text(m)
        ),
    ];
    let mut s = Script::new(&header);

    if let Some(role) = &sf.role {
        let r = stored_name(role);
        s.step(
            &format!("Does the role {r} exist, and is it ours?"),
            &[],
            "USERADMIN",
            &object_check(
                &format!("role {r}"),
                &format!("SHOW ROLES LIKE {}", string_literal(&r)),
                &format!("\"name\" = {}", string_literal(&r)),
                m,
                "OK: does not exist; setup creates it",
            ),
        );
    }
    if let Some(user) = &sf.service_user {
        let u = stored_name(&user.name);
        s.step(
            &format!("Does the user {u} exist, and is it ours?"),
            &[
                "Setup makes this user TYPE = SERVICE, which ends password and SSO sign-in:",
                "it refuses any existing user that does not carry the marker.",
            ],
            "USERADMIN",
            &object_check(
                &format!("service user {u}"),
                &format!("SHOW USERS LIKE {}", string_literal(&u)),
                &format!("\"name\" = {}", string_literal(&u)),
                m,
                "OK: does not exist; setup creates it",
            ),
        );
    }
    for pol in &plan.policies {
        let label = format!("authentication policy {}", pol.obj.name);
        let mut why: Vec<&str> = vec![
            "CREATE OR ALTER would unset every property of someone else's policy that",
            "setup does not name, so setup only alters a policy that carries the marker.",
        ];
        if !pol.obj.is_qualified() {
            why.extend(USE_SCHEMA);
        }
        s.step(
            &format!("Does the policy {} exist, and is it ours?", pol.obj.name),
            &why,
            "SECURITYADMIN",
            &object_check(
                &label,
                &format!(
                    "SHOW AUTHENTICATION POLICIES LIKE {} IN ACCOUNT",
                    string_literal(&pol.obj.name)
                ),
                &pol.obj.show_filter(),
                m,
                "OK: does not exist; setup creates it",
            ),
        );
    }

    // Break-glass administrators: they must exist, and no foreign user-level policy
    // may stand in the way of theirs.
    if let Some(bg) = plan.policies.iter().find(|p| p.kind == Kind::BreakGlass) {
        for user in &bg.users {
            let u = stored_name(user);
            s.step(
                &format!("Break-glass administrator {u}: exists, and which user-level policy?"),
                &[
                    "Setup gives this user its own policy before any account-level change;",
                    "another user-level policy makes setup stop.",
                ],
                "SECURITYADMIN",
                &[
                    format!("SHOW USERS LIKE {};", string_literal(&u)),
                    format!(
                        "SELECT {} AS check_name,\n  IFF(COUNT(*) = 0, 'STOP: no such user; a break-glass administrator must exist', 'OK: the user exists') AS verdict\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE \"name\" = {};",
                        string_literal(&format!("break-glass user {u}")),
                        string_literal(&u)
                    ),
                    format!(
                        "SELECT {} AS check_name,\n  CASE WHEN COUNT(*) = 0 THEN 'OK: no user-level authentication policy'\n       WHEN COUNT_IF(policy_name = {}) = COUNT(*) THEN 'OK: already has the break-glass policy'\n       ELSE 'STOP: has another user-level authentication policy: ' || LISTAGG(policy_db || '.' || policy_schema || '.' || policy_name, ', ') END AS verdict\n  FROM SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES\n  WHERE policy_kind = 'AUTHENTICATION_POLICY' AND ref_entity_domain = 'USER'\n    AND ref_entity_name = {};",
                        string_literal(&format!("user-level policy of {u}")),
                        string_literal(&bg.obj.name),
                        string_literal(&u)
                    ),
                ],
            );
        }
    }

    if let Some(person) = plan.policies.iter().find(|p| p.kind == Kind::Person) {
        let bg = plan
            .policies
            .iter()
            .find(|p| p.kind == Kind::BreakGlass)
            .map(|p| p.obj.name.clone())
            .unwrap_or_default();
        if person.scope == PolicyScope::Account {
            s.step(
                "Person users whose own authentication policy escapes the account policy.",
                &[
                    "A user-level policy takes precedence over the account-level one (unless",
                    "FORCE), so these users are not bound by the person policy.",
                ],
                "SECURITYADMIN",
                &[format!(
                    "SELECT 'person users with a user-level authentication policy' AS check_name,\n  IFF(COUNT(*) = 0, 'OK: none',\n      'REVIEW: ' || COUNT(*) || ' escape the account policy: ' || LISTAGG(r.ref_entity_name || ' (' || r.policy_name || ')', ', ')) AS verdict\n  FROM SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES r\n  JOIN SNOWFLAKE.ACCOUNT_USAGE.USERS u ON u.name = r.ref_entity_name AND u.deleted_on IS NULL\n  WHERE r.policy_kind = 'AUTHENTICATION_POLICY' AND r.ref_entity_domain = 'USER'\n    AND COALESCE(u.type, 'PERSON') = 'PERSON'\n    AND r.policy_name <> {};",
                    string_literal(&bg)
                )],
            );
        }
        let tokens_check = match plan.route {
            PatRoute::ServiceUser => format!(
                "SELECT 'person users holding tokens the person policy disables' AS check_name,\n  IFF(COUNT(*) = 0, 'OK: none',\n      'REVIEW: these stop working (Tableau, dbt, scripts...): ' || LISTAGG(DISTINCT c.user_name, ', ')) AS verdict\n  FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS c\n  JOIN SNOWFLAKE.ACCOUNT_USAGE.USERS u ON u.name = c.user_name AND u.deleted_on IS NULL\n  WHERE c.type = 'PAT' AND c.deleted_on IS NULL\n    AND COALESCE(u.type, 'PERSON') = 'PERSON'{};",
                user_filter(person, "c.user_name")
            ),
            PatRoute::PersonUsers => format!(
                "SELECT 'person-user tokens and REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS' AS check_name,\n  IFF(COUNT(*) = 0, 'OK: no person user holds a token',\n      'REVIEW: ' || COUNT(*) || ' person-user tokens exist. Changing REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS from FALSE back to TRUE invalidates every person-user token generated without a role restriction; their owners must mint new ones with ROLE_RESTRICTION: ' || LISTAGG(DISTINCT c.user_name, ', ')) AS verdict\n  FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS c\n  JOIN SNOWFLAKE.ACCOUNT_USAGE.USERS u ON u.name = c.user_name AND u.deleted_on IS NULL\n  WHERE c.type = 'PAT' AND c.deleted_on IS NULL\n    AND COALESCE(u.type, 'PERSON') = 'PERSON'{};",
                user_filter(person, "c.user_name")
            ),
        };
        let why: &[&str] = match plan.route {
            PatRoute::ServiceUser => &[
                "A user whose policy omits PROGRAMMATIC_ACCESS_TOKEN can neither create nor use",
                "tokens: tell their owners, or move those integrations to service users first.",
            ],
            PatRoute::PersonUsers => &[
                "The person policy requires a role restriction: tokens minted without one stop",
                "working when the requirement goes from FALSE to TRUE.",
            ],
        };
        s.step(
            "Person users holding programmatic access tokens.",
            why,
            "SECURITYADMIN",
            &[tokens_check],
        );
    }

    // Future grants in the target databases.
    let mut dbs: Vec<(String, Vec<String>)> = Vec::new();
    for name in &sf.read_schemas {
        if let [db, schema] = name.split('.').collect::<Vec<_>>().as_slice() {
            let (db, schema) = (stored_name(db), stored_name(schema));
            match dbs.iter_mut().find(|(d, _)| *d == db) {
                Some((_, list)) => list.push(schema),
                None => dbs.push((db, vec![schema])),
            }
        }
    }
    for (db, schemas) in &dbs {
        s.step(
            &format!("Future grants in the database {db}."),
            &[
                "A schema-level future grant makes Snowflake ignore every database-level future",
                "grant on the same object type in that schema, for every role. Setup refuses to",
                "add one where database-level future grants exist and the schema has none.",
            ],
            "SECURITYADMIN",
            &[
                format!("SHOW FUTURE GRANTS IN DATABASE {};", ident(db)?),
                format!(
                    "SELECT {} AS check_name,\n  IFF(COUNT(*) = 0, 'OK: no database-level future grants on tables or views',\n      'REVIEW: database-level future grants exist (' || LISTAGG(DISTINCT \"grant_on\" || ' to ' || \"grantee_name\", ', ') || '); setup refuses schema-level future grants in {} unless each schema already has its own') AS verdict\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE \"grant_on\" IN ('TABLE', 'VIEW');",
                    string_literal(&format!("future grants in database {db}")),
                    comment_text(&schemas.join(", ")).replace('\'', "")
                ),
            ],
        );
    }

    // Network policy.
    if let Some(user) = &sf.service_user {
        let u = stored_name(&user.name);
        let (np, created) = match (&plan.network, &user.network_policy) {
            (Some(n), _) => (Some(n.policy_stored.clone()), true),
            (None, Some(np)) => (Some(stored_name(np)), false),
            (None, None) => (None, false),
        };
        match np {
            Some(np) => {
                let absent = if created {
                    "OK: does not exist; setup creates it with its network rule"
                } else {
                    "STOP: does not exist; tokens need a network policy with network rules"
                };
                s.step(
                    &format!("The network policy {np}: does it exist, is it ours, has it rules?"),
                    &[
                        "A token only works for a user subject to a network policy with one or more",
                        "network rules (NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED).",
                    ],
                    "SECURITYADMIN",
                    &[
                        "SHOW NETWORK POLICIES;".into(),
                        format!(
                            "SELECT {} AS check_name,\n  CASE WHEN COUNT(*) = 0 THEN {}\n       WHEN MAX(\"entries_in_allowed_network_rules\") = 0 THEN 'STOP: has no allowed network rules; tokens would not work'\n       WHEN COUNT_IF({}) > 0 THEN 'OK: exists with network rules and is managed by this profile'\n       ELSE {} END AS verdict\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE \"name\" = {};",
                            string_literal(&format!("network policy {np}")),
                            string_literal(absent),
                            marked(m),
                            if created {
                                "'STOP: exists and is not managed by this profile; setup refuses to change it'"
                            } else {
                                "'OK: exists with network rules'"
                            },
                            string_literal(&np)
                        ),
                    ],
                );
            }
            None => s.step(
                &format!("Is {u} subject to a network policy?"),
                &[
                    "The profile names no network policy: the account's must cover the user,",
                    "with one or more network rules.",
                ],
                "SECURITYADMIN",
                &[
                    "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN ACCOUNT;".into(),
                    "SELECT 'account network policy' AS check_name,\n  IFF(MAX(\"value\") IS NULL OR MAX(\"value\") = '', 'STOP: no account network policy and none in the profile; tokens would not work', 'REVIEW: the account network policy ' || MAX(\"value\") || ' must have network rules that admit the service user') AS verdict\n  FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));".into(),
                ],
            ),
        }
    }
    Ok(s.text)
}

/// ` AND <col> IN (…)` for a policy scoped to users; empty for an account-wide one.
fn user_filter(policy: &PolicyPlan<'_>, col: &str) -> String {
    if policy.scope == PolicyScope::Account {
        return String::new();
    }
    let list = policy
        .users
        .iter()
        .map(|u| string_literal(&stored_name(u)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("\n    AND {col} IN ({list})")
}

// ---------------------------------------------------------------- setup

/// A block creating an object only if it is absent or ours.
fn guarded_create(
    show: &str,
    filter: &str,
    m: &str,
    refusal: &str,
    statements: &[String],
) -> Result<String, CompileError> {
    let mut declare = probe_vars();
    declare.push(exception("not_ours", 20001, refusal));
    let mut body = probe(show, filter, m);
    body.push("IF (found > 0 AND ours = 0) THEN\n  RAISE not_ours;\nEND IF;".into());
    body.extend(statements.iter().cloned());
    body.push("RETURN 'done';".into());
    block(&declare, &body)
}

/// A block attaching an authentication policy to one user: skipped when ours is
/// attached, refused when another one is.
fn guarded_user_attach(pol: &Obj, user: &str) -> Result<String, CompileError> {
    let u = stored_name(user);
    let declare = vec![
        "ours INTEGER DEFAULT 0;".into(),
        "other INTEGER DEFAULT 0;".into(),
        exception(
            "other_policy",
            20002,
            &format!(
                "user {u} already has another authentication policy; review it (preflight.sql) and unset it yourself"
            ),
        ),
    ];
    let (db, schema) = match (&pol.db, &pol.schema) {
        (Some(d), Some(s)) => (string_literal(d), string_literal(s)),
        _ => ("CURRENT_DATABASE()".into(), "CURRENT_SCHEMA()".into()),
    };
    let body = vec![
        format!(
            "SELECT COUNT_IF(policy_db = {db} AND policy_schema = {schema} AND policy_name = {name}),\n       COUNT_IF(NOT (policy_db = {db} AND policy_schema = {schema} AND policy_name = {name}))\n  INTO :ours, :other\n  FROM TABLE({is}.POLICY_REFERENCES(REF_ENTITY_NAME => {user}, REF_ENTITY_DOMAIN => 'USER'))\n  WHERE policy_kind = 'AUTHENTICATION_POLICY';",
            name = string_literal(&pol.name),
            is = pol.information_schema()?,
            user = string_literal(&u),
        ),
        "IF (ours > 0) THEN\n  RETURN 'skipped: already attached';\nEND IF;".into(),
        "IF (other > 0) THEN\n  RAISE other_policy;\nEND IF;".into(),
        format!(
            "ALTER USER {} SET AUTHENTICATION POLICY {};",
            ident(user)?,
            pol.sql
        ),
        "RETURN 'attached';".into(),
    ];
    block(&declare, &body)
}

/// A block attaching a policy account-wide for one user type, skipped when ours is
/// already attached to the account. Snowflake itself refuses when another policy
/// is set for these users.
fn guarded_account_attach(pol: &Obj, target: &str) -> Result<String, CompileError> {
    let body = vec![
        format!(
            "SELECT COUNT(*) INTO :ours\n  FROM TABLE({}.POLICY_REFERENCES(POLICY_NAME => {}))\n  WHERE ref_entity_domain = 'ACCOUNT';",
            pol.information_schema()?,
            pol.literal()
        ),
        "IF (ours > 0) THEN\n  RETURN 'skipped: already attached to the account';\nEND IF;".into(),
        format!(
            "ALTER ACCOUNT SET AUTHENTICATION POLICY {} FOR ALL {target} USERS;",
            pol.sql
        ),
        "RETURN 'attached';".into(),
    ];
    block(&["ours INTEGER DEFAULT 0;".into()], &body)
}

fn setup(plan: &Plan<'_>) -> Result<String, CompileError> {
    let p = plan.p;
    let sf = plan.sf;
    let m = &plan.marker;
    let ml = plan.marker_lit();
    let role = plan.role.as_deref();
    let has_grants =
        !sf.warehouses.is_empty() || !sf.databases.is_empty() || !sf.read_schemas.is_empty();
    if role.is_none() && has_grants {
        return Err(CompileError::GrantsWithoutRole);
    }
    if role.is_none() && sf.service_user.is_some() {
        return Err(CompileError::ServiceUserWithoutRole);
    }
    let mints_token = sf
        .service_user
        .as_ref()
        .is_some_and(|u| u.pat_name.is_some());

    let mut header = vec![
        format!("Snowflake setup for {}.", profile_line(p)),
        "Generated by `warden compile`: change the profile, not this file.".into(),
        String::new(),
        "Run preflight.sql first and resolve every STOP. Do not try this first on a".into(),
        "production account: run it on a test account, check every step, then run it".into(),
        "on production. Each step switches to the least-privileged administrative role".into(),
        "that can perform it (USERADMIN, SYSADMIN, SECURITYADMIN); ACCOUNTADMIN is never".into(),
        "needed.".into(),
        String::new(),
        "Safe to re-run: every object it creates carries".into(),
        format!(
            "COMMENT = '{}'; an existing object without that marker",
            comment_text(m)
        ),
        "makes it stop instead of changing the object, and a policy already attached".into(),
        "is skipped. The blocks are Snowflake Scripting run with EXECUTE IMMEDIATE.".into(),
    ];
    if mints_token {
        header.extend([
            String::new(),
            "The programmatic access token secret is shown ONCE, in the output of the".into(),
            "last step. Store it in a secret manager at once; it cannot be shown again.".into(),
        ]);
    }
    let mut s = Script::new(&header);

    // Where the policies and the network rule live.
    if !plan.schemas.is_empty() {
        let mut prep = Vec::new();
        for (db, schema, rule) in &plan.schemas {
            let db_q = ident(db)?;
            let schema_q = format!("{db_q}.{}", ident(schema)?);
            prep.push(format!(
                "CREATE DATABASE IF NOT EXISTS {db_q}\n  COMMENT = {ml};"
            ));
            prep.push(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema_q}\n  COMMENT = {ml};"
            ));
            prep.push(format!(
                "GRANT USAGE ON DATABASE {db_q} TO ROLE SECURITYADMIN;"
            ));
            prep.push(format!(
                "GRANT USAGE ON SCHEMA {schema_q} TO ROLE SECURITYADMIN;"
            ));
            prep.push(format!(
                "GRANT CREATE AUTHENTICATION POLICY ON SCHEMA {schema_q} TO ROLE SECURITYADMIN;"
            ));
            if *rule {
                prep.push(format!(
                    "GRANT CREATE NETWORK RULE ON SCHEMA {schema_q} TO ROLE SECURITYADMIN;"
                ));
            }
        }
        s.step(
            "A schema for the authentication policies.",
            &[
                "SYSADMIN creates it if needed and lets SECURITYADMIN create policies there;",
                "if another role owns the database, run this step as that role.",
            ],
            "SYSADMIN",
            &prep,
        );
    }

    if let (Some(role), Some(raw_role)) = (role, &sf.role) {
        let r = stored_name(raw_role);
        s.step(
            "The least-privileged role Cortex Code connections use.",
            &[
                "USERADMIN creates roles and will own this one. An existing role without the",
                "marker is someone else's: the block stops rather than adopt it.",
            ],
            "USERADMIN",
            &[guarded_create(
                &format!("SHOW ROLES LIKE {}", string_literal(&r)),
                &format!("\"name\" = {}", string_literal(&r)),
                m,
                &format!(
                    "role {r} exists and is not managed by warden profile {}",
                    plan.id()
                ),
                &[format!(
                    "CREATE ROLE IF NOT EXISTS {role}\n  COMMENT = {ml};"
                )],
            )?],
        );
        s.step(
            "Place the role under SYSADMIN, as Snowflake recommends for custom roles.",
            &["Granting roles to roles is SECURITYADMIN's job."],
            "SECURITYADMIN",
            &[format!("GRANT ROLE {role} TO ROLE SYSADMIN;")],
        );

        if has_grants {
            let mut grants = Vec::new();
            for w in &sf.warehouses {
                grants.push(format!(
                    "GRANT USAGE ON WAREHOUSE {} TO ROLE {role};",
                    ident(w)?
                ));
            }
            let mut databases: Vec<&str> = Vec::new();
            let mut schemas = Vec::new();
            for d in &sf.databases {
                if !databases.iter().any(|x| x.eq_ignore_ascii_case(d)) {
                    databases.push(d);
                }
            }
            for name in &sf.read_schemas {
                let parts: Vec<&str> = name.split('.').collect();
                let [db, schema] = parts.as_slice() else {
                    return Err(CompileError::InvalidSchemaName(name.clone()));
                };
                if !databases.iter().any(|x| x.eq_ignore_ascii_case(db)) {
                    databases.push(db);
                }
                schemas.push((stored_name(db), stored_name(schema), qualified(name)?));
            }
            for d in &databases {
                grants.push(format!(
                    "GRANT USAGE ON DATABASE {} TO ROLE {role};",
                    ident(d)?
                ));
            }
            for (_, _, schema) in &schemas {
                grants.push(format!("GRANT USAGE ON SCHEMA {schema} TO ROLE {role};"));
                grants.push(format!(
                    "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO ROLE {role};"
                ));
                grants.push(format!(
                    "GRANT SELECT ON ALL VIEWS IN SCHEMA {schema} TO ROLE {role};"
                ));
            }
            s.step(
                "Usage and read access for the role, and nothing more.",
                &[
                    "SYSADMIN usually owns warehouses and databases, and an owner can grant on",
                    "its objects. If another role owns them, run this step as that role.",
                ],
                "SYSADMIN",
                &grants,
            );
            for (db, schema, schema_q) in &schemas {
                let mut body = Vec::new();
                for (kind, plural) in [("TABLE", "TABLES"), ("VIEW", "VIEWS")] {
                    body.extend([
                        format!("SHOW FUTURE GRANTS IN DATABASE {};", ident(db)?),
                        format!(
                            "SELECT COUNT(*) INTO :in_database FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE \"grant_on\" = '{kind}';"
                        ),
                        format!("SHOW FUTURE GRANTS IN SCHEMA {schema_q};"),
                        format!(
                            "SELECT COUNT(*) INTO :in_schema FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n  WHERE \"grant_on\" = '{kind}';"
                        ),
                        "IF (in_database > 0 AND in_schema = 0) THEN\n  RAISE would_cancel;\nEND IF;".into(),
                        format!(
                            "GRANT SELECT ON FUTURE {plural} IN SCHEMA {schema_q} TO ROLE {role};"
                        ),
                    ]);
                }
                body.push("RETURN 'granted';".into());
                s.step(
                    &format!("Tables and views created later in {db}.{schema} stay readable."),
                    &[
                        "Future grants need MANAGE GRANTS, which SECURITYADMIN holds. A schema-level",
                        "future grant makes Snowflake ignore the database-level future grants of",
                        "every role on that schema, so the block stops where database-level ones",
                        "exist and the schema has none: copy them to the schema first, or grant",
                        "SELECT on new objects another way.",
                    ],
                    "SECURITYADMIN",
                    &[block(
                        &[
                            "in_database INTEGER DEFAULT 0;".into(),
                            "in_schema INTEGER DEFAULT 0;".into(),
                            exception(
                                "would_cancel",
                                20003,
                                &format!("database {db} has future grants that a schema-level future grant on {db}.{schema} would cancel; see preflight.sql"),
                            ),
                        ],
                        &body,
                    )?],
                );
            }
        }

        if let Some(user) = &sf.service_user {
            let u = ident(&user.name)?;
            let us = stored_name(&user.name);
            let user_comment = match &user.comment {
                Some(c) => string_literal(&format!("{m}; {c}")),
                None => ml.clone(),
            };
            let mut props = vec![
                "  TYPE = SERVICE".to_owned(),
                format!("  DEFAULT_ROLE = {role}"),
            ];
            if let Some(w) = sf.warehouses.first() {
                props.push(format!("  DEFAULT_WAREHOUSE = {}", ident(w)?));
            }
            props.push("  DEFAULT_SECONDARY_ROLES = ()".into());
            props.push(format!("  COMMENT = {user_comment}"));
            s.step(
                "A service user for Cortex Code.",
                &[
                    "TYPE = SERVICE users cannot log in with a password or SSO and cannot enroll",
                    "in MFA; no secondary roles, so only the granted role ever applies.",
                    "USERADMIN creates users and will own this one. An existing user without the",
                    "marker may be a person: the block stops rather than turn it into a service.",
                ],
                "USERADMIN",
                &[guarded_create(
                    &format!("SHOW USERS LIKE {}", string_literal(&us)),
                    &format!("\"name\" = {}", string_literal(&us)),
                    m,
                    &format!("user {us} exists and is not managed by warden profile {}; it is left unchanged", plan.id()),
                    &[
                        format!(
                            "CREATE USER IF NOT EXISTS {u}\n  TYPE = SERVICE\n  COMMENT = {user_comment};"
                        ),
                        format!("ALTER USER {u} SET\n{};", props.join("\n")),
                    ],
                )?],
            );
            let mut stmts = vec![format!("GRANT ROLE {role} TO USER {u};")];
            let mut why = vec![
                "The role must be granted before a token can be restricted to it.",
                "SECURITYADMIN grants roles to users.",
            ];
            match (&plan.network, &user.network_policy) {
                (Some(_), _) => why.push("Its network policy is attached in the next step."),
                (None, Some(np)) => {
                    stmts.push(format!("ALTER USER {u} SET NETWORK_POLICY = {};", ident(np)?));
                    why.push("Tokens need a network policy: the named one must already exist.");
                }
                (None, None) => why.push(
                    "Tokens need a network policy: make sure the account's policy covers this user.",
                ),
            }
            s.step(
                "The service user holds the one role and nothing else.",
                &why,
                "SECURITYADMIN",
                &stmts,
            );

            if let Some(net) = &plan.network {
                let ranges = net
                    .ranges
                    .iter()
                    .map(|r| string_literal(r))
                    .collect::<Vec<_>>()
                    .join(", ");
                let rule_lit = net.rule.literal();
                s.step(
                    "A network rule and policy: the service user connects only from these ranges.",
                    &[
                        "A token only works for a user subject to a network policy with network",
                        "rules. SECURITYADMIN creates network policies and attaches them; an existing",
                        "rule or policy without the marker makes the block stop.",
                    ],
                    "SECURITYADMIN",
                    &[
                        guarded_create(
                            &format!(
                                "SHOW NETWORK RULES LIKE {} IN SCHEMA {}.{}",
                                string_literal(&net.rule.name),
                                ident(net.rule.db.as_deref().unwrap_or_default())?,
                                ident(net.rule.schema.as_deref().unwrap_or_default())?
                            ),
                            &net.rule.show_filter(),
                            m,
                            &format!("network rule {} exists and is not managed by warden profile {}", net.rule.name, plan.id()),
                            &[
                                format!(
                                    "CREATE NETWORK RULE IF NOT EXISTS {}\n  TYPE = IPV4\n  MODE = INGRESS\n  VALUE_LIST = ({ranges})\n  COMMENT = {ml};",
                                    net.rule.sql
                                ),
                                format!("ALTER NETWORK RULE {} SET VALUE_LIST = ({ranges});", net.rule.sql),
                            ],
                        )?,
                        guarded_create(
                            "SHOW NETWORK POLICIES",
                            &format!("\"name\" = {}", string_literal(&net.policy_stored)),
                            m,
                            &format!("network policy {} exists and is not managed by warden profile {}", net.policy_stored, plan.id()),
                            &[
                                format!(
                                    "CREATE NETWORK POLICY IF NOT EXISTS {}\n  ALLOWED_NETWORK_RULE_LIST = ({rule_lit})\n  COMMENT = {ml};",
                                    net.policy
                                ),
                                format!(
                                    "ALTER NETWORK POLICY {} SET ALLOWED_NETWORK_RULE_LIST = ({rule_lit});",
                                    net.policy
                                ),
                            ],
                        )?,
                        format!("ALTER USER {u} SET NETWORK_POLICY = {};", net.policy),
                    ],
                );
            }
        }
    }

    // Authentication policies: the break-glass one is created and attached before
    // any account-level change.
    for pol in &plan.policies {
        let mut why: Vec<&str> = match pol.kind {
            Kind::BreakGlass => vec![
                "Break-glass administrators keep password, SSO and key sign-in whatever the",
                "account-level person policy says: a user-level policy takes precedence. It is",
                "attached before any account-level change, so a mistake cannot lock them out.",
            ],
            Kind::Person if plan.route == PatRoute::PersonUsers => vec![
                "Person users may mint tokens, but only restricted to a role they hold",
                "(REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS) and never to a blocked role.",
                "Changing that requirement from FALSE to TRUE invalidates person-user tokens",
                "minted without a role restriction (see preflight.sql).",
            ],
            Kind::Person => vec![
                "A person can mint a token without a role restriction, which would side-step",
                "the single role, so person users get no tokens at all. Their existing tokens",
                "stop working (see preflight.sql).",
            ],
            Kind::Service => vec![
                "ENFORCED_REQUIRED: a token works only for a user under a network policy;",
                "role restriction stays mandatory and the admin roles are blocked.",
            ],
        };
        why.push("SECURITYADMIN creates and applies policies. An existing policy without the");
        why.push("marker is never altered: CREATE OR ALTER would unset what it does not name.");
        if !pol.obj.is_qualified() {
            why.extend(USE_SCHEMA);
        }
        let mut def = format!(
            "CREATE OR ALTER AUTHENTICATION POLICY {}\n  AUTHENTICATION_METHODS = ({})",
            pol.obj.sql,
            method_list(&pol.methods)
        );
        if let Some(props) = plan.pat_policy(pol.kind) {
            let _ = write!(def, "\n  PAT_POLICY = (\n    {}\n  )", props.join("\n    "));
        }
        let _ = write!(def, "\n  COMMENT = {};", plan.policy_comment(pol.kind));
        let mut stmts = vec![guarded_create(
            &format!(
                "SHOW AUTHENTICATION POLICIES LIKE {} IN ACCOUNT",
                string_literal(&pol.obj.name)
            ),
            &pol.obj.show_filter(),
            m,
            &format!(
                "authentication policy {} exists and is not managed by warden profile {}",
                pol.obj.name,
                plan.id()
            ),
            &[def],
        )?];
        match pol.scope {
            PolicyScope::Account => {
                let target = if pol.kind == Kind::Service {
                    "SERVICE"
                } else {
                    "PERSON"
                };
                why.push(
                    "Attaching is skipped when this policy is already on the account; Snowflake",
                );
                why.push("refuses when another policy is set for these users: review it yourself.");
                why.push("FORCE is never used: it would override the break-glass policy.");
                stmts.push(guarded_account_attach(&pol.obj, target)?);
            }
            PolicyScope::Users => {
                why.push("Attaching is skipped where this policy is already set and stops where");
                why.push("another user-level policy is.");
                for user in &pol.users {
                    stmts.push(guarded_user_attach(&pol.obj, user)?);
                }
            }
        }
        let title = match pol.kind {
            Kind::BreakGlass => "Break-glass administrators keep their interactive sign-in.",
            Kind::Person if plan.route == PatRoute::PersonUsers => {
                "Person users may only mint tokens restricted to a role, never an admin role."
            }
            Kind::Person => "Person users cannot create or use programmatic access tokens.",
            Kind::Service => {
                "Service users authenticate with tokens under network policy evaluation."
            }
        };
        s.step(title, &why, "SECURITYADMIN", &stmts);
    }

    if let (Some(user), Some(raw_role)) = (&sf.service_user, &sf.role)
        && let Some(pat) = &user.pat_name
    {
        let u = ident(&user.name)?;
        let token = ident(pat)?;
        let mut stmt = format!(
            "ALTER USER {u} ADD PROGRAMMATIC ACCESS TOKEN IF NOT EXISTS {token}\n  ROLE_RESTRICTION = {}",
            string_literal(&stored_name(raw_role))
        );
        if let Some(days) = user.pat_days_to_expiry {
            let _ = write!(stmt, "\n  DAYS_TO_EXPIRY = {days}");
        }
        let _ = write!(stmt, "\n  COMMENT = {ml};");
        s.step(
            "The token Cortex Code uses, restricted to the role and expiring.",
            &[
                "The user's owner (USERADMIN) may add tokens. The secret is in this",
                "statement's output and is shown once; a re-run leaves an existing token of",
                "this name alone. Rotate it with",
                &format!("ALTER USER {u} ROTATE PROGRAMMATIC ACCESS TOKEN {token};"),
                &format!("Audit tokens with SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER {u};"),
            ],
            "USERADMIN",
            &[stmt],
        );
    }
    Ok(s.text)
}

// ---------------------------------------------------------------- teardown

/// A block running `statements` only when the SHOW finds our object; anything else
/// is reported and left alone.
fn guarded_remove(
    show: &str,
    filter: &str,
    m: &str,
    what: &str,
    statements: &[String],
) -> Result<String, CompileError> {
    let mut body = probe(show, filter, m);
    body.push(format!(
        "IF (found = 0) THEN\n  RETURN {};\nEND IF;",
        string_literal(&format!("skipped: {what} does not exist"))
    ));
    body.push(format!(
        "IF (ours = 0) THEN\n  RETURN {};\nEND IF;",
        string_literal(&format!(
            "left alone: {what} is not managed by this profile"
        ))
    ));
    body.extend(statements.iter().cloned());
    body.push("RETURN 'removed';".into());
    block(&probe_vars(), &body)
}

fn teardown(plan: &Plan<'_>) -> Result<String, CompileError> {
    let p = plan.p;
    let sf = plan.sf;
    let m = &plan.marker;
    let header = vec![
        format!("Snowflake teardown for {}.", profile_line(p)),
        "Generated by `warden compile`. It removes only objects that carry".into(),
        format!(
            "COMMENT = '{}' and reports the others as left alone.",
            comment_text(m)
        ),
        "Order: the service user first (its tokens go with it), its network policy, the".into(),
        "role (its grants go with it), the service policy, the person policy, and the".into(),
        "break-glass policy last, so administrators keep their sign-in throughout.".into(),
        "Warehouses, databases, schemas and data are left alone; the grants setup gave".into(),
        "SECURITYADMIN on a policy schema it created are revoked.".into(),
        String::new(),
        "Do not try this first on a production account. Run it step by step.".into(),
    ];
    let mut s = Script::new(&header);

    if let Some(user) = &sf.service_user {
        let us = stored_name(&user.name);
        s.step(
            "Drop the service user; its tokens go with it.",
            &["USERADMIN owns the user."],
            "USERADMIN",
            &[guarded_remove(
                &format!("SHOW USERS LIKE {}", string_literal(&us)),
                &format!("\"name\" = {}", string_literal(&us)),
                m,
                &format!("user {us}"),
                &[format!("DROP USER IF EXISTS {};", ident(&user.name)?)],
            )?],
        );
        if let Some(net) = &plan.network {
            s.step(
                "Drop the network policy and its rule.",
                &["The user that held the policy is gone. SECURITYADMIN created both."],
                "SECURITYADMIN",
                &[
                    guarded_remove(
                        "SHOW NETWORK POLICIES",
                        &format!("\"name\" = {}", string_literal(&net.policy_stored)),
                        m,
                        &format!("network policy {}", net.policy_stored),
                        &[format!("DROP NETWORK POLICY IF EXISTS {};", net.policy)],
                    )?,
                    guarded_remove(
                        &format!(
                            "SHOW NETWORK RULES LIKE {} IN SCHEMA {}.{}",
                            string_literal(&net.rule.name),
                            ident(net.rule.db.as_deref().unwrap_or_default())?,
                            ident(net.rule.schema.as_deref().unwrap_or_default())?
                        ),
                        &net.rule.show_filter(),
                        m,
                        &format!("network rule {}", net.rule.name),
                        &[format!("DROP NETWORK RULE IF EXISTS {};", net.rule.sql)],
                    )?,
                ],
            );
        }
    }
    if let Some(role) = &sf.role {
        let r = stored_name(role);
        s.step(
            "Drop the role; its grants and future grants go with it.",
            &["USERADMIN owns the role."],
            "USERADMIN",
            &[guarded_remove(
                &format!("SHOW ROLES LIKE {}", string_literal(&r)),
                &format!("\"name\" = {}", string_literal(&r)),
                m,
                &format!("role {r}"),
                &[format!("DROP ROLE IF EXISTS {};", ident(role)?)],
            )?],
        );
    }

    let order = [Kind::Service, Kind::Person, Kind::BreakGlass];
    for kind in order {
        let Some(pol) = plan.policies.iter().find(|p| p.kind == kind) else {
            continue;
        };
        let mut detach = Vec::new();
        match pol.scope {
            PolicyScope::Account => {
                let target = if kind == Kind::Service {
                    "SERVICE"
                } else {
                    "PERSON"
                };
                detach.push(format!(
                    "SELECT COUNT(*) INTO :found\n  FROM TABLE({}.POLICY_REFERENCES(POLICY_NAME => {}))\n  WHERE ref_entity_domain = 'ACCOUNT';",
                    pol.obj.information_schema()?,
                    pol.obj.literal()
                ));
                detach.push(format!(
                    "IF (found > 0) THEN\n  ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL {target} USERS;\nEND IF;"
                ));
            }
            PolicyScope::Users => {
                for user in &pol.users {
                    detach.push(format!(
                        "SELECT COUNT(*) INTO :found\n  FROM TABLE({}.POLICY_REFERENCES(REF_ENTITY_NAME => {}, REF_ENTITY_DOMAIN => 'USER'))\n  WHERE policy_kind = 'AUTHENTICATION_POLICY' AND policy_name = {};",
                        pol.obj.information_schema()?,
                        string_literal(&stored_name(user)),
                        string_literal(&pol.obj.name)
                    ));
                    detach.push(format!(
                        "IF (found > 0) THEN\n  ALTER USER IF EXISTS {} UNSET AUTHENTICATION POLICY;\nEND IF;",
                        ident(user)?
                    ));
                }
            }
        }
        detach.push(format!(
            "DROP AUTHENTICATION POLICY IF EXISTS {};",
            pol.obj.sql
        ));
        let title = match kind {
            Kind::Service => "Detach and drop the service policy.",
            Kind::Person => "Detach and drop the person policy.",
            Kind::BreakGlass => "Detach and drop the break-glass policy, last.",
        };
        let mut why = vec![
            "Only our policy is detached: the block looks it up in POLICY_REFERENCES and",
            "leaves any other policy set for the account or a user alone. SECURITYADMIN",
            "created it.",
        ];
        if !pol.obj.is_qualified() {
            why.extend(USE_SCHEMA);
        }
        s.step(
            title,
            &why,
            "SECURITYADMIN",
            &[guarded_remove(
                &format!(
                    "SHOW AUTHENTICATION POLICIES LIKE {} IN ACCOUNT",
                    string_literal(&pol.obj.name)
                ),
                &pol.obj.show_filter(),
                m,
                &format!("authentication policy {}", pol.obj.name),
                &detach,
            )?],
        );
    }

    if !plan.schemas.is_empty() {
        let mut stmts = Vec::new();
        for (db, schema, rule) in &plan.schemas {
            let db_q = ident(db)?;
            let schema_q = format!("{db_q}.{}", ident(schema)?);
            let mut revokes = vec![format!(
                "REVOKE CREATE AUTHENTICATION POLICY ON SCHEMA {schema_q} FROM ROLE SECURITYADMIN;"
            )];
            if *rule {
                revokes.push(format!(
                    "REVOKE CREATE NETWORK RULE ON SCHEMA {schema_q} FROM ROLE SECURITYADMIN;"
                ));
            }
            stmts.push(guarded_remove(
                &format!("SHOW DATABASES LIKE {}", string_literal(db)),
                &format!("\"name\" = {}", string_literal(db)),
                m,
                &format!("database {db}"),
                &revokes,
            )?);
        }
        s.step(
            "Revoke what setup granted SECURITYADMIN on the policy schema.",
            &[
                "Only where setup created the database (it carries the marker). The database",
                "and schema stay: drop them yourself once they are empty.",
            ],
            "SYSADMIN",
            &stmts,
        );
    }
    Ok(s.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_are_upper_cased_and_quoted() {
        assert_eq!(quote_identifier("cortex_role"), "\"CORTEX_ROLE\"");
        assert_eq!(qualified("db.s.p").unwrap(), "\"DB\".\"S\".\"P\"");
    }

    #[test]
    fn string_literals_escape_quotes_backslashes_and_newlines() {
        assert_eq!(string_literal("it's"), "'it''s'");
        assert_eq!(string_literal("a\\b"), "'a\\\\b'");
        assert_eq!(string_literal("a\n-- x"), "'a\\n-- x'");
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment_text("a\nDROP ROLE x;"), "a DROP ROLE x;");
    }
}
