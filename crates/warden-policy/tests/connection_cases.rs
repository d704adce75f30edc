//! Table tests of connection evaluation over the cases the reference names: upper case,
//! full URLs, locators with region and cloud, PrivateLink hosts, `_` vs `-`, `${VAR}`, `.cn`.

use std::collections::BTreeMap;

use warden_policy::{
    AccountPolicy, AccountStatus, Authenticator, AuthenticatorPolicy, ConnectionParams,
    EffectiveSource, Policy, RolePolicy, RoleStatus, RuleId, SecretKind,
};

fn policy() -> Policy {
    Policy {
        accounts: AccountPolicy {
            allow: vec![vec!["acme-*".into(), "xy12345.us-east-1".into()]],
            deny: vec!["acme-sandbox*".into()],
        },
        authenticators: AuthenticatorPolicy {
            allowed: vec![vec![
                "EXTERNALBROWSER".into(),
                "OAUTH_AUTHORIZATION_CODE".into(),
                "SNOWFLAKE_JWT".into(),
            ]],
            forbidden: vec!["SNOWFLAKE".into()],
            per_account: BTreeMap::from([
                ("acme-etl*".to_owned(), vec!["SNOWFLAKE_JWT".to_owned()]),
                (
                    "acme-etl_prod".to_owned(),
                    vec!["PROGRAMMATIC_ACCESS_TOKEN".to_owned()],
                ),
                ("acme-lab*".to_owned(), vec![]),
            ]),
        },
        roles: RolePolicy {
            default_role: Some("ANALYST".into()),
            forbidden: vec!["ACCOUNTADMIN".into(), "*ADMIN".into()],
            require_role: false,
        },
        required_connection: Some("corp".into()),
        permissions: Default::default(),
    }
}

fn conn(account: &str, host: Option<&str>) -> ConnectionParams {
    ConnectionParams {
        name: "c".into(),
        account: Some(account.into()),
        host: host.map(Into::into),
        authenticator: Some("externalbrowser".into()),
        ..Default::default()
    }
}

#[test]
fn account_table() {
    use AccountStatus::*;
    let cases: &[(&str, Option<&str>, AccountStatus, RuleId)] = &[
        ("ACME-PROD", None, Allowed, RuleId::AccountsAllow),
        ("acme-prod", None, Allowed, RuleId::AccountsAllow),
        (
            "https://ACME-Prod.snowflakecomputing.com",
            None,
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "https://acme-prod.snowflakecomputing.com:443/console",
            None,
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "acme-marketing-test-account",
            None,
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "acme_prod",
            None,
            Unverifiable,
            RuleId::AccountsLocatorUnverifiable,
        ),
        ("acme-sandbox_1", None, Denied, RuleId::AccountsDeny),
        ("ACME-SANDBOX-1", None, Denied, RuleId::AccountsDeny),
        ("other-prod", None, Denied, RuleId::AccountsNotAllowed),
        // Locators: named explicitly with region, allowed; otherwise unverifiable.
        ("xy12345.us-east-1", None, Allowed, RuleId::AccountsAllow),
        (
            "XY12345.US-EAST-1.snowflakecomputing.com",
            None,
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "xy12345.us-east-2.aws",
            None,
            Unverifiable,
            RuleId::AccountsLocatorUnverifiable,
        ),
        (
            "lv05576.ap-southeast-3.aws",
            None,
            Unverifiable,
            RuleId::AccountsLocatorUnverifiable,
        ),
        (
            "xy12345.cn-northwest-1.aws.snowflakecomputing.cn",
            None,
            Unverifiable,
            RuleId::AccountsLocatorUnverifiable,
        ),
        // PrivateLink and region hosts of the allowed account pass; others do not.
        (
            "acme-prod",
            Some("acme-prod.privatelink.snowflakecomputing.com"),
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "acme-prod",
            Some("https://ACME-PROD.us-east-1.privatelink.snowflakecomputing.com/"),
            Allowed,
            RuleId::AccountsAllow,
        ),
        (
            "acme-prod",
            Some("evil-corp.snowflakecomputing.com"),
            HostMismatch,
            RuleId::AccountsHostMismatch,
        ),
        (
            "acme-prod",
            Some("acme-prod.attacker.example"),
            HostMismatch,
            RuleId::AccountsHostMismatch,
        ),
        (
            "acme-prod",
            Some("${SF_HOST}"),
            NotEvaluable,
            RuleId::AccountsPlaceholder,
        ),
        (
            "${SNOWFLAKE_ACCOUNT}",
            None,
            NotEvaluable,
            RuleId::AccountsPlaceholder,
        ),
        (
            "<ACCOUNT_IDENTIFIER>",
            None,
            NotEvaluable,
            RuleId::AccountsInvalidIdentifier,
        ),
        ("   ", None, NotEvaluable, RuleId::AccountsMissing),
    ];
    let policy = policy();
    for (account, host, status, rule) in cases {
        let v = policy.evaluate_connection(&conn(account, *host));
        assert_eq!(
            (v.account.status, v.account.rule.id),
            (*status, *rule),
            "account {account:?} host {host:?}: {:?}",
            v.account.rule
        );
        assert_eq!(v.compliant, *status == Allowed, "{account:?}");
    }
}

