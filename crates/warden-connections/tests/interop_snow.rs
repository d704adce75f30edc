//! Interop: our resolution must list the same connections, in the same order, with the same
//! default, as `snow connection list` does for the same directory.

#![cfg(unix)]

use warden_connections::{DirSource, Environment, Os, load};
use warden_testkit::snow::SnowHome;

fn corpus(prefix: &str) -> Vec<u8> {
    warden_testkit::connection_corpus_file(prefix).1
}

fn ours(fx: &SnowHome, extra_env: &[(&str, &str)]) -> Vec<(String, bool)> {
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
        let fx = SnowHome::with_files(files.iter().map(|(n, b)| (*n, b.as_slice())));
        let expected = fx.connection_list(&snow, &env);
        assert!(!expected.is_empty(), "{what}: snow listed nothing");
        assert_eq!(ours(&fx, &env), expected, "{what}");
    }
}
