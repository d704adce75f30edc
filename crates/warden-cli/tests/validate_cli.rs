//! `warden validate` run as a real process, output snapshotted.

use std::process::Command;

use warden_testkit::repo_root;

/// Run the real `warden` binary from the repository root.
fn warden(args: &[&str]) -> (i32, String, String) {
    warden_testkit::run_binary(env!("CARGO_BIN_EXE_warden"), args)
}

const FIVE: &str = "tests/fixtures/profiles/cli/five-problems.toml";

#[test]
fn human_output_shows_every_problem_with_its_source_line() {
    let (code, stdout, _) = warden(&["validate", FIVE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_output_is_versioned_and_complete() {
    let (code, stdout, _) = warden(&["validate", "--format", "json", FIVE]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "warden.findings/v1");
    let got: Vec<(String, u64, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("wrong-type", 5, 10),
        ("unknown-key", 8, 1),
        ("invalid-glob", 9, 10),
        ("required-account-not-allowed", 15, 11),
        ("invalid-version", 19, 19),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(c, l, col)| (c.to_string(), *l, *col))
            .collect::<Vec<_>>()
    );
    for f in doc["findings"].as_array().unwrap() {
        for key in ["severity", "message", "file", "pointer", "help"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    insta::assert_snapshot!(stdout);
}

#[test]
fn github_output_annotates_each_line() {
    let (code, stdout, _) = warden(&["validate", "--format", "github", FIVE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn sarif_output_has_the_2_1_0_shape() {
    let (code, stdout, _) = warden(&["validate", "--format", "sarif", FIVE]);
    assert_eq!(code, 1);
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "warden");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn syntax_errors_have_line_and_column() {
    let (code, stdout, _) = warden(&["validate", "tests/fixtures/profiles/cli/syntax-error.toml"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn shipped_profiles_are_clean() {
    let (code, stdout, stderr) = warden(&["validate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "0 errors, 0 warnings\n");
}

#[test]
fn missing_paths_are_usage_errors() {
    let (code, _, stderr) = warden(&["validate", "no/such/profile.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn init_scaffolds_a_repository_whose_starter_profile_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let (code, stdout, stderr) = warden(&["init", dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("created profiles/baseline.toml"));
    for rel in [
        ".github/workflows/warden.yml",
        ".pre-commit-config.yaml",
        "schemas/profile.schema.json",
    ] {
        assert!(tmp.path().join(rel).is_file(), "{rel}");
    }
    let profile = tmp.path().join("profiles/baseline.toml");
    let (code, stdout, _) = warden(&["validate", profile.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    // A second init refuses to overwrite.
    let (code, _, stderr) = warden(&["init", dir]);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["test", "profiles"])
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end of stdout before warden writes, as `| head -0` would.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(0));
}

/// Many profiles, validated on every core: the output is the same every run and
/// whatever order the files are named in, sorted by file and position.
#[test]
fn output_order_is_deterministic_with_many_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("000-org.toml"),
        "[profile]\nid = \"org\"\nname = \"Org\"\nserial = 5\n\n[accounts]\nallow = [\"acme-*\"]\n",
    )
    .unwrap();
    let mut files = Vec::new();
    for i in 1..400 {
        let path = dir.join(format!("{i:03}.toml"));
        // Clean profiles, unknown keys, syntax errors and profiles over a base.
        let text = match i % 4 {
            0 => format!("[profile]\nid = \"t{i}\"\nname = \"T\"\nserial = 1\n"),
            1 => format!("[profile]\nid = \"t{i}\"\nname = \"T\"\nserial = 1\nsrial = 2\n"),
            2 => format!("[profile\nid = \"t{i}\"\n"),
            _ => format!(
                "extends = \"000-org.toml\"\n\n[profile]\nid = \"t{i}\"\nname = \"T\"\nserial = 1\n"
            ),
        };
        std::fs::write(&path, text).unwrap();
        files.push(path.to_str().unwrap().to_owned());
    }
    let dir_arg = dir.to_str().unwrap();
    let (code, first, _) = warden(&["validate", "--format", "json", dir_arg]);
    assert_eq!(code, 1);
    let (_, again, _) = warden(&["validate", "--format", "json", dir_arg]);
    assert_eq!(first, again);
    let mut reversed: Vec<&str> = vec!["validate", "--format", "json"];
    reversed.extend(files.iter().rev().map(String::as_str));
    let org = dir.join("000-org.toml");
    reversed.push(org.to_str().unwrap());
    let (_, backwards, _) = warden(&reversed);
    assert_eq!(first, backwards);

    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    let keys: Vec<(String, u64, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Every broken file is reported: 100 unknown keys, 100 syntax errors, and the
    // serial-below-parent of each of the 100 profiles over the base.
    for (code, n) in [
        ("unknown-key", 100),
        ("syntax-error", 100),
        ("serial-below-parent", 100),
    ] {
        let count = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .count();
        assert_eq!(count, n, "{code}");
    }
}
