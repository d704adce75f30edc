//! Every plist Warden writes or ships is read by real consumers: Python's
//! `plistlib` (strict: no control characters, no null, 64-bit integers) and
//! libplist's `plistutil` (XML → binary → XML). The Jamf schema is checked by
//! `check-jsonschema`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{BUNDLE, MANAGED_SETTINGS, build, cortex_keys};
use warden_macos::PrefValue;

/// Loads each argument with plistlib (fragments wrapped in `<plist><dict>`), and
/// for a profile decodes `CortexManagedSettingsBase64` and checks it equals the
/// bytes in the file named by `EXPECT_SETTINGS`.
const PLISTLIB_CHECK: &str = r#"
import base64, os, plistlib, sys

def load(path):
    data = open(path, "rb").read()
    if path.endswith(".xml"):
        data = b'<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>' + data + b"</dict></plist>"
    return plistlib.loads(data, fmt=plistlib.FMT_XML)

expected = open(os.environ["EXPECT_SETTINGS"], "rb").read() if "EXPECT_SETTINGS" in os.environ else None
for path in sys.argv[1:]:
    value = load(path)
    if not isinstance(value, dict):
        sys.exit(f"{path}: root is not a dict")
    if path.endswith(".mobileconfig"):
        found = 0
        for payload in value["PayloadContent"]:
            for domain, prefs in payload["PayloadContent"].items():
                settings = prefs["Forced"][0]["mcx_preference_settings"]
                b64 = settings.get("CortexManagedSettingsBase64")
                if b64 is not None:
                    if not isinstance(b64, str):
                        sys.exit(f"{path}: CortexManagedSettingsBase64 is {type(b64).__name__}, not str")
                    if base64.b64decode(b64, validate=True) != expected:
                        sys.exit(f"{path}: decoded managed settings differ from the input")
                    found += 1
        if expected is not None and found != 1:
            sys.exit(f"{path}: CortexManagedSettingsBase64 found {found} times")
    print(path, "ok")
"#;

/// Compares two plists' parsed content with plistlib (any format).
const PLISTLIB_EQUAL: &str = r#"
import plistlib, sys
a, b = (plistlib.loads(open(p, "rb").read()) for p in sys.argv[1:3])
sys.exit(0 if a == b else f"{sys.argv[1]} and {sys.argv[2]} differ after conversion")
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write_all(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(rel, bytes)| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect()
}

fn plist_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "json"))
        .cloned()
        .collect()
}

/// Files shipped in `packaging/macos/` that are property lists.
fn shipped_plists() -> Vec<PathBuf> {
    let root = warden_testkit::repo_root().join("packaging/macos");
    let mut out = Vec::new();
    for dir in ["LaunchDaemons", "LaunchAgents"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            out.push(entry.unwrap().path());
        }
    }
    out.sort();
    assert_eq!(out.len(), 2, "{out:?}");
    out
}

#[test]
fn plistlib_reads_every_artifact_and_the_base64_decodes_to_the_input() {
    let Some(python) = warden_testkit::require_python_module("plistlib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let paths = plist_paths(&write_all(dir.path(), &build("acme-baseline", 9)));
    assert_eq!(paths.len(), 5);
    let expected = dir.path().join("expected-settings.json");
    std::fs::write(&expected, MANAGED_SETTINGS).unwrap();
    let out = run(Command::new(&python)
        .arg("-c")
        .arg(PLISTLIB_CHECK)
        .args(&paths)
        .env("EXPECT_SETTINGS", &expected));
    assert_eq!(out.lines().count(), 5, "{out}");
}

#[test]
fn plistlib_reads_the_bundle_exactly() {
    let Some(python) = warden_testkit::require_python_module("plistlib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &build("acme-baseline", 9));
    let script = "import plistlib,sys; d=plistlib.load(open(sys.argv[1],'rb')); \
                  sys.stdout.buffer.write(d['PolicyBundle'].encode()); print(); print(d['PolicySerial'])";
    let out = run(Command::new(&python)
        .args(["-c", script])
        .arg(dir.path().join("com.warden.agent.plist")));
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap().as_bytes(), BUNDLE);
    assert_eq!(lines.next().unwrap(), "9");
}

#[test]
fn plistutil_converts_every_plist_to_binary_and_back() {
    let Some(plistutil) = warden_testkit::require_tool("plistutil") else {
        return;
    };
    let Some(python) = warden_testkit::require_python_module("plistlib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut paths = plist_paths(&write_all(dir.path(), &build("acme-baseline", 9)));
    // plistutil needs whole documents; fragments are covered by plistlib above.
    paths.retain(|p| p.extension().is_none_or(|e| e != "xml"));
    paths.extend(shipped_plists());
    assert_eq!(paths.len(), 5);
    for (i, path) in paths.iter().enumerate() {
        let bin = dir.path().join(format!("{i}.bin"));
        let back = dir.path().join(format!("{i}.xml"));
        for (from, to) in [(path, &bin), (&bin, &back)] {
            let out = Command::new(&plistutil)
                .arg("-i")
                .arg(from)
                .arg("-o")
                .arg(to)
                .output()
                .unwrap();
            // plistutil reports some failures only on stderr, with exit status 0.
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && stderr.is_empty(),
                "{from:?}: {stderr}"
            );
        }
        assert!(
            std::fs::read(&bin).unwrap().starts_with(b"bplist00"),
            "{path:?}"
        );
        run(Command::new(&python)
            .args(["-c", PLISTLIB_EQUAL])
            .arg(path)
            .arg(&back));
        run(Command::new(&python)
            .args(["-c", PLISTLIB_EQUAL])
            .arg(path)
            .arg(&bin));
    }
}

#[test]
fn jamf_schema_is_valid_and_accepts_the_compiled_values() {
    let Some(check) = warden_testkit::require_tool("check-jsonschema") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &build("acme-baseline", 9));
    let schema = dir.path().join("jamf-schema.json");
    run(Command::new(&check).arg("--check-metaschema").arg(&schema));

    let instance: serde_json::Map<String, serde_json::Value> = cortex_keys()
        .iter()
        .map(|(k, v)| {
            let json = match v {
                PrefValue::Bool(b) => serde_json::Value::from(*b),
                PrefValue::String(s) => s.as_str().into(),
                PrefValue::StringList(l) => l.clone().into(),
                PrefValue::Integer(i) => (*i).into(),
            };
            (k.clone(), json)
        })
        .collect();
    let good = dir.path().join("good.json");
    std::fs::write(&good, serde_json::to_vec(&instance).unwrap()).unwrap();
    run(Command::new(&check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&good));

    // The schema must also reject a wrong type, or it checks nothing.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        br#"{"CortexEnabled": "yes", "CortexAllowedAccounts": [1]}"#,
    )
    .unwrap();
    let out = Command::new(&check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn plistlib_reads_the_shipped_launchd_jobs() {
    let Some(python) = warden_testkit::require_python_module("plistlib") else {
        return;
    };
    let out = run(Command::new(&python)
        .args(["-c", PLISTLIB_CHECK])
        .args(shipped_plists()));
    assert_eq!(out.lines().count(), 2, "{out}");
}
