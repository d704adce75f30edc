//! Per-account methods inherited through `extends` are narrowed by the child: the
//! compiled `auth.accounts` never lets an account use what the child does not allow.

mod common;

use serde_json::{Value, json};

fn managed_settings(rel: &str) -> Value {
    let profile = common::load(&common::root().join(rel));
    let output = warden_compile::compile(&profile).unwrap();
    serde_json::from_slice(&output.context().managed_settings_bytes).unwrap()
}

#[test]
fn the_base_writes_its_own_entries() {
    let base = managed_settings("tests/fixtures/profiles/valid/per-account-base.toml");
    assert_eq!(
        base.pointer("/auth/accounts").unwrap(),
        &json!({
            "example-ci": { "allowedMethods": ["SNOWFLAKE_JWT", "PROGRAMMATIC_ACCESS_TOKEN", "EXTERNALBROWSER"] },
            "example-etl": { "allowedMethods": [] },
            "partner-*": { "allowedMethods": ["SNOWFLAKE_JWT"] },
        })
    );
}

#[test]
fn the_child_narrows_the_inherited_entries() {
    let child = managed_settings("tests/fixtures/profiles/valid/per-account-child.toml");
    assert_eq!(
        child.pointer("/tenant/allowedAccounts").unwrap(),
        &json!(["example-*"])
    );
    assert_eq!(
        child.pointer("/auth/allowedMethods").unwrap(),
        &json!(["EXTERNALBROWSER", "PROGRAMMATIC_ACCESS_TOKEN"])
    );
    // `partner-*` is gone (no partner account is allowed), `example-ci` lost the key
    // pair, and `example-etl`'s "any method" is exactly the child's list.
    assert_eq!(
        child.pointer("/auth/accounts").unwrap(),
        &json!({
            "example-ci": { "allowedMethods": ["PROGRAMMATIC_ACCESS_TOKEN", "EXTERNALBROWSER"] },
            "example-etl": { "allowedMethods": ["EXTERNALBROWSER", "PROGRAMMATIC_ACCESS_TOKEN"] },
        })
    );
}

/// Every method any entry allows is one the child allows: no entry widens it.
#[test]
fn no_entry_of_the_child_widens_its_allowed_methods() {
    let child = managed_settings("tests/fixtures/profiles/valid/per-account-child.toml");
    let allowed = child
        .pointer("/auth/allowedMethods")
        .unwrap()
        .as_array()
        .unwrap();
    for (account, entry) in child
        .pointer("/auth/accounts")
        .unwrap()
        .as_object()
        .unwrap()
    {
        let methods = entry["allowedMethods"].as_array().unwrap();
        assert!(
            !methods.is_empty(),
            "{account}: an empty list means any method"
        );
        for m in methods {
            assert!(
                allowed.contains(m),
                "{account}: {m} is not allowed by the child"
            );
        }
    }
}
