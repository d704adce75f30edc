//! The Windows artifacts of every example profile, read by real consumers:
//! Wine's `reg import`/`reg export`, PyPI `registrypol`, and Microsoft's ADMX
//! schema through Python `xmlschema`.

mod windows_support;

use std::collections::BTreeMap;
use std::path::Path;

use warden_registry::{RegFile, RegTree, RegValue, read_pol};
use warden_testkit::wine::Wine;
use windows_support::{examples, fake_bundle, intended, load, windows_artifacts};

/// The Wine prefix of this test binary, or `None` (after a loud notice) without Wine.
fn wine() -> Option<&'static Wine> {
    Wine::require(Path::new(env!("CARGO_TARGET_TMPDIR")).join("warden-compile-wine-prefix"))
}

/// Wine's own export of `key`, read into a tree (absent key: empty tree).
fn export(wine: &Wine, dir: &Path, key: &str) -> RegTree {
    let file = dir.join("export.reg");
    let _ = std::fs::remove_file(&file);
    let exported = wine.reg(&["export", key, file.to_str().unwrap(), "/y"]);
    let mut tree = RegTree::new();
    if exported {
        tree.apply(&RegFile::parse(&std::fs::read(&file).unwrap()).unwrap());
    }
    tree
}

#[test]
fn wine_imports_the_compiled_reg_files_value_by_value() {
    let Some(wine) = wine() else { return };
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
            assert!(wine.reg(&["add", key, "/v", name, "/t", "REG_SZ", "/d", "old", "/f"]));
        }
        let input = dir.path().join("policy.reg");
        std::fs::write(&input, &files[&format!("windows/{}.reg", p.identity.id)]).unwrap();
        assert!(
            wine.reg(&["import", input.to_str().unwrap()]),
            "wine reg import"
        );

        for (key, want) in intended(&p, std::str::from_utf8(&bundle).unwrap()) {
            let theirs = export(wine, dir.path(), &key.full_name());
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
        let theirs: Vec<String> = warden_testkit::run_python(&python, POL_SCRIPT, [&pol])
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

#[test]
fn admx_and_adml_are_schema_valid_and_name_the_reg_values() {
    let Some(python) = warden_testkit::require_python_module("xmlschema") else {
        return;
    };
    let schema = warden_testkit::test_data("vendor/admx-schema/PolicyDefinitionFiles.xsd");
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
        let stdout = warden_testkit::run_python(
            &python,
            ADMX_SCRIPT,
            std::iter::once(&schema).chain(&written),
        );
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
