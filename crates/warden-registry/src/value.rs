//! The registry value model shared by every format in this crate: hives, key
//! paths and typed values, with their exact on-disk byte encodings.

use std::fmt;

/// Longest key-path component Windows accepts, in UTF-16 code units.
pub const MAX_KEY_COMPONENT_LEN: usize = 255;
/// Longest value name Windows accepts, in UTF-16 code units.
pub const MAX_VALUE_NAME_LEN: usize = 16_383;

/// A registry root key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hive {
    /// `HKEY_LOCAL_MACHINE`: machine policy lives here.
    LocalMachine,
    /// `HKEY_CURRENT_USER`.
    CurrentUser,
    /// `HKEY_USERS`.
    Users,
    /// `HKEY_CLASSES_ROOT`.
    ClassesRoot,
    /// `HKEY_CURRENT_CONFIG`.
    CurrentConfig,
}

impl Hive {
    const ALL: [Hive; 5] = [
        Hive::LocalMachine,
        Hive::CurrentUser,
        Hive::Users,
        Hive::ClassesRoot,
        Hive::CurrentConfig,
    ];

    /// The full name used in `.reg` files, e.g. `HKEY_LOCAL_MACHINE`.
    pub const fn name(self) -> &'static str {
        match self {
            Hive::LocalMachine => "HKEY_LOCAL_MACHINE",
            Hive::CurrentUser => "HKEY_CURRENT_USER",
            Hive::Users => "HKEY_USERS",
            Hive::ClassesRoot => "HKEY_CLASSES_ROOT",
            Hive::CurrentConfig => "HKEY_CURRENT_CONFIG",
        }
    }

    /// The abbreviation `reg.exe` accepts, e.g. `HKLM`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Hive::LocalMachine => "HKLM",
            Hive::CurrentUser => "HKCU",
            Hive::Users => "HKU",
            Hive::ClassesRoot => "HKCR",
            Hive::CurrentConfig => "HKCC",
        }
    }

    /// Parses a full or abbreviated hive name, case-insensitively as Windows does.
    pub fn parse(name: &str) -> Option<Hive> {
        Hive::ALL.into_iter().find(|h| {
            name.eq_ignore_ascii_case(h.name()) || name.eq_ignore_ascii_case(h.short_name())
        })
    }
}

impl fmt::Display for Hive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a key path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyPathError {
    /// The path below the hive is empty; writing to a hive root is never intended.
    #[error("key path is empty")]
    Empty,
    /// `a\\b`, a leading or a trailing backslash.
    #[error("key path `{0}` has an empty component")]
    EmptyComponent(String),
    /// A component is longer than Windows allows.
    #[error("key path component is {len} UTF-16 units long (limit {MAX_KEY_COMPONENT_LEN})")]
    ComponentTooLong {
        /// Length in UTF-16 code units.
        len: usize,
    },
    /// Control characters cannot be written to `.reg` or `Registry.pol` files.
    #[error("key path contains control character U+{0:04X}")]
    ControlCharacter(u32),
    /// The first component of a full key name is not a known hive.
    #[error("unknown registry hive `{0}`")]
    UnknownHive(String),
}

/// A registry key: a hive plus a backslash-separated path below it.
///
/// Paths are kept as written; comparisons that must follow Windows'
/// case-insensitivity go through [`KeyPath::folded`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyPath {
    hive: Hive,
    path: String,
}

impl KeyPath {
    /// Builds a key path, refusing empty components and control characters.
    pub fn new(hive: Hive, path: &str) -> Result<Self, KeyPathError> {
        validate_key_path(path)?;
        Ok(KeyPath {
            hive,
            path: path.to_owned(),
        })
    }

    /// Parses a full key name such as `HKEY_LOCAL_MACHINE\SOFTWARE\Policies`
    /// (abbreviations such as `HKLM` are accepted too).
    pub fn parse(full: &str) -> Result<Self, KeyPathError> {
        let (root, rest) = full.split_once('\\').unwrap_or((full, ""));
        let hive = Hive::parse(root).ok_or_else(|| KeyPathError::UnknownHive(root.to_owned()))?;
        KeyPath::new(hive, rest)
    }

    /// The hive.
    pub fn hive(&self) -> Hive {
        self.hive
    }

    /// The path below the hive, without leading or trailing backslash.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full name as `.reg` files spell it: `HKEY_LOCAL_MACHINE\…`.
    pub fn full_name(&self) -> String {
        format!("{}\\{}", self.hive.name(), self.path)
    }

    /// The path folded for case-insensitive comparison.
    pub fn folded(&self) -> (Hive, String) {
        (self.hive, fold(&self.path))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\\{}", self.hive.name(), self.path)
    }
}

