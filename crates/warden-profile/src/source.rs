//! Parsing profile text into a JSON data model while remembering where every value
//! came from, so schema and lint findings can point at a line and column.
//!
//! TOML is parsed with `toml`'s span-preserving `DeTable`, JSON with
//! `jsonc-parser`'s AST in strict JSON mode. Both become a `serde_json::Value`
//! (the shape the JSON Schema describes) plus a map from JSON pointer to spans.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};
use warden_diag::{Finding, Location, Severity};

use crate::codes::Code;

/// The syntax a profile is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Json,
}

impl Syntax {
    /// `.json` files are JSON; everything else is TOML.
    pub fn for_path(path: &str) -> Self {
        if path.to_ascii_lowercase().ends_with(".json") {
            Self::Json
        } else {
            Self::Toml
        }
    }
}

/// Where a value sits in the source text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    /// The key that names the value (absent for array elements and the root).
    pub key: Option<Range<usize>>,
    /// The value itself.
    pub value: Range<usize>,
}

/// A parsed document: its data and the position of every value in it.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: String,
    pub text: String,
    pub value: Value,
    pub spans: BTreeMap<String, Spans>,
}

impl Document {
    /// A location for the value at `pointer`, falling back to its nearest parent that
    /// has a position. With `prefer_key`, points at the key rather than the value.
    pub fn locate(&self, pointer: &str, prefer_key: bool) -> Location {
        let mut p = pointer.to_owned();
        loop {
            if let Some(spans) = self.spans.get(&p) {
                let span = if prefer_key {
                    spans.key.clone().unwrap_or_else(|| spans.value.clone())
                } else {
                    spans.value.clone()
                };
                return Location::file(&self.file)
                    .with_span(&self.text, span)
                    .with_pointer(pointer);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return Location::file(&self.file).with_pointer(pointer),
            }
        }
    }

    /// The location of the child key `name` of the object at `parent`.
    pub fn locate_key(&self, parent: &str, name: &str) -> Location {
        self.locate(&format!("{parent}/{}", escape_pointer(name)), true)
    }
}

/// Escape one JSON pointer reference token (RFC 6901).
pub fn escape_pointer(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Largest profile accepted; anything bigger is not a hand-written policy.
pub const MAX_PROFILE_BYTES: usize = 1024 * 1024;

/// Parse `bytes` as a profile document. Syntax problems come back as findings (all
/// of them, where the parser can recover) and no document.
pub fn parse(file: &str, bytes: &[u8], syntax: Syntax) -> Result<Document, Vec<Finding>> {
    if bytes.len() > MAX_PROFILE_BYTES {
        return Err(vec![
            Finding::new(
                Code::SyntaxError,
                Severity::Error,
                format!(
                    "file is {} bytes; profiles are limited to {MAX_PROFILE_BYTES}",
                    bytes.len()
                ),
            )
            .at(Location::file(file)),
        ]);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.valid_up_to();
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let mut loc = Location::file(file).with_span(valid, offset..offset);
            loc.span = None;
            return Err(vec![
                Finding::new(
                    Code::SyntaxError,
                    Severity::Error,
                    "file is not valid UTF-8",
                )
                .at(loc)
                .help("profiles must be UTF-8 text"),
            ]);
        }
    };
    match syntax {
        Syntax::Toml => parse_toml(file, text),
        Syntax::Json => parse_json(file, text),
    }
}

fn syntax_finding(file: &str, text: &str, message: String, span: Option<Range<usize>>) -> Finding {
    let loc = match span {
        Some(span) => Location::file(file).with_span(text, span),
        None => Location::file(file),
    };
    Finding::new(Code::SyntaxError, Severity::Error, message).at(loc)
}

fn parse_toml(file: &str, text: &str) -> Result<Document, Vec<Finding>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| {
                let message = e.message().trim().to_owned();
                syntax_finding(file, text, format!("TOML syntax: {message}"), e.span())
            })
            .collect());
    }
    let mut spans = BTreeMap::new();
    spans.insert(
        String::new(),
        Spans {
            key: None,
            value: 0..text.len(),
        },
    );
    let value = toml_table(table.get_ref(), "", &mut spans);
    Ok(Document {
        file: file.to_owned(),
        text: text.to_owned(),
        value,
        spans,
    })
}

fn toml_table(table: &DeTable<'_>, pointer: &str, spans: &mut BTreeMap<String, Spans>) -> Value {
    let mut map = Map::new();
    for (key, value) in table {
        let child = format!("{pointer}/{}", escape_pointer(key.get_ref()));
        let v = toml_value(value.get_ref(), &child, spans);
        spans.insert(
            child,
            Spans {
                key: Some(key.span()),
                value: value.span(),
            },
        );
        map.insert(key.get_ref().to_string(), v);
    }
    Value::Object(map)
}

fn toml_value(value: &DeValue<'_>, pointer: &str, spans: &mut BTreeMap<String, Spans>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Value::Number(n.into()),
                // Out of range for TOML; keep the text so the schema reports a type error.
                Err(_) => Value::String(i.to_string()),
            }
        }
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let child = format!("{pointer}/{i}");
                    let v = toml_value(item.get_ref(), &child, spans);
                    spans.insert(
                        child,
                        Spans {
                            key: None,
                            value: item.span(),
                        },
                    );
                    v
                })
                .collect(),
        ),
        DeValue::Table(t) => toml_table(t, pointer, spans),
    }
}

/// Deepest nesting accepted in a JSON profile; a real profile needs five levels.
/// The JSON parser recurses, so deeper input is refused before it is parsed.
pub const MAX_JSON_DEPTH: usize = 64;

