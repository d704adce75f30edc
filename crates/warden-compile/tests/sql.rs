//! The Snowflake scripts: content, and injection resistance.

mod common;

use warden_compile::CompileError;
use warden_compile::sql::{quote_identifier, string_literal};
use warden_profile::{Profile, ResolvedProfile};

fn profile(snowflake: serde_json::Value) -> ResolvedProfile {
    let p: Profile = serde_json::from_value(serde_json::json!({
        "profile": { "id": "sql-test", "name": "SQL test", "serial": 1 },
        "snowflake": snowflake,
    }))
    .unwrap();
    ResolvedProfile::from_root("sql-test.toml", &p)
}

fn setup(p: &ResolvedProfile) -> String {
    warden_compile::sql::render(p).unwrap().unwrap().setup
}

#[test]
fn single_role_pattern_steps_run_under_the_least_privileged_role() {
    let p = common::load(&common::root().join("profiles/examples/single-role-pat.toml"));
    let scripts = warden_compile::sql::render(&p).unwrap().unwrap();
    let s = &scripts.setup;
    for expected in [
        "USE ROLE USERADMIN;\nCREATE ROLE IF NOT EXISTS \"CORTEX_CLI_ROLE\"",
        "USE ROLE SECURITYADMIN;\nGRANT ROLE \"CORTEX_CLI_ROLE\" TO ROLE SYSADMIN;",
        "GRANT USAGE ON WAREHOUSE \"CORTEX_WH\" TO ROLE \"CORTEX_CLI_ROLE\";",
        "GRANT SELECT ON FUTURE TABLES IN SCHEMA \"ANALYTICS\".\"MARTS\" TO ROLE \"CORTEX_CLI_ROLE\";",
        "CREATE USER IF NOT EXISTS \"CORTEX_CLI_SVC\"\n  TYPE = SERVICE",
        "GRANT ROLE \"CORTEX_CLI_ROLE\" TO USER \"CORTEX_CLI_SVC\";",
        "ALTER USER \"CORTEX_CLI_SVC\" SET NETWORK_POLICY = \"CORTEX_CLI_NETWORK\";",
        "AUTHENTICATION_METHODS = ('SAML', 'OAUTH', 'KEYPAIR', 'PASSWORD')",
        "FOR ALL PERSON USERS;",
        "NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED",
        "ALTER USER \"CORTEX_CLI_SVC\" SET AUTHENTICATION POLICY \"SECURITY\".\"POLICIES\".\"SERVICE_PAT\";",
        "ALTER USER \"CORTEX_CLI_SVC\" ADD PROGRAMMATIC ACCESS TOKEN \"CORTEX_CLI_PAT\"\n  ROLE_RESTRICTION = 'CORTEX_CLI_ROLE'\n  DAYS_TO_EXPIRY = 30",
        "production",
        "shown ONCE",
    ] {
        assert!(s.contains(expected), "setup.sql lacks {expected:?}:\n{s}");
    }
    // The token is minted last, after the policies that govern it.
    assert!(
        s.find("ADD PROGRAMMATIC ACCESS TOKEN").unwrap()
            > s.rfind("SET AUTHENTICATION POLICY").unwrap()
    );
    // ACCOUNTADMIN is never needed.
    assert!(!s.contains("ACCOUNTADMIN"));
    let t = &scripts.teardown;
    assert!(t.contains("ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS;"));
    assert!(
        t.find("UNSET AUTHENTICATION POLICY").unwrap()
            < t.find("DROP AUTHENTICATION POLICY").unwrap()
    );
    assert!(t.contains("DROP USER IF EXISTS \"CORTEX_CLI_SVC\";"));
    assert!(t.contains("DROP ROLE IF EXISTS \"CORTEX_CLI_ROLE\";"));
}

#[test]
fn no_snowflake_section_means_no_scripts() {
    let p = common::load(&common::root().join("profiles/examples/sso-only.toml"));
    assert_eq!(warden_compile::sql::render(&p).unwrap(), None);
}

const CRAFTED: &str = "CORTEX\"; DROP ROLE ACCOUNTADMIN; --";

#[test]
fn crafted_names_are_refused_by_validation() {
    let file = common::fixtures().join("hostile/sql-injection.toml");
    let loaded = warden_profile::load(&file, &warden_profile::FsLoader);
    let unsafe_names: Vec<_> = loaded
        .findings
        .iter()
        .filter(|f| f.code == "unsafe-identifier")
        .collect();
    assert_eq!(unsafe_names.len(), 3, "{:#?}", loaded.findings);
    assert!(
        loaded.profile.is_none(),
        "a profile with unsafe names must not resolve"
    );
}

