//! Hostile managed-preferences plists: a binary plist whose arrays share object
//! references (exponential expansion) and an XML plist nested far deeper than any
//! stack. Each is refused with a finding; none may exhaust memory or the stack.

mod system_common;

use system_common::*;
use warden_agent_core::paths::Platform;

/// A binary plist (format `bplist00`) of `levels` arrays where every array holds
/// `width` references to the next one and the last holds `width` references to
/// one string: a few hundred bytes that expand to `width^levels` values.
fn shared_reference_bomb(levels: usize, width: usize) -> Vec<u8> {
    assert!((1..=255).contains(&width) && levels + 1 < 256);
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for level in 0..levels {
        offsets.push(out.len());
        if width < 15 {
            out.push(0xA0 | width as u8);
        } else {
            // Array marker with the count in a following 1-byte integer object.
            out.extend([0xAF, 0x10, width as u8]);
        }
        // One-byte object references, all to the next object.
        out.extend(std::iter::repeat_n((level + 1) as u8, width));
    }
    offsets.push(out.len());
    out.extend([0x54, b'b', b'o', b'o', b'm']); // ASCII string "boom"
    let table = out.len();
    // Two-byte offsets keep every object addressable.
    for offset in &offsets {
        out.extend((*offset as u16).to_be_bytes());
    }
    // Trailer: 6 unused bytes, offset size, reference size, object count, top
    // object, offset table position.
    out.extend([0u8; 6]);
    out.extend([2u8, 1u8]);
    out.extend((offsets.len() as u64).to_be_bytes());
    out.extend(0u64.to_be_bytes());
    out.extend((table as u64).to_be_bytes());
    out
}

/// An XML plist of `depth` nested arrays.
fn deep_xml(depth: usize) -> Vec<u8> {
    let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">".to_vec();
    out.extend("<array>".repeat(depth).bytes());
    out.extend("</array>".repeat(depth).bytes());
    out.extend(b"</plist>\n");
    out
}

fn mac_with_agent_plist(bytes: &[u8]) -> Endpoint {
    let e = Endpoint::new(Platform::MacOs);
    e.install(e.paths.agent_preferences.as_ref().unwrap(), bytes);
    e.deliver(&bundle(7));
    e
}

#[test]
fn the_bomb_is_a_valid_binary_plist_of_the_announced_shape() {
    // The generator follows the format: a small instance parses and expands.
    let small = shared_reference_bomb(3, 2);
    let value = plist::Value::from_reader(std::io::Cursor::new(&small)).unwrap();
    let mut level = &value;
    for _ in 0..3 {
        let items = level.as_array().unwrap();
        assert_eq!(items.len(), 2);
        level = &items[1];
    }
    assert_eq!(level.as_string(), Some("boom"));
    assert!(shared_reference_bomb(10, 16).len() < 424);
}

#[test]
fn a_shared_reference_bomb_in_the_agent_preferences_is_refused_not_expanded() {
    // 16^10 values once expanded: the old reader ran out of memory.
    let e = mac_with_agent_plist(&shared_reference_bomb(10, 16));
    for r in [e.check(), e.enforce()] {
        assert_eq!(r.exit_code(), 2, "{:#?}", r.findings);
        assert_eq!(codes(&r), ["bundle-unreadable"]);
        assert!(
            r.findings[0].message.contains("shared references"),
            "{}",
            r.findings[0].message
        );
    }
}

#[test]
fn a_deeply_nested_agent_preferences_plist_is_refused_not_overflowing_the_stack() {
    // 250,000 levels in under 4 MiB, the managed-preferences size cap.
    let bytes = deep_xml(250_000);
    assert!(bytes.len() < 4 << 20);
    let e = mac_with_agent_plist(&bytes);
    let r = e.check();
    assert_eq!(r.exit_code(), 2, "{:#?}", r.findings);
    assert_eq!(codes(&r), ["bundle-unreadable"]);
    assert!(r.findings[0].message.contains("deeper than 32 levels"));
}

#[test]
fn hostile_cortex_preferences_are_mdm_unreadable_not_an_abort() {
    let coco = |bytes: &[u8]| {
        let e = Endpoint::new(Platform::MacOs);
        e.install(
            e.paths.agent_preferences.as_ref().unwrap(),
            &agent_plist(&bundle(7), 7),
        );
        e.install(e.paths.cortex_preferences.as_ref().unwrap(), bytes);
        e.check()
    };
    // Cortex Code's file is capped at 2 MiB: 130,000 levels fit.
    for bytes in [shared_reference_bomb(10, 16), deep_xml(130_000)] {
        let r = coco(&bytes);
        assert_eq!(r.exit_code(), 1, "{:#?}", r.findings);
        let mdm: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code.starts_with("mdm-"))
            .collect();
        assert_eq!(mdm.len(), 1, "{mdm:#?}");
        assert_eq!(mdm[0].code, "mdm-unreadable");
        assert!(mdm[0].message.contains("refused"), "{}", mdm[0].message);
    }
}
