//! `.reg` files ("Windows Registry Editor Version 5.00"): a writer that
//! produces what regedit and Wine's `reg export` produce, and a strict reader.
//!
//! What the writer emits: UTF-16LE with a byte-order mark, CRLF line ends,
//! the version 5 header and a blank line, then one block per key followed by
//! a blank line. `REG_SZ` data is quoted with `\\` and `\"` escaped;
//! `REG_DWORD` is `dword:%08x`; `REG_EXPAND_SZ`, `REG_MULTI_SZ`, `REG_QWORD`
//! and `REG_BINARY` are `hex(2):`, `hex(7):`, `hex(b):` and `hex:` byte lists,
//! wrapped the way the exporters wrap them (a line breaks after the comma that
//! brings it to 77 characters or more; continuation lines start with two
//! spaces and the broken line ends in `\`).
//!
//! What `.reg` cannot carry: CR, LF or NUL inside `REG_SZ` data or a value
//! name. Wine reads and writes `\n`/`\r` escapes for them, but Windows
//! regedit documents no such escape, and a raw line break ends the line, so
//! the writer refuses them with [`RegWriteError::LineBreak`]; such data
//! belongs in `REG_MULTI_SZ` or `REG_BINARY`. The reader accepts Wine's `\n`
//! and `\r` escapes so that it can read Wine's exports.
//!
//! Reader input: UTF-16LE with BOM (what regedit writes) or UTF-8/ASCII
//! without BOM, under either header. As on Windows, only a UTF-16 file holds
//! `hex(2)`/`hex(7)` data as UTF-16 bytes; in an 8-bit file those bytes are
//! single-byte characters, which this reader accepts only when ASCII (the
//! ANSI code page of the machine that wrote them is unknown).

use std::fmt::Write as _;

use crate::value::{KeyPath, KeyPathError, MAX_VALUE_NAME_LEN, RegValue, ValueError, fold};

/// The header of Unicode `.reg` files.
pub const REG5_HEADER: &str = "Windows Registry Editor Version 5.00";
/// The header of ANSI `.reg` files, still accepted by current Windows.
pub const REG4_HEADER: &str = "REGEDIT4";
/// Largest `.reg` input [`RegFile::parse`] accepts, in bytes.
pub const MAX_REG_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Exporters break a hex line once it reaches this many characters.
const HEX_LINE_BREAK: usize = 77;

/// The parsed or to-be-written content of a `.reg` file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegFile {
    /// Blocks in file order.
    pub entries: Vec<RegEntry>,
}

/// One `[key]` or `[-key]` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegEntry {
    /// `[-HKEY_…\Path]`: delete the key and all of its subkeys.
    DeleteKey(KeyPath),
    /// `[HKEY_…\Path]` followed by value lines; `""` names the default value (`@`).
    Key {
        /// The key, created if missing.
        path: KeyPath,
        /// Value operations in file order.
        values: Vec<(String, ValueOp)>,
    },
}

/// What a value line does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOp {
    /// `"name"=<data>`.
    Set(RegValue),
    /// `"name"=-`.
    Delete,
}

/// Why a `.reg` file could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegWriteError {
    /// CR, LF or NUL in `REG_SZ` data or a value name (see the module docs).
    #[error("`{key}` value `{name}`: CR, LF and NUL cannot be written to a .reg file")]
    LineBreak {
        /// Full key name.
        key: String,
        /// Value name.
        name: String,
    },
    /// A value name longer than Windows allows.
    #[error("`{key}`: value name is {len} UTF-16 units long (limit {MAX_VALUE_NAME_LEN})")]
    ValueNameTooLong {
        /// Full key name.
        key: String,
        /// Length in UTF-16 units.
        len: usize,
    },
    /// Two values whose names differ only in case: the second would replace the first.
    #[error("`{key}`: value `{name}` appears twice")]
    DuplicateValueName {
        /// Full key name.
        key: String,
        /// Value name.
        name: String,
    },
    /// The value itself cannot be encoded.
    #[error("`{key}` value `{name}`: {source}")]
    Value {
        /// Full key name.
        key: String,
        /// Value name.
        name: String,
        /// The encoding problem.
        #[source]
        source: ValueError,
    },
}