#[test]
fn verdict_details() {
    let v = policy().evaluate_connection(&conn(
        "https://acme-prod.us-east-1.privatelink.snowflakecomputing.com",
        None,
    ));
    assert_eq!(
        v.account.normalized.as_deref(),
        Some("acme-prod.us-east-1.privatelink")
    );
    assert_eq!(v.account.qualifiers, ["us-east-1", "privatelink"]);
    assert_eq!(v.account.rule.pattern.as_deref(), Some("acme-*"));
    assert_eq!(v.account.rule.layer, Some(0));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["account"]["status"], "allowed");
    assert_eq!(json["account"]["rule"]["id"], "accounts.allow");
    assert_eq!(json["authenticator"]["effective"], "EXTERNALBROWSER");
    assert_eq!(json["role"]["status"], "missing");
}

#[test]
fn missing_account_is_not_evaluable() {
    let v = policy().evaluate_connection(&ConnectionParams {
        name: "x".into(),
        ..Default::default()
    });
    assert_eq!(v.account.status, AccountStatus::NotEvaluable);
    assert_eq!(v.account.rule.id, RuleId::AccountsMissing);
    assert!(!v.compliant);
}

#[test]
fn layers_narrow() {
    let p = Policy {
        accounts: AccountPolicy {
            allow: vec![vec!["acme-*".into()], vec!["acme-prod*".into()]],
            deny: vec![],
        },
        ..Default::default()
    };
    let ok = p.evaluate_connection(&conn("acme-prod_eu", None));
    assert_eq!(ok.account.status, AccountStatus::Allowed);
    assert_eq!(ok.account.rule.layer, Some(1));
    let narrowed = p.evaluate_connection(&conn("acme-dev", None));
    assert_eq!(narrowed.account.status, AccountStatus::Denied);
    assert_eq!(narrowed.account.rule.layer, Some(1));
    // No deny list: a match-all layer is evidence enough for a locator.
    let open = Policy {
        accounts: AccountPolicy {
            allow: vec![vec!["*".into()]],
            deny: vec![],
        },
        ..Default::default()
    };
    assert_eq!(
        open.evaluate_connection(&conn("xy12345", None))
            .account
            .status,
        AccountStatus::Allowed
    );
    // With a deny list it is not: the locator could be a denied account.
    let guarded = Policy {
        accounts: AccountPolicy {
            allow: vec![vec!["*".into()]],
            deny: vec!["acme-sandbox".into()],
        },
        ..Default::default()
    };
    assert_eq!(
        guarded
            .evaluate_connection(&conn("xy12345", None))
            .account
            .status,
        AccountStatus::Unverifiable
    );
}

#[test]
fn invalid_policy_pattern_denies() {
    let p = Policy {
        accounts: AccountPolicy {
            allow: vec![vec!["acme-(".into()]],
            deny: vec![],
        },
        ..Default::default()
    };
    let v = p.evaluate_connection(&conn("acme-prod", None));
    assert_eq!(v.account.status, AccountStatus::Denied);
    assert_eq!(v.account.rule.id, RuleId::AccountsInvalidPolicy);
    assert_eq!(v.account.rule.layer, Some(0));
}

fn auth_case(
    account: &str,
    authenticator: Option<&str>,
    key: bool,
) -> (Authenticator, bool, RuleId) {
    let v = policy().evaluate_connection(&ConnectionParams {
        name: "c".into(),
        account: Some(account.into()),
        authenticator: authenticator.map(Into::into),
        private_key_file: key.then(|| "/k.p8".to_owned()),
        ..Default::default()
    });
    (
        v.authenticator.effective,
        v.authenticator.allowed,
        v.authenticator.rule.id,
    )
}

