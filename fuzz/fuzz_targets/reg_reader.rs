#![no_main]
//! The `.reg` and `Registry.pol` readers on arbitrary bytes; whatever parses must
//! survive a write and a re-read unchanged.

use warden_registry::{RegFile, read_pol, write_pol};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(file) = RegFile::parse(data) {
        if let Ok(bytes) = file.to_bytes() {
            let again = RegFile::parse(&bytes).expect("our own .reg output parses");
            assert_eq!(again, file);
        }
    }
    if let Ok(entries) = read_pol(data) {
        if let Ok(bytes) = write_pol(&entries) {
            assert_eq!(read_pol(&bytes).expect("our own .pol output parses"), entries);
        }
    }
});
