//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use warden_profile::{FsLoader, ResolvedProfile};

pub fn root() -> PathBuf {
    warden_testkit::repo_root()
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures/compile")
}

/// Load a profile that must be free of errors.
pub fn load(path: &Path) -> ResolvedProfile {
    let loaded = warden_profile::load(path, &FsLoader);
    let errors: Vec<String> = loaded
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| format!("{f:?}"))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    loaded.profile.expect("a profile without errors resolves")
}

/// Compare `actual` with the snapshot at `path`; with `WARDEN_BLESS=1`, write it.
pub fn assert_snapshot(path: &Path, actual: &[u8]) {
    if std::env::var_os("WARDEN_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "missing snapshot {} ({e}); run with WARDEN_BLESS=1",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the compiled output (run with WARDEN_BLESS=1 to accept):\n--- expected\n{}\n--- actual\n{}",
            path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}

/// Run `check-jsonschema` against the committed schema, if it is installed.
pub fn check_jsonschema(files: &[PathBuf]) {
    let Some(tool) = warden_testkit::require_tool("check-jsonschema") else {
        return;
    };
    let schema = root().join("schemas/cortex-managed-settings.schema.json");
    let out = std::process::Command::new(tool)
        .arg("--schemafile")
        .arg(&schema)
        .args(files)
        .output()
        .expect("check-jsonschema runs");
    assert!(
        out.status.success(),
        "check-jsonschema refused {files:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
