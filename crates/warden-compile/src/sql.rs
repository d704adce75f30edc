//! `snowflake/setup.sql` and `snowflake/teardown.sql`: the server-side boundary.
//!
//! The single-role pattern: a least-privileged role, a `TYPE = SERVICE` user holding
//! only that role, authentication policies that keep person users away from
//! programmatic access tokens and require network policy evaluation for service
//! users, and a token restricted to the role. Each step runs under the
//! least-privileged administrative role that can perform it and says why.
//!
//! Names reach SQL only as quoted identifiers or escaped string literals. The
//! profile linter already refuses anything but plain identifiers; the generator
//! refuses them again and quotes anyway, so no profile string can become SQL code.

use std::fmt::Write as _;

use warden_profile::ResolvedProfile;
use warden_profile::lints::is_safe_identifier;
use warden_profile::model::{AuthenticationPolicy, PolicyScope, Snowflake};

use crate::CompileError;

/// The two scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlScripts {
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
        let _ = writeln!(self.text, "USE ROLE {role};");
        for s in statements {
            self.text.push_str(s);
            if !s.ends_with('\n') {
                self.text.push('\n');
            }
        }
    }
}

/// Where a policy applies, with the default: listed users if any, else account-wide.
fn scope(policy: &AuthenticationPolicy) -> Result<PolicyScope, CompileError> {
    let scope = policy.apply_to.unwrap_or(if policy.users.is_empty() {
        PolicyScope::Account
    } else {
        PolicyScope::Users
    });
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

/// Render both scripts, or `None` when the profile has no `[snowflake]` section.
pub fn render(p: &ResolvedProfile) -> Result<Option<SqlScripts>, CompileError> {
    let Some(sf) = &p.snowflake else {
        return Ok(None);
    };
    Ok(Some(SqlScripts {
        setup: setup(p, sf)?,
        teardown: teardown(p, sf)?,
    }))
}

fn profile_line(p: &ResolvedProfile) -> String {
    format!(
        "Warden profile `{}` (serial {})",
        comment_text(&p.identity.id),
        p.identity.serial
    )
}

fn setup(p: &ResolvedProfile, sf: &Snowflake) -> Result<String, CompileError> {
    let role = sf.role.as_deref().map(ident).transpose()?;
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
        "Do not try this first on a production account. Run it on a test account,".into(),
        "check every step, then run it on production.".into(),
        "Run it step by step: each step switches to the least-privileged".into(),
        "administrative role that can perform it (USERADMIN, SYSADMIN, SECURITYADMIN).".into(),
    ];
    if mints_token {
        header.extend([
            "The programmatic access token secret is shown ONCE, in the output of the".into(),
            "last step. Store it in a secret manager at once; it cannot be shown again.".into(),
        ]);
    }
    let mut s = Script::new(&header);
    let comment = string_literal(&format!("Cortex Code, Warden profile {}", p.identity.id));

    if let Some(role) = &role {
        s.step(
            "The least-privileged role Cortex Code connections use.",
            &["USERADMIN creates roles and will own this one."],
            "USERADMIN",
            &[format!(
                "CREATE ROLE IF NOT EXISTS {role}\n  COMMENT = {comment};"
            )],
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
                let [db, _schema] = parts.as_slice() else {
                    return Err(CompileError::InvalidSchemaName(name.clone()));
                };
                if !databases.iter().any(|x| x.eq_ignore_ascii_case(db)) {
                    databases.push(db);
                }
                schemas.push(qualified(name)?);
            }
            for d in &databases {
                grants.push(format!(
                    "GRANT USAGE ON DATABASE {} TO ROLE {role};",
                    ident(d)?
                ));
            }
            for schema in &schemas {
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
            if !schemas.is_empty() {
                let future: Vec<String> = schemas
                    .iter()
                    .flat_map(|schema| {
                        [
                            format!(
                                "GRANT SELECT ON FUTURE TABLES IN SCHEMA {schema} TO ROLE {role};"
                            ),
                            format!(
                                "GRANT SELECT ON FUTURE VIEWS IN SCHEMA {schema} TO ROLE {role};"
                            ),
                        ]
                    })
                    .collect();
                s.step(
                    "Tables and views created later in these schemas stay readable.",
                    &["Future grants need MANAGE GRANTS, which SECURITYADMIN holds."],
                    "SECURITYADMIN",
                    &future,
                );
            }
        }

        if let Some(user) = &sf.service_user {
            let u = ident(&user.name)?;
            let user_comment = match &user.comment {
                Some(c) => string_literal(c),
                None => comment.clone(),
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
                    "USERADMIN creates users and will own this one. The ALTER makes a re-run",
                    "bring an existing user to the same settings.",
                ],
                "USERADMIN",
                &[
                    format!("CREATE USER IF NOT EXISTS {u}\n  TYPE = SERVICE\n  COMMENT = {user_comment};"),
                    format!("ALTER USER {u} SET\n{};", props.join("\n")),
                ],
            );
            let mut stmts = vec![format!("GRANT ROLE {role} TO USER {u};")];
            let mut why = vec![
                "The role must be granted before a token can be restricted to it.",
                "SECURITYADMIN grants roles to users.",
            ];
            match &user.network_policy {
                Some(np) => {
                    stmts.push(format!("ALTER USER {u} SET NETWORK_POLICY = {};", ident(np)?));
                    why.push("Tokens need a network policy: the named one must already exist.");
                }
                None => why.push(
                    "Tokens need a network policy: make sure the account's policy covers this user.",
                ),
            }
            s.step(
                "The service user holds the one role and nothing else.",
                &why,
                "SECURITYADMIN",
                &stmts,
            );
        }
    }

    // Authentication policies.
    let policies: Vec<(&AuthenticationPolicy, bool)> = [
        (sf.person_policy.as_ref(), true),
        (sf.service_policy.as_ref(), false),
    ]
    .into_iter()
    .filter_map(|(p, person)| p.map(|p| (p, person)))
    .collect();

    let mut prep = Vec::new();
    let mut prepared: Vec<String> = Vec::new();
    for (policy, _) in &policies {
        let parts: Vec<&str> = policy.name.split('.').collect();
        if let [db, schema, _] = parts.as_slice() {
            let key = format!("{db}.{schema}").to_ascii_uppercase();
            if prepared.contains(&key) {
                continue;
            }
            prepared.push(key);
            let db_q = ident(db)?;
            let schema_q = format!("{db_q}.{}", ident(schema)?);
            prep.push(format!("CREATE DATABASE IF NOT EXISTS {db_q};"));
            prep.push(format!("CREATE SCHEMA IF NOT EXISTS {schema_q};"));
            prep.push(format!(
                "GRANT USAGE ON DATABASE {db_q} TO ROLE SECURITYADMIN;"
            ));
            prep.push(format!(
                "GRANT USAGE ON SCHEMA {schema_q} TO ROLE SECURITYADMIN;"
            ));
            prep.push(format!(
                "GRANT CREATE AUTHENTICATION POLICY ON SCHEMA {schema_q} TO ROLE SECURITYADMIN;"
            ));
        }
    }
    if !prep.is_empty() {
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

    for (policy, person) in &policies {
        let name = qualified(&policy.name)?;
        let list = methods(policy)?;
        let scope = scope(policy)?;
        let has_pat = list.iter().any(|m| m == PAT || m == "ALL");
        let mut stmts = Vec::new();
        let mut why: Vec<&str> = Vec::new();
        if policy.name.split('.').count() < 3 {
            why.push("The name is not qualified: the policy is created in the current database");
            why.push("and schema. Run USE SCHEMA <database>.<schema> before this step.");
        }
        let policy_comment = string_literal(&format!(
            "{} users, Warden profile {}",
            if *person { "Person" } else { "Service" },
            p.identity.id
        ));
        if *person {
            if has_pat {
                return Err(CompileError::PersonPolicyAllowsPat(policy.name.clone()));
            }
            stmts.push(format!(
                "CREATE OR ALTER AUTHENTICATION POLICY {name}\n  AUTHENTICATION_METHODS = ({})\n  COMMENT = {policy_comment};",
                method_list(&list)
            ));
        } else {
            if !has_pat {
                return Err(CompileError::ServicePolicyWithoutPat(policy.name.clone()));
            }
            stmts.push(format!(
                "CREATE OR ALTER AUTHENTICATION POLICY {name}\n  AUTHENTICATION_METHODS = ({})\n  PAT_POLICY = (\n    NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED\n    REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = TRUE\n  )\n  COMMENT = {policy_comment};",
                method_list(&list)
            ));
        }
        let target = if *person { "PERSON" } else { "SERVICE" };
        match scope {
            PolicyScope::Account => {
                why.push("Setting a policy fails if one is already set for these users. That is");
                why.push(
                    "deliberate: review the existing policy and unset it yourself; FORCE would",
                );
                why.push(
                    "also override user-level policies such as a break-glass administrator's.",
                );
                stmts.push(format!(
                    "ALTER ACCOUNT SET AUTHENTICATION POLICY {name} FOR ALL {target} USERS;"
                ));
            }
            PolicyScope::Users => {
                why.push("Setting a policy fails if the user already has one: review it first.");
                for user in &policy.users {
                    stmts.push(format!(
                        "ALTER USER {} SET AUTHENTICATION POLICY {name};",
                        ident(user)?
                    ));
                }
            }
        }
        let (title, lead): (&str, &[&str]) = if *person {
            (
                "Person users cannot create or use programmatic access tokens.",
                &[
                    "A person can mint a token without a role restriction, which would side-step",
                    "the single role. Keep a break-glass administrator with its own user-level",
                    "policy before applying this. SECURITYADMIN creates and applies policies.",
                ],
            )
        } else {
            (
                "Service users authenticate with tokens under network policy evaluation.",
                &[
                    "ENFORCED_REQUIRED: a token works only for a user under a network policy;",
                    "role restriction stays mandatory. SECURITYADMIN creates and applies policies.",
                ],
            )
        };
        let mut all_why: Vec<&str> = lead.to_vec();
        all_why.extend(why);
        s.step(title, &all_why, "SECURITYADMIN", &stmts);
    }

    if let (Some(user), Some(raw_role)) = (&sf.service_user, &sf.role)
        && let Some(pat) = &user.pat_name
    {
        let u = ident(&user.name)?;
        let token = ident(pat)?;
        let mut stmt = format!(
            "ALTER USER {u} ADD PROGRAMMATIC ACCESS TOKEN {token}\n  ROLE_RESTRICTION = {}",
            string_literal(&stored_name(raw_role))
        );
        if let Some(days) = user.pat_days_to_expiry {
            let _ = write!(stmt, "\n  DAYS_TO_EXPIRY = {days}");
        }
        let _ = write!(stmt, "\n  COMMENT = {comment};");
        s.step(
            "The token Cortex Code uses, restricted to the role and expiring.",
            &[
                "The user's owner (USERADMIN) may add tokens. The secret is in this",
                "statement's output and is shown once. A re-run fails while a token of",
                "this name exists; rotate it instead with",
                &format!("ALTER USER {u} ROTATE PROGRAMMATIC ACCESS TOKEN {token};"),
                &format!("Audit tokens with SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER {u};"),
            ],
            "USERADMIN",
            &[stmt],
        );
    }
    Ok(s.text)
}

