//! `.reg` interop with Wine's `reg import` / `reg export`.
//!
//! `reg import` exits 0 even when it skipped malformed lines, so every test
//! reads the key back with `reg export` and compares data and types.

use std::path::Path;

use warden_registry::{Hive, KeyPath, RegEntry, RegFile, RegTree, RegValue, ValueOp};
use warden_testkit::wine::Wine;

/// The Wine prefix of this test binary, or `None` (after a loud notice) without Wine.
/// Each test clears its own key before using it.
fn wine() -> Option<&'static Wine> {
    Wine::require(Path::new(env!("CARGO_TARGET_TMPDIR")).join("warden-registry-wine-prefix"))
}

/// Removes `HKLM\root` left over from an earlier run (absent is fine).
fn clear(wine: &Wine, root: &str) {
    let _ = wine.reg(&["delete", &format!(r"HKLM\{root}"), "/f"]);
}

fn reg(wine: &Wine, args: &[&str]) {
    assert!(wine.reg(args), "wine reg {args:?} failed");
}

/// Imports `file`, then returns Wine's export of `key` as raw bytes.
fn import_then_export(wine: &Wine, dir: &Path, file: &RegFile, key: &str) -> Vec<u8> {
    let input = dir.join("in.reg");
    std::fs::write(&input, file.to_bytes().unwrap()).unwrap();
    reg(wine, &["import", input.to_str().unwrap()]);
    export(wine, dir, key)
}

fn export(wine: &Wine, dir: &Path, key: &str) -> Vec<u8> {
    let output = dir.join("out.reg");
    let _ = std::fs::remove_file(&output);
    reg(wine, &["export", key, output.to_str().unwrap(), "/y"]);
    std::fs::read(&output).unwrap()
}

fn key(path: &str) -> KeyPath {
    KeyPath::new(Hive::LocalMachine, path).unwrap()
}

fn sample_tree(root: &str) -> RegTree {
    let k = key(root);
    let sub = key(&format!(r"{root}\Sub Key"));
    let mut t = RegTree::new();
    t.set(&k, "", RegValue::Sz("default".into()));
    t.set(
        &k,
        "PolicyBundle",
        RegValue::Sz(
            r#"{"payload":"eyJ9","path":"C:\\Program Files\\X","note":"ü €","sigs":[{"k":"v"}]}"#
                .into(),
        ),
    );
    t.set(&k, "PolicySerial", RegValue::Dword(0xDEAD_BEEF));
    t.set(&k, "Big", RegValue::Qword(0x0102_0304_0506_0708));
    t.set(
        &k,
        "Expand",
        RegValue::ExpandSz(r"%ProgramFiles%\Warden".into()),
    );
    t.set(
        &k,
        "List",
        RegValue::MultiSz(vec!["a*.snowflakecomputing.com".into(), "ünïcode".into()]),
    );
    t.set(&k, "Blob", RegValue::Binary((0..=200).collect()));
    t.set(&k, "Empty", RegValue::Sz(String::new()));
    t.set(&k, "with \"quote\" and \\", RegValue::Dword(0));
    t.set(&sub, "x", RegValue::Sz("y".into()));
    t
}

fn assert_same_values(ours: &RegTree, theirs: &RegTree) {
    for k in ours.keys() {
        assert_eq!(
            theirs.values(k),
            ours.values(k),
            "values of {k} differ after the Wine round trip"
        );
    }
}

#[test]
fn wine_imports_our_file_and_exports_the_same_bytes() {
    let Some(wine) = wine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = r"SOFTWARE\Policies\WardenTest\RoundTrip";
    clear(wine, root);
    let tree = sample_tree(root);
    let file = tree.to_reg_file();
    let exported = import_then_export(wine, dir.path(), &file, &format!(r"HKLM\{root}"));

    // Data and types as Wine stored them, through our reader.
    let mut theirs = RegTree::new();
    theirs.apply(&RegFile::parse(&exported).expect("our reader reads Wine's export"));
    assert_same_values(&tree, &theirs);

    // Byte for byte: Wine orders values and keys as our tree does, so its
    // export must equal our writer's output.
    assert_eq!(
        String::from_utf16_lossy(
            &exported[2..]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>()
        ),
        file.render().unwrap()
    );
    assert_eq!(exported, file.to_bytes().unwrap());
}

#[test]
fn our_reader_agrees_with_wine_on_its_own_escapes() {
    let Some(wine) = wine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = r"SOFTWARE\Policies\WardenTest\Escapes";
    clear(wine, root);
    // REG_SZ data with CR and LF, which our writer refuses, entered as hex(1).
    let data: Vec<u8> = "a\nb\rc"
        .encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect();
    let file = RegFile {
        entries: vec![RegEntry::Key {
            path: key(root),
            values: vec![(
                "lines".into(),
                ValueOp::Set(RegValue::Raw { kind: 1, data }),
            )],
        }],
    };
    let exported = import_then_export(wine, dir.path(), &file, &format!(r"HKLM\{root}"));
    let text = String::from_utf16_lossy(
        &exported[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    );
    assert!(text.contains(r#""lines"="a\nb\rc""#), "{text}");
    let mut theirs = RegTree::new();
    theirs.apply(&RegFile::parse(&exported).unwrap());
    assert_eq!(
        theirs.values(&key(root)).unwrap().get("lines"),
        Some(&RegValue::Sz("a\nb\rc".into()))
    );
}

#[test]
fn deletions_behave_as_in_wine() {
    let Some(wine) = wine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = r"SOFTWARE\Policies\WardenTest\Deletes";
    clear(wine, root);
    let mut tree = sample_tree(root);
    let setup = tree.to_reg_file();
    import_then_export(wine, dir.path(), &setup, &format!(r"HKLM\{root}"));

    let change = RegFile {
        entries: vec![
            RegEntry::DeleteKey(key(&format!(r"{root}\Sub Key"))),
            RegEntry::Key {
                path: key(root),
                values: vec![
                    ("Blob".into(), ValueOp::Delete),
                    (String::new(), ValueOp::Delete),
                    ("PolicySerial".into(), ValueOp::Set(RegValue::Dword(2))),
                ],
            },
        ],
    };
    tree.apply(&change);
    let exported = import_then_export(wine, dir.path(), &change, &format!(r"HKLM\{root}"));
    let mut theirs = RegTree::new();
    theirs.apply(&RegFile::parse(&exported).unwrap());
    assert_same_values(&tree, &theirs);
    assert!(tree.values(&key(&format!(r"{root}\Sub Key"))).is_none());
    assert!(theirs.values(&key(&format!(r"{root}\Sub Key"))).is_none());
    assert_eq!(
        theirs.values(&key(root)).unwrap().get("PolicySerial"),
        Some(&RegValue::Dword(2))
    );
}
