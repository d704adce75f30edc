//! `Registry.pol` interop with the PyPI `registrypol` parser.

use warden_registry::{Hive, KeyPath, PolEntry, RegTree, RegValue, read_pol, write_pol};

/// Loads a .pol with `registrypol`, prints one line per record
/// (key, value, type, size, data hex; names without their NUL), then checks
/// that `registrypol` re-emits the file byte for byte.
const SCRIPT: &str = r#"
import sys, registrypol
raw = open(sys.argv[1], 'rb').read()
with open(sys.argv[1], 'rb') as f:
    policy = registrypol.load(f)
for v in policy.values:
    print('\t'.join([v.key.rstrip('\x00'), v.value.rstrip('\x00'), str(v.type), str(v.size), v.data.hex()]))
print('REEMIT', policy.to_bytes() == raw)
"#;

fn tree() -> RegTree {
    let agent = KeyPath::new(Hive::LocalMachine, r"SOFTWARE\Policies\Warden\Agent").unwrap();
    let coco = KeyPath::new(
        Hive::LocalMachine,
        r"Software\Policies\Microsoft\CortexCode",
    )
    .unwrap();
    let mut t = RegTree::new();
    // registrypol splits records with a non-greedy regex that stops at the
    // first `]` (0x5D 0x00) and, lacking DOTALL, cannot cross a 0x0A byte; the
    // data below avoids both so the comparison tests our bytes, not its bug.
    t.set(
        &agent,
        "PolicyBundle",
        RegValue::Sz(
            r#"{"payloadType":"application/vnd.warden+json","payload":"eyJzZXJpYWwiOjd9"}"#.into(),
        ),
    );
    t.set(&agent, "PolicySerial", RegValue::Dword(7));
    t.set(&coco, "CortexEnabled", RegValue::Dword(1));
    t.set(&coco, "CortexMinimumVersion", RegValue::Sz("1.2.0".into()));
    t.set(&coco, "Expand", RegValue::ExpandSz("%ProgramFiles%".into()));
    t.set(
        &coco,
        "List",
        RegValue::MultiSz(vec!["alpha".into(), "beta".into()]),
    );
    t.set(&coco, "Q", RegValue::Qword(0x0102_0304_0506_0708));
    t.set(&coco, "Bin", RegValue::Binary(vec![1, 2, 3, 0xFF]));
    t
}

#[test]
fn registrypol_reads_our_file() {
    let Some(python) = warden_testkit::require_python_module("registrypol") else {
        return;
    };
    let entries = tree().pol_entries(Hive::LocalMachine);
    let bytes = write_pol(&entries).unwrap();
    assert_eq!(read_pol(&bytes).unwrap(), entries);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Registry.pol");
    std::fs::write(&path, &bytes).unwrap();
    let stdout = warden_testkit::run_python(&python, SCRIPT, [&path]);
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.pop(), Some("REEMIT True"));

    let expected: Vec<String> = entries
        .iter()
        .map(
            |PolEntry {
                 key,
                 value_name,
                 value,
             }| {
                let data = value.to_bytes().unwrap();
                let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
                format!(
                    "{key}\t{value_name}\t{}\t{}\t{hex}",
                    value.type_code(),
                    data.len()
                )
            },
        )
        .collect();
    assert_eq!(lines, expected);
}