fn teardown(p: &ResolvedProfile, sf: &Snowflake) -> Result<String, CompileError> {
    let header = vec![
        format!("Snowflake teardown for {}.", profile_line(p)),
        "Generated by `warden compile`: it removes what setup.sql created.".into(),
        "Warehouses, databases, schemas, data and network policies are left alone.".into(),
        String::new(),
        "Do not try this first on a production account. Run it step by step.".into(),
    ];
    let mut s = Script::new(&header);
    let policies: Vec<(&AuthenticationPolicy, &str)> = [
        (sf.person_policy.as_ref(), "PERSON"),
        (sf.service_policy.as_ref(), "SERVICE"),
    ]
    .into_iter()
    .filter_map(|(p, t)| p.map(|p| (p, t)))
    .collect();
    if !policies.is_empty() {
        let mut stmts = Vec::new();
        for (policy, target) in &policies {
            let name = qualified(&policy.name)?;
            match scope(policy)? {
                PolicyScope::Account => stmts.push(format!(
                    "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL {target} USERS;"
                )),
                PolicyScope::Users => {
                    for user in &policy.users {
                        stmts.push(format!(
                            "ALTER USER IF EXISTS {} UNSET AUTHENTICATION POLICY;",
                            ident(user)?
                        ));
                    }
                }
            }
            stmts.push(format!("DROP AUTHENTICATION POLICY IF EXISTS {name};"));
        }
        s.step(
            "Detach and drop the authentication policies.",
            &[
                "An attached policy cannot be dropped. Check first that the policies set",
                "for the account are still these ones. SECURITYADMIN created them.",
            ],
            "SECURITYADMIN",
            &stmts,
        );
    }
    if let Some(user) = &sf.service_user {
        s.step(
            "Drop the service user; its tokens go with it.",
            &["USERADMIN owns the user."],
            "USERADMIN",
            &[format!("DROP USER IF EXISTS {};", ident(&user.name)?)],
        );
    }
    if let Some(role) = &sf.role {
        s.step(
            "Drop the role; its grants go with it.",
            &["USERADMIN owns the role."],
            "USERADMIN",
            &[format!("DROP ROLE IF EXISTS {};", ident(role)?)],
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