#[test]
fn authenticator_table() {
    use Authenticator::*;
    // Absent means SNOWFLAKE, which is forbidden.
    assert_eq!(
        auth_case("acme-prod", None, false),
        (Snowflake, false, RuleId::AuthenticatorsForbidden)
    );
    assert_eq!(
        auth_case("acme-prod", Some("ExternalBrowser"), false),
        (ExternalBrowser, true, RuleId::AuthenticatorsAllowed)
    );
    // A private key forces SNOWFLAKE_JWT whatever the file says.
    assert_eq!(
        auth_case("acme-prod", Some("snowflake"), true),
        (SnowflakeJwt, true, RuleId::AuthenticatorsAllowed)
    );
    assert_eq!(
        auth_case("acme-prod", Some("okta"), false),
        (Unknown("okta".into()), false, RuleId::AuthenticatorsUnknown)
    );
    assert_eq!(
        auth_case("acme-prod", Some("https://acme.okta.com/"), false),
        (
            NativeOkta("https://acme.okta.com/".into()),
            false,
            RuleId::AuthenticatorsNotAllowed
        )
    );
    assert_eq!(
        auth_case("acme-prod", Some("programmatic_access_token"), false),
        (
            ProgrammaticAccessToken,
            false,
            RuleId::AuthenticatorsNotAllowed
        )
    );
}

#[test]
fn per_account_exact_beats_glob() {
    use Authenticator::*;
    // `acme-etl_prod` matches both `acme-etl*` and the exact key; the exact key wins.
    assert_eq!(
        auth_case("ACME-ETL-PROD", Some("programmatic_access_token"), false),
        (
            ProgrammaticAccessToken,
            true,
            RuleId::AuthenticatorsPerAccount
        )
    );
    assert_eq!(
        auth_case("acme-etl_prod", None, true),
        (SnowflakeJwt, false, RuleId::AuthenticatorsPerAccount)
    );
    // Only the glob matches here.
    assert_eq!(
        auth_case("acme-etl_dev", None, true),
        (SnowflakeJwt, true, RuleId::AuthenticatorsPerAccount)
    );
    // An empty list means any method, except forbidden ones.
    assert_eq!(
        auth_case("acme-lab1", Some("username_password_mfa"), false),
        (UsernamePasswordMfa, true, RuleId::AuthenticatorsPerAccount)
    );
    assert_eq!(
        auth_case("acme-lab1", Some("snowflake"), false),
        (Snowflake, false, RuleId::AuthenticatorsForbidden)
    );
}

#[test]
fn effective_source_reported() {
    let v = policy().evaluate_connection(&ConnectionParams {
        name: "c".into(),
        account: Some("acme-prod".into()),
        authenticator: Some("externalbrowser".into()),
        private_key_path: Some("k.p8".into()),
        ..Default::default()
    });
    assert_eq!(v.authenticator.source, EffectiveSource::PrivateKey);
    assert_eq!(
        v.authenticator.configured.as_deref(),
        Some("externalbrowser")
    );
}

#[test]
fn role_table() {
    let cases: &[(Option<&str>, bool, RoleStatus, bool)] = &[
        (None, false, RoleStatus::Missing, true),
        (None, true, RoleStatus::Missing, false),
        (Some("analyst"), true, RoleStatus::Default, true),
        (Some("\"ANALYST\""), true, RoleStatus::Default, true),
        (Some("accountadmin"), false, RoleStatus::Forbidden, false),
        (Some("SECURITYADMIN"), false, RoleStatus::Forbidden, false),
        (Some("REPORTING"), true, RoleStatus::Other, true),
        (Some("${SF_ROLE}"), false, RoleStatus::Placeholder, false),
    ];
    for (role, require, status, compliant) in cases {
        let mut p = policy();
        p.roles.require_role = *require;
        let v = p.evaluate_connection(&ConnectionParams {
            name: "c".into(),
            account: Some("acme-prod".into()),
            authenticator: Some("externalbrowser".into()),
            role: role.map(Into::into),
            ..Default::default()
        });
        assert_eq!(
            (v.role.status, v.role.compliant),
            (*status, *compliant),
            "{role:?}"
        );
        assert_eq!(v.compliant, *compliant, "{role:?}");
    }
    let unset = Policy::default().evaluate_connection(&conn("acme-prod", None));
    assert_eq!(unset.role.status, RoleStatus::Unset);
    assert!(unset.compliant);
}

