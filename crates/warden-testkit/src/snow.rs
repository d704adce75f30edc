//! The Snowflake CLI for the connection interop tests: `snow connection list` over a
//! directory Warden also reads.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway home and `SNOWFLAKE_HOME`, with the modes snow insists on (0700
/// directories, 0600 files).
#[derive(Debug)]
pub struct SnowHome {
    _tmp: tempfile::TempDir,
    /// `HOME` for snow.
    pub home: PathBuf,
    /// `SNOWFLAKE_HOME` for snow, holding the files.
    pub sf_home: PathBuf,
}

impl SnowHome {
    /// A fresh home whose `SNOWFLAKE_HOME` holds `files` as `(name, bytes)`.
    pub fn with_files<'a, I>(files: I) -> SnowHome
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let tmp = tempfile::tempdir().expect("a temporary directory");
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
        SnowHome {
            _tmp: tmp,
            home,
            sf_home,
        }
    }

    /// `(name, is_default)` pairs as `snow connection list --format json` reports them,
    /// run with nothing of the caller's environment but `PATH`, plus `extra_env`.
    pub fn connection_list(&self, snow: &Path, extra_env: &[(&str, &str)]) -> Vec<(String, bool)> {
        let stdout = crate::stdout_of(
            Command::new(snow)
                .args(["connection", "list", "--format", "json"])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", &self.home)
                .env("SNOWFLAKE_HOME", &self.sf_home)
                .envs(extra_env.iter().copied()),
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("snow prints JSON");
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
}
