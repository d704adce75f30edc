//! Interop: after `enforce`, the real Snowflake clients read the repaired files: the
//! Snowflake CLI lists the required connection as the default with the policy's role,
//! and the Python connector loads the files without a permission warning.
#![cfg(unix)]

mod user_support;

use std::process::Command;

use user_support::{chmod, policy_with, stage};
use warden_agent_core::user::enforce;
use warden_policy::RuleMode;

#[test]
fn snow_and_the_connector_read_the_repaired_home() {
    let h = stage("noncompliant");
    chmod(&h.sf().join("connections.toml"), 0o644);
    chmod(&h.sf(), 0o755);
    let policy = policy_with(|e| e.modes.forbidden_connections = RuleMode::Enforce);
    let r = enforce(&policy, &h.opts());
    assert_eq!(r.exit_code(), 0, "{}", h.json(&r));

    let env = |c: &mut Command| {
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &h.home)
            .env("SNOWFLAKE_HOME", h.sf());
    };

    if let Some(snow) = warden_testkit::require_tool("snow") {
        let mut cmd = Command::new(snow);
        cmd.args(["connection", "list", "--format", "json"]);
        env(&mut cmd);
        let out = cmd.output().expect("snow runs");
        assert!(
            out.status.success(),
            "snow failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let list: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("snow prints JSON");
        let list = list.as_array().expect("a list");
        let names: Vec<&str> = list
            .iter()
            .map(|c| c["connection_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["dev", "reporting", "acme"], "{list:?}");
        let acme = list
            .iter()
            .find(|c| c["connection_name"] == "acme")
            .unwrap();
        assert_eq!(acme["is_default"], true, "{acme}");
        assert_eq!(acme["parameters"]["role"], "ANALYST", "{acme}");
        assert_eq!(acme["parameters"]["account"], "acme-prod", "{acme}");
    }

    if let Some(py) = warden_testkit::require_python_module("snowflake.connector") {
        let script = "\
from snowflake.connector.config_manager import CONFIG_MANAGER
CONFIG_MANAGER.read_config()
conns = CONFIG_MANAGER['connections']
print(CONFIG_MANAGER['default_connection_name'])
print(','.join(conns.keys()))
print(conns['acme']['role'])
";
        let mut cmd = Command::new(py);
        cmd.args(["-W", "error", "-c", script]);
        env(&mut cmd);
        let out = cmd.output().expect("python runs");
        assert!(
            out.status.success(),
            "connector failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "acme\ndev,reporting,acme\nANALYST\n"
        );
    }
}

#[test]
fn snow_reads_a_home_created_from_nothing() {
    let h = stage("empty-home");
    let r = enforce(&policy_with(|_| {}), &h.opts());
    assert_eq!(r.exit_code(), 0);
    let Some(snow) = warden_testkit::require_tool("snow") else {
        return;
    };
    // No SNOWFLAKE_HOME: snow must find ~/.snowflake by itself.
    let out = Command::new(snow)
        .args(["connection", "list", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &h.home)
        .output()
        .expect("snow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["connection_name"], "acme");
    assert_eq!(list[0]["is_default"], true);
}
