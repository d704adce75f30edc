//! Every finding code has documentation and a fixture that produces it; the
//! committed schema matches the types; example profiles are clean; an independent
//! JSON Schema validator agrees with ours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use warden_profile::{Code, FsLoader, load};
use warden_testkit::{repo_root, require_python_module, require_tool};

fn codes_in(path: &Path) -> BTreeSet<String> {
    load(path, &FsLoader)
        .findings
        .iter()
        .map(|f| f.code.to_string())
        .collect()
}

fn invalid_dir() -> PathBuf {
    repo_root().join("tests/fixtures/profiles/invalid")
}

#[test]
fn every_code_has_docs_and_a_fixture_that_produces_it() {
    for code in Code::ALL {
        let code = code.as_str();
        let doc = repo_root().join(format!("docs/findings/{code}.md"));
        assert!(doc.is_file(), "missing documentation {}", doc.display());
        let index = std::fs::read_to_string(repo_root().join("docs/findings/README.md")).unwrap();
        assert!(
            index.contains(&format!("[`{code}`]")),
            "{code} missing from docs/findings/README.md"
        );
        let fixture = invalid_dir().join(format!("{code}.toml"));
        assert!(fixture.is_file(), "missing fixture {}", fixture.display());
        if Code::MEASURED_BY_COMPILE
            .iter()
            .chain(Code::RAISED_BY_COMPILE_OPTIONS)
            .any(|c| c.as_str() == code)
        {
            continue;
        }
        let found = codes_in(&fixture);
        assert!(
            found.contains(code),
            "{} produced {found:?}, not {code}",
            fixture.display()
        );
    }
}

#[test]
fn every_fixture_is_named_after_a_code() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for entry in std::fs::read_dir(invalid_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert!(
            known.contains(stem.as_str()),
            "fixture {stem} names no code"
        );
    }
}

#[test]
fn example_profiles_and_valid_fixtures_have_no_findings() {
    let mut files = warden_profile::discover(&repo_root().join("profiles")).unwrap();
    files.extend(
        warden_profile::discover(&repo_root().join("tests/fixtures/profiles/valid")).unwrap(),
    );
    assert!(files.len() >= 6);
    for file in files {
        let loaded = load(&file, &FsLoader);
        assert!(
            loaded.findings.is_empty(),
            "{}: {:#?}",
            file.display(),
            loaded.findings
        );
        assert!(loaded.profile.is_some());
    }
}

#[test]
fn committed_schema_matches_the_types() {
    let committed =
        std::fs::read_to_string(repo_root().join("schemas/profile.schema.json")).unwrap();
    let generated = warden_profile::schema::profile_schema_text();
    assert!(
        committed == generated,
        "schemas/profile.schema.json is stale: run `cargo run -p warden-cli -- schema profile > schemas/profile.schema.json`"
    );
}

/// Fixtures whose problem is structural: an independent validator must reject them.
const SCHEMA_LEVEL: &[&str] = &[
    "unknown-key",
    "wrong-type",
    "invalid-value",
    "missing-key",
    "schema-violation",
];

#[test]
fn check_jsonschema_agrees_on_examples_and_fixtures() {
    let Some(checker) = require_tool("check-jsonschema") else {
        return;
    };
    let Some(python) = require_python_module("tomllib") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let schema = repo_root().join("schemas/profile.schema.json");

    // TOML → JSON with Python's own TOML parser, not ours.
    let to_json = |src: &Path, name: &str| -> PathBuf {
        let out = tmp.path().join(format!("{name}.json"));
        let status = Command::new(&python)
            .args(["-c", "import json,sys,tomllib; json.dump(tomllib.load(open(sys.argv[1],'rb')), open(sys.argv[2],'w'))"])
            .arg(src)
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "tomllib could not read {}", src.display());
        out
    };
    let check = |file: &Path| -> bool {
        Command::new(&checker)
            .arg("--schemafile")
            .arg(&schema)
            .arg(file)
            .output()
            .unwrap()
            .status
            .success()
    };

    let mut valid = warden_profile::discover(&repo_root().join("profiles")).unwrap();
    valid.push(repo_root().join("tests/fixtures/profiles/valid/base.toml"));
    for (i, file) in valid.iter().enumerate() {
        let json = to_json(file, &format!("valid-{i}"));
        assert!(check(&json), "check-jsonschema rejected {}", file.display());
    }
    assert!(check(
        &repo_root().join("tests/fixtures/profiles/valid/minimal.json")
    ));
    for code in SCHEMA_LEVEL {
        let json = to_json(&invalid_dir().join(format!("{code}.toml")), code);
        assert!(
            !check(&json),
            "check-jsonschema accepted the {code} fixture"
        );
    }
}
