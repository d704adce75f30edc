//! Property tests: writer → reader round trips, and readers never panic.

use proptest::prelude::*;
use warden_registry::{Hive, KeyPath, PolEntry, RegFile, RegTree, RegValue, read_pol, write_pol};

fn name() -> impl Strategy<Value = String> {
    // Printable text including the characters that need escaping.
    "[ -~äü€\\\\\"]{0,20}"
}

fn value() -> impl Strategy<Value = RegValue> {
    prop_oneof![
        name().prop_map(RegValue::Sz),
        name().prop_map(RegValue::ExpandSz),
        prop::collection::vec("[ -~ü]{1,8}", 0..4).prop_map(RegValue::MultiSz),
        any::<u32>().prop_map(RegValue::Dword),
        any::<u64>().prop_map(RegValue::Qword),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(RegValue::Binary),
    ]
}

fn tree() -> impl Strategy<Value = RegTree> {
    prop::collection::vec(("[A-Za-z0-9 _.-]{1,12}", name(), value()), 0..12).prop_map(|items| {
        let mut t = RegTree::new();
        for (sub, n, v) in items {
            let key =
                KeyPath::new(Hive::LocalMachine, &format!(r"SOFTWARE\Policies\{sub}")).unwrap();
            t.set(&key, &n, v);
        }
        t
    })
}

proptest! {
    #[test]
    fn reg_round_trip(t in tree()) {
        let bytes = t.to_reg_file().to_bytes().unwrap();
        let mut back = RegTree::new();
        back.apply(&RegFile::parse(&bytes).unwrap());
        prop_assert_eq!(back, t);
    }

    #[test]
    fn pol_round_trip(t in tree()) {
        let entries: Vec<PolEntry> = t
            .pol_entries(Hive::LocalMachine)
            .into_iter()
            .filter(|e| !e.value_name.is_empty() && e.value_name.is_ascii())
            .collect();
        let bytes = write_pol(&entries).unwrap();
        prop_assert_eq!(read_pol(&bytes).unwrap(), entries);
    }

    #[test]
    fn reg_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = RegFile::parse(&bytes);
        let mut with_header = b"Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\S]\r\n".to_vec();
        with_header.extend(&bytes);
        let _ = RegFile::parse(&with_header);
    }

    #[test]
    fn reg_reader_never_panics_on_near_valid_text(s in "[\\[\\]\"@=\\\\;:,a-f0-9hexdwor()\\-\r\n ]{0,200}") {
        let text = format!("REGEDIT4\r\n[HKEY_CURRENT_USER\\X]\r\n{s}");
        let _ = RegFile::parse(text.as_bytes());
    }

    #[test]
    fn pol_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut with_header = b"PReg\x01\0\0\0".to_vec();
        with_header.extend(&bytes);
        let _ = read_pol(&with_header);
        let _ = read_pol(&bytes);
    }
}