/// Approximates Windows' case-insensitive name comparison (which upcases
/// per code unit); exact for the ASCII names policy keys use.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

pub(crate) fn validate_key_path(path: &str) -> Result<(), KeyPathError> {
    if path.is_empty() {
        return Err(KeyPathError::Empty);
    }
    for component in path.split('\\') {
        if component.is_empty() {
            return Err(KeyPathError::EmptyComponent(path.to_owned()));
        }
        let len = component.encode_utf16().count();
        if len > MAX_KEY_COMPONENT_LEN {
            return Err(KeyPathError::ComponentTooLong { len });
        }
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Err(KeyPathError::ControlCharacter(c as u32));
    }
    Ok(())
}

/// The registry value types this crate interprets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegType {
    /// `REG_SZ` (1): a NUL-terminated UTF-16 string.
    Sz,
    /// `REG_EXPAND_SZ` (2): a string with `%VAR%` references.
    ExpandSz,
    /// `REG_BINARY` (3).
    Binary,
    /// `REG_DWORD` (4): a little-endian `u32`.
    Dword,
    /// `REG_MULTI_SZ` (7): a list of strings, each NUL-terminated, plus a final NUL.
    MultiSz,
    /// `REG_QWORD` (11): a little-endian `u64`.
    Qword,
}

impl RegType {
    /// The numeric type code stored in the registry.
    pub const fn code(self) -> u32 {
        match self {
            RegType::Sz => 1,
            RegType::ExpandSz => 2,
            RegType::Binary => 3,
            RegType::Dword => 4,
            RegType::MultiSz => 7,
            RegType::Qword => 11,
        }
    }

    /// The type for a numeric code, if this crate interprets it.
    pub const fn from_code(code: u32) -> Option<RegType> {
        match code {
            1 => Some(RegType::Sz),
            2 => Some(RegType::ExpandSz),
            3 => Some(RegType::Binary),
            4 => Some(RegType::Dword),
            7 => Some(RegType::MultiSz),
            11 => Some(RegType::Qword),
            _ => None,
        }
    }

    /// The Win32 constant name, e.g. `REG_SZ`.
    pub const fn name(self) -> &'static str {
        match self {
            RegType::Sz => "REG_SZ",
            RegType::ExpandSz => "REG_EXPAND_SZ",
            RegType::Binary => "REG_BINARY",
            RegType::Dword => "REG_DWORD",
            RegType::MultiSz => "REG_MULTI_SZ",
            RegType::Qword => "REG_QWORD",
        }
    }
}

impl fmt::Display for RegType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why raw registry data could not be turned into a [`RegValue`] or back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// String data must be whole UTF-16 code units.
    #[error("string data has odd length {0}")]
    OddLength(usize),
    /// Unpaired surrogate in string data.
    #[error("string data is not valid UTF-16")]
    InvalidUtf16,
    /// A NUL inside a string would silently truncate it for most readers.
    #[error("string contains an embedded NUL")]
    EmbeddedNul,
    /// An empty element ends a `REG_MULTI_SZ` list early, so it cannot be stored.
    #[error("REG_MULTI_SZ element is empty")]
    EmptyMultiSzElement,
    /// Non-NUL data after the terminating empty element of a `REG_MULTI_SZ`.
    #[error("REG_MULTI_SZ has data after its terminator")]
    DataAfterMultiSzEnd,
    /// `REG_DWORD`/`REG_QWORD` data of the wrong length.
    #[error("{ty} data must be {expected} bytes, found {actual}")]
    WrongSize {
        /// The declared type.
        ty: RegType,
        /// Required length in bytes.
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
}

/// A typed registry value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegValue {
    /// `REG_SZ`.
    Sz(String),
    /// `REG_EXPAND_SZ`.
    ExpandSz(String),
    /// `REG_MULTI_SZ`; elements must be non-empty.
    MultiSz(Vec<String>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// Any other type code (`REG_NONE`, `REG_LINK`, …), kept as raw bytes so
    /// a reader can pass it through without losing it.
    Raw {
        /// The numeric type code.
        kind: u32,
        /// The data bytes.
        data: Vec<u8>,
    },
}

impl RegValue {
    /// The numeric type code.
    pub fn type_code(&self) -> u32 {
        match self {
            RegValue::Raw { kind, .. } => *kind,
            other => other.reg_type().map_or(0, RegType::code),
        }
    }

