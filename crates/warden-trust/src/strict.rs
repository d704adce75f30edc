//! Strict JSON parsing of verified bytes, and small encoding helpers.
//!
//! Derived structs with `deny_unknown_fields` already refuse unknown and duplicate
//! fields, but maps (the manifest, caller bodies) silently keep the last of two equal
//! keys. Two parsers disagreeing on which duplicate wins is a classic way to make a
//! signed document mean two things, so every verified payload is first walked once
//! and refused if any object repeats a key.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};

/// Parse verified bytes into `T`, refusing duplicate object keys anywhere.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de::Deserialize::deserialize(&mut de).map(|NoDuplicateKeys| ())?;
    de.end()?;
    serde_json::from_slice(bytes)
}

/// A value that deserializes from any JSON and fails on a repeated object key.
struct NoDuplicateKeys;

impl<'de> de::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while let Some(NoDuplicateKeys) = seq.next_element()? {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// True for exactly 64 lowercase hex digits (a SHA-256 digest as written here).
pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let ok: BTreeMap<String, u32> = parse(br#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(ok.len(), 2);
        let err = parse::<BTreeMap<String, u32>>(br#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key `a`"), "{err}");
        let nested = br#"{"x": [{"k": {"z": 1, "z": 1}}]}"#;
        assert!(parse::<serde_json::Value>(nested).is_err());
        // Escapes that decode to the same key are the same key.
        assert!(parse::<serde_json::Value>(br#"{"a": 1, "\u0061": 2}"#).is_err());
        assert!(parse::<serde_json::Value>(b"{} trailing").is_err());
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert!(is_sha256_hex(&hex(&[0xab; 32])));
        assert!(!is_sha256_hex(&hex(&[0xab; 31])));
        assert!(!is_sha256_hex(&hex(&[0xab; 32]).to_uppercase()));
    }
}
