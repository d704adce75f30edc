//! Every example profile compiles, validates and is reproducible.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use warden_compile::{Artifact, MANAGED_SETTINGS_PATH, MANIFEST_PATH};

fn example_files(dir: &Path) -> Vec<PathBuf> {
    let files = warden_profile::discover(dir).unwrap();
    assert!(files.len() >= 4, "examples missing in {}", dir.display());
    files
}

fn compile_file(path: &Path) -> Vec<Artifact> {
    let profile = common::load(path);
    warden_compile::compile(&profile).unwrap().finish().unwrap()
}

fn as_map(artifacts: Vec<Artifact>) -> BTreeMap<String, Vec<u8>> {
    artifacts.into_iter().map(|a| (a.path, a.bytes)).collect()
}

#[test]
fn every_example_compiles_to_its_snapshot_and_validates() {
    let mut settings_files = Vec::new();
    for file in example_files(&common::root().join("profiles/examples")) {
        let profile = common::load(&file);
        let artifacts = as_map(compile_file(&file));
        let dir = common::fixtures()
            .join("examples")
            .join(&profile.identity.id);
        for (path, bytes) in &artifacts {
            common::assert_snapshot(&dir.join(path), bytes);
        }
        // No stale snapshot: the folder holds exactly what was compiled.
        if dir.is_dir() {
            let on_disk = warden_testkit::files_under(&dir);
            assert_eq!(
                on_disk,
                artifacts.keys().cloned().collect::<Vec<_>>(),
                "{}",
                dir.display()
            );
        }

        let settings: serde_json::Value =
            serde_json::from_slice(&artifacts[MANAGED_SETTINGS_PATH]).unwrap();
        warden_compile::managed_settings::check_schema(&settings).unwrap();
        settings_files.push(dir.join(MANAGED_SETTINGS_PATH));

        // The manifest lists every other artifact with its real size and digest.
        let manifest: serde_json::Value =
            serde_json::from_slice(&artifacts[MANIFEST_PATH]).unwrap();
        assert_eq!(manifest["format"], "warden.manifest/v1");
        assert_eq!(manifest["profile"]["id"], profile.identity.id.as_str());
        assert_eq!(manifest["profile"]["serial"], profile.identity.serial);
        let listed = manifest["artifacts"].as_array().unwrap();
        assert_eq!(listed.len(), artifacts.len() - 1);
        for entry in listed {
            let bytes = &artifacts[entry["path"].as_str().unwrap()];
            assert_eq!(entry["size"], bytes.len());
            assert_eq!(
                entry["sha256"],
                warden_compile::manifest::sha256_hex(bytes).as_str()
            );
        }
        assert_eq!(
            artifacts.contains_key("snowflake/setup.sql"),
            profile.snowflake.is_some()
        );
    }
    common::check_jsonschema(&settings_files);
}

#[test]
fn compiling_twice_and_from_another_path_gives_identical_bytes() {
    let source = common::root().join("profiles/examples");
    let copy = tempfile::tempdir().unwrap();
    let nested = copy.path().join("somewhere/else");
    std::fs::create_dir_all(&nested).unwrap();
    for file in example_files(&source) {
        std::fs::copy(&file, nested.join(file.file_name().unwrap())).unwrap();
    }
    for file in example_files(&source) {
        let first = compile_file(&file);
        let second = compile_file(&file);
        let moved = compile_file(&nested.join(file.file_name().unwrap()));
        assert_eq!(first, second, "{}", file.display());
        assert_eq!(first, moved, "{}", file.display());
    }
}

#[test]
fn extended_profile_carries_the_innermost_allow_list_and_every_layer_rule() {
    let file = common::root().join("profiles/examples/team-data-science.toml");
    let artifacts = as_map(compile_file(&file));
    let settings: serde_json::Value =
        serde_json::from_slice(&artifacts[MANAGED_SETTINGS_PATH]).unwrap();
    assert_eq!(
        settings["tenant"]["allowedAccounts"],
        serde_json::json!(["acme-analytics", "acme-analytics_dev"])
    );
    // The baseline's deny becomes an `account()` deny; forbidden methods stay out.
    let deny = settings["permissions"]["deny"].as_array().unwrap();
    assert!(deny.iter().any(|d| d == "account(acme-sandbox*)"));
    assert!(deny.iter().any(|d| d == "mcp(*)"));
    assert_eq!(
        settings["auth"]["allowedMethods"],
        serde_json::json!(["OAUTH_AUTHORIZATION_CODE", "EXTERNALBROWSER"])
    );
    // The baseline's `acme-ci` methods would replace the team's list for that account,
    // which the team does not allow at all: the entry is not inherited.
    assert_eq!(settings["auth"].get("accounts"), None, "{settings:#}");
    assert_eq!(settings["defaults"]["connectionName"], "acme-ds");
    assert_eq!(settings["cli"]["required"]["minimumVersion"], "1.2.0");

    let manifest: serde_json::Value = serde_json::from_slice(&artifacts[MANIFEST_PATH]).unwrap();
    let ids: Vec<&str> = manifest["endpoint_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "managed-settings.file",
        "connection.required",
        "roles.forbidden",
        "accounts.deny",
        "accounts.allow-layers",
        "files.modes",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}
