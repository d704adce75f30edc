//! The systemd units in `packaging/linux/systemd/`: checked by `systemd-analyze
//! verify` and against the rules systemd applies silently.

use std::path::{Path, PathBuf};
use std::process::Command;

const UNITS: [&str; 5] = [
    "warden-agent.service",
    "warden-agent.timer",
    "warden-agent.path",
    "user/warden-agent-user.service",
    "user/warden-agent-user.timer",
];

fn unit_dir() -> PathBuf {
    warden_testkit::repo_root().join("packaging/linux/systemd")
}

/// `Key=value` lines of a unit (comments and sections dropped).
fn settings(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';', '[']))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn has(s: &[(String, String)], key: &str) -> bool {
    s.iter().any(|(k, _)| k == key)
}

fn value<'a>(s: &'a [(String, String)], key: &str) -> Option<&'a str> {
    s.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn persistent_timers_have_a_calendar_event() {
    for unit in UNITS.iter().filter(|u| u.ends_with(".timer")) {
        let s = settings(&unit_dir().join(unit));
        if value(&s, "Persistent") == Some("true") {
            assert!(
                has(&s, "OnCalendar"),
                "{unit}: Persistent= has no effect without OnCalendar="
            );
        }
    }
}

#[test]
fn services_without_network_do_not_wait_for_it() {
    for unit in UNITS.iter().filter(|u| u.ends_with(".service")) {
        let s = settings(&unit_dir().join(unit));
        if value(&s, "PrivateNetwork") == Some("yes") {
            for key in ["After", "Wants", "Requires"] {
                for (k, v) in &s {
                    assert!(
                        !(k == key && v.contains("network-online.target")),
                        "{unit}: {key}=network-online.target while PrivateNetwork=yes"
                    );
                }
            }
        }
    }
}

/// In a user manager these options need unprivileged user namespaces, which many
/// hardened systems turn off: the unit would fail to start there.
#[test]
fn user_units_need_no_user_namespaces() {
    const NEED_USERNS: [&str; 8] = [
        "PrivateTmp",
        "PrivateDevices",
        "PrivateNetwork",
        "PrivateUsers",
        "ProtectSystem",
        "ProtectHome",
        "ProtectKernelTunables",
        "ReadOnlyPaths",
    ];
    for unit in UNITS.iter().filter(|u| u.starts_with("user/")) {
        let s = settings(&unit_dir().join(unit));
        for key in NEED_USERNS {
            assert!(!has(&s, key), "{unit}: {key}= needs user namespaces");
        }
    }
}

/// `systemd-analyze verify` on copies whose `ExecStart=` points at an existing
/// program (verify refuses a missing executable; the agent is not installed here).
/// User units are verified as system units: the syntax and directives are the same.
#[test]
fn units_pass_systemd_analyze_verify() {
    let Some(analyze) = warden_testkit::require_tool("systemd-analyze") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["verify".to_owned(), "--man=no".to_owned()];
    for unit in UNITS {
        let text = std::fs::read_to_string(unit_dir().join(unit))
            .unwrap()
            .replace("/usr/local/bin/warden-agent", "/bin/true");
        let name = Path::new(unit).file_name().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        args.push(path.display().to_string());
    }
    let out = Command::new(analyze)
        .args(&args)
        .env("SYSTEMD_LOG_LEVEL", "notice")
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
}
