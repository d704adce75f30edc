//! The Snowflake scripts: content, and injection resistance.

mod common;
mod sql_support;

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

fn example(name: &str) -> warden_compile::sql::SqlScripts {
    let p = common::load(&common::root().join(format!("profiles/examples/{name}")));
    warden_compile::sql::render(&p).unwrap().unwrap()
}

/// Words that change an account, outside comments and string literals.
fn changing_words(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in script.lines().filter(|l| !l.trim_start().starts_with("--")) {
        // Drop string literals, so a verdict's prose is not read as SQL.
        let mut code = String::new();
        let mut in_str = false;
        for c in line.chars() {
            if c == '\'' {
                in_str = !in_str;
            } else if !in_str {
                code.push(c);
            }
        }
        for w in code.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
            let w = w.to_ascii_uppercase();
            if [
                "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "INSERT", "UPDATE", "DELETE",
                "MERGE", "SET", "UNSET", "CALL", "EXECUTE",
            ]
            .contains(&w.as_str())
            {
                found.push(format!("{w} in {line}"));
            }
        }
    }
    found
}

#[test]
fn single_role_pattern_steps_run_under_the_least_privileged_role() {
    let scripts = example("single-role-pat.toml");
    let s = &scripts.setup;
    for expected in [
        "USE ROLE USERADMIN;\nEXECUTE IMMEDIATE $$",
        "CREATE ROLE IF NOT EXISTS \"CORTEX_CLI_ROLE\"\n    COMMENT = 'managed by warden: acme-cortex-service';",
        "USE ROLE SECURITYADMIN;\nGRANT ROLE \"CORTEX_CLI_ROLE\" TO ROLE SYSADMIN;",
        "GRANT USAGE ON WAREHOUSE \"CORTEX_WH\" TO ROLE \"CORTEX_CLI_ROLE\";",
        "GRANT SELECT ON FUTURE TABLES IN SCHEMA \"ANALYTICS\".\"MARTS\" TO ROLE \"CORTEX_CLI_ROLE\";",
        "CREATE USER IF NOT EXISTS \"CORTEX_CLI_SVC\"\n    TYPE = SERVICE",
        "GRANT ROLE \"CORTEX_CLI_ROLE\" TO USER \"CORTEX_CLI_SVC\";",
        "CREATE NETWORK RULE IF NOT EXISTS \"SECURITY\".\"POLICIES\".\"CORTEX_CLI_INGRESS\"\n    TYPE = IPV4\n    MODE = INGRESS\n    VALUE_LIST = ('192.0.2.0/24', '198.51.100.10')",
        "CREATE NETWORK POLICY IF NOT EXISTS \"CORTEX_CLI_NETWORK\"\n    ALLOWED_NETWORK_RULE_LIST = ('SECURITY.POLICIES.CORTEX_CLI_INGRESS')",
        "ALTER USER \"CORTEX_CLI_SVC\" SET NETWORK_POLICY = \"CORTEX_CLI_NETWORK\";",
        "AUTHENTICATION_METHODS = ('SAML', 'OIDC', 'OAUTH', 'KEYPAIR', 'PASSWORD')",
        "FOR ALL PERSON USERS;",
        "NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED",
        "BLOCKED_ROLES_LIST = ('ACCOUNTADMIN', 'ORGADMIN', 'SECURITYADMIN', 'SYSADMIN', 'USERADMIN')",
        "MAX_EXPIRY_IN_DAYS = 30",
        "DEFAULT_EXPIRY_IN_DAYS = 30",
        "ALTER USER \"CORTEX_CLI_SVC\" SET AUTHENTICATION POLICY \"SECURITY\".\"POLICIES\".\"SERVICE_PAT\";",
        "ALTER USER \"ACME_BREAK_GLASS_ADMIN\" SET AUTHENTICATION POLICY \"SECURITY\".\"POLICIES\".\"BREAK_GLASS\";",
        "ALTER USER \"CORTEX_CLI_SVC\" ADD PROGRAMMATIC ACCESS TOKEN IF NOT EXISTS \"CORTEX_CLI_PAT\"\n  ROLE_RESTRICTION = 'CORTEX_CLI_ROLE'\n  DAYS_TO_EXPIRY = 30",
        "preflight.sql",
        "production",
        "shown ONCE",
    ] {
        assert!(s.contains(expected), "setup.sql lacks {expected:?}:\n{s}");
    }
    // The break-glass policy is attached before any account-level change, and the
    // token is minted last, after the policies that govern it.
    let break_glass = s
        .find("SET AUTHENTICATION POLICY \"SECURITY\".\"POLICIES\".\"BREAK_GLASS\"")
        .unwrap();
    assert!(break_glass < s.find("ALTER ACCOUNT SET").unwrap());
    assert!(
        s.find("ADD PROGRAMMATIC ACCESS TOKEN").unwrap()
            > s.rfind("SET AUTHENTICATION POLICY").unwrap()
    );
    // ACCOUNTADMIN is never needed (it only appears as a blocked role).
    assert!(!s.contains("USE ROLE ACCOUNTADMIN"));
    assert!(
        !s.lines()
            .filter(|l| !l.starts_with("--"))
            .flat_map(|l| l.split(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
            .any(|w| w == "FORCE")
    );
}

#[test]
fn preflight_only_reads() {
    for name in ["single-role-pat.toml", "person-pat-role-restricted.toml"] {
        let scripts = example(name);
        let pre = &scripts.preflight;
        assert_eq!(changing_words(pre), Vec::<String>::new(), "{name}");
        // Every check is a SHOW, DESCRIBE or SELECT, with a verdict column on each SELECT.
        for st in sql_support::all_statements(pre) {
            let first = st
                .text
                .split_whitespace()
                .next()
                .unwrap()
                .to_ascii_uppercase();
            assert!(
                ["SHOW", "DESCRIBE", "SELECT", "USE"].contains(&first.as_str()),
                "{}",
                st.text
            );
            if first == "SELECT" {
                assert!(st.text.contains("AS verdict"), "{}", st.text);
            }
        }
        // The test harness itself sees a write.
        assert!(!changing_words("DROP USER x;").is_empty());
    }
    let pre = example("single-role-pat.toml").preflight;
    for expected in [
        "SHOW ROLES LIKE 'CORTEX_CLI_ROLE';",
        "SHOW USERS LIKE 'CORTEX_CLI_SVC';",
        "'managed by warden: acme-cortex-service'",
        "person users with a user-level authentication policy",
        "person users holding tokens the person policy disables",
        "SHOW FUTURE GRANTS IN DATABASE \"ANALYTICS\";",
        "entries_in_allowed_network_rules",
        "break-glass user ACME_BREAK_GLASS_ADMIN",
    ] {
        assert!(
            pre.contains(expected),
            "preflight.sql lacks {expected:?}:\n{pre}"
        );
    }
    let person = example("person-pat-role-restricted.toml").preflight;
    assert!(person.contains(
        "Changing REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS from FALSE back to TRUE invalidates"
    ));
}

#[test]
fn teardown_removes_only_what_carries_the_marker() {
    for name in ["single-role-pat.toml", "person-pat-role-restricted.toml"] {
        let t = example(name).teardown;
        let (top, blocks) = sql_support::split(&t);
        for st in &top {
            let upper = st.to_ascii_uppercase();
            for forbidden in [
                "DROP USER",
                "DROP ROLE",
                "ALTER ACCOUNT UNSET",
                "DROP AUTHENTICATION POLICY",
                "DROP NETWORK",
            ] {
                assert!(!upper.starts_with(forbidden), "unconditional {st}");
            }
        }
        // Every removal sits in a block that first checks the marker.
        for b in &blocks {
            let check = b.find("IF (ours = 0) THEN").expect(b);
            for word in ["DROP ", "UNSET ", "REVOKE "] {
                if let Some(at) = b.find(word) {
                    assert!(at > check, "{word} before the marker check:\n{b}");
                }
            }
        }
        assert!(t.contains("USE SCHEMA") || !t.contains("POLICY \"") || t.contains("\".\""));
    }
    let t = example("single-role-pat.toml").teardown;
    // User first (its tokens go with it), then role, then service, person, break-glass.
    let order = [
        "DROP USER IF EXISTS \"CORTEX_CLI_SVC\";",
        "DROP NETWORK POLICY IF EXISTS \"CORTEX_CLI_NETWORK\";",
        "DROP ROLE IF EXISTS \"CORTEX_CLI_ROLE\";",
        "DROP AUTHENTICATION POLICY IF EXISTS \"SECURITY\".\"POLICIES\".\"SERVICE_PAT\";",
        "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS;",
        "DROP AUTHENTICATION POLICY IF EXISTS \"SECURITY\".\"POLICIES\".\"PERSON_NO_PAT\";",
        "DROP AUTHENTICATION POLICY IF EXISTS \"SECURITY\".\"POLICIES\".\"BREAK_GLASS\";",
        "REVOKE CREATE AUTHENTICATION POLICY ON SCHEMA \"SECURITY\".\"POLICIES\" FROM ROLE SECURITYADMIN;",
    ];
    let mut last = 0;
    for o in order {
        let at = t
            .find(o)
            .unwrap_or_else(|| panic!("teardown lacks {o}:\n{t}"));
        assert!(at > last, "{o} out of order");
        last = at;
    }
    // The account policy is unset only when POLICY_REFERENCES shows it is ours.
    let unset = t.find("ALTER ACCOUNT UNSET").unwrap();
    let guard = t[..unset]
        .rfind("POLICY_REFERENCES(POLICY_NAME => 'SECURITY.POLICIES.PERSON_NO_PAT')")
        .unwrap();
    assert!(t[guard..unset].contains("IF (found > 0) THEN"));
}

#[test]
fn setup_is_safe_to_re_run() {
    let s = example("single-role-pat.toml").setup;
    let (top, blocks) = sql_support::split(&s);
    // Nothing that could change someone else's object runs outside a guarded block.
    for st in &top {
        let upper = st.to_ascii_uppercase();
        for forbidden in [
            "CREATE OR ALTER",
            "CREATE USER",
            "ALTER USER \"CORTEX_CLI_SVC\" SET\n",
            "ALTER ACCOUNT",
            "CREATE ROLE",
            "CREATE NETWORK",
        ] {
            assert!(!upper.starts_with(forbidden), "unguarded {st}");
        }
        assert!(
            !upper.contains("SET AUTHENTICATION POLICY"),
            "unguarded {st}"
        );
    }
    for b in &blocks {
        for risky in [
            "CREATE OR ALTER AUTHENTICATION POLICY",
            "SET\n    TYPE = SERVICE",
            "CREATE ROLE",
            "CREATE NETWORK",
        ] {
            if let Some(at) = b.find(risky) {
                let guard = b.find("RAISE not_ours;").expect(b);
                assert!(guard < at, "{risky} before the marker check:\n{b}");
            }
        }
        if let Some(at) = b.find("SET AUTHENTICATION POLICY") {
            let skip = b.find("RETURN 'skipped").expect(b);
            assert!(skip < at, "attachment without a skip:\n{b}");
        }
    }
    // A user attachment refuses another user-level policy.
    assert!(s.contains("RAISE other_policy;"));
    assert!(!s.contains("ADD PROGRAMMATIC ACCESS TOKEN \""));
}

#[test]
fn person_route_requires_role_restriction_and_blocks_admin_roles() {
    let s = example("person-pat-role-restricted.toml").setup;
    for expected in [
        "AUTHENTICATION_METHODS = ('SAML', 'OIDC', 'PASSWORD', 'PROGRAMMATIC_ACCESS_TOKEN')",
        "REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = TRUE",
        "BLOCKED_ROLES_LIST = ('ACCOUNTADMIN', 'ORGADMIN', 'SECURITYADMIN', 'SYSADMIN', 'USERADMIN', 'DATA_ENGINEER')",
        "MAX_EXPIRY_IN_DAYS = 30",
        "FOR ALL PERSON USERS;",
    ] {
        assert!(s.contains(expected), "setup.sql lacks {expected:?}:\n{s}");
    }
    assert!(!s.contains("REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS"));
}

#[test]
fn dangerous_profiles_are_refused_by_the_generator_too() {
    let cases = [
        (serde_json::json!({ "role": "ACCOUNTADMIN" }), "SystemRole"),
        (serde_json::json!({ "role": "sysadmin" }), "SystemRole"),
        (
            serde_json::json!({ "role": "R", "service_user": { "name": "admin" } }),
            "SystemUser",
        ),
        (
            serde_json::json!({ "role": "R", "service_user": { "name": "SVC", "pat_name": "T$1" } }),
            "InvalidPatName",
        ),
        (
            serde_json::json!({ "role": "R", "pat_max_expiry_days": 30, "service_user": { "name": "SVC", "pat_name": "T", "pat_days_to_expiry": 31 } }),
            "PatLifetime",
        ),
        (
            serde_json::json!({ "person_policy": { "name": "A.B.P", "methods": ["KEYPAIR"] } }),
            "NoBreakGlass",
        ),
        (
            serde_json::json!({ "service_policy": { "name": "A.B.S", "methods": ["PROGRAMMATIC_ACCESS_TOKEN"], "apply_to": "account" } }),
            "ServicePolicyAccountWide",
        ),
        (
            serde_json::json!({ "role": "R", "service_user": { "name": "SVC", "comment": "a$$b" } }),
            "UnsafeIdentifier",
        ),
    ];
    for (field, expected) in cases {
        let err = warden_compile::sql::render(&profile(field.clone())).unwrap_err();
        assert!(format!("{err:?}").starts_with(expected), "{field}: {err:?}");
    }
    // The opt-in makes an account-wide service policy acceptable.
    let ok = profile(
        serde_json::json!({ "service_policy": { "name": "A.B.S", "methods": ["PROGRAMMATIC_ACCESS_TOKEN"], "apply_to": "account", "confirm_account_wide": true } }),
    );
    assert!(setup(&ok).contains("FOR ALL SERVICE USERS;"));
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
        serde_json::json!({ "person_policy": { "name": "A.B.C\"", "methods": ["SAML"], "apply_to": "users", "users": ["U"] } }),
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
    assert!(
        s.contains("COMMENT = 'managed by warden: sql-test; it''s\\n-- DROP ROLE X;'"),
        "{s}"
    );
    assert!(!s.lines().any(|l| l.starts_with("-- DROP")));
}

#[test]
fn unsafe_policy_shapes_are_refused() {
    let person_pat = profile(serde_json::json!({
        "person_policy": { "name": "A.B.P", "methods": ["SAML", "programmatic_access_token"], "users": ["U"] }
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
        "person_policy": { "name": "A.B.P", "methods": ["PASSKEY"], "users": ["U"] }
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
