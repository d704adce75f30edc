//! Wine for the `.reg` interop tests: `wine reg import` / `reg export` / `reg query`
//! read what Warden writes the way Windows' own `reg.exe` does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The Wine loader the interop tests run (Debian's `wine64` package).
pub const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";

/// A booted Wine prefix, shared by every test of one test binary.
#[derive(Debug)]
pub struct Wine {
    prefix: PathBuf,
}

impl Wine {
    /// Wine with its prefix at `prefix` (one per test binary: a second call must name
    /// the same path), or `None` after a loud notice when Wine is missing outside CI.
    /// The prefix is booted once (the first boot takes a while) and reused by later
    /// runs. One `wineserver` stays up between the many `reg` calls (each would
    /// otherwise start its own) and exits by itself 10 s after the last one.
    pub fn require(prefix: PathBuf) -> Option<&'static Wine> {
        crate::require_tool(WINE)?;
        static WINE_PREFIX: OnceLock<Wine> = OnceLock::new();
        let wine = WINE_PREFIX.get_or_init(|| Wine::boot(prefix.clone()));
        assert_eq!(wine.prefix, prefix, "one Wine prefix per test binary");
        Some(wine)
    }

    fn boot(prefix: PathBuf) -> Wine {
        let wine = Wine { prefix };
        if !wine.prefix.join("system.reg").is_file() {
            // Into a file, not a pipe: see `reg`.
            let log = wine.prefix.with_extension("boot.log");
            let file = std::fs::File::create(&log).unwrap();
            let _ = wine
                .command()
                .args(["wineboot", "-i"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(file)
                .status();
            // The server writes the registry files when it exits.
            let _ = wine.server(&["-w"]);
            assert!(
                wine.prefix.join("system.reg").is_file(),
                "wineboot did not create a prefix: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        let _ = wine.server(&["-p10"]);
        wine
    }

    fn server(&self, args: &[&str]) -> std::io::Result<std::process::ExitStatus> {
        Command::new(WINESERVER)
            .args(args)
            .env("WINEPREFIX", &self.prefix)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    }

    /// The prefix directory.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// `wine …` in this prefix, quiet and without a display.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(WINE);
        cmd.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY");
        cmd
    }

    /// Runs `wine reg args…` and says whether it succeeded. Its output goes nowhere:
    /// with pipes, waiting for their end would also wait for the Wine helpers that
    /// inherit them and linger.
    pub fn reg(&self, args: &[&str]) -> bool {
        self.command()
            .arg("reg")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run {WINE}: {e}"))
            .success()
    }
}