/// Why a `.reg` file could not be read; `line` is 1-based (0 for whole-file problems).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct RegParseError {
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: usize,
    /// What went wrong.
    pub kind: RegParseErrorKind,
}

/// The kinds of [`RegParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegParseErrorKind {
    /// Input larger than the cap.
    #[error("file is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// UTF-16 input (BOM `FF FE`) of odd length or with unpaired surrogates.
    #[error("invalid UTF-16 text")]
    InvalidUtf16,
    /// 8-bit input that is not UTF-8.
    #[error("invalid UTF-8 text (save the file as UTF-16LE with BOM, as regedit does)")]
    InvalidUtf8,
    /// UTF-16 big-endian input; regedit never writes it.
    #[error("UTF-16 big-endian files are not supported")]
    BigEndian,
    /// The first line is neither header.
    #[error("missing header `{REG5_HEADER}` or `{REG4_HEADER}`")]
    MissingHeader,
    /// `[` without the closing `]`.
    #[error("malformed key line")]
    BadKeyLine,
    /// The key name inside `[…]` is not acceptable.
    #[error("bad key name: {0}")]
    KeyPath(KeyPathError),
    /// A value line before any `[key]`, or after `[-key]`.
    #[error("value line outside a key block")]
    ValueOutsideKey,
    /// A quoted string without its closing quote.
    #[error("unterminated string")]
    UnterminatedString,
    /// A backslash escape other than `\\`, `\"`, `\n`, `\r`.
    #[error("unknown escape sequence `\\{0}`")]
    BadEscape(char),
    /// `"name"` not followed by `=`.
    #[error("expected `=` after the value name")]
    MissingEquals,
    /// Data that starts with none of the known prefixes.
    #[error("unknown data format")]
    UnknownDataType,
    /// `dword:` not followed by 1–8 hex digits.
    #[error("malformed dword (expected 1 to 8 hex digits)")]
    BadDword,
    /// A malformed `hex(…):` type or byte list.
    #[error("malformed hex data")]
    BadHex,
    /// A continuation `\` on the last line.
    #[error("line continuation at end of file")]
    UnterminatedContinuation,
    /// Text after the data other than a `;` comment.
    #[error("unexpected text after the value")]
    TrailingCharacters,
    /// Non-ASCII `hex(2)`/`hex(7)` bytes in an 8-bit file.
    #[error("non-ASCII string bytes in an 8-bit file (code page unknown)")]
    NonAsciiAnsiString,
    /// Decoded bytes that do not fit the declared type.
    #[error("{0}")]
    Value(ValueError),
    /// A line that is neither a key, a value, a comment nor blank.
    #[error("unrecognised line")]
    UnexpectedLine,
}

impl RegFile {
    /// Renders the file as text with CRLF line ends (no BOM).
    pub fn render(&self) -> Result<String, RegWriteError> {
        let mut out = String::new();
        out.push_str(REG5_HEADER);
        out.push_str("\r\n\r\n");
        for entry in &self.entries {
            match entry {
                RegEntry::DeleteKey(path) => {
                    let _ = write!(out, "[-{}]\r\n\r\n", path.full_name());
                }
                RegEntry::Key { path, values } => {
                    let key = path.full_name();
                    let _ = write!(out, "[{key}]\r\n");
                    let mut seen = std::collections::BTreeSet::new();
                    for (name, op) in values {
                        if !seen.insert(fold(name)) {
                            return Err(RegWriteError::DuplicateValueName {
                                key,
                                name: name.clone(),
                            });
                        }
                        write_value_line(&mut out, &key, name, op)?;
                    }
                    out.push_str("\r\n");
                }
            }
        }
        Ok(out)
    }

    /// The file as regedit writes it: UTF-16LE with BOM and CRLF line ends.
    pub fn to_bytes(&self) -> Result<Vec<u8>, RegWriteError> {
        let text = self.render()?;
        let mut out = Vec::with_capacity(2 + text.len() * 2);
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        Ok(out)
    }