#[test]
fn secrets_and_required() {
    let pat = format!(
        "eyJraWQiOiIxMjM0NTYiLCJhbGciOiJFUzI1NiJ9.{}.{}",
        "a".repeat(40),
        "b".repeat(30)
    );
    let cases: &[(Option<&str>, Option<&str>, &[SecretKind])] = &[
        (Some("hunter2"), None, &[SecretKind::PlaintextPassword]),
        (Some(&pat), None, &[SecretKind::PatInPassword]),
        (Some("${SNOWFLAKE_PASSWORD}"), None, &[]),
        (None, Some("tok"), &[SecretKind::InlineToken]),
        (Some(""), Some("${T}"), &[]),
    ];
    for (password, token, kinds) in cases {
        let v = policy().evaluate_connection(&ConnectionParams {
            name: "corp".into(),
            account: Some("acme-prod".into()),
            password: password.map(Into::into),
            token: token.map(Into::into),
            ..Default::default()
        });
        let got: Vec<SecretKind> = v.secrets.iter().map(|s| s.kind).collect();
        assert_eq!(got, *kinds, "{password:?} {token:?}");
        assert!(v.required);
        // The secret value never reaches the report.
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("hunter2"));
    }
}

#[test]
fn debug_redacts_secrets() {
    let p = ConnectionParams {
        password: Some("hunter2".into()),
        token: Some("tok-secret".into()),
        ..Default::default()
    };
    let dbg = format!("{p:?}");
    assert!(
        !dbg.contains("hunter2") && !dbg.contains("tok-secret"),
        "{dbg}"
    );
}

/// A native-Okta URL cannot be spelled out in "every known method but the forbidden
/// ones", which is what Cortex Code receives when only methods are forbidden: the
/// engine refuses it as Cortex Code does, with a rule that says how to allow it.
#[test]
fn native_okta_is_not_dropped_silently_when_methods_are_forbidden() {
    let mut policy = warden_policy::Policy::default();
    policy.authenticators.forbidden = vec!["SNOWFLAKE".into()];
    let params = warden_policy::ConnectionParams {
        name: "okta".into(),
        account: Some("acme-prod".into()),
        authenticator: Some("https://acme.okta.com".into()),
        ..Default::default()
    };
    let v = policy.evaluate_connection(&params);
    assert!(!v.authenticator.allowed, "{v:#?}");
    assert!(
        v.authenticator
            .rule
            .explanation
            .contains("[authenticators] allowed")
    );
    policy.authenticators.allowed = vec![vec!["https://acme.okta.com".into()]];
    assert!(policy.evaluate_connection(&params).authenticator.allowed);
}

/// The account is judged through the compiled `permissions` too: a tool-only
/// `onlyAllow` with `defaultMode: deny` still admits the allowed account (the
/// compiler lists it), and an `account(…)` deny pattern blocks it.
#[test]
fn accounts_are_judged_through_the_compiled_permissions() {
    let mut policy = warden_policy::Policy::default();
    policy.accounts.allow = vec![vec!["globex-secure".into()]];
    policy.permissions.only_allow = Some(vec!["read".into(), "bash(git:*)".into()]);
    policy.permissions.default_mode = warden_policy::DefaultMode::Deny;
    let effective = policy.permissions.with_accounts(&policy.accounts);
    assert_eq!(
        effective.only_allow.as_deref().unwrap(),
        ["read", "bash(git:*)", "account(globex-secure)"]
    );
    let params = warden_policy::ConnectionParams {
        name: "globex".into(),
        account: Some("globex-secure".into()),
        authenticator: Some("externalbrowser".into()),
        ..Default::default()
    };
    let v = policy.evaluate_connection(&params);
    assert!(v.compliant, "{v:#?}");
    let inv = warden_policy::Invocation::new("account", Some("globex-secure"));
    assert_eq!(
        effective.evaluate(&inv).decision,
        warden_policy::Decision::Allow
    );

    policy.permissions.deny = vec!["account(globex-*)".into()];
    let v = policy.evaluate_connection(&params);
    assert!(!v.compliant);
    assert_eq!(v.account.rule.id, warden_policy::RuleId::PermissionsDeny);

    // Without an account allow list the compiled list admits every account, unless
    // the profile's own list names accounts.
    let mut open = warden_policy::Policy::default();
    open.permissions.only_allow = Some(vec!["read".into()]);
    assert!(
        open.permissions
            .with_accounts(&open.accounts)
            .only_allow
            .unwrap()
            .contains(&"account(*)".to_owned())
    );
    open.permissions.only_allow = Some(vec!["account(acme-prod)".into()]);
    assert_eq!(
        open.permissions
            .with_accounts(&open.accounts)
            .only_allow
            .unwrap(),
        ["account(acme-prod)"]
    );
}
