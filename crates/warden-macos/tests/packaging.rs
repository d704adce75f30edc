//! The agent package recipe in `packaging/macos/`: launchd jobs, installer
//! scripts and the Jamf extension attribute.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plist::Value;

const AGENT_BIN: &str = "/usr/local/bin/warden-agent";
const SCRIPTS: &[&str] = &[
    "build-pkg.sh",
    "scripts/postinstall",
    "uninstall.sh",
    "jamf-extension-attribute.sh",
];

fn packaging() -> PathBuf {
    warden_testkit::repo_root().join("packaging/macos")
}

fn job(rel: &str) -> plist::Dictionary {
    Value::from_file(packaging().join(rel))
        .unwrap()
        .into_dictionary()
        .unwrap()
}

fn args(d: &plist::Dictionary) -> Vec<&str> {
    d["ProgramArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect()
}

#[test]
fn launch_daemon_enforces_system_mode_at_load_periodically_and_on_policy_change() {
    let d = job("LaunchDaemons/com.warden.agent.system.plist");
    assert_eq!(d["Label"].as_string(), Some("com.warden.agent.system"));
    assert_eq!(args(&d), [AGENT_BIN, "enforce", "--system"]);
    assert_eq!(d["RunAtLoad"].as_boolean(), Some(true));
    assert_eq!(d["StartInterval"].as_signed_integer(), Some(15 * 60));
    let watch: Vec<_> = d["WatchPaths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(watch, ["/Library/Managed Preferences"]);
}

#[test]
fn launch_agent_enforces_user_mode_at_login() {
    let d = job("LaunchAgents/com.warden.agent.user.plist");
    assert_eq!(d["Label"].as_string(), Some("com.warden.agent.user"));
    assert_eq!(args(&d), [AGENT_BIN, "enforce", "--user"]);
    assert_eq!(d["RunAtLoad"].as_boolean(), Some(true));
    assert!(!d.contains_key("StartInterval") && !d.contains_key("WatchPaths"));
}

#[test]
fn scripts_are_executable_posix_sh_with_strict_mode() {
    for rel in SCRIPTS {
        let path = packaging().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{rel}");
        assert!(text.contains("\nset -eu\n"), "{rel}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{rel} is not executable");
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn scripts_pass_shellcheck() {
    let Some(shellcheck) = warden_testkit::require_tool("shellcheck") else {
        return;
    };
    let out = Command::new(shellcheck)
        .args(["-s", "sh"])
        .args(SCRIPTS.iter().map(|s| packaging().join(s)))
        .output()
        .expect("shellcheck runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn fake_agent(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("warden-agent");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs the extension attribute with no one at the console.
fn extension_attribute(agent: &Path) -> Output {
    extension_attribute_for(agent, "", "")
}

fn extension_attribute_for(agent: &Path, user: &str, home: &str) -> Output {
    Command::new("sh")
        .arg(packaging().join("jamf-extension-attribute.sh"))
        .env("WARDEN_AGENT", agent)
        .env("WARDEN_CONSOLE_USER", user)
        .env("WARDEN_CONSOLE_HOME", home)
        .output()
        .unwrap()
}

#[test]
fn extension_attribute_asks_for_the_console_users_result() {
    let dir = tempfile::tempdir().unwrap();
    // The fake agent prints the arguments it was given.
    let agent = fake_agent(dir.path(), r#"echo "<result>$*</result>""#);
    let out = extension_attribute_for(&agent, "alice", "/Users/alice smith");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "<result>check --format jamf --console-user alice --console-home /Users/alice smith</result>\n"
    );
    // Nobody at the console (the login window): the system verdict alone.
    for user in ["", "root", "loginwindow"] {
        let out = extension_attribute_for(&agent, user, "/var/root");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "<result>check --format jamf</result>\n",
            "{user:?}"
        );
    }
}

#[test]
fn extension_attribute_passes_the_agent_report_through() {
    let dir = tempfile::tempdir().unwrap();
    // Non-compliant: the agent exits 1 after printing its report.
    let agent = fake_agent(
        dir.path(),
        r#"[ "$1 $2 $3" = "check --format jamf" ] || exit 9
echo "<result>non-compliant serial=7 drift=CortexEnabled</result>"
echo "diagnostics" >&2
exit 1"#,
    );
    let out = extension_attribute(&agent);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "<result>non-compliant serial=7 drift=CortexEnabled</result>\n"
    );
}

#[test]
fn extension_attribute_reports_a_missing_or_failing_agent() {
    let dir = tempfile::tempdir().unwrap();
    let out = extension_attribute(&dir.path().join("absent"));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "<result>not installed</result>\n"
    );

    let agent = fake_agent(dir.path(), "exit 2");
    let out = extension_attribute(&agent);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "<result>error: warden-agent exited 2 without a report</result>\n"
    );
}

#[test]
fn build_pkg_stages_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    let agent = fake_agent(dir.path(), "exit 0");
    let trust_root = dir.path().join("trust-root.json");
    std::fs::write(&trust_root, br#"{"version":1}"#).unwrap();
    let stage = dir.path().join("stage");
    let out = Command::new("sh")
        .arg(packaging().join("build-pkg.sh"))
        .arg("--agent")
        .arg(&agent)
        .arg("--trust-root")
        .arg(&trust_root)
        .arg("--stage-only")
        .arg(&stage)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let expect = [
        ("usr/local/bin/warden-agent", 0o755),
        ("Library/Application Support/Warden/trust-root.json", 0o644),
        ("Library/Application Support/Warden/uninstall.sh", 0o755),
        ("Library/LaunchDaemons/com.warden.agent.system.plist", 0o644),
        ("Library/LaunchAgents/com.warden.agent.user.plist", 0o644),
    ];
    for (rel, mode) in expect {
        let meta = std::fs::metadata(stage.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{rel}");
    }
    assert_eq!(
        std::fs::read(stage.join("Library/Application Support/Warden/trust-root.json")).unwrap(),
        br#"{"version":1}"#
    );
    // Every shipped launchd job is installed, and only those.
    let installed: usize = ["Library/LaunchDaemons", "Library/LaunchAgents"]
        .iter()
        .map(|d| std::fs::read_dir(stage.join(d)).unwrap().count())
        .sum();
    assert_eq!(installed, 2);
    // The jobs run the binary the package installs.
    for rel in [
        "LaunchDaemons/com.warden.agent.system.plist",
        "LaunchAgents/com.warden.agent.user.plist",
    ] {
        assert_eq!(args(&job(rel))[0], format!("/{}", expect[0].0));
    }
}

#[test]
fn build_pkg_refuses_missing_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("sh")
        .arg(packaging().join("build-pkg.sh"))
        .arg("--agent")
        .arg(dir.path().join("absent"))
        .arg("--trust-root")
        .arg(dir.path().join("absent.json"))
        .arg("--stage-only")
        .arg(dir.path().join("stage"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("stage").exists());
    let usage = Command::new("sh")
        .arg(packaging().join("build-pkg.sh"))
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