/// The byte offset where `text` nests arrays and objects deeper than `max`.
fn too_deep(text: &str, max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn parse_json(file: &str, text: &str) -> Result<Document, Vec<Finding>> {
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
    if let Some(at) = too_deep(text, MAX_JSON_DEPTH) {
        return Err(vec![syntax_finding(
            file,
            text,
            format!("JSON syntax: nested deeper than {MAX_JSON_DEPTH} levels"),
            Some(at..at + 1),
        )]);
    }
    // Strict JSON: none of JSONC/JSON5's extensions.
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        let r = e.range();
        vec![syntax_finding(
            file,
            text,
            format!("JSON syntax: {}", e.kind()),
            Some(r.start..r.end),
        )]
    })?;
    let Some(root) = parsed.value else {
        return Err(vec![syntax_finding(
            file,
            text,
            "JSON syntax: the file is empty".into(),
            None,
        )]);
    };
    let mut spans = BTreeMap::new();
    let mut problems = Vec::new();
    spans.insert(
        String::new(),
        Spans {
            key: None,
            value: range(&root),
        },
    );
    let value = json_value(&root, "", &mut spans, &mut problems);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(msg, span)| syntax_finding(file, text, msg, Some(span)))
            .collect());
    }
    Ok(Document {
        file: file.to_owned(),
        text: text.to_owned(),
        value,
        spans,
    })
}

fn range(v: &jsonc_parser::ast::Value<'_>) -> Range<usize> {
    use jsonc_parser::ast::Value as V;
    let r = match v {
        V::StringLit(x) => x.range,
        V::NumberLit(x) => x.range,
        V::BooleanLit(x) => x.range,
        V::Object(x) => x.range,
        V::Array(x) => x.range,
        V::NullKeyword(x) => x.range,
    };
    r.start..r.end
}

fn json_value(
    v: &jsonc_parser::ast::Value<'_>,
    pointer: &str,
    spans: &mut BTreeMap<String, Spans>,
    problems: &mut Vec<(String, Range<usize>)>,
) -> Value {
    use jsonc_parser::ast::{ObjectPropName, Value as V};
    match v {
        V::StringLit(s) => Value::String(s.value.to_string()),
        V::NumberLit(n) => match serde_json::from_str::<Number>(n.value) {
            Ok(num) => Value::Number(num),
            Err(_) => Value::String(n.value.to_owned()),
        },
        V::BooleanLit(b) => Value::Bool(b.value),
        V::NullKeyword(_) => Value::Null,
        V::Array(a) => Value::Array(
            a.elements
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let child = format!("{pointer}/{i}");
                    let v = json_value(item, &child, spans, problems);
                    spans.insert(
                        child,
                        Spans {
                            key: None,
                            value: range(item),
                        },
                    );
                    v
                })
                .collect(),
        ),
        V::Object(o) => {
            let mut map = Map::new();
            for prop in &o.properties {
                let (name, key_range) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ObjectPropName::Word(w) => (w.value.to_owned(), w.range),
                };
                let child = format!("{pointer}/{}", escape_pointer(&name));
                if map.contains_key(&name) {
                    // serde_json would silently keep the last one; a policy must not be
                    // ambiguous about which value applies.
                    problems.push((
                        format!("JSON syntax: duplicate key `{name}`"),
                        key_range.start..key_range.end,
                    ));
                    continue;
                }
                let value = json_value(&prop.value, &child, spans, problems);
                spans.insert(
                    child,
                    Spans {
                        key: Some(key_range.start..key_range.end),
                        value: range(&prop.value),
                    },
                );
                map.insert(name, value);
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_spans_point_at_keys_and_values() {
        let text = "[profile]\nid = \"x\"\nserial = 3\n";
        let doc = parse("p.toml", text.as_bytes(), Syntax::Toml).unwrap();
        assert_eq!(doc.value["profile"]["serial"], 3);
        let loc = doc.locate("/profile/serial", true);
        assert_eq!((loc.line, loc.column), (Some(3), Some(1)));
        let loc = doc.locate("/profile/serial", false);
        assert_eq!((loc.line, loc.column), (Some(3), Some(10)));
    }

    #[test]
    fn toml_syntax_error_has_line_and_column() {
        let text = "[profile]\nid = \"x\nserial = 3\n";
        let err = parse("p.toml", text.as_bytes(), Syntax::Toml).unwrap_err();
        assert_eq!(err[0].code, "syntax-error");
        assert_eq!(err[0].location.line, Some(2));
    }

    #[test]
    fn json_duplicate_keys_are_refused() {
        let text = "{\"a\": 1,\n \"a\": 2}";
        let err = parse("p.json", text.as_bytes(), Syntax::Json).unwrap_err();
        assert!(err[0].message.contains("duplicate key `a`"));
        assert_eq!(err[0].location.line, Some(2));
    }

    #[test]
    fn json_is_strict() {
        for bad in ["{\"a\": 1,}", "{a: 1}", "// c\n{}", "{\"a\": 0x1}"] {
            assert!(
                parse("p.json", bad.as_bytes(), Syntax::Json).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse("p.json", deep.as_bytes(), Syntax::Json).unwrap_err();
        assert!(err[0].message.contains("deeper than"), "{}", err[0].message);
        // Brackets inside strings do not count.
        let fine = format!("{{\"a\": \"{}\"}}", "[".repeat(1000));
        assert!(parse("p.json", fine.as_bytes(), Syntax::Json).is_ok());
        let deep_toml = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse("p.toml", deep_toml.as_bytes(), Syntax::Toml).is_err());
    }

    #[test]
    fn invalid_utf8_is_a_finding() {
        let err = parse("p.toml", b"a = \"\xff\"", Syntax::Toml).unwrap_err();
        assert_eq!(err[0].location.line, Some(1));
        assert_eq!(err[0].location.column, Some(6));
    }
}
