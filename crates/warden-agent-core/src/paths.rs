//! Where system mode reads and writes, per operating system.
//!
//! Every path derives from a [`Platform`] and an optional root: production passes no
//! root and gets the real locations; tests pass a temporary directory and every path
//! moves beneath it, so no test ever touches `/`. The table is published in
//! `docs/agent.md`.

use std::path::{Path, PathBuf};

/// The operating system whose layout, MDM channel and Cortex Code location apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    MacOs,
    Windows,
    Linux,
}

impl Platform {
    /// The platform this binary was built for (Linux for every other Unix).
    pub const fn current() -> Self {
        if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(windows) {
            Self::Windows
        } else {
            Self::Linux
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MacOs => "macos",
            Self::Windows => "windows",
            Self::Linux => "linux",
        }
    }
}

/// File name Cortex Code reads its managed settings from.
pub const MANAGED_SETTINGS_FILE: &str = "managed-settings.json";
/// File name of the root-owned bundle file (the last discovery source).
pub const BUNDLE_FILE: &str = "bundle.dsse.json";
/// File name of the trust chain installed with the agent.
pub const TRUST_ROOT_FILE: &str = "trust-root.json";

/// System-mode locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub platform: Platform,
    /// Cortex Code's `managed-settings.json`.
    pub managed_settings: PathBuf,
    /// macOS only: the agent's managed-preferences file (bundle source 1).
    pub agent_preferences: Option<PathBuf>,
    /// macOS only: Cortex Code's managed-preferences file (drift check).
    pub cortex_preferences: Option<PathBuf>,
    /// The root-owned bundle file (last bundle source).
    pub bundle_file: PathBuf,
    /// The trust chain, at the agent's install location only: never from the policy
    /// channel, so an MDM that can push bundles cannot also choose whom to trust.
    pub trust_root: PathBuf,
    /// Root-only state: `state.json` and the run lock.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The real locations (`root` = `None`) or the same layout under `root`.
    ///
    /// On Windows the real locations follow `%ProgramData%` and `%ProgramFiles%`
    /// (`C:\ProgramData`, `C:\Program Files` when unset); under a root they become
    /// `<root>/ProgramData` and `<root>/Program Files`.
    pub fn system(platform: Platform, root: Option<&Path>) -> Self {
        let at = |absolute: &str| match root {
            Some(root) => root.join(absolute.trim_start_matches('/')),
            None => PathBuf::from(absolute),
        };
        match platform {
            Platform::MacOs => {
                let warden = at("/Library/Application Support/Warden");
                Self {
                    platform,
                    managed_settings: at("/Library/Application Support/Cortex")
                        .join(MANAGED_SETTINGS_FILE),
                    agent_preferences: Some(at(
                        "/Library/Managed Preferences/com.warden.agent.plist",
                    )),
                    cortex_preferences: Some(at(
                        "/Library/Managed Preferences/com.snowflake.coco.plist",
                    )),
                    bundle_file: warden.join(BUNDLE_FILE),
                    trust_root: warden.join(TRUST_ROOT_FILE),
                    state_dir: warden.join("state"),
                }
            }
            Platform::Linux => Self {
                platform,
                managed_settings: at("/etc/cortex").join(MANAGED_SETTINGS_FILE),
                agent_preferences: None,
                cortex_preferences: None,
                bundle_file: at("/etc/warden").join(BUNDLE_FILE),
                trust_root: at("/etc/warden").join(TRUST_ROOT_FILE),
                state_dir: at("/var/lib/warden"),
            },
            Platform::Windows => {
                let (program_data, program_files) = match root {
                    Some(root) => (root.join("ProgramData"), root.join("Program Files")),
                    None => (
                        windows_dir("ProgramData", r"C:\ProgramData"),
                        windows_dir("ProgramFiles", r"C:\Program Files"),
                    ),
                };
                Self {
                    platform,
                    managed_settings: program_data.join("Cortex").join(MANAGED_SETTINGS_FILE),
                    agent_preferences: None,
                    cortex_preferences: None,
                    bundle_file: program_files.join("Warden").join(BUNDLE_FILE),
                    trust_root: program_files.join("Warden").join(TRUST_ROOT_FILE),
                    state_dir: program_data.join("Warden").join("state"),
                }
            }
        }
    }

    /// The state file.
    pub fn state_file(&self) -> PathBuf {
        self.state_dir.join("state.json")
    }

    /// The lock file that serialises runs.
    pub fn lock_file(&self) -> PathBuf {
        self.state_dir.join("lock")
    }

    /// The directory holding Cortex Code's file.
    pub fn managed_settings_dir(&self) -> &Path {
        self.managed_settings.parent().unwrap_or(Path::new("."))
    }
}

/// A Windows known folder from the environment, with the stock default; a relative
/// or empty value is ignored so a hostile environment cannot move system paths.
fn windows_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_relocates_every_path() {
        let root = Path::new("/tmp/r");
        for platform in [Platform::MacOs, Platform::Linux, Platform::Windows] {
            let p = Paths::system(platform, Some(root));
            for path in [
                &p.managed_settings,
                &p.bundle_file,
                &p.trust_root,
                &p.state_dir,
            ] {
                assert!(path.starts_with(root), "{path:?}");
            }
            for path in p.agent_preferences.iter().chain(&p.cortex_preferences) {
                assert!(path.starts_with(root), "{path:?}");
            }
        }
        let linux = Paths::system(Platform::Linux, None);
        assert_eq!(
            linux.managed_settings,
            Path::new("/etc/cortex/managed-settings.json")
        );
        assert_eq!(linux.state_file(), Path::new("/var/lib/warden/state.json"));
        let mac = Paths::system(Platform::MacOs, None);
        assert_eq!(
            mac.managed_settings,
            Path::new("/Library/Application Support/Cortex/managed-settings.json")
        );
    }
}
