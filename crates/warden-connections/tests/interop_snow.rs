//! Interop: our resolution must list the same connections, in the same order, with the same
//! default, as `snow connection list` does for the same directory.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use warden_connections::{DirSource, Environment, Os, load};

fn corpus(prefix: &str) -> Vec<u8> {
    let dir = warden_testkit::repo_root()
        .parent()
        .expect("repository has a parent")
        .join("shared/corpus/connection-files");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap();
    std::fs::read(path).unwrap()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    sf_home: PathBuf,
}

/// A home and a SNOWFLAKE_HOME holding the given files, with the modes snow insists on.
fn fixture(files: &[(&str, Vec<u8>)]) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let sf_home = tmp.path().join("sf");
    for dir in [&home, &sf_home] {
        std::fs::create_dir(dir).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for (name, bytes) in files {
        let p = sf_home.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    Fixture {
        _tmp: tmp,
        home,
        sf_home,
    }
}

/// `(name, is_default)` pairs as snow reports them.
fn snow_list(snow: &Path, fx: &Fixture, extra_env: &[(&str, &str)]) -> Vec<(String, bool)> {
    let out = Command::new(snow)
        .args(["connection", "list", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &fx.home)
        .env("SNOWFLAKE_HOME", &fx.sf_home)
        .envs(extra_env.iter().copied())
        .output()
        .expect("snow runs");
    assert!(
        out.status.success(),
        "snow failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("snow prints JSON");
    json.as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["connection_name"].as_str().unwrap().to_owned(),
                c["is_default"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn ours(fx: &Fixture, extra_env: &[(&str, &str)]) -> Vec<(String, bool)> {
    let mut vars: std::collections::BTreeMap<String, String> = extra_env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    vars.insert("SNOWFLAKE_HOME".into(), fx.sf_home.display().to_string());
    let env = Environment {
        vars,
        home: Some(fx.home.clone()),
        os: Os::Linux,
    };
    let (dir, set) = load(&env).expect("a directory resolves");
    assert_eq!(dir.source, DirSource::SnowflakeHome);
    assert!(set.is_readable(), "{:?}", set.files);
    set.connections
        .iter()
        .map(|c| (c.name.clone(), c.name == set.default_connection_name))
        .collect()
}

/// A description, the files of the directory, and extra environment variables.
type Case = (
    &'static str,
    Vec<(&'static str, Vec<u8>)>,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn snow_agrees_on_names_and_default() {
    let Some(snow) = warden_testkit::require_tool("snow") else {
        return;
    };
    let cases: Vec<Case> = vec![
        (
            "connections.toml",
            vec![("connections.toml", corpus("01"))],
            vec![],
        ),
        ("config.toml", vec![("config.toml", corpus("02"))], vec![]),
        (
            "upper-case names",
            vec![("connections.toml", corpus("10"))],
            vec![],
        ),
        (
            "default name inside connections.toml",
            vec![("connections.toml", corpus("07"))],
            vec![],
        ),
        (
            "connections. prefix",
            vec![("connections.toml", corpus("08"))],
            vec![],
        ),
        (
            "both files",
            vec![
                ("config.toml", corpus("20")),
                ("connections.toml", corpus("10")),
            ],
            vec![],
        ),
        (
            "both files, default set in config.toml",
            vec![
                (
                    "config.toml",
                    b"default_connection_name = \"snowjan2025\"\n".to_vec(),
                ),
                ("connections.toml", corpus("10")),
            ],
            vec![],
        ),
        (
            "env default",
            vec![("config.toml", corpus("02"))],
            vec![("SNOWFLAKE_DEFAULT_CONNECTION_NAME", "jwt")],
        ),
    ];
    for (what, files, env) in cases {
        let fx = fixture(&files);
        let expected = snow_list(&snow, &fx, &env);
        assert!(!expected.is_empty(), "{what}: snow listed nothing");
        assert_eq!(ours(&fx, &env), expected, "{what}");
    }
}
