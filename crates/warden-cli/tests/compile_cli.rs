//! `warden compile` run as a real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

fn warden() -> Command {
    let mut cmd = Command::cargo_bin("warden").unwrap();
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CI");
    cmd
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn compiles_every_example_into_its_own_folder() {
    let out = tempfile::tempdir().unwrap();
    let assert = warden()
        .args(["compile", "profiles/examples", "--out"])
        .arg(out.path())
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();

    let snapshots = root().join("tests/fixtures/compile/examples");
    let ids = [
        "acme-baseline",
        "acme-cortex-service",
        "acme-data-science",
        "globex-sso-strict",
    ];
    let mut top: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ids, "only the profile folders, no staging leftovers");
    for id in ids {
        assert!(stdout.contains(&format!("compiled `{id}`")), "{stdout}");
        let written = out.path().join(id);
        let expected = snapshots.join(id);
        assert_eq!(files_under(&written), files_under(&expected), "{id}");
        for f in files_under(&written) {
            assert_eq!(
                std::fs::read(written.join(&f)).unwrap(),
                std::fs::read(expected.join(&f)).unwrap(),
                "{id}/{f} differs from the library's snapshot"
            );
        }
    }
    assert!(stdout.contains("snowflake/setup.sql"));
}

#[test]
fn recompiling_removes_stale_files() {
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("globex-sso-strict");
    std::fs::create_dir_all(folder.join("macos")).unwrap();
    std::fs::write(folder.join("macos/old.mobileconfig"), "stale").unwrap();
    std::fs::write(folder.join("managed-settings.json"), "{}").unwrap();
    // A staging folder left by an interrupted run is cleaned up too.
    std::fs::create_dir_all(out.path().join(".globex-sso-strict.partial")).unwrap();

    warden()
        .args(["compile", "profiles/examples/sso-only.toml", "-o"])
        .arg(out.path())
        .assert()
        .code(0);
    assert_eq!(
        files_under(&folder),
        ["managed-settings.json", "manifest.json"]
    );
    assert!(!out.path().join(".globex-sso-strict.partial").exists());
    let settings = std::fs::read_to_string(folder.join("managed-settings.json")).unwrap();
    assert!(settings.contains("\"globex-secure\""));
}

#[test]
fn a_profile_with_errors_is_refused_and_nothing_is_written_for_it() {
    let out = tempfile::tempdir().unwrap();
    let assert = warden()
        .args([
            "compile",
            "tests/fixtures/compile/hostile/sql-injection.toml",
            "profiles/examples/sso-only.toml",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1);
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("unsafe-identifier"), "{stdout}");
    assert!(
        stderr.contains("sql-injection.toml` has errors"),
        "{stderr}"
    );
    assert!(!out.path().join("hostile-sql").exists());
    // The valid profile next to it is still compiled.
    assert!(
        out.path()
            .join("globex-sso-strict/managed-settings.json")
            .is_file()
    );
}

#[test]
fn json_findings_keep_stdout_machine_readable() {
    let out = tempfile::tempdir().unwrap();
    let assert = warden()
        .args([
            "compile",
            "tests/fixtures/compile/hostile/sql-injection.toml",
            "profiles/examples/sso-only.toml",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1);
    let output = assert.get_output();
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(parsed.to_string().contains("unsafe-identifier"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("compiled `globex-sso-strict`"));
}

#[test]
fn two_profiles_with_one_id_are_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    let assert = warden()
        .args([
            "compile",
            "profiles/examples/sso-only.toml",
            "profiles/examples/sso-only.toml",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(
        stderr.contains("both have the id `globex-sso-strict`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn usage_errors_exit_2() {
    warden()
        .args(["compile", "profiles/examples"])
        .assert()
        .code(2);
    let out = tempfile::tempdir().unwrap();
    warden()
        .args(["compile", "does/not/exist.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(2);
}
