//! Test support shared by the workspace's integration and interop tests.
//!
//! Interop tests run Warden's outputs through real consumers (plistutil, Wine,
//! the Snowflake CLI, Python parsers). In CI (`CI=true`) a missing consumer is a
//! failure; on a developer machine the test prints a loud skip notice instead.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(unix)]
pub mod snow;
pub mod wine;

/// The repository root (the directory holding the workspace `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at crates/<name>")
        .to_path_buf()
}

/// Test data committed under `tests/fixtures/` at the workspace root: `rel` is the path
/// below it (`"connections/corpus"`, `"vendor/admx-schema/PolicyDefinitionFiles.xsd"`).
/// Panics when it is missing, since the data is part of the repository; nothing outside
/// the workspace is ever read.
pub fn test_data(rel: &str) -> PathBuf {
    let path = repo_root().join("tests/fixtures").join(rel);
    assert!(
        path.exists(),
        "test data {} is missing from the repository",
        path.display()
    );
    path
}

/// The real-world connection file of `tests/fixtures/connections/corpus/` whose name
/// starts with `prefix` (`"07"`): its path and bytes.
pub fn connection_corpus_file(prefix: &str) -> (PathBuf, Vec<u8>) {
    let dir = test_data("connections/corpus");
    let path = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable corpus directory").path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no corpus file {prefix} in {}", dir.display()));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, bytes)
}

/// Every file below `dir`, as sorted `/`-separated paths relative to it.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("readable directory").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("below dir");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
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
    // Straight to the process's stderr: the test harness captures `eprintln!` of a
    // passing test, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "\n!!! SKIPPED: {msg}\n");
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

/// A command for one of the workspace's binaries (`env!("CARGO_BIN_EXE_warden")`), set up
/// the way a user would run it: from the repository root, with the environment that
/// would change its output removed (colour, CI detection, Snowflake variables).
pub fn command(bin: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(repo_root())
        .env_remove("CI")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("SNOWFLAKE_DEFAULT_CONNECTION_NAME")
        .env_remove("SNOWFLAKE_HOME")
        .env_remove("SNOWFLAKE_CONNECTIONS")
        .env("NO_COLOR", "1");
    cmd
}

/// Run one of the workspace's binaries as [`command`] sets it up. Returns the exit code,
/// stdout and stderr.
pub fn run_binary(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = command(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// Runs a consumer to completion and returns its stdout; panics, showing its stderr,
/// unless it exits 0.
pub fn stdout_of(cmd: &mut Command) -> String {
    finish(cmd, None)
}

/// [`stdout_of`], with `input` written to the consumer's stdin.
pub fn stdout_with_input(cmd: &mut Command, input: &[u8]) -> String {
    finish(cmd, Some(input))
}

fn finish(cmd: &mut Command, input: Option<&[u8]>) -> String {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
    if let Some(input) = input {
        // Dropped at the end of the statement, so the consumer sees end of input.
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed ({}): {}",
        cmd.get_program(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs `python -c script args…` (a Python from [`require_python_module`]) and returns
/// its stdout, as [`stdout_of`].
pub fn run_python<I, A>(python: &Path, script: &str, args: I) -> String
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    stdout_of(Command::new(python).args(["-c", script]).args(args))
}