#[test]
fn crafted_names_are_refused_by_the_generator_too() {
    for field in [
        serde_json::json!({ "role": CRAFTED }),
        serde_json::json!({ "role": "R", "warehouses": [CRAFTED] }),
        serde_json::json!({ "role": "R", "read_schemas": ["DB.S; DROP"] }),
        serde_json::json!({ "role": "R", "service_user": { "name": "SVC", "pat_name": "T'--" } }),
        serde_json::json!({ "person_policy": { "name": "A.B.C\"", "methods": ["SAML"] } }),
    ] {
        let p = profile(field.clone());
        assert!(
            matches!(
                warden_compile::sql::render(&p),
                Err(CompileError::UnsafeIdentifier(_))
            ),
            "{field}"
        );
    }
}

#[test]
fn crafted_strings_would_be_quoted_into_single_tokens() {
    let q = quote_identifier(CRAFTED);
    assert_eq!(q, "\"CORTEX\"\"; DROP ROLE ACCOUNTADMIN; --\"");
    // One identifier token: opens and closes with `"`, every inner `"` doubled.
    let inner = &q[1..q.len() - 1];
    assert!(q.starts_with('"') && q.ends_with('"'));
    assert!(!inner.replace("\"\"", "").contains('"'));

    let lit = string_literal("x'; DROP USER admin; -- \\' \n");
    assert_eq!(lit, "'x''; DROP USER admin; -- \\\\'' \\n'");
    let inner = &lit[1..lit.len() - 1];
    // No lone quote can end the literal early, and no raw newline can end a line.
    assert!(!inner.replace("''", "").contains('\''));
    assert!(!lit.contains('\n'));
}

#[test]
fn comments_from_the_service_user_are_escaped() {
    let p = profile(serde_json::json!({
        "role": "R",
        "service_user": { "name": "SVC", "comment": "it's\n-- DROP ROLE X;" }
    }));
    let s = setup(&p);
    assert!(s.contains("COMMENT = 'it''s\\n-- DROP ROLE X;'"), "{s}");
    assert!(!s.lines().any(|l| l.starts_with("-- DROP")));
}

#[test]
fn unsafe_policy_shapes_are_refused() {
    let person_pat = profile(serde_json::json!({
        "person_policy": { "name": "A.B.P", "methods": ["SAML", "programmatic_access_token"] }
    }));
    assert!(matches!(
        warden_compile::sql::render(&person_pat),
        Err(CompileError::PersonPolicyAllowsPat(_))
    ));
    let service_no_pat = profile(serde_json::json!({
        "service_policy": { "name": "A.B.S", "methods": ["KEYPAIR"] }
    }));
    assert!(matches!(
        warden_compile::sql::render(&service_no_pat),
        Err(CompileError::ServicePolicyWithoutPat(_))
    ));
    let unknown = profile(serde_json::json!({
        "person_policy": { "name": "A.B.P", "methods": ["PASSKEY"] }
    }));
    assert!(matches!(
        warden_compile::sql::render(&unknown),
        Err(CompileError::UnknownPolicyMethod { .. })
    ));
    let no_users = profile(serde_json::json!({
        "service_policy": { "name": "A.B.S", "methods": ["PROGRAMMATIC_ACCESS_TOKEN"], "apply_to": "users" }
    }));
    assert!(matches!(
        warden_compile::sql::render(&no_users),
        Err(CompileError::PolicyWithoutUsers(_))
    ));
    let user_without_role = profile(serde_json::json!({ "service_user": { "name": "SVC" } }));
    assert!(matches!(
        warden_compile::sql::render(&user_without_role),
        Err(CompileError::ServiceUserWithoutRole)
    ));
}

#[test]
fn lower_case_names_resolve_to_the_upper_case_objects() {
    let p = profile(serde_json::json!({
        "role": "cortex_role",
        "service_user": { "name": "svc", "pat_name": "tok" }
    }));
    let s = setup(&p);
    assert!(s.contains("CREATE ROLE IF NOT EXISTS \"CORTEX_ROLE\""));
    assert!(s.contains("ROLE_RESTRICTION = 'CORTEX_ROLE'"));
}
