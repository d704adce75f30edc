//! Test support shared by the workspace's integration and interop tests.
//!
//! Interop tests run Warden's outputs through real consumers (plistutil, Wine,
//! the Snowflake CLI, Python parsers). In CI (`CI=true`) a missing consumer is a
//! failure; on a developer machine the test prints a loud skip notice instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the directory holding the workspace `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at crates/<name>")
        .to_path_buf()
}

/// True when running under CI, where every consumer must be present.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The `bin` directories of the interop venvs that `.ci/setup-interop` creates: one
/// for the parsers and validators, one for the Snowflake CLI and connector (which pin
/// dependencies the others cannot share).
fn venv_bins() -> Vec<PathBuf> {
    [
        ("WARDEN_INTEROP_VENV", "target/interop-venv"),
        ("WARDEN_SNOW_VENV", "target/snow-venv"),
    ]
    .into_iter()
    .map(|(var, default)| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(default))
            .join("bin")
    })
    .filter(|bin| bin.is_dir())
    .collect()
}

fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let mut dirs = venv_bins();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

fn missing(what: &str) {
    let msg = format!("interop consumer `{what}` is not installed (run .ci/setup-interop)");
    if in_ci() {
        panic!("{msg}");
    }
    eprintln!("\n!!! SKIPPED: {msg}\n");
}

/// Locate an executable consumer. Returns `None` (after a loud notice) when it is
/// missing outside CI; panics when it is missing in CI.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = which(name);
    if found.is_none() {
        missing(name);
    }
    found
}

/// The interop Python interpreter with `module` importable, or `None` as for
/// [`require_tool`].
pub fn require_python_module(module: &str) -> Option<PathBuf> {
    let mut pythons: Vec<PathBuf> = venv_bins()
        .into_iter()
        .map(|b| b.join("python"))
        .filter(|p| p.is_file())
        .collect();
    pythons.extend(which("python3"));
    let found = pythons.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        missing(&format!("python module {module}"));
    }
    found
}

/// Run one of the workspace's binaries from the repository root, the way a user
/// would, with the environment that would change its output removed (colour,
/// Snowflake variables). Returns the exit code, stdout and stderr.
pub fn run_binary(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(repo_root())
        .env_remove("CLICOLOR_FORCE")
        .env_remove("SNOWFLAKE_DEFAULT_CONNECTION_NAME")
        .env_remove("SNOWFLAKE_HOME")
        .env_remove("SNOWFLAKE_CONNECTIONS")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}
