//! `Registry.pol` (PReg), the file Group Policy applies to one scope.
//!
//! Layout ([MS-GPREG] 2.2.1): the signature `PReg` and the little-endian
//! DWORD version 1, then records `[key;value;type;size;data]` where the
//! brackets and semicolons are UTF-16LE characters, `key` and `value` are
//! UTF-16LE strings each followed by a NUL character, `type` and `size` are
//! little-endian DWORDs and `data` is `size` raw bytes (string data includes
//! its own NUL terminator). The folder the file sits in (`Machine` or
//! `User`) decides the hive, so keys carry none.
//!
//! The writer keeps to the format's grammar: key characters 0x20–0x7E,
//! value names 1–259 characters, the types `REG_SZ`, `REG_EXPAND_SZ`,
//! `REG_BINARY`, `REG_DWORD`, `REG_DWORD_BIG_ENDIAN`, `REG_MULTI_SZ`,
//! `REG_QWORD`, and at most 65,535 data bytes per value (so a large signed
//! bundle may not fit; see [`PolWriteError::DataTooLarge`]). The reader is
//! lenient where real files are (special `**del.`, `**DeleteValues`,
//! `**DelVals`, `**DeleteKeys`, `**SecureKey` records are passed through as
//! ordinary entries, their data kept raw when it does not decode).

use crate::value::{RegValue, ValueError};

/// `PReg` followed by version 1, both little-endian.
pub const POL_HEADER: [u8; 8] = *b"PReg\x01\x00\x00\x00";
/// Largest data a record may carry ([MS-GPREG] `Data = *65535OCTET`).
pub const MAX_POL_DATA_BYTES: usize = 65_535;
/// Longest value name the grammar allows, in characters.
pub const MAX_POL_VALUE_NAME_LEN: usize = 259;
/// Largest `Registry.pol` input [`read_pol`] accepts, in bytes.
pub const MAX_POL_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Type codes the PReg grammar allows.
const ALLOWED_TYPES: [u32; 7] = [1, 2, 3, 4, 5, 7, 11];

/// One record: a value under a key of the file's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolEntry {
    /// Key path below the hive, e.g. `SOFTWARE\Policies\Warden\Agent`.
    pub key: String,
    /// Value name; special names start with `**`.
    pub value_name: String,
    /// The value.
    pub value: RegValue,
}

/// Why a `Registry.pol` could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolWriteError {
    /// Empty key, empty component, or a character outside 0x20–0x7E.
    #[error("key `{0}` is not a valid Registry.pol key (printable ASCII components)")]
    BadKey(String),
    /// Empty or over-long value name, or one with control characters.
    #[error("`{key}`: value name `{name}` must be 1–{MAX_POL_VALUE_NAME_LEN} printable characters")]
    BadValueName {
        /// Key path.
        key: String,
        /// Value name.
        name: String,
    },
    /// A type the grammar does not allow.
    #[error("`{key}` value `{name}`: type {kind} cannot be stored in Registry.pol")]
    BadType {
        /// Key path.
        key: String,
        /// Value name.
        name: String,
        /// The type code.
        kind: u32,
    },
    /// Data over 65,535 bytes; deliver such values another way (script, file).
    #[error(
        "`{key}` value `{name}`: {size} bytes exceed the Registry.pol limit of {MAX_POL_DATA_BYTES}"
    )]
    DataTooLarge {
        /// Key path.
        key: String,
        /// Value name.
        name: String,
        /// Encoded size in bytes.
        size: usize,
    },
    /// The value itself cannot be encoded.
    #[error("`{key}` value `{name}`: {source}")]
    Value {
        /// Key path.
        key: String,
        /// Value name.
        name: String,
        /// The encoding problem.
        #[source]
        source: ValueError,
    },
}

/// Why a `Registry.pol` could not be read; `offset` is the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Registry.pol offset {offset}: {kind}")]
pub struct PolReadError {
    /// Byte offset into the file.
    pub offset: usize,
    /// What went wrong.
    pub kind: PolReadErrorKind,
}

/// The kinds of [`PolReadError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolReadErrorKind {
    /// Input larger than the cap.
    #[error("file is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// Not `PReg` version 1.
    #[error("missing `PReg` version 1 header")]
    BadHeader,
    /// A delimiter (`[`, `;`, `]`) was expected.
    #[error("expected `{0}`")]
    ExpectedDelimiter(char),
    /// The file ends inside a record.
    #[error("truncated record")]
    Truncated,
    /// A key or value name that is not valid UTF-16.
    #[error("name is not valid UTF-16")]
    InvalidUtf16,
    /// Data that does not fit its declared type.
    #[error("`{key}` value `{name}`: {source}")]
    Value {
        /// Key path.
        key: String,
        /// Value name.
        name: String,
        /// The decoding problem.
        source: ValueError,
    },
}

fn push_utf16z(out: &mut Vec<u8>, s: &str) {
    out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    out.extend_from_slice(&[0, 0]);
}

