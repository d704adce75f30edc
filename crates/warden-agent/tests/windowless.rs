//! `warden-agentw`, the build the Windows logon task runs: the same program as
//! `warden-agent`, linked for the GUI subsystem on Windows so no console opens.

use std::process::Command;

fn run(exe: &str, home: &std::path::Path, root: &std::path::Path) -> (Option<i32>, Vec<u8>) {
    let o = Command::new(exe)
        .args(["check", "--user", "--format", "json", "--platform", "linux"])
        .args(["--now", "2026-03-01T00:00:00Z"])
        .arg("--root")
        .arg(root)
        .arg("--home")
        .arg(home)
        .env("HOME", home)
        .env_remove("SNOWFLAKE_HOME")
        .output()
        .unwrap();
    (o.status.code(), o.stdout)
}

#[test]
fn the_logon_task_binary_is_the_agent_without_a_console_window() {
    let source = std::fs::read_to_string(
        warden_testkit::repo_root().join("crates/warden-agent/src/bin/warden-agentw.rs"),
    )
    .unwrap();
    assert!(source.contains(r#"#![cfg_attr(windows, windows_subsystem = "windows")]"#));
    let root = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let console = run(env!("CARGO_BIN_EXE_warden-agent"), home.path(), root.path());
    let windowless = run(
        env!("CARGO_BIN_EXE_warden-agentw"),
        home.path(),
        root.path(),
    );
    assert_eq!(console.0, Some(2));
    assert_eq!(windowless, console);
    let version = |exe: &str| Command::new(exe).arg("--version").output().unwrap().stdout;
    assert_eq!(
        version(env!("CARGO_BIN_EXE_warden-agentw")),
        version(env!("CARGO_BIN_EXE_warden-agent"))
    );
}
