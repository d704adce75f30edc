//! An independent syntax check of every generated Snowflake statement.
//!
//! `sqlfluff` (PyPI, `--dialect snowflake`) parses most statement kinds, including
//! Snowflake Scripting blocks; every statement it covers must parse with no
//! unparsable segment. For the kinds its grammar lacks (authentication policies,
//! programmatic access tokens, account-level policy attachment, network rules'
//! SHOW/ALTER/DROP, schema privileges on those objects), each statement's shape must
//! equal the one written down here from the Snowflake SQL reference page cited.

mod common;
mod sql_support;

use std::process::Command;

use sql_support::{all_statements, shape, split};

/// The statement kinds no parser covers: a prefix, the reference page, and every
/// shape the generator may produce (identifiers `ID`, strings `STR`, numbers `NUM`,
/// `X…` a comma-separated list of one or more).
const GOLDEN: &[(&str, &str, &[&str])] = &[
    (
        "CREATE OR ALTER AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/create-authentication-policy",
        &[
            "CREATE OR ALTER AUTHENTICATION POLICY ID.ID.ID AUTHENTICATION_METHODS = ( STR… ) COMMENT = STR ;",
            "CREATE OR ALTER AUTHENTICATION POLICY ID.ID.ID AUTHENTICATION_METHODS = ( STR… ) PAT_POLICY = ( NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = TRUE BLOCKED_ROLES_LIST = ( STR… ) DEFAULT_EXPIRY_IN_DAYS = NUM MAX_EXPIRY_IN_DAYS = NUM ) COMMENT = STR ;",
            "CREATE OR ALTER AUTHENTICATION POLICY ID.ID.ID AUTHENTICATION_METHODS = ( STR… ) PAT_POLICY = ( NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = TRUE BLOCKED_ROLES_LIST = ( STR… ) DEFAULT_EXPIRY_IN_DAYS = NUM MAX_EXPIRY_IN_DAYS = NUM ) COMMENT = STR ;",
        ],
    ),
    (
        "ALTER ACCOUNT SET AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/alter-account",
        &[
            "ALTER ACCOUNT SET AUTHENTICATION POLICY ID.ID.ID FOR ALL PERSON USERS ;",
            "ALTER ACCOUNT SET AUTHENTICATION POLICY ID.ID.ID FOR ALL SERVICE USERS ;",
        ],
    ),
    (
        "ALTER ACCOUNT UNSET AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/alter-account",
        &[
            "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS ;",
            "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL SERVICE USERS ;",
        ],
    ),
    (
        "DROP AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/drop-authentication-policy",
        &["DROP AUTHENTICATION POLICY IF EXISTS ID.ID.ID ;"],
    ),
    (
        "SHOW AUTHENTICATION POLICIES",
        "https://docs.snowflake.com/en/sql-reference/sql/show-authentication-policies",
        &["SHOW AUTHENTICATION POLICIES LIKE STR IN ACCOUNT ;"],
    ),
    (
        "ALTER USER ID ADD PROGRAMMATIC ACCESS TOKEN",
        "https://docs.snowflake.com/en/sql-reference/sql/alter-user-add-programmatic-access-token",
        &[
            "ALTER USER ID ADD PROGRAMMATIC ACCESS TOKEN IF NOT EXISTS ID ROLE_RESTRICTION = STR DAYS_TO_EXPIRY = NUM COMMENT = STR ;",
            "ALTER USER ID ADD PROGRAMMATIC ACCESS TOKEN IF NOT EXISTS ID ROLE_RESTRICTION = STR COMMENT = STR ;",
        ],
    ),
    (
        "GRANT CREATE AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/grant-privilege",
        &["GRANT CREATE AUTHENTICATION POLICY ON SCHEMA ID.ID TO ROLE SECURITYADMIN ;"],
    ),
    (
        "GRANT CREATE NETWORK RULE",
        "https://docs.snowflake.com/en/sql-reference/sql/grant-privilege",
        &["GRANT CREATE NETWORK RULE ON SCHEMA ID.ID TO ROLE SECURITYADMIN ;"],
    ),
    (
        "REVOKE CREATE AUTHENTICATION POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/revoke-privilege",
        &["REVOKE CREATE AUTHENTICATION POLICY ON SCHEMA ID.ID FROM ROLE SECURITYADMIN ;"],
    ),
    (
        "REVOKE CREATE NETWORK RULE",
        "https://docs.snowflake.com/en/sql-reference/sql/revoke-privilege",
        &["REVOKE CREATE NETWORK RULE ON SCHEMA ID.ID FROM ROLE SECURITYADMIN ;"],
    ),
    (
        "SHOW NETWORK RULES",
        "https://docs.snowflake.com/en/sql-reference/sql/show-network-rules",
        &["SHOW NETWORK RULES LIKE STR IN SCHEMA ID.ID ;"],
    ),
    (
        "ALTER NETWORK RULE",
        "https://docs.snowflake.com/en/sql-reference/sql/alter-network-rule",
        &["ALTER NETWORK RULE ID.ID.ID SET VALUE_LIST = ( STR… ) ;"],
    ),
    (
        "DROP NETWORK RULE",
        "https://docs.snowflake.com/en/sql-reference/sql/drop-network-rule",
        &["DROP NETWORK RULE IF EXISTS ID.ID.ID ;"],
    ),
    (
        "ALTER NETWORK POLICY",
        "https://docs.snowflake.com/en/sql-reference/sql/alter-network-policy",
        &["ALTER NETWORK POLICY ID SET ALLOWED_NETWORK_RULE_LIST = ( STR… ) ;"],
    ),
];

