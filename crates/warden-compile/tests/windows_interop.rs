//! The Windows artifacts of every example profile, read by real consumers:
//! Wine's `reg import`/`reg export`, PyPI `registrypol`, and Microsoft's ADMX
//! schema through Python `xmlschema`.

mod windows_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use warden_registry::{RegFile, RegTree, RegValue, read_pol};
use windows_support::{examples, fake_bundle, intended, load, windows_artifacts};

const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";

/// One Wine prefix for this test binary, booted once (slow the first time).
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("warden-compile-wine-prefix");
        if !path.join("system.reg").is_file() {
            let out = wine(&path).args(["wineboot", "-i"]).output().unwrap();
            assert!(
                path.join("system.reg").is_file(),
                "wineboot did not create a prefix: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Keep one server up between the many `reg` calls (each would otherwise
        // start its own); it exits by itself 10 s after the last one.
        let _ = Command::new(WINESERVER)
            .arg("-p10")
            .env("WINEPREFIX", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        path
    })
}

fn wine(prefix: &Path) -> Command {
    let mut cmd = Command::new(WINE);
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("DISPLAY");
    cmd
}

/// Runs `wine reg …`. Output goes nowhere: with pipes, waiting for their end
/// would also wait for the Wine helpers that inherit them and linger.
fn reg(args: &[&str]) -> bool {
    wine(prefix())
        .arg("reg")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Wine's own export of `key`, read into a tree (absent key: empty tree).
fn export(dir: &Path, key: &str) -> RegTree {
    let file = dir.join("export.reg");
    let _ = std::fs::remove_file(&file);
    let exported = reg(&["export", key, file.to_str().unwrap(), "/y"]);
    let mut tree = RegTree::new();
    if exported {
        tree.apply(&RegFile::parse(&std::fs::read(&file).unwrap()).unwrap());
    }
    tree
}

#[test]
fn wine_imports_the_compiled_reg_files_value_by_value() {
    if warden_testkit::require_tool(WINE).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        // Leftovers of an older policy that the import must remove.
        for (key, name) in [
            (
                r"HKLM\Software\Policies\Microsoft\CortexCode",
                "CortexManagedSettingsBase64",
            ),
            (r"HKLM\SOFTWARE\Policies\Warden\Agent", "Stale"),
        ] {
            assert!(reg(&[
                "add", key, "/v", name, "/t", "REG_SZ", "/d", "old", "/f"
            ]));
        }
        let input = dir.path().join("policy.reg");
        std::fs::write(&input, &files[&format!("windows/{}.reg", p.identity.id)]).unwrap();
        assert!(reg(&["import", input.to_str().unwrap()]), "wine reg import");

        for (key, want) in intended(&p, std::str::from_utf8(&bundle).unwrap()) {
            let theirs = export(dir.path(), &key.full_name());
            let got = theirs.values(&key).unwrap_or_default();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{}: value names under {key}",
                path.display()
            );
            for (name, value) in &want {
                assert_eq!(
                    got[name].type_code(),
                    value.type_code(),
                    "{}: type of {key}\\{name}",
                    path.display()
                );
                assert_eq!(&got[name], value, "{}: {key}\\{name}", path.display());
            }
        }
    }
}

/// Prints one line per record `registrypol` found: key, value, type, size,
/// data as hex, and whether the declared size matches the data it cut out.
const POL_SCRIPT: &str = r#"
import sys, registrypol
with open(sys.argv[1], 'rb') as f:
    policy = registrypol.load(f)
for v in policy.values:
    intact = v.size == len(v.data)
    print('\t'.join([v.key.rstrip('\x00'), v.value.rstrip('\x00'), str(v.type), str(v.size), v.data.hex(), str(intact)]))
"#;

/// `registrypol` splits records at the first `]` character (bytes `5D 00`) and
/// cannot cross a `0A` byte, so a record whose data holds either (the bundle's
/// JSON has `]`) comes out cut short. Every record it reads intact must be ours;
/// every record of ours without those bytes must be among them; the rest is
/// checked with our own reader.
fn registrypol_can_parse(data: &[u8]) -> bool {
    !data.contains(&0x0A) && !data.windows(2).any(|w| w == [0x5D, 0x00])
}

