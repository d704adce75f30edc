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

/// The interop Python venv's `bin` directory, if `.ci/setup-interop` created one.
fn venv_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("WARDEN_INTEROP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/interop-venv"));
    let bin = venv.join("bin");
    bin.is_dir().then_some(bin)
}

fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let mut dirs: Vec<PathBuf> = venv_bin().into_iter().collect();
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
    let python = venv_bin()
        .map(|b| b.join("python"))
        .filter(|p| p.is_file())
        .or_else(|| which("python3"));
    let ok = python.as_ref().is_some_and(|py| {
        Command::new(py)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if ok {
        python
    } else {
        missing(&format!("python module {module}"));
        None
    }
}
