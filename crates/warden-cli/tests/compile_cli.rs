//! `warden compile` run as a real binary.

use std::path::Path;

use assert_cmd::Command;
use warden_testkit::{files_under, repo_root};

/// The real binary, run from the repository root as a user would.
fn warden() -> Command {
    Command::from_std(warden_testkit::command(env!("CARGO_BIN_EXE_warden")))
}

/// Files of the library's snapshot folder that the CLI must reproduce byte for byte:
/// the policy artifacts (the manifest also lists the signed bundle, which the library
/// snapshots do not have).
fn policy_artifacts(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| f != "manifest.json")
        .collect()
}

#[test]
fn compiles_every_example_into_its_own_folder() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("dist");
    let assert = warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(repo_root().join("profiles/examples"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("local development key"), "{stdout}");
    assert!(work.path().join(".warden-dev/trust-root.json").is_file());

    let snapshots = repo_root().join("tests/fixtures/compile/examples");
    let ids = [
        "acme-baseline",
        "acme-cortex-service",
        "acme-data-science",
        "globex-cortex-people",
        "globex-sso-strict",
    ];
    let mut top: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ids, "only the profile folders, no staging leftovers");
    for id in ids {
        assert!(stdout.contains(&format!("compiled `{id}`")), "{stdout}");
        let written = out.join(id);
        let expected = snapshots.join(id);
        let files = files_under(&written);
        for f in policy_artifacts(&expected) {
            assert_eq!(
                std::fs::read(written.join(&f)).unwrap(),
                std::fs::read(expected.join(&f)).unwrap(),
                "{id}/{f} differs from the library's snapshot"
            );
        }
        for f in [
            "bundle.dsse.json".to_owned(),
            format!("macos/{id}.mobileconfig"),
            format!("windows/{id}.reg"),
            "windows/Registry.pol".to_owned(),
            "manifest.json".to_owned(),
        ] {
            assert!(files.contains(&f), "{id}: {f} missing from {files:?}");
        }
        // The bundle verifies against the development trust root it was signed under.
        warden()
            .current_dir(work.path())
            .arg("verify")
            .arg(written.join("bundle.dsse.json"))
            .args(["--trust", ".warden-dev/trust-root.json"])
            .assert()
            .code(0);
    }
    assert!(stdout.contains("snowflake/setup.sql"));
}

#[test]
fn recompiling_removes_stale_files() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("dist");
    let folder = out.join("globex-sso-strict");
    std::fs::create_dir_all(folder.join("macos")).unwrap();
    std::fs::write(folder.join("macos/old.mobileconfig"), "stale").unwrap();
    std::fs::write(folder.join("managed-settings.json"), "{}").unwrap();
    // A staging folder left by an interrupted run is cleaned up too.
    std::fs::create_dir_all(out.join(".globex-sso-strict.partial")).unwrap();

    warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(repo_root().join("profiles/examples/sso-only.toml"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    let files = files_under(&folder);
    assert!(
        !files.contains(&"macos/old.mobileconfig".to_owned()),
        "{files:?}"
    );
    assert!(files.contains(&"macos/globex-sso-strict.mobileconfig".to_owned()));
    assert!(!out.join(".globex-sso-strict.partial").exists());
    let settings = std::fs::read_to_string(folder.join("managed-settings.json")).unwrap();
    assert!(settings.contains("\"globex-secure\""));
}

/// A fleet signer: root key, policy signer, trust root listing it.
fn fleet_keys(dir: &Path) {
    let run = |args: &[&str]| {
        warden().current_dir(dir).args(args).assert().code(0);
    };
    run(&["keygen", "--out", "root.pem", "--public", "root.pub"]);
    run(&["keygen", "--out", "signer.pem", "--public", "signer.pub"]);
    run(&[
        "trust",
        "init",
        "--out",
        "trust-root.json",
        "--root-key",
        "root.pub",
        "--root-threshold",
        "1",
        "--expires",
        "2030-01-01T00:00:00Z",
        "--sign-with",
        "root.pem",
    ]);
    run(&[
        "trust",
        "add-signer",
        "--trust",
        "trust-root.json",
        "--signer",
        "signer.pub",
        "--signer-expires",
        "2029-01-01T00:00:00Z",
        "--sign-with",
        "root.pem",
    ]);
}

#[test]
fn signed_compiles_are_byte_identical_across_runs_and_paths() {
    let work = tempfile::tempdir().unwrap();
    fleet_keys(work.path());
    // The same profiles from another path.
    let copy = work.path().join("elsewhere/profiles");
    std::fs::create_dir_all(&copy).unwrap();
    for f in files_under(&repo_root().join("profiles/examples")) {
        std::fs::copy(
            repo_root().join("profiles/examples").join(&f),
            copy.join(&f),
        )
        .unwrap();
    }
    let compile = |profiles: &Path, out: &str| {
        warden()
            .current_dir(work.path())
            .env("SOURCE_DATE_EPOCH", "1795000000")
            .arg("compile")
            .arg(profiles)
            .args([
                "--out",
                out,
                "--key",
                "signer.pem",
                "--trust",
                "trust-root.json",
            ])
            .assert()
            .code(0);
    };
    compile(&repo_root().join("profiles/examples"), "one");
    compile(&repo_root().join("profiles/examples"), "two");
    compile(&copy, "three");
    let one = work.path().join("one");
    let files = files_under(&one);
    assert!(files.len() > 60, "{files:?}");
    for other in ["two", "three"] {
        let other = work.path().join(other);
        assert_eq!(files, files_under(&other));
        for f in &files {
            assert_eq!(
                std::fs::read(one.join(f)).unwrap(),
                std::fs::read(other.join(f)).unwrap(),
                "{f} differs between runs"
            );
        }
    }
    // The fleet bundle verifies against the fleet trust root, not the dev one.
    warden()
        .current_dir(work.path())
        .args([
            "verify",
            "one/acme-baseline/bundle.dsse.json",
            "--trust",
            "trust-root.json",
        ])
        .args(["--now", "2026-11-20T00:00:00Z"])
        .assert()
        .code(0);
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

#[test]
fn serial_too_large_is_refused_by_validate_and_compile() {
    let fixture = repo_root().join("tests/fixtures/profiles/invalid/serial-too-large.toml");
    let assert = warden().arg("validate").arg(&fixture).assert().code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("serial-too-large"), "{stdout}");

    let out = tempfile::tempdir().unwrap();
    let assert = warden()
        .arg("compile")
        .arg(&fixture)
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("serial-too-large"), "{stdout}");

    // The largest serial every channel carries is fine; one above is refused.
    for (serial, code) in [
        ("4294967295", 0),
        ("4294967296", 2),
        ("18446744073709551615", 2),
    ] {
        let out = tempfile::tempdir().unwrap();
        let assert = warden()
            .current_dir(out.path())
            .args(["compile", "--serial", serial, "--out"])
            .arg(out.path().join("dist"))
            .arg(repo_root().join("profiles/examples/org-baseline.toml"))
            .assert()
            .code(code);
        if code == 2 {
            let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
            assert!(stderr.contains("REG_DWORD"), "{serial}: {stderr}");
            assert!(!out.path().join("dist").exists(), "{serial}");
        }
    }
}