fn push_delim(out: &mut Vec<u8>, c: u8) {
    out.extend_from_slice(&[c, 0]);
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('\\').all(|c| !c.is_empty())
        && key.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// Writes `entries` in the given order (use
/// [`RegTree::pol_entries`](crate::RegTree::pol_entries) for a fixed order).
pub fn write_pol(entries: &[PolEntry]) -> Result<Vec<u8>, PolWriteError> {
    let mut out = POL_HEADER.to_vec();
    for e in entries {
        let ctx = || (e.key.clone(), e.value_name.clone());
        if !valid_key(&e.key) {
            return Err(PolWriteError::BadKey(e.key.clone()));
        }
        let name_len = e.value_name.encode_utf16().count();
        if name_len == 0
            || name_len > MAX_POL_VALUE_NAME_LEN
            || e.value_name.chars().any(char::is_control)
        {
            let (key, name) = ctx();
            return Err(PolWriteError::BadValueName { key, name });
        }
        let kind = e.value.type_code();
        if !ALLOWED_TYPES.contains(&kind) {
            let (key, name) = ctx();
            return Err(PolWriteError::BadType { key, name, kind });
        }
        let data = e.value.to_bytes().map_err(|source| {
            let (key, name) = ctx();
            PolWriteError::Value { key, name, source }
        })?;
        if data.len() > MAX_POL_DATA_BYTES {
            let (key, name) = ctx();
            return Err(PolWriteError::DataTooLarge {
                key,
                name,
                size: data.len(),
            });
        }
        push_delim(&mut out, b'[');
        push_utf16z(&mut out, &e.key);
        push_delim(&mut out, b';');
        push_utf16z(&mut out, &e.value_name);
        push_delim(&mut out, b';');
        out.extend_from_slice(&kind.to_le_bytes());
        push_delim(&mut out, b';');
        // Checked against MAX_POL_DATA_BYTES above, so it fits a u32.
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        push_delim(&mut out, b';');
        out.extend_from_slice(&data);
        push_delim(&mut out, b']');
    }
    Ok(out)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn err(&self, kind: PolReadErrorKind) -> PolReadError {
        PolReadError {
            offset: self.pos,
            kind,
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], PolReadError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.err(PolReadErrorKind::Truncated))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn delim(&mut self, c: char) -> Result<(), PolReadError> {
        let at = self.pos;
        let got = self.take(2)?;
        if got != [c as u8, 0] {
            return Err(PolReadError {
                offset: at,
                kind: PolReadErrorKind::ExpectedDelimiter(c),
            });
        }
        Ok(())
    }

    fn u32(&mut self) -> Result<u32, PolReadError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A UTF-16LE string up to and including its NUL.
    fn string_z(&mut self) -> Result<String, PolReadError> {
        let start = self.pos;
        let mut units = Vec::new();
        loop {
            let b = self.take(2)?;
            let u = u16::from_le_bytes([b[0], b[1]]);
            if u == 0 {
                break;
            }
            units.push(u);
        }
        String::from_utf16(&units).map_err(|_| PolReadError {
            offset: start,
            kind: PolReadErrorKind::InvalidUtf16,
        })
    }
}

/// Reads every record of a `Registry.pol`, in file order.
pub fn read_pol(bytes: &[u8]) -> Result<Vec<PolEntry>, PolReadError> {
    if bytes.len() > MAX_POL_FILE_BYTES {
        return Err(PolReadError {
            offset: 0,
            kind: PolReadErrorKind::TooLarge {
                size: bytes.len(),
                max: MAX_POL_FILE_BYTES,
            },
        });
    }
    if !bytes.starts_with(&POL_HEADER) {
        return Err(PolReadError {
            offset: 0,
            kind: PolReadErrorKind::BadHeader,
        });
    }
    let mut cur = Cursor {
        bytes,
        pos: POL_HEADER.len(),
    };
    let mut entries = Vec::new();
    while cur.pos < bytes.len() {
        let record_start = cur.pos;
        cur.delim('[')?;
        let key = cur.string_z()?;
        cur.delim(';')?;
        let value_name = cur.string_z()?;
        cur.delim(';')?;
        let kind = cur.u32()?;
        cur.delim(';')?;
        let size = cur.u32()? as usize;
        cur.delim(';')?;
        let data = cur.take(size)?;
        let value = match RegValue::from_bytes(kind, data) {
            Ok(v) => v,
            // Special records carry placeholder data (often a lone space).
            Err(_) if value_name.starts_with("**") => RegValue::Raw {
                kind,
                data: data.to_vec(),
            },
            Err(source) => {
                return Err(PolReadError {
                    offset: record_start,
                    kind: PolReadErrorKind::Value {
                        key,
                        name: value_name,
                        source,
                    },
                });
            }
        };
        cur.delim(']')?;
        entries.push(PolEntry {
            key,
            value_name,
            value,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, name: &str, value: RegValue) -> PolEntry {
        PolEntry {
            key: key.into(),
            value_name: name.into(),
            value,
        }
    }

    fn record(key: &str, name: &str, kind: u32, data: &[u8]) -> Vec<u8> {
        let wide = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        [
            &b"[\0"[..],
            &wide(key),
            b"\0\0;\0",
            &wide(name),
            b"\0\0;\0",
            &kind.to_le_bytes(),
            b";\0",
            &(data.len() as u32).to_le_bytes(),
            b";\0",
            data,
            b"]\0",
        ]
        .concat()
    }

    #[test]
    fn exact_bytes_of_one_record() {
        let bytes = write_pol(&[entry("K", "V", RegValue::Dword(1))]).unwrap();
        let expected: Vec<u8> = [
            &b"PReg\x01\x00\x00\x00"[..],
            b"[\0K\0\0\0;\0V\0\0\0;\0",
            &4u32.to_le_bytes(),
            b";\0",
            &4u32.to_le_bytes(),
            b";\0",
            &1u32.to_le_bytes(),
            b"]\0",
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn round_trips_all_types() {
        let entries = vec![
            entry(
                r"SOFTWARE\Policies\Warden\Agent",
                "PolicySerial",
                RegValue::Dword(7),
            ),
            entry(
                r"SOFTWARE\Policies\Warden\Agent",
                "PolicyBundle",
                RegValue::Sz(r#"{"payload":"eyJ9","signatures":[{"sig":"x"}]}"#.into()),
            ),
            entry("K", "e", RegValue::ExpandSz("%A%".into())),
            entry("K", "m", RegValue::MultiSz(vec!["a".into(), "b".into()])),
            entry("K", "q", RegValue::Qword(u64::MAX)),
            entry("K", "b", RegValue::Binary(vec![b'[', 0, b']', 0, b';', 0])),
        ];
        let bytes = write_pol(&entries).unwrap();
        assert_eq!(read_pol(&bytes).unwrap(), entries);
        assert_eq!(read_pol(&POL_HEADER).unwrap(), vec![]);
    }

    #[test]
    fn writer_refusals() {
        let w = |e| write_pol(&[e]).unwrap_err();
        assert!(matches!(
            w(entry("", "v", RegValue::Dword(1))),
            PolWriteError::BadKey(_)
        ));
        assert!(matches!(
            w(entry(r"a\\b", "v", RegValue::Dword(1))),
            PolWriteError::BadKey(_)
        ));
        assert!(matches!(
            w(entry("ä", "v", RegValue::Dword(1))),
            PolWriteError::BadKey(_)
        ));
        assert!(matches!(
            w(entry("k", "", RegValue::Dword(1))),
            PolWriteError::BadValueName { .. }
        ));
        assert!(matches!(
            w(entry("k", &"n".repeat(260), RegValue::Dword(1))),
            PolWriteError::BadValueName { .. }
        ));
        assert!(matches!(
            w(entry(
                "k",
                "v",
                RegValue::Raw {
                    kind: 0,
                    data: vec![]
                }
            )),
            PolWriteError::BadType { kind: 0, .. }
        ));
        assert!(matches!(
            w(entry("k", "v", RegValue::Sz("x".repeat(32_767)))),
            PolWriteError::DataTooLarge { size: 65_536, .. }
        ));
        // 32,766 characters plus the terminator is exactly 65,534 bytes.
        assert!(write_pol(&[entry("k", "v", RegValue::Sz("x".repeat(32_766)))]).is_ok());
    }

    #[test]
    fn reader_errors_and_special_records() {
        let good = write_pol(&[entry("K", "V", RegValue::Dword(1))]).unwrap();
        assert_eq!(
            read_pol(b"PReg\x02\0\0\0").unwrap_err().kind,
            PolReadErrorKind::BadHeader
        );
        for cut in 9..good.len() {
            let e = read_pol(&good[..cut]).unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    PolReadErrorKind::Truncated | PolReadErrorKind::ExpectedDelimiter(_)
                ),
                "{cut}: {e}"
            );
        }
        let mut bad = good.clone();
        bad[8] = b'(';
        assert_eq!(
            read_pol(&bad).unwrap_err(),
            PolReadError {
                offset: 8,
                kind: PolReadErrorKind::ExpectedDelimiter('[')
            }
        );
        // A huge size field must not panic or allocate.
        let mut huge = good.clone();
        let size_at = good.len() - 2 - 4 - 2 - 4;
        huge[size_at..size_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            read_pol(&huge).unwrap_err().kind,
            PolReadErrorKind::Truncated
        );
        // `**del.X` records as GPMC writes them: REG_SZ holding one space and NUL,
        // and a DWORD-typed variant whose data does not decode.
        let mut special = POL_HEADER.to_vec();
        special.extend(record("K", "**del.X", 1, b" \0\0\0"));
        special.extend(record("K", "**del.X", 4, b" \0"));
        let read = read_pol(&special).unwrap();
        assert_eq!(read[0].value, RegValue::Sz(" ".into()));
        assert_eq!(
            read[1].value,
            RegValue::Raw {
                kind: 4,
                data: b" \0".to_vec()
            }
        );
        // The same undecodable data under an ordinary name is an error.
        let mut broken = POL_HEADER.to_vec();
        broken.extend(record("K", "V", 4, b" \0"));
        assert!(matches!(
            read_pol(&broken).unwrap_err(),
            PolReadError {
                offset: 8,
                kind: PolReadErrorKind::Value { .. }
            }
        ));
    }
}