#[test]
fn registrypol_reads_the_compiled_registry_pol() {
    let Some(python) = warden_testkit::require_python_module("registrypol") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let pol = dir.path().join("Registry.pol");
        std::fs::write(&pol, &files["windows/Registry.pol"]).unwrap();
        let out = Command::new(&python)
            .args(["-c", POL_SCRIPT])
            .arg(&pol)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_suffix("\tTrue").map(str::to_owned))
            .collect();

        let ours = read_pol(&files["windows/Registry.pol"]).unwrap();
        let line = |key: &str, name: &str, value: &RegValue| {
            let data = value.to_bytes().unwrap();
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            format!(
                "{key}\t{name}\t{}\t{}\t{hex}",
                value.type_code(),
                data.len()
            )
        };
        let all: Vec<String> = ours
            .iter()
            .map(|e| line(&e.key, &e.value_name, &e.value))
            .collect();
        for t in &theirs {
            assert!(
                all.contains(t),
                "{}: registrypol saw a record we did not write: {t}",
                path.display()
            );
        }
        let mut parseable = 0;
        for (e, l) in ours.iter().zip(&all) {
            if registrypol_can_parse(&e.value.to_bytes().unwrap()) {
                parseable += 1;
                assert!(
                    theirs.contains(l),
                    "{}: registrypol missed {}",
                    path.display(),
                    e.value_name
                );
            }
        }
        assert!(
            parseable >= 2,
            "registrypol compared too little: {parseable}"
        );

        // Our reader for everything, the bundle included.
        let want = intended(&p, std::str::from_utf8(&bundle).unwrap());
        let got: BTreeMap<(String, String), RegValue> = ours
            .into_iter()
            .map(|e| ((e.key, e.value_name), e.value))
            .collect();
        let want: BTreeMap<(String, String), RegValue> = want
            .into_iter()
            .flat_map(|(k, values)| {
                values
                    .into_iter()
                    .map(move |(n, v)| ((k.path().to_owned(), n), v))
            })
            .collect();
        assert_eq!(got, want, "{}", path.display());
    }
}

/// Validates each file against the schema, then prints every registry value an
/// ADMX policy writes as `key<TAB>valueName`.
const ADMX_SCRIPT: &str = r#"
import sys, xmlschema
import xml.etree.ElementTree as ET
schema = xmlschema.XMLSchema(sys.argv[1])
for path in sys.argv[2:]:
    try:
        schema.validate(path)
        print('OK', path.rsplit('/', 1)[-1])
    except xmlschema.XMLSchemaValidationError as e:
        print('INVALID', path, str(e).splitlines()[0])
ns = {'p': 'http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions'}
for path in sys.argv[2:]:
    if not path.endswith('.admx'):
        continue
    for policy in ET.parse(path).getroot().iterfind('p:policies/p:policy', ns):
        names = [policy.get('valueName')] if policy.get('valueName') else []
        names += [e.get('valueName') for e in policy.iterfind('p:elements/*', ns)]
        for n in names:
            print('VALUE', policy.get('key') + '\t' + n)
"#;

fn admx_schema() -> Option<PathBuf> {
    let path = warden_testkit::repo_root().join("../shared/schemas/admx/PolicyDefinitionFiles.xsd");
    if path.is_file() {
        return Some(path);
    }
    let msg = format!("ADMX schema not found at {}", path.display());
    assert!(!warden_testkit::in_ci(), "{msg}");
    eprintln!("\n!!! SKIPPED: {msg}\n");
    None
}

#[test]
fn admx_and_adml_are_schema_valid_and_name_the_reg_values() {
    let Some(python) = warden_testkit::require_python_module("xmlschema") else {
        return;
    };
    let Some(schema) = admx_schema() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut first_admx: Option<Vec<String>> = None;
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let names = [
            "CortexCode.admx",
            "en-US/CortexCode.adml",
            "WardenAgent.admx",
            "en-US/WardenAgent.adml",
        ];
        let mut written = Vec::new();
        for name in names {
            let dest = dir.path().join(name);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, &files[&format!("windows/{name}")]).unwrap();
            written.push(dest);
        }
        let out = Command::new(&python)
            .args(["-c", ADMX_SCRIPT])
            .arg(&schema)
            .args(&written)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let verdicts: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("VALUE")).collect();
        assert_eq!(
            verdicts,
            [
                "OK CortexCode.admx",
                "OK CortexCode.adml",
                "OK WardenAgent.admx",
                "OK WardenAgent.adml"
            ],
            "{}",
            path.display()
        );
        let mut from_admx: Vec<String> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("VALUE "))
            .map(str::to_owned)
            .collect();
        from_admx.sort();

        let mut tree = RegTree::new();
        tree.apply(&RegFile::parse(&files[&format!("windows/{}.reg", p.identity.id)]).unwrap());
        let mut from_reg: Vec<String> = tree
            .keys()
            .flat_map(|k| {
                tree.values(k)
                    .unwrap()
                    .into_keys()
                    .map(move |n| format!("{}\t{n}", k.path()))
            })
            .collect();
        from_reg.sort();
        // The templates declare every policy, whatever the profile sets: each value
        // the `.reg` writes has its policy, and the templates are the same each time.
        for value in &from_reg {
            assert!(
                from_admx.contains(value),
                "{}: no ADMX policy for {value}",
                path.display()
            );
        }
        match &first_admx {
            None => first_admx = Some(from_admx),
            Some(first) => assert_eq!(first, &from_admx, "{}", path.display()),
        }
    }
}