/// An org baseline and the team profiles that extend it: one folder each, every
/// team composed over the baseline, and a folder in the way refuses the run before
/// anything is replaced.
#[test]
fn a_fleet_over_one_baseline_compiles_into_a_folder_per_profile() {
    let work = tempfile::tempdir().unwrap();
    let fleet = work.path().join("fleet");
    std::fs::create_dir(&fleet).unwrap();
    std::fs::copy(
        repo_root().join("profiles/examples/org-baseline.toml"),
        fleet.join("org.toml"),
    )
    .unwrap();
    for i in 1..=24 {
        std::fs::write(
            fleet.join(format!("team-{i:02}.toml")),
            format!(
                "extends = \"org.toml\"\n\n[profile]\nid = \"team-{i:02}\"\nname = \"Team {i}\"\nserial = 2\n\n[accounts]\nallow = [\"acme-team{i:02}*\"]\n\n[connection]\nrequired_name = \"team-{i:02}\"\n\n[connection.template]\naccount = \"acme-team{i:02}-prod\"\nauthenticator = \"externalbrowser\"\n"
            ),
        )
        .unwrap();
    }
    let out = work.path().join("dist");
    warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(&fleet)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    let mut folders: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut want = vec!["acme-baseline".to_owned()];
    want.extend((1..=24).map(|i| format!("team-{i:02}")));
    assert_eq!(folders, want, "no staging folder is left behind");
    for i in [1, 24] {
        let settings =
            std::fs::read_to_string(out.join(format!("team-{i:02}/managed-settings.json")))
                .unwrap();
        // The baseline's permission denies reach every team.
        assert!(settings.contains("bash(sudo:*)"), "{settings}");
        assert!(
            out.join(format!("team-{i:02}/bundle.dsse.json")).is_file(),
            "team-{i:02}"
        );
    }

    // A file where a team's folder goes: refused, and no other folder is touched.
    let before = std::fs::read(out.join("team-01/bundle.dsse.json")).unwrap();
    std::fs::remove_dir_all(out.join("team-12")).unwrap();
    std::fs::write(out.join("team-12"), "not a folder").unwrap();
    std::fs::write(
        fleet.join("team-01.toml"),
        std::fs::read_to_string(fleet.join("team-01.toml"))
            .unwrap()
            .replace("serial = 2", "serial = 3"),
    )
    .unwrap();
    warden()
        .current_dir(work.path())
        .arg("compile")
        .arg(&fleet)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read(out.join("team-01/bundle.dsse.json")).unwrap(),
        before
    );
}
