//! The committed Cortex Code schema accepts the documented shapes and refuses others.

mod common;

use serde_json::json;
use warden_compile::CompileError;
use warden_compile::managed_settings::check_schema;

#[test]
fn schema_refuses_what_cortex_code_would_refuse() {
    for bad in [
        json!({}),
        json!({ "version": "2.0" }),
        json!({ "version": "1.0", "unknown": true }),
        json!({ "version": "1.0", "permissions": { "defaultMode": "maybe" } }),
        json!({ "version": "1.0", "permissions": { "deny": ["bash(rm:*"] } }),
        json!({ "version": "1.0", "required": { "minimumVersion": "1.2" } }),
        json!({ "version": "1.0", "files": { "mcpFile": "relative/mcp.json" } }),
        json!({ "version": "1.0", "auth": { "accounts": { "a": { "methods": [] } } } }),
        json!({ "version": "1.0", "settings": { "forceSandboxMode": "strict" } }),
    ] {
        assert!(
            matches!(check_schema(&bad), Err(CompileError::SchemaViolation(_))),
            "accepted {bad}"
        );
    }
}

#[test]
fn schema_accepts_the_documented_examples() {
    for name in [
        "basic-corporate",
        "approved-accounts",
        "approved-tools",
        "bash-dangerous-blocked",
        "high-security",
        "mdm-example",
    ] {
        let path = common::fixtures().join("docs").join(name).join("doc.json");
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        check_schema(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // The per-account example from the MDM page, with an empty list (any method).
    check_schema(&json!({
        "version": "1.0",
        "auth": {
            "allowedMethods": ["OAUTH_AUTHORIZATION_CODE", "EXTERNALBROWSER"],
            "accounts": {
                "acme-prod": { "allowedMethods": ["EXTERNALBROWSER"] },
                "acme-dev": { "allowedMethods": [] }
            }
        },
        "cli": { "required": { "minimumVersion": "1.2.0" } },
        "desktop": { "required": { "minimumVersion": "1.21.6" } },
        "files": { "connectionsFile": "C:\\ProgramData\\Cortex\\connections.toml" }
    }))
    .unwrap();
}

#[test]
fn a_profile_that_would_break_the_schema_is_not_compiled() {
    let p: warden_profile::Profile = serde_json::from_value(json!({
        "profile": { "id": "rel", "name": "relative path", "serial": 1 },
        "cortex": { "files": { "mcp_file": "mcp.json" } }
    }))
    .unwrap();
    let r = warden_profile::ResolvedProfile::from_root("rel.toml", &p);
    assert!(matches!(
        warden_compile::compile(&r),
        Err(CompileError::SchemaViolation(msg)) if msg.contains("/files/mcpFile")
    ));
}

#[test]
fn bare_tool_names_with_wildcards_compile_to_a_schema_valid_file() {
    // "Both forms support `*` (any characters) and `?` (single character) glob
    // wildcards": `web_*` and `sql_?xecute` are bare tool names, not Bash patterns.
    let base = std::fs::read_to_string(common::root().join("profiles/examples/org-baseline.toml"))
        .unwrap();
    let edited = base.replace(
        "deny = [\"bash(rm:*)\"",
        "deny = [\"web_*\", \"sql_?xecute\", \"bash(rm:*)\"",
    );
    assert_ne!(edited, base, "the example's deny list moved");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wildcards.toml");
    std::fs::write(&path, edited).unwrap();
    let profile = common::load(&path);
    let out = warden_compile::compile(&profile).unwrap();
    let bytes = &out.artifacts()[warden_compile::MANAGED_SETTINGS_PATH];
    let settings: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let deny = settings["permissions"]["deny"].as_array().unwrap();
    assert!(deny.contains(&json!("web_*")) && deny.contains(&json!("sql_?xecute")));
    check_schema(&settings).unwrap();
}