    /// The interpreted type, `None` for [`RegValue::Raw`].
    pub fn reg_type(&self) -> Option<RegType> {
        match self {
            RegValue::Sz(_) => Some(RegType::Sz),
            RegValue::ExpandSz(_) => Some(RegType::ExpandSz),
            RegValue::MultiSz(_) => Some(RegType::MultiSz),
            RegValue::Dword(_) => Some(RegType::Dword),
            RegValue::Qword(_) => Some(RegType::Qword),
            RegValue::Binary(_) => Some(RegType::Binary),
            RegValue::Raw { .. } => None,
        }
    }

    /// The exact bytes the registry stores: strings as UTF-16LE with their
    /// NUL terminators, integers little-endian.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ValueError> {
        Ok(match self {
            RegValue::Sz(s) | RegValue::ExpandSz(s) => {
                let mut out = utf16_bytes(s)?;
                out.extend_from_slice(&[0, 0]);
                out
            }
            RegValue::MultiSz(items) => {
                let mut out = Vec::new();
                for item in items {
                    if item.is_empty() {
                        return Err(ValueError::EmptyMultiSzElement);
                    }
                    out.extend(utf16_bytes(item)?);
                    out.extend_from_slice(&[0, 0]);
                }
                out.extend_from_slice(&[0, 0]);
                out
            }
            RegValue::Dword(v) => v.to_le_bytes().to_vec(),
            RegValue::Qword(v) => v.to_le_bytes().to_vec(),
            RegValue::Binary(data) | RegValue::Raw { data, .. } => data.clone(),
        })
    }

    /// Interprets raw registry data of type `kind`.
    ///
    /// Strings may lack their terminator or carry extra trailing NULs (both
    /// happen in the wild); a NUL inside a string is refused.
    pub fn from_bytes(kind: u32, data: &[u8]) -> Result<RegValue, ValueError> {
        let Some(ty) = RegType::from_code(kind) else {
            return Ok(RegValue::Raw {
                kind,
                data: data.to_vec(),
            });
        };
        Ok(match ty {
            RegType::Sz => RegValue::Sz(decode_sz(data)?),
            RegType::ExpandSz => RegValue::ExpandSz(decode_sz(data)?),
            RegType::MultiSz => RegValue::MultiSz(decode_multi_sz(data)?),
            RegType::Binary => RegValue::Binary(data.to_vec()),
            RegType::Dword => RegValue::Dword(u32::from_le_bytes(fixed(ty, data)?)),
            RegType::Qword => RegValue::Qword(u64::from_le_bytes(fixed(ty, data)?)),
        })
    }
}

fn fixed<const N: usize>(ty: RegType, data: &[u8]) -> Result<[u8; N], ValueError> {
    data.try_into().map_err(|_| ValueError::WrongSize {
        ty,
        expected: N,
        actual: data.len(),
    })
}

fn utf16_bytes(s: &str) -> Result<Vec<u8>, ValueError> {
    if s.contains('\0') {
        return Err(ValueError::EmbeddedNul);
    }
    Ok(s.encode_utf16().flat_map(u16::to_le_bytes).collect())
}

pub(crate) fn utf16_units(data: &[u8]) -> Result<Vec<u16>, ValueError> {
    if !data.len().is_multiple_of(2) {
        return Err(ValueError::OddLength(data.len()));
    }
    Ok(data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect())
}

fn decode_sz(data: &[u8]) -> Result<String, ValueError> {
    let mut units = utf16_units(data)?;
    while units.last() == Some(&0) {
        units.pop();
    }
    if units.contains(&0) {
        return Err(ValueError::EmbeddedNul);
    }
    String::from_utf16(&units).map_err(|_| ValueError::InvalidUtf16)
}

