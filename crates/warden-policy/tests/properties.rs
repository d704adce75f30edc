//! Property tests: normalisation is a fixed point and ignores case and URL decoration; glob
//! matching agrees with a regex built from the same glob.

use proptest::prelude::*;
use warden_policy::{Containment, Glob, NormalizedAccount};

/// Reference implementation for the test only: the glob as an anchored regex.
fn reference(glob: &str) -> regex::Regex {
    let mut re = String::from("(?is)^");
    for ch in glob.chars() {
        match ch {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

fn identifier() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9]{0,8}(-[a-zA-Z0-9_]{1,10})?(\\.[a-z0-9-]{1,12}){0,3}"
}

fn glob_text() -> impl Strategy<Value = String> {
    "[ab.*?_-]{1,8}"
}

proptest! {
    #[test]
    fn normalisation_is_idempotent(s in "\\PC{0,40}") {
        if let Ok(a) = NormalizedAccount::parse(&s) {
            let again = NormalizedAccount::parse(&a.normalized()).unwrap();
            prop_assert_eq!(again.normalized(), a.normalized());
            prop_assert_eq!(again.kind, a.kind);
        }
    }

    #[test]
    fn normalisation_ignores_case(s in identifier()) {
        let lower = NormalizedAccount::parse(&s.to_lowercase()).unwrap();
        let upper = NormalizedAccount::parse(&s.to_uppercase()).unwrap();
        prop_assert_eq!(lower.normalized(), upper.normalized());
    }

    #[test]
    fn normalisation_strips_url_decoration(
        s in identifier(),
        scheme in prop_oneof![Just(""), Just("https://"), Just("HTTP://")],
        port in prop_oneof![Just(""), Just(":443"), Just(":8080")],
        path in prop_oneof![Just(""), Just("/"), Just("/console/login?x=1")],
        domain in prop_oneof![Just(""), Just(".snowflakecomputing.com"), Just(".SnowflakeComputing.cn"), Just(".snowflakecomputing.com.")],
        pad in prop_oneof![Just(""), Just("  ")],
    ) {
        let bare = NormalizedAccount::parse(&s).unwrap();
        let decorated = format!("{pad}{scheme}{s}{domain}{port}{path}{pad}");
        let n = NormalizedAccount::parse(&decorated).unwrap();
        prop_assert_eq!(n.normalized(), bare.normalized());
        prop_assert_eq!(n.kind, bare.kind);
        prop_assert_eq!(n.tld.is_some(), !domain.is_empty());
    }

    #[test]
    fn literal_matches_itself(s in "[a-zA-Z0-9._:/-]{1,30}") {
        let g = Glob::new(&s).unwrap();
        prop_assert!(g.matches(&s));
        prop_assert!(g.matches(&s.to_uppercase()));
        prop_assert_eq!(g.covers(&g), Containment::Yes);
    }

    #[test]
    fn star_matches_everything(s in "\\PC{0,40}") {
        prop_assert!(Glob::new("*").unwrap().matches(&s));
    }

    #[test]
    fn agrees_with_regex(pattern in glob_text(), text in "[abAB._-]{0,10}") {
        let g = Glob::new(&pattern).unwrap();
        prop_assert_eq!(g.matches(&text), reference(&pattern).is_match(&text));
    }

    #[test]
    fn covers_is_sound(wide in glob_text(), narrow in glob_text(), text in "[ab._-]{0,8}") {
        let (w, n) = (Glob::new(&wide).unwrap(), Glob::new(&narrow).unwrap());
        if w.covers(&n) == Containment::Yes && n.matches(&text) {
            prop_assert!(w.matches(&text), "{wide} should cover {narrow} on {text}");
        }
    }

    #[test]
    fn intersects_agrees_with_witnesses(a in glob_text(), b in glob_text(), text in "[ab._-]{0,8}") {
        let (ga, gb) = (Glob::new(&a).unwrap(), Glob::new(&b).unwrap());
        if ga.matches(&text) && gb.matches(&text) {
            prop_assert!(ga.intersects(&gb));
        }
        prop_assert_eq!(ga.intersects(&gb), gb.intersects(&ga));
    }
}

fn account_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        "acme-[a-z*?_]{1,6}",
        "[a-z]{2,4}[0-9]{0,3}(\\.[a-z*-]{1,6})?",
        "acme-(prod|dev)[a-z_-]{0,4}\\*?",
    ]
}

fn permission_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        account_pattern().prop_map(|p| format!("account({p})")),
        Just("bash(rm:*)".to_owned()),
        Just("web_*".to_owned()),
        Just("account(".to_owned()),
    ]
}

proptest! {
    /// `evaluate_account`, which parses only what decides an account, gives exactly the
    /// account verdict of `evaluate_connection`.
    #[test]
    fn account_only_evaluation_agrees(
        allow in proptest::collection::vec(proptest::collection::vec(account_pattern(), 0..3), 0..3),
        deny in proptest::collection::vec(account_pattern(), 0..3),
        perm_deny in proptest::collection::vec(permission_pattern(), 0..3),
        only_allow in proptest::option::of(proptest::collection::vec(permission_pattern(), 0..3)),
        deny_by_default in any::<bool>(),
        account in proptest::option::of(prop_oneof![
            identifier(),
            Just("${SNOWFLAKE_ACCOUNT}".to_owned()),
            Just("acme-prod".to_owned()),
            Just("xy12345.us-east-1".to_owned()),
        ]),
        host in proptest::option::of(prop_oneof![
            Just("acme-prod.snowflakecomputing.com".to_owned()),
            Just("example.com".to_owned()),
        ]),
    ) {
        let mut policy = warden_policy::Policy::default();
        policy.accounts.allow = allow;
        policy.accounts.deny = deny;
        policy.permissions.deny = perm_deny;
        policy.permissions.only_allow = only_allow;
        if deny_by_default {
            policy.permissions.default_mode = warden_policy::DefaultMode::Deny;
        }
        let params = warden_policy::ConnectionParams {
            name: "c".into(),
            account,
            host,
            ..Default::default()
        };
        prop_assert_eq!(
            policy.evaluate_account(&params),
            policy.evaluate_connection(&params).account
        );
    }
}