    /// Parses a `.reg` file (see the module docs for the accepted forms).
    pub fn parse(bytes: &[u8]) -> Result<RegFile, RegParseError> {
        let whole = |kind| RegParseError { line: 0, kind };
        if bytes.len() > MAX_REG_FILE_BYTES {
            return Err(whole(RegParseErrorKind::TooLarge {
                size: bytes.len(),
                max: MAX_REG_FILE_BYTES,
            }));
        }
        let (text, unicode) = decode_text(bytes).map_err(whole)?;
        Parser {
            lines: text.split('\n').enumerate(),
            unicode,
        }
        .run()
    }
}

fn decode_text(bytes: &[u8]) -> Result<(String, bool), RegParseErrorKind> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units = crate::value::utf16_units(rest).map_err(|_| RegParseErrorKind::InvalidUtf16)?;
        let text = String::from_utf16(&units).map_err(|_| RegParseErrorKind::InvalidUtf16)?;
        return Ok((text, true));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(RegParseErrorKind::BigEndian);
    }
    let rest = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(rest).map_err(|_| RegParseErrorKind::InvalidUtf8)?;
    Ok((text.to_owned(), false))
}

fn has_line_break(s: &str) -> bool {
    s.contains(['\r', '\n', '\0'])
}

fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn write_value_line(
    out: &mut String,
    key: &str,
    name: &str,
    op: &ValueOp,
) -> Result<(), RegWriteError> {
    let line_break = || RegWriteError::LineBreak {
        key: key.to_owned(),
        name: name.to_owned(),
    };
    if has_line_break(name) {
        return Err(line_break());
    }
    let name_len = name.encode_utf16().count();
    if name_len > MAX_VALUE_NAME_LEN {
        return Err(RegWriteError::ValueNameTooLong {
            key: key.to_owned(),
            len: name_len,
        });
    }
    let mut line = String::new();
    if name.is_empty() {
        line.push('@');
    } else {
        push_quoted(&mut line, name);
    }
    line.push('=');
    let value = match op {
        ValueOp::Delete => {
            line.push('-');
            out.push_str(&line);
            out.push_str("\r\n");
            return Ok(());
        }
        ValueOp::Set(value) => value,
    };
    let prefix = match value {
        RegValue::Sz(s) => {
            if has_line_break(s) {
                return Err(line_break());
            }
            push_quoted(&mut line, s);
            out.push_str(&line);
            out.push_str("\r\n");
            return Ok(());
        }
        RegValue::Dword(v) => {
            let _ = write!(out, "{line}dword:{v:08x}\r\n");
            return Ok(());
        }
        RegValue::Binary(_) => "hex:".to_owned(),
        other => format!("hex({:x}):", other.type_code()),
    };
    let bytes = value.to_bytes().map_err(|source| RegWriteError::Value {
        key: key.to_owned(),
        name: name.to_owned(),
        source,
    })?;
    line.push_str(&prefix);
    let mut line_len = line.encode_utf16().count();
    out.push_str(&line);
    for (i, b) in bytes.iter().enumerate() {
        let _ = write!(out, "{b:02x}");
        if i + 1 == bytes.len() {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= HEX_LINE_BREAK {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
    out.push_str("\r\n");
    Ok(())
}

struct Parser<'a, I: Iterator<Item = (usize, &'a str)>> {
    lines: I,
    unicode: bool,
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// What may follow data on a value line: blanks and a `;` comment.
fn only_comment(rest: &str) -> bool {
    let rest = rest.trim_start();
    rest.is_empty() || rest.starts_with(';')
}

impl<'a, I: Iterator<Item = (usize, &'a str)>> Parser<'a, I> {
    fn run(mut self) -> Result<RegFile, RegParseError> {
        let header = self.lines.next().map(|(_, l)| strip_cr(l).trim_end());
        if !matches!(header, Some(REG5_HEADER | REG4_HEADER)) {
            return Err(RegParseError {
                line: 1,
                kind: RegParseErrorKind::MissingHeader,
            });
        }
        let mut file = RegFile::default();
        // Index of the open `[key]` block in `file.entries`, if any.
        let mut open: Option<usize> = None;
        while let Some((idx, raw)) = self.lines.next() {
            let line_no = idx + 1;
            let err = |kind| RegParseError {
                line: line_no,
                kind,
            };
            let line = strip_cr(raw).trim_start_matches([' ', '\t']);
            if line.trim_end().is_empty() || line.starts_with(';') {
                continue;
            }
            if line.starts_with('[') {
                let inner = line
                    .trim_end()
                    .strip_prefix('[')
                    .and_then(|l| l.strip_suffix(']'))
                    .ok_or(err(RegParseErrorKind::BadKeyLine))?;
                if let Some(name) = inner.strip_prefix('-') {
                    let path =
                        KeyPath::parse(name).map_err(|e| err(RegParseErrorKind::KeyPath(e)))?;
                    file.entries.push(RegEntry::DeleteKey(path));
                    open = None;
                } else {
                    let path =
                        KeyPath::parse(inner).map_err(|e| err(RegParseErrorKind::KeyPath(e)))?;
                    file.entries.push(RegEntry::Key {
                        path,
                        values: Vec::new(),
                    });
                    open = Some(file.entries.len() - 1);
                }
                continue;
            }
            if !(line.starts_with('"') || line.starts_with('@')) {
                return Err(err(RegParseErrorKind::UnexpectedLine));
            }
            let slot = open
                .and_then(|i| file.entries.get_mut(i))
                .ok_or(err(RegParseErrorKind::ValueOutsideKey))?;
            let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
                (String::new(), rest)
            } else {
                parse_quoted(&line[1..]).map_err(err)?
            };
            let data = rest
                .trim_start()
                .strip_prefix('=')
                .ok_or(err(RegParseErrorKind::MissingEquals))?
                .trim_start();
            let op = self.parse_data(data).map_err(err)?;
            if let RegEntry::Key { values, .. } = slot {
                values.push((name, op));
            }
        }
        Ok(file)
    }

    fn parse_data(&mut self, data: &str) -> Result<ValueOp, RegParseErrorKind> {
        if let Some(rest) = data.strip_prefix('-') {
            return if only_comment(rest) {
                Ok(ValueOp::Delete)
            } else {
                Err(RegParseErrorKind::TrailingCharacters)
            };
        }
        if let Some(rest) = data.strip_prefix('"') {
            let (s, rest) = parse_quoted(rest)?;
            return if only_comment(rest) {
                Ok(ValueOp::Set(RegValue::Sz(s)))
            } else {
                Err(RegParseErrorKind::TrailingCharacters)
            };
        }
        if let Some(rest) = data.strip_prefix("dword:") {
            let end = rest
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(rest.len());
            let (digits, tail) = rest.split_at(end);
            if digits.is_empty() || digits.len() > 8 {
                return Err(RegParseErrorKind::BadDword);
            }
            if !only_comment(tail) {
                return Err(RegParseErrorKind::TrailingCharacters);
            }
            let v = u32::from_str_radix(digits, 16).map_err(|_| RegParseErrorKind::BadDword)?;
            return Ok(ValueOp::Set(RegValue::Dword(v)));
        }
        let (kind, list) = if let Some(rest) = data.strip_prefix("hex:") {
            (3, rest)
        } else if let Some(rest) = data.strip_prefix("hex(") {
            let (code, rest) = rest.split_once("):").ok_or(RegParseErrorKind::BadHex)?;
            if code.is_empty() || code.len() > 8 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(RegParseErrorKind::BadHex);
            }
            let kind = u32::from_str_radix(code, 16).map_err(|_| RegParseErrorKind::BadHex)?;
            (kind, rest)
        } else {
            return Err(RegParseErrorKind::UnknownDataType);
        };
        let mut bytes = self.parse_hex_list(list)?;
        if !self.unicode && matches!(kind, 2 | 7) {
            if !bytes.is_ascii() {
                return Err(RegParseErrorKind::NonAsciiAnsiString);
            }
            bytes = bytes.iter().flat_map(|b| [*b, 0]).collect();
        }
        RegValue::from_bytes(kind, &bytes)
            .map(ValueOp::Set)
            .map_err(RegParseErrorKind::Value)
    }

    /// Reads a comma-separated byte list, following `\` continuations.
    fn parse_hex_list(&mut self, first: &str) -> Result<Vec<u8>, RegParseErrorKind> {
        let mut joined = String::new();
        let mut segment = first.to_owned();
        loop {
            let body = segment.split(';').next().unwrap_or("").trim();
            match body.strip_suffix('\\') {
                Some(head) => {
                    joined.push_str(head.trim_end());
                    let (_, next) = self
                        .lines
                        .next()
                        .ok_or(RegParseErrorKind::UnterminatedContinuation)?;
                    segment = strip_cr(next).to_owned();
                    if segment.trim().is_empty() {
                        return Err(RegParseErrorKind::UnterminatedContinuation);
                    }
                }
                None => {
                    joined.push_str(body);
                    break;
                }
            }
        }
        let joined = joined.strip_suffix(',').unwrap_or(&joined);
        if joined.is_empty() {
            return Ok(Vec::new());
        }
        joined
            .split(',')
            .map(|tok| {
                let tok = tok.trim();
                if tok.is_empty() || tok.len() > 2 || !tok.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(RegParseErrorKind::BadHex);
                }
                u8::from_str_radix(tok, 16).map_err(|_| RegParseErrorKind::BadHex)
            })
            .collect()
    }
}

