//! Where the Snowflake clients look for `config.toml` and `connections.toml`
//! (snowflake-connector-python `sf_dirs.py`; the 5.x Rust core does the same).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Operating system whose rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    /// Linux and other Unix systems using XDG directories.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Os {
    /// The OS this binary runs on.
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(windows) {
            Self::Windows
        } else {
            Self::Linux
        }
    }
}

/// The environment resolution depends on, injected so that it can be tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Environment variables (only UTF-8 ones matter).
    pub vars: BTreeMap<String, String>,
    /// The user's home directory.
    pub home: Option<PathBuf>,
    /// Which platform's config directory applies.
    pub os: Os,
}

impl Environment {
    /// The real environment of this process.
    pub fn current() -> Self {
        Self {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            home: std::env::home_dir(),
            os: Os::current(),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// Which rule chose the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DirSource {
    /// `$SNOWFLAKE_HOME`, which exists.
    SnowflakeHome,
    /// `~/.snowflake`, which exists.
    DotSnowflake,
    /// The platform's user config directory, because the candidate above does not exist.
    PlatformConfig,
}

/// The resolved configuration directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDir {
    /// Directory holding `config.toml` and `connections.toml`.
    pub path: PathBuf,
    /// Which rule chose it.
    pub source: DirSource,
    /// `SNOWFLAKE_HOME` was set to a directory that does not exist (the clients then fall
    /// back silently, which surprises people).
    pub snowflake_home_missing: Option<PathBuf>,
}

impl ConfigDir {
    /// `config.toml` in this directory.
    pub fn config_toml(&self) -> PathBuf {
        self.path.join("config.toml")
    }

    /// `connections.toml` in this directory.
    pub fn connections_toml(&self) -> PathBuf {
        self.path.join("connections.toml")
    }
}

/// Expands a leading `~` the way Python's `expanduser` does for the current user.
fn expand_tilde(value: &str, home: Option<&Path>) -> PathBuf {
    match (value, home) {
        ("~", Some(h)) => h.to_path_buf(),
        (v, Some(h)) if v.starts_with("~/") || v.starts_with("~\\") => h.join(&v[2..]),
        (v, _) => PathBuf::from(v),
    }
}

/// Resolves the directory: `$SNOWFLAKE_HOME` if set, else `~/.snowflake`; that candidate if
/// it exists; otherwise the platform config directory (`$XDG_CONFIG_HOME/snowflake` or
/// `~/.config/snowflake`, `~/Library/Application Support/snowflake`,
/// `%LOCALAPPDATA%\snowflake`), even when `SNOWFLAKE_HOME` was set. `None` only when neither
/// a home directory nor the variables needed are known.
pub fn resolve_dir(env: &Environment, exists: impl Fn(&Path) -> bool) -> Option<ConfigDir> {
    let home = env.home.as_deref();
    let explicit = env.var("SNOWFLAKE_HOME").filter(|v| !v.is_empty());
    let candidate = match explicit {
        Some(v) => Some(expand_tilde(v, home)),
        None => home.map(|h| h.join(".snowflake")),
    };
    if let Some(c) = &candidate
        && exists(c)
    {
        return Some(ConfigDir {
            path: c.clone(),
            source: if explicit.is_some() {
                DirSource::SnowflakeHome
            } else {
                DirSource::DotSnowflake
            },
            snowflake_home_missing: None,
        });
    }
    let non_empty = |name: &str| env.var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let platform = match env.os {
        Os::Linux => non_empty("XDG_CONFIG_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| h.join(".config")))?
            .join("snowflake"),
        Os::MacOs => home?.join("Library/Application Support/snowflake"),
        Os::Windows => non_empty("LOCALAPPDATA")
            .or_else(|| home.map(|h| h.join("AppData").join("Local")))?
            .join("snowflake"),
    };
    Some(ConfigDir {
        path: platform,
        source: DirSource::PlatformConfig,
        snowflake_home_missing: explicit.and(candidate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(os: Os, vars: &[(&str, &str)]) -> Environment {
        Environment {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            home: Some(PathBuf::from("/home/u")),
            os,
        }
    }

    #[test]
    fn snowflake_home_when_it_exists() {
        let d = resolve_dir(&env(Os::Linux, &[("SNOWFLAKE_HOME", "/opt/sf")]), |_| true).unwrap();
        assert_eq!(d.path, Path::new("/opt/sf"));
        assert_eq!(d.source, DirSource::SnowflakeHome);
    }

    #[test]
    fn tilde_in_snowflake_home() {
        let d = resolve_dir(&env(Os::Linux, &[("SNOWFLAKE_HOME", "~/sf")]), |_| true).unwrap();
        assert_eq!(d.path, Path::new("/home/u/sf"));
    }

    #[test]
    fn missing_snowflake_home_falls_back_to_platform_dir() {
        let d = resolve_dir(&env(Os::Linux, &[("SNOWFLAKE_HOME", "/nope")]), |_| false).unwrap();
        assert_eq!(d.path, Path::new("/home/u/.config/snowflake"));
        assert_eq!(d.source, DirSource::PlatformConfig);
        assert_eq!(
            d.snowflake_home_missing.as_deref(),
            Some(Path::new("/nope"))
        );
        // Even when ~/.snowflake exists: SNOWFLAKE_HOME replaces it as the candidate.
        let d = resolve_dir(&env(Os::Linux, &[("SNOWFLAKE_HOME", "/nope")]), |p| {
            p == Path::new("/home/u/.snowflake")
        })
        .unwrap();
        assert_eq!(d.source, DirSource::PlatformConfig);
    }

    #[test]
    fn dot_snowflake_then_platform_dirs() {
        let d = resolve_dir(&env(Os::Linux, &[]), |p| {
            p == Path::new("/home/u/.snowflake")
        })
        .unwrap();
        assert_eq!(
            (d.path.as_path(), d.source),
            (Path::new("/home/u/.snowflake"), DirSource::DotSnowflake)
        );
        let xdg = resolve_dir(&env(Os::Linux, &[("XDG_CONFIG_HOME", "/x")]), |_| false).unwrap();
        assert_eq!(xdg.path, Path::new("/x/snowflake"));
        let mac = resolve_dir(&env(Os::MacOs, &[]), |_| false).unwrap();
        assert_eq!(
            mac.path,
            Path::new("/home/u/Library/Application Support/snowflake")
        );
        let win = resolve_dir(
            &env(Os::Windows, &[("LOCALAPPDATA", "C:/Users/u/AppData/Local")]),
            |_| false,
        )
        .unwrap();
        assert_eq!(
            win.path,
            Path::new("C:/Users/u/AppData/Local").join("snowflake")
        );
    }

    #[test]
    fn no_home() {
        let mut e = env(Os::MacOs, &[]);
        e.home = None;
        assert_eq!(resolve_dir(&e, |_| false), None);
    }
}
