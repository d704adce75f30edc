//! `warden explain --enforcement` and `warden import`, run as the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn warden(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("warden").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("CI");
    cmd
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("profiles/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    files
}

/// Compiles `profile` into `out` and returns the profile's folder.
fn compile(work: &Path, profile: &Path, out: &Path) -> PathBuf {
    let o = warden(work)
        .arg("compile")
        .arg(profile)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1);
    dirs.remove(0)
}

fn json_file(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Leaf paths of a managed-settings document, as the enforcement map names them.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if prefix != "auth.accounts" => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, v, out);
            }
        }
        Value::Array(items) if prefix.starts_with("permissions.") => {
            let acct = items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.starts_with("account(")));
            let tools = items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| !s.starts_with("account(")));
            if tools {
                out.push(prefix.to_owned());
            }
            if acct {
                out.push(format!("{prefix}[account()]"));
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

#[test]
fn the_baseline_map_lists_every_control_with_a_mechanism_per_os_and_client() {
    let work = tempfile::tempdir().unwrap();
    let profile = root().join("profiles/examples/org-baseline.toml");
    let o = warden(work.path())
        .args(["explain"])
        .arg(&profile)
        .args(["--enforcement", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let map: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(map["format"], "warden.enforcement/v1");
    let controls = map["controls"].as_array().unwrap();
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();

    let dir = compile(work.path(), &profile, &work.path().join("dist"));
    let settings = json_file(&dir.join("managed-settings.json"));
    let mut expected = Vec::new();
    leaves("", &settings, &mut expected);
    expected.retain(|p| p != "version");
    for rule in json_file(&dir.join("manifest.json"))["endpoint_rules"]
        .as_array()
        .unwrap()
    {
        expected.push(rule["id"].as_str().unwrap().to_owned());
    }
    for e in &expected {
        assert!(
            ids.contains(&e.as_str()),
            "control {e} missing from {ids:?}"
        );
    }
    assert_eq!(ids.len(), expected.len(), "{ids:?} vs {expected:?}");
    for c in controls {
        let cells = c["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 6, "{c}");
        for cell in cells {
            assert!(!cell["mechanisms"].as_array().unwrap().is_empty(), "{cell}");
            assert!(cell["tamper_resistance"].is_string(), "{cell}");
        }
    }
    let cell = |id: &str, os: &str, client: &str| -> Value {
        controls.iter().find(|c| c["id"] == id).unwrap()["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["os"] == os && x["client"] == client)
            .unwrap()
            .clone()
    };
    // account() denies are CLI-only: on Desktop only the agent's audit stands behind them.
    let desk = cell("permissions.deny[account()]", "macos", "desktop");
    assert_eq!(
        desk["mechanisms"],
        serde_json::json!(["agent-audit"]),
        "{desk}"
    );
    let cli = cell("permissions.deny[account()]", "macos", "cli");
    assert_eq!(cli["mechanisms"][0], "mdm-forced-key", "{cli}");
    assert_eq!(cli["tamper_resistance"], "high");
    // Desktop ignores defaults.*.
    assert_eq!(
        cell("defaults.connectionName", "windows", "desktop")["mechanisms"],
        serde_json::json!(["not-enforced"])
    );
    // Windows carries the account lock as a registry policy value.
    assert_eq!(
        cell("tenant.allowedAccounts", "windows", "cli")["mechanisms"][0],
        "registry-policy"
    );
    // The manifest carries the same map.
    assert_eq!(
        json_file(&dir.join("manifest.json"))["enforcement"],
        map["controls"]
    );

    // Markdown: one table whose rows all have the header's column count.
    let o = warden(work.path())
        .arg("explain")
        .arg(&profile)
        .args(["--enforcement", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(
        md.starts_with("### Enforcement map: `acme-baseline`"),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    let cols = |l: &str| l.replace("\\|", "").matches('|').count();
    assert_eq!(rows.len(), controls.len() + 2, "{md}");
    assert!(rows.iter().all(|r| cols(r) == cols(rows[0])), "{md}");
    assert!(md.contains("Open readings of the documentation:"), "{md}");
}

#[test]
fn importing_each_compiled_example_compiles_back_to_the_same_settings() {
    for example in examples() {
        let work = tempfile::tempdir().unwrap();
        let original = compile(work.path(), &example, &work.path().join("a"));
        let settings = original.join("managed-settings.json");
        let imported = work.path().join("imported.toml");
        let o = warden(work.path())
            .arg("import")
            .arg(&settings)
            .args(["--id", "imported", "-o"])
            .arg(&imported)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{}: {stderr}", example.display());
        assert!(!stderr.contains("import-unrepresented"), "{stderr}");
        let again = compile(work.path(), &imported, &work.path().join("b"));
        assert_eq!(
            json_file(&again.join("managed-settings.json")),
            json_file(&settings),
            "{}:\n{}",
            example.display(),
            std::fs::read_to_string(&imported).unwrap()
        );
        // And diff shows what adopting the repository's profile would change.
        let o = warden(work.path())
            .arg("diff")
            .arg(&imported)
            .arg(&example)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
    }
}

#[test]
fn the_cortex_keys_of_a_mobileconfig_and_a_reg_import_too() {
    let work = tempfile::tempdir().unwrap();
    let example = root().join("profiles/examples/org-baseline.toml");
    let dir = compile(work.path(), &example, &work.path().join("a"));
    let settings = json_file(&dir.join("managed-settings.json"));
    // The mobileconfig embeds the whole file: the import is exact.
    let o = warden(work.path())
        .arg("import")
        .arg(dir.join("macos/acme-baseline.mobileconfig"))
        .args(["-o", "mac.toml"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mac = compile(
        work.path(),
        &work.path().join("mac.toml"),
        &work.path().join("m"),
    );
    assert_eq!(json_file(&mac.join("managed-settings.json")), settings);
    // The .reg carries the account, auth, version and switch keys one by one.
    let o = warden(work.path())
        .arg("import")
        .arg(dir.join("windows/acme-baseline.reg"))
        .args(["-o", "win.toml"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let win = compile(
        work.path(),
        &work.path().join("win.toml"),
        &work.path().join("w"),
    );
    let got = json_file(&win.join("managed-settings.json"));
    for key in ["enabled", "tenant", "auth", "required"] {
        assert_eq!(got[key], settings[key], "{key}");
    }
}

#[test]
fn a_hand_written_file_with_an_unknown_key_is_reported_and_kept_as_a_comment() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("managed-settings.json");
    std::fs::write(
        &file,
        r#"{ "version": "1.0", "permissions": { "defaultMode": "deny", "deny": ["bash(rm:*)"] },
             "settings": { "forceNoHistoryMode": true, "telemetryLevel": "off" } }"#,
    )
    .unwrap();
    let o = warden(work.path())
        .arg("import")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(
        stderr.contains("warning[import-unrepresented]: settings.telemetryLevel"),
        "{stderr}"
    );
    let toml = String::from_utf8(o.stdout).unwrap();
    assert!(toml.contains("#   settings.telemetryLevel: "), "{toml}");
    assert!(toml.contains("force_no_history_mode = true"), "{toml}");
    // What is imported validates.
    std::fs::write(work.path().join("p.toml"), &toml).unwrap();
    warden(work.path())
        .args(["validate", "p.toml"])
        .assert()
        .code(0);
}