/// Parses the rest of a quoted string (after the opening quote); returns the
/// unescaped text and what follows the closing quote.
fn parse_quoted(s: &str) -> Result<(String, &str), RegParseErrorKind> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some(e @ ('\\' | '"')) => out.push(e),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => return Err(RegParseErrorKind::BadEscape(other)),
                None => return Err(RegParseErrorKind::UnterminatedString),
            },
            c => out.push(c),
        }
    }
    Err(RegParseErrorKind::UnterminatedString)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Hive;

    fn key(p: &str) -> KeyPath {
        KeyPath::new(Hive::LocalMachine, p).unwrap()
    }

    fn one(values: Vec<(&str, RegValue)>) -> RegFile {
        RegFile {
            entries: vec![RegEntry::Key {
                path: key(r"SOFTWARE\Policies\T"),
                values: values
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), ValueOp::Set(v)))
                    .collect(),
            }],
        }
    }

    fn utf16(s: &str) -> Vec<u8> {
        let mut b = vec![0xFF, 0xFE];
        b.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        b
    }

    #[test]
    fn writes_exact_text() {
        let f = one(vec![
            ("", RegValue::Sz("def".into())),
            ("s", RegValue::Sz(r#"a\b"c"#.into())),
            ("n\"q", RegValue::Dword(42)),
            ("q", RegValue::Qword(0x0807_0605_0403_0201)),
            ("e", RegValue::ExpandSz("%P%".into())),
            ("m", RegValue::MultiSz(vec!["a".into(), "b".into()])),
            ("z", RegValue::Binary(vec![])),
            (
                "d",
                RegValue::Raw {
                    kind: 0,
                    data: vec![],
                },
            ),
        ]);
        let text = f.render().unwrap();
        assert_eq!(
            text,
            "Windows Registry Editor Version 5.00\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\T]\r\n\
             @=\"def\"\r\n\
             \"s\"=\"a\\\\b\\\"c\"\r\n\
             \"n\\\"q\"=dword:0000002a\r\n\
             \"q\"=hex(b):01,02,03,04,05,06,07,08\r\n\
             \"e\"=hex(2):25,00,50,00,25,00,00,00\r\n\
             \"m\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n\
             \"z\"=hex:\r\n\
             \"d\"=hex(0):\r\n\
             \r\n"
        );
        let bytes = f.to_bytes().unwrap();
        assert_eq!(&bytes[..4], &[0xFF, 0xFE, b'W', 0]);
    }

    #[test]
    fn wraps_hex_like_the_exporters() {
        let data: Vec<u8> = (0..=0x30).collect();
        let f = one(vec![
            ("b", RegValue::Binary(data.clone())),
            (
                "averyveryveryverylongname_averyveryveryverylongname",
                RegValue::Binary(data),
            ),
        ]);
        let text = f.render().unwrap();
        // Reference output of Wine 8 `reg export` for the same values.
        let expected = [
            "\"b\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\",
            "  17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,2f,\\",
            "  30",
            "\"averyveryveryverylongname_averyveryveryverylongname\"=hex:00,01,02,03,04,05,06,\\",
            "  07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,\\",
            "  20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,2f,30",
            "",
        ]
        .join("\r\n");
        assert!(text.contains(&expected), "{text}");
        for line in text.split("\r\n") {
            assert!(line.len() <= 80, "{line}");
        }
    }

    #[test]
    fn refuses_what_reg_cannot_carry() {
        for (name, v) in [
            ("a", RegValue::Sz("x\ny".into())),
            ("a", RegValue::Sz("x\ry".into())),
            ("a", RegValue::Sz("x\0y".into())),
            ("a\nb", RegValue::Dword(1)),
        ] {
            assert!(matches!(
                one(vec![(name, v)]).render(),
                Err(RegWriteError::LineBreak { .. })
            ));
        }
        assert!(matches!(
            one(vec![("a", RegValue::MultiSz(vec![String::new()]))]).render(),
            Err(RegWriteError::Value {
                source: ValueError::EmptyMultiSzElement,
                ..
            })
        ));
        assert!(matches!(
            one(vec![("A", RegValue::Dword(1)), ("a", RegValue::Dword(2))]).render(),
            Err(RegWriteError::DuplicateValueName { .. })
        ));
        assert!(matches!(
            one(vec![(&"n".repeat(16_384), RegValue::Dword(1))]).render(),
            Err(RegWriteError::ValueNameTooLong { len: 16_384, .. })
        ));
        // Line breaks are fine where the data is hex.
        assert!(
            one(vec![("a", RegValue::MultiSz(vec!["x\ny".into()]))])
                .render()
                .is_ok()
        );
    }

    #[test]
    fn round_trips() {
        let f = RegFile {
            entries: vec![
                RegEntry::DeleteKey(key(r"SOFTWARE\Policies\Old")),
                RegEntry::Key {
                    path: key(r"SOFTWARE\Policies\T"),
                    values: vec![
                        (String::new(), ValueOp::Set(RegValue::Sz(String::new()))),
                        (
                            "json".into(),
                            ValueOp::Set(RegValue::Sz(r#"{"a":"\\ \" ü ;[x]"}"#.into())),
                        ),
                        ("gone".into(), ValueOp::Delete),
                        (
                            "big".into(),
                            ValueOp::Set(RegValue::Binary((0..=255).collect())),
                        ),
                        (
                            "m".into(),
                            ValueOp::Set(RegValue::MultiSz(vec!["é".into(), "x;y".into()])),
                        ),
                        ("q".into(), ValueOp::Set(RegValue::Qword(u64::MAX))),
                        ("d".into(), ValueOp::Set(RegValue::Dword(0))),
                        (
                            "raw".into(),
                            ValueOp::Set(RegValue::Raw {
                                kind: 0x20,
                                data: vec![9],
                            }),
                        ),
                    ],
                },
            ],
        };
        let bytes = f.to_bytes().unwrap();
        assert_eq!(RegFile::parse(&bytes).unwrap(), f);
        // The same text as UTF-8 without BOM (no hex(2)/hex(7) here would be
        // wrong: UTF-16 string bytes are only valid in UTF-16 files).
        let plain = one(vec![
            ("s", RegValue::Sz("ü".into())),
            ("d", RegValue::Dword(7)),
        ]);
        let text = plain.render().unwrap();
        assert_eq!(RegFile::parse(text.as_bytes()).unwrap(), plain);
    }

    #[test]
    fn reads_regedit4_comments_continuations_and_wine_escapes() {
        let text = "REGEDIT4\n\
; a comment\n\
\n\
[HKEY_CURRENT_USER\\Software\\X]\n\
\"s\"=\"a\\nb\\rc\" ; trailing comment\n\
  \"d\" = dword:FFFFFFFF\n\
\"m\"=hex(7):61,00,62,00,\\\n\
    00 ; comment\n\
\"b\"=hex:01 ,02,\\\n\
  03\n\
@=-\n\
[-HKEY_CURRENT_USER\\Software\\Y]\n";
        let f = RegFile::parse(text.as_bytes()).unwrap();
        let k = KeyPath::new(Hive::CurrentUser, r"Software\X").unwrap();
        assert_eq!(
            f.entries,
            vec![
                RegEntry::Key {
                    path: k,
                    values: vec![
                        ("s".into(), ValueOp::Set(RegValue::Sz("a\nb\rc".into()))),
                        ("d".into(), ValueOp::Set(RegValue::Dword(u32::MAX))),
                        (
                            "m".into(),
                            ValueOp::Set(RegValue::MultiSz(vec!["a".into(), "b".into()]))
                        ),
                        ("b".into(), ValueOp::Set(RegValue::Binary(vec![1, 2, 3]))),
                        (String::new(), ValueOp::Delete),
                    ]
                },
                RegEntry::DeleteKey(KeyPath::new(Hive::CurrentUser, r"Software\Y").unwrap()),
            ]
        );
    }

    fn parse_err(body: &str) -> RegParseError {
        let text = format!("{REG5_HEADER}\r\n\r\n[HKEY_LOCAL_MACHINE\\S]\r\n{body}\r\n");
        RegFile::parse(&utf16(&text)).unwrap_err()
    }

    #[test]
    fn errors_carry_line_numbers() {
        use RegParseErrorKind as K;
        let cases: Vec<(&str, RegParseErrorKind)> = vec![
            ("\"a\"=\"x", K::UnterminatedString),
            ("\"a\"=\"x\\q\"", K::BadEscape('q')),
            ("\"a\" \"x\"", K::MissingEquals),
            ("\"a\"=dword:123456789", K::BadDword),
            ("\"a\"=dword:", K::BadDword),
            ("\"a\"=dword:12 x", K::TrailingCharacters),
            ("\"a\"=\"x\" y", K::TrailingCharacters),
            ("\"a\"=hex:1,zz", K::BadHex),
            ("\"a\"=hex:1,,2", K::BadHex),
            ("\"a\"=hex:123", K::BadHex),
            ("\"a\"=hex(x):00", K::BadHex),
            (
                "\"a\"=hex(4):00",
                K::Value(ValueError::WrongSize {
                    ty: crate::value::RegType::Dword,
                    expected: 4,
                    actual: 1,
                }),
            ),
            ("\"a\"=str(2):\"x\"", K::UnknownDataType),
            ("\"a\"=hex:01,\\", K::UnterminatedContinuation),
            ("garbage", K::UnexpectedLine),
            ("[HKEY_LOCAL_MACHINE\\S", K::BadKeyLine),
            (
                "[HKEY_NOWHERE\\S]",
                K::KeyPath(KeyPathError::UnknownHive("HKEY_NOWHERE".into())),
            ),
        ];
        for (body, kind) in cases {
            let e = parse_err(body);
            assert_eq!((e.line, &e.kind), (4, &kind), "{body}");
        }
    }

    #[test]
    fn whole_file_errors() {
        use RegParseErrorKind as K;
        let e = |b: &[u8]| RegFile::parse(b).unwrap_err().kind;
        assert_eq!(e(b""), K::MissingHeader);
        assert_eq!(e(b"REGEDIT5\r\n"), K::MissingHeader);
        assert_eq!(e(&[0xFF, 0xFE, 0x41]), K::InvalidUtf16);
        assert_eq!(e(&[0xFF, 0xFE, 0x00, 0xD8]), K::InvalidUtf16);
        assert_eq!(e(&[0xFE, 0xFF, 0, 0x41]), K::BigEndian);
        assert_eq!(e(b"REGEDIT4\r\n\xff"), K::InvalidUtf8);
        assert_eq!(e(b"REGEDIT4\r\n\"a\"=dword:1\r\n"), K::ValueOutsideKey);
        assert_eq!(
            e(b"REGEDIT4\r\n[-HKEY_CURRENT_USER\\X]\r\n\"a\"=dword:1\r\n"),
            K::ValueOutsideKey
        );
        assert_eq!(
            e("REGEDIT4\r\n[HKEY_CURRENT_USER\\X]\r\n\"a\"=hex(2):c3,a9,00\r\n".as_bytes()),
            K::NonAsciiAnsiString
        );
        let big = vec![b' '; MAX_REG_FILE_BYTES + 1];
        assert!(matches!(e(&big), K::TooLarge { .. }));
    }

    #[test]
    fn ansi_strings_are_widened() {
        let f =
            RegFile::parse(b"REGEDIT4\r\n[HKEY_CURRENT_USER\\X]\r\n\"a\"=hex(2):25,50,25,00\r\n")
                .unwrap();
        let RegEntry::Key { values, .. } = &f.entries[0] else {
            panic!("expected key");
        };
        assert_eq!(values[0].1, ValueOp::Set(RegValue::ExpandSz("%P%".into())));
    }
}