/// The golden kind of a statement, if it has one.
fn golden_kind(
    stmt: &str,
) -> Option<&'static (&'static str, &'static str, &'static [&'static str])> {
    let sh = shape(stmt);
    GOLDEN.iter().find(|(prefix, _, _)| sh.starts_with(prefix))
}

/// Scripts of every example and of profiles covering the remaining shapes.
fn scripts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in ["single-role-pat.toml", "person-pat-role-restricted.toml"] {
        let p = common::load(&common::root().join(format!("profiles/examples/{name}")));
        let s = warden_compile::sql::render(&p).unwrap().unwrap();
        for (part, text) in [
            ("preflight", s.preflight),
            ("setup", s.setup),
            ("teardown", s.teardown),
        ] {
            out.push((format!("{name} {part}"), text));
        }
    }
    out
}

#[test]
fn statements_no_parser_covers_have_their_documented_shape() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, script) in scripts() {
        for st in all_statements(&script) {
            if let Some((prefix, page, shapes)) = golden_kind(&st.text) {
                seen.insert(*prefix);
                let sh = shape(&st.text);
                assert!(
                    shapes.contains(&sh.as_str()),
                    "{name}: `{}` does not follow {page}:\n{sh}",
                    st.text
                );
            }
        }
    }
    // Every golden kind is exercised by the examples.
    let missing: Vec<_> = GOLDEN
        .iter()
        .map(|(p, _, _)| *p)
        .filter(|p| !seen.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "golden kinds no example produces: {missing:?}"
    );
    // The shape check can fail.
    assert!(golden_kind("DROP AUTHENTICATION POLICY \"A\".\"B\".\"C\" CASCADE;").is_some());
    assert!(
        !GOLDEN[3]
            .2
            .contains(&shape("DROP AUTHENTICATION POLICY \"A\".\"B\".\"C\" CASCADE;").as_str())
    );
}

/// A block body with the statements of golden kinds replaced by `SELECT 1;`, so the
/// parser checks the block's own syntax and every other statement in it.
fn parsable_body(body: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in body.lines() {
        let t = line.trim_start();
        if !skipping && golden_kind(t).is_some() {
            let indent = &line[..line.len() - t.len()];
            out.push_str(indent);
            out.push_str("SELECT 1;\n");
            skipping = !t.trim_end().ends_with(';');
            continue;
        }
        if skipping {
            skipping = !t.trim_end().ends_with(';');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn sqlfluff_parses_every_statement_it_covers() {
    let Some(python) = warden_testkit::require_python_module("sqlfluff") else {
        return;
    };
    let mut texts: Vec<(String, String)> = Vec::new();
    for (name, script) in scripts() {
        let (top, blocks) = split(&script);
        for st in top {
            if golden_kind(&st).is_none() {
                texts.push((name.clone(), st));
            }
        }
        for b in blocks {
            texts.push((name.clone(), parsable_body(&b)));
        }
    }
    let payload = serde_json::to_string(&texts.iter().map(|(_, t)| t).collect::<Vec<_>>()).unwrap();
    let program = r#"
import json, sys
from sqlfluff.core import FluffConfig, Linter
linter = Linter(config=FluffConfig(overrides={"dialect": "snowflake"}))
out = []
for text in json.load(sys.stdin):
    parsed = linter.parse_string(text)
    bad = [s.raw for s in parsed.tree.recursive_crawl("unparsable")] if parsed.tree else ["no tree"]
    bad += [v.desc() for v in parsed.violations]
    out.append(bad)
json.dump(out, sys.stdout)
"#;
    let output = warden_testkit::stdout_with_input(
        Command::new(python).args(["-c", program]),
        payload.as_bytes(),
    );
    let verdicts: Vec<Vec<String>> = serde_json::from_str(&output).unwrap();
    assert_eq!(verdicts.len(), texts.len());
    let failures: Vec<String> = texts
        .iter()
        .zip(&verdicts)
        .filter(|(_, bad)| !bad.is_empty())
        .map(|((name, text), bad)| format!("{name}:\n{text}\n=> {bad:?}"))
        .collect();
    assert!(
        failures.is_empty(),
        "sqlfluff cannot parse:\n{}",
        failures.join("\n\n")
    );
    assert!(texts.len() > 30, "only {} statements checked", texts.len());
}