fn decode_multi_sz(data: &[u8]) -> Result<Vec<String>, ValueError> {
    let units = utf16_units(data)?;
    let mut items = Vec::new();
    let mut parts = units.split(|u| *u == 0);
    for part in parts.by_ref() {
        if part.is_empty() {
            break;
        }
        items.push(String::from_utf16(part).map_err(|_| ValueError::InvalidUtf16)?);
    }
    if parts.any(|rest| !rest.is_empty()) {
        return Err(ValueError::DataAfterMultiSzEnd);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_names_round_trip() {
        for h in Hive::ALL {
            assert_eq!(Hive::parse(h.name()), Some(h));
            assert_eq!(Hive::parse(&h.short_name().to_lowercase()), Some(h));
        }
        assert_eq!(Hive::parse("HKEY_DYN_DATA"), None);
    }

    #[test]
    fn key_path_validation() {
        assert!(KeyPath::new(Hive::LocalMachine, r"SOFTWARE\Policies").is_ok());
        assert_eq!(
            KeyPath::new(Hive::LocalMachine, ""),
            Err(KeyPathError::Empty)
        );
        for bad in [r"\a", r"a\", r"a\\b"] {
            assert!(matches!(
                KeyPath::new(Hive::LocalMachine, bad),
                Err(KeyPathError::EmptyComponent(_))
            ));
        }
        assert_eq!(
            KeyPath::new(Hive::LocalMachine, "a\nb"),
            Err(KeyPathError::ControlCharacter(10))
        );
        let long = "x".repeat(256);
        assert_eq!(
            KeyPath::new(Hive::LocalMachine, &long),
            Err(KeyPathError::ComponentTooLong { len: 256 })
        );
        let k = KeyPath::parse(r"hklm\Software\X").unwrap();
        assert_eq!(k.hive(), Hive::LocalMachine);
        assert_eq!(k.full_name(), r"HKEY_LOCAL_MACHINE\Software\X");
        assert!(matches!(
            KeyPath::parse(r"HKEY_NOPE\X"),
            Err(KeyPathError::UnknownHive(_))
        ));
    }

    #[test]
    fn encodings_are_exact() {
        assert_eq!(
            RegValue::Sz("aé".into()).to_bytes().unwrap(),
            [0x61, 0, 0xe9, 0, 0, 0]
        );
        assert_eq!(
            RegValue::MultiSz(vec!["a".into(), "b".into()])
                .to_bytes()
                .unwrap(),
            [0x61, 0, 0, 0, 0x62, 0, 0, 0, 0, 0]
        );
        assert_eq!(RegValue::MultiSz(vec![]).to_bytes().unwrap(), [0, 0]);
        assert_eq!(
            RegValue::Dword(0x0102_0304).to_bytes().unwrap(),
            [4, 3, 2, 1]
        );
        assert_eq!(
            RegValue::Qword(0x0102_0304_0506_0708).to_bytes().unwrap(),
            [8, 7, 6, 5, 4, 3, 2, 1]
        );
        assert_eq!(
            RegValue::Sz("a\0b".into()).to_bytes(),
            Err(ValueError::EmbeddedNul)
        );
        assert_eq!(
            RegValue::MultiSz(vec!["a".into(), String::new()]).to_bytes(),
            Err(ValueError::EmptyMultiSzElement)
        );
    }

    #[test]
    fn decoding_round_trips_and_tolerates_terminators() {
        let values = [
            RegValue::Sz(String::new()),
            RegValue::Sz("{\"a\":\"\\\\\"}".into()),
            RegValue::ExpandSz("%ProgramFiles%\\X".into()),
            RegValue::MultiSz(vec![]),
            RegValue::MultiSz(vec!["one".into(), "twö".into()]),
            RegValue::Dword(u32::MAX),
            RegValue::Qword(u64::MAX),
            RegValue::Binary(vec![0, 1, 255]),
            RegValue::Raw {
                kind: 0,
                data: vec![1],
            },
        ];
        for v in values {
            let bytes = v.to_bytes().unwrap();
            assert_eq!(RegValue::from_bytes(v.type_code(), &bytes).unwrap(), v);
        }
        // Missing terminator, extra terminators.
        assert_eq!(
            RegValue::from_bytes(1, &[0x61, 0]).unwrap(),
            RegValue::Sz("a".into())
        );
        assert_eq!(
            RegValue::from_bytes(1, &[0x61, 0, 0, 0, 0, 0]).unwrap(),
            RegValue::Sz("a".into())
        );
        assert_eq!(
            RegValue::from_bytes(7, &[0x61, 0]).unwrap(),
            RegValue::MultiSz(vec!["a".into()])
        );
    }

    #[test]
    fn decoding_errors() {
        assert_eq!(
            RegValue::from_bytes(1, &[0x61]),
            Err(ValueError::OddLength(1))
        );
        assert_eq!(
            RegValue::from_bytes(1, &[0x61, 0, 0, 0, 0x62, 0]),
            Err(ValueError::EmbeddedNul)
        );
        assert_eq!(
            RegValue::from_bytes(1, &[0x00, 0xd8]),
            Err(ValueError::InvalidUtf16)
        );
        assert_eq!(
            RegValue::from_bytes(7, &[0x61, 0, 0, 0, 0, 0, 0x62, 0]),
            Err(ValueError::DataAfterMultiSzEnd)
        );
        assert!(matches!(
            RegValue::from_bytes(4, &[1, 2, 3]),
            Err(ValueError::WrongSize {
                expected: 4,
                actual: 3,
                ..
            })
        ));
        assert!(matches!(
            RegValue::from_bytes(11, &[1, 2, 3, 4]),
            Err(ValueError::WrongSize { expected: 8, .. })
        ));
    }
}
