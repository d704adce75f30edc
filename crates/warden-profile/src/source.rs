//! Parsing profile text into a JSON data model while remembering where every value
//! came from, so schema and lint findings can point at a line and column.
//!
//! TOML is parsed with `toml`'s span-preserving `DeTable`, JSON with
//! `jsonc-parser`'s AST in strict JSON mode. Both become a `serde_json::Value`
//! (the shape the JSON Schema describes) plus a map from JSON pointer to spans.

use std::borrow::Cow;
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

/// The spans of every value of a document, looked up by JSON pointer.
///
/// Nodes are kept in document order, each followed by its subtree, so a pointer is
/// resolved by walking down from the root and no pointer string is built unless a
/// finding asks for one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanTree {
    nodes: Vec<SpanNode>,
    /// Every object key, escaped as a pointer token, one after the other.
    names: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SpanNode {
    spans: Spans,
    /// One past the last node of this node's subtree.
    end: u32,
    /// This node's key in `names` (escaped); empty for array elements and the root.
    name: Range<u32>,
    /// Whether the node is an array, whose children are found by index.
    array: bool,
}

/// Offsets into a profile, which is capped at [`MAX_PROFILE_BYTES`], fit 32 bits.
fn small(n: usize) -> u32 {
    u32::try_from(n).expect("profile offsets fit 32 bits")
}

impl SpanTree {
    /// Start a node for a value whose subtree follows; returns its index for
    /// [`SpanTree::close`]. `key` is the object key naming it, if any.
    fn open(&mut self, key: Option<(&str, Range<usize>)>, value: Range<usize>) -> usize {
        let start = small(self.names.len());
        let key = key.map(|(name, span)| {
            self.names.push_str(&escape_pointer(name));
            span
        });
        let name = start..small(self.names.len());
        self.nodes.push(SpanNode {
            spans: Spans { key, value },
            end: 0,
            name,
            array: false,
        });
        self.nodes.len() - 1
    }

    /// End the node `i` once its subtree is in; `array` when its children are elements.
    fn close(&mut self, i: usize, array: bool) {
        let end = small(self.nodes.len());
        let node = &mut self.nodes[i];
        node.end = end;
        node.array = array;
    }

    /// Set the value span of node `i`, known only once its subtree is read.
    fn set_value(&mut self, i: usize, value: Range<usize>) {
        self.nodes[i].spans.value = value;
    }

    /// A leaf node.
    fn leaf(&mut self, key: Option<(&str, Range<usize>)>, value: Range<usize>) {
        let i = self.open(key, value);
        self.close(i, false);
    }

    /// The deepest node on the way to `pointer`, and whether it is the node at
    /// `pointer` itself. `None` for text that is not a pointer.
    fn walk(&self, pointer: &str) -> Option<(usize, bool)> {
        if self.nodes.is_empty() {
            return None;
        }
        if pointer.is_empty() {
            return Some((0, true));
        }
        let rest = pointer.strip_prefix('/')?;
        let mut at = 0usize;
        for token in rest.split('/') {
            match self.child(at, token) {
                Some(child) => at = child,
                None => return Some((at, false)),
            }
        }
        Some((at, true))
    }

    /// The child of node `at` that the pointer token `token` names.
    fn child(&self, at: usize, token: &str) -> Option<usize> {
        let node = &self.nodes[at];
        let end = node.end as usize;
        let mut child = at + 1;
        if node.array {
            // Elements are named by their index in decimal, without leading zeros.
            let canonical = !token.is_empty()
                && token.bytes().all(|b| b.is_ascii_digit())
                && (token == "0" || !token.starts_with('0'));
            let mut index: usize = token.parse().ok().filter(|_| canonical)?;
            while child < end {
                if index == 0 {
                    return Some(child);
                }
                index -= 1;
                child = self.nodes[child].end as usize;
            }
            return None;
        }
        while child < end {
            let c = &self.nodes[child];
            if c.spans.key.is_some()
                && &self.names[c.name.start as usize..c.name.end as usize] == token
            {
                return Some(child);
            }
            child = c.end as usize;
        }
        None
    }

    /// The spans of the value at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<&Spans> {
        match self.walk(pointer)? {
            (i, true) => Some(&self.nodes[i].spans),
            (_, false) => None,
        }
    }

    /// Whether the document has a value at `pointer`.
    pub fn contains_key(&self, pointer: &str) -> bool {
        self.get(pointer).is_some()
    }

    /// The spans of the value at `pointer` or, failing that, of its nearest ancestor.
    fn nearest(&self, pointer: &str) -> Option<&Spans> {
        self.walk(pointer).map(|(i, _)| &self.nodes[i].spans)
    }
}

/// A parsed document: its data and the position of every value in it.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: String,
    pub text: String,
    pub value: Value,
    pub spans: SpanTree,
}

impl Document {
    /// A location for the value at `pointer`, falling back to its nearest parent that
    /// has a position. With `prefer_key`, points at the key rather than the value.
    pub fn locate(&self, pointer: &str, prefer_key: bool) -> Location {
        let Some(spans) = self.spans.nearest(pointer) else {
            return Location::file(&self.file).with_pointer(pointer);
        };
        let span = if prefer_key {
            spans.key.clone().unwrap_or_else(|| spans.value.clone())
        } else {
            spans.value.clone()
        };
        Location::file(&self.file)
            .with_span(&self.text, span)
            .with_pointer(pointer)
    }

    /// The location of the child key `name` of the object at `parent`.
    pub fn locate_key(&self, parent: &str, name: &str) -> Location {
        self.locate(&format!("{parent}/{}", escape_pointer(name)), true)
    }
}

/// Escape one JSON pointer reference token (RFC 6901).
pub fn escape_pointer(token: &str) -> Cow<'_, str> {
    if token.bytes().any(|b| b == b'~' || b == b'/') {
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
    let mut spans = SpanTree::default();
    let root = spans.open(None, 0..text.len());
    let value = toml_table(table.get_ref(), &mut spans);
    spans.close(root, false);
    Ok(Document {
        file: file.to_owned(),
        text: text.to_owned(),
        value,
        spans,
    })
}

fn toml_table(table: &DeTable<'_>, spans: &mut SpanTree) -> Value {
    let mut map = Map::new();
    for (key, value) in table {
        let node = spans.open(Some((key.get_ref(), key.span())), value.span());
        let v = toml_value(value.get_ref(), spans);
        spans.close(node, matches!(value.get_ref(), DeValue::Array(_)));
        map.insert(key.get_ref().to_string(), v);
    }
    Value::Object(map)
}

/// The value of `value`; its children's spans go into `spans`.
fn toml_value(value: &DeValue<'_>, spans: &mut SpanTree) -> Value {
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
                .map(|item| {
                    let node = spans.open(None, item.span());
                    let v = toml_value(item.get_ref(), spans);
                    spans.close(node, matches!(item.get_ref(), DeValue::Array(_)));
                    v
                })
                .collect(),
        ),
        DeValue::Table(t) => toml_table(t, spans),
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
    let (value, spans) = match FastJson::parse(text) {
        Some(parsed) => parsed,
        None => parse_json_ast(file, text)?,
    };
    Ok(Document {
        file: file.to_owned(),
        text: text.to_owned(),
        value,
        spans,
    })
}

/// Parse `text` through `jsonc-parser`'s AST: every document the fast path passes on,
/// and every syntax error, in that parser's words.
fn parse_json_ast(file: &str, text: &str) -> Result<(Value, SpanTree), Vec<Finding>> {
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
    let mut spans = SpanTree::default();
    let mut problems = Vec::new();
    let value = json_value(&root, None, &mut spans, &mut problems);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(msg, span)| syntax_finding(file, text, msg, Some(span)))
            .collect());
    }
    Ok((value, spans))
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

/// The value of `v`, named by `key` in its parent object; its spans go into `spans`.
fn json_value(
    v: &jsonc_parser::ast::Value<'_>,
    key: Option<(&str, Range<usize>)>,
    spans: &mut SpanTree,
    problems: &mut Vec<(String, Range<usize>)>,
) -> Value {
    use jsonc_parser::ast::{ObjectPropName, Value as V};
    let node = spans.open(key, range(v));
    let value = match v {
        V::StringLit(s) => Value::String(s.value.to_string()),
        V::NumberLit(n) => json_number(n.value),
        V::BooleanLit(b) => Value::Bool(b.value),
        V::NullKeyword(_) => Value::Null,
        V::Array(a) => Value::Array(
            a.elements
                .iter()
                .map(|item| json_value(item, None, spans, problems))
                .collect(),
        ),
        V::Object(o) => {
            let mut map = Map::new();
            for prop in &o.properties {
                let (name, key_range) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ObjectPropName::Word(w) => (w.value.to_owned(), w.range),
                };
                if map.contains_key(&name) {
                    // serde_json would silently keep the last one; a policy must not be
                    // ambiguous about which value applies.
                    problems.push((
                        format!("JSON syntax: duplicate key `{name}`"),
                        key_range.start..key_range.end,
                    ));
                    continue;
                }
                let key = Some((name.as_str(), key_range.start..key_range.end));
                let value = json_value(&prop.value, key, spans, problems);
                map.insert(name, value);
            }
            Value::Object(map)
        }
    };
    spans.close(node, matches!(v, V::Array(_)));
    value
}

/// A JSON number as the data model holds it; text `serde_json` cannot hold as a
/// number stays text, so the schema reports a type error.
fn json_number(text: &str) -> Value {
    match serde_json::from_str::<Number>(text) {
        Ok(num) => Value::Number(num),
        Err(_) => Value::String(text.to_owned()),
    }
}

/// A single-pass parser for the plain JSON profiles are written in: objects, arrays,
/// strings without escapes, numbers, `true`, `false` and `null`, separated by ASCII
/// whitespace. It builds the value and its spans as it reads, giving what
/// [`parse_json_ast`] gives for the same text; on anything else (an escape, an
/// error, a duplicate key, deep nesting) it gives up, and the text goes to
/// [`parse_json_ast`], which accepts or reports it in its own words.
struct FastJson<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    spans: SpanTree,
}

impl<'a> FastJson<'a> {
    fn parse(text: &'a str) -> Option<(Value, SpanTree)> {
        let mut p = FastJson {
            text,
            bytes: text.as_bytes(),
            at: 0,
            // Pretty-printed profiles hold about one value per 20 bytes; sized up
            // front, the tree is rarely copied as it grows.
            spans: SpanTree {
                nodes: Vec::with_capacity(text.len() / 20 + 1),
                names: String::with_capacity(text.len() / 4),
            },
        };
        p.skip_space();
        let value = p.value(None, 1)?;
        p.skip_space();
        (p.at == p.bytes.len()).then_some((value, p.spans))
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// Consume `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        let next = self.bytes.get(self.at) == Some(&b);
        if next {
            self.at += 1;
        }
        next
    }

    /// Whether a literal or number may end here: at a separator, space or the end.
    fn at_boundary(&self) -> bool {
        matches!(
            self.bytes.get(self.at),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}')
        )
    }

    /// A string without escapes, from its opening quote (the current byte); the text
    /// between the quotes and the span with them.
    fn string(&mut self) -> Option<(&'a str, Range<usize>)> {
        let start = self.at;
        let len = self.bytes[start + 1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')?;
        let end = start + 1 + len;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some((&self.text[start + 1..end], start..end + 1))
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        if self.eat(b'0') {
            if self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        } else if !digits(self) {
            return None;
        }
        if self.eat(b'.') && !digits(self) {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !digits(self) {
                return None;
            }
        }
        self.at_boundary()
            .then(|| json_number(&self.text[start..self.at]))
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        if !self.bytes[self.at..].starts_with(word.as_bytes()) {
            return None;
        }
        self.at += word.len();
        self.at_boundary().then_some(value)
    }

    /// The value starting at the current byte, at nesting `depth` if it is an array
    /// or object, named by `key` in its parent.
    fn value(&mut self, key: Option<(&str, Range<usize>)>, depth: usize) -> Option<Value> {
        let start = self.at;
        match *self.bytes.get(start)? {
            b'{' | b'[' if depth > MAX_JSON_DEPTH => None,
            b'{' => {
                let node = self.spans.open(key, start..start);
                self.at += 1;
                let mut map = Map::new();
                self.skip_space();
                if !self.eat(b'}') {
                    loop {
                        if self.bytes.get(self.at) != Some(&b'"') {
                            return None;
                        }
                        let (name, span) = self.string()?;
                        self.skip_space();
                        if !self.eat(b':') {
                            return None;
                        }
                        self.skip_space();
                        let value = self.value(Some((name, span)), depth + 1)?;
                        // A duplicate key goes to the full parser, which reports it.
                        if map.insert(name.to_owned(), value).is_some() {
                            return None;
                        }
                        self.skip_space();
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                        self.skip_space();
                    }
                }
                self.finish(node, start, false);
                Some(Value::Object(map))
            }
            b'[' => {
                let node = self.spans.open(key, start..start);
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(None, depth + 1)?);
                        self.skip_space();
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                        self.skip_space();
                    }
                }
                self.finish(node, start, true);
                Some(Value::Array(items))
            }
            b'"' => {
                let (text, span) = self.string()?;
                self.spans.leaf(key, span);
                Some(Value::String(text.to_owned()))
            }
            b'-' | b'0'..=b'9' => {
                let value = self.number()?;
                self.spans.leaf(key, start..self.at);
                Some(value)
            }
            b't' => self.leaf_literal(key, "true", Value::Bool(true)),
            b'f' => self.leaf_literal(key, "false", Value::Bool(false)),
            b'n' => self.leaf_literal(key, "null", Value::Null),
            _ => None,
        }
    }

    fn leaf_literal(
        &mut self,
        key: Option<(&str, Range<usize>)>,
        word: &str,
        value: Value,
    ) -> Option<Value> {
        let start = self.at;
        let value = self.literal(word, value)?;
        self.spans.leaf(key, start..self.at);
        Some(value)
    }

    /// Close the array or object node `node` that opened at `start`, now that its
    /// closing bracket is read.
    fn finish(&mut self, node: usize, start: usize, array: bool) {
        self.spans.set_value(node, start..self.at);
        self.spans.close(node, array);
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

    /// What the fast path gives must be what the full parser gives, for any text it
    /// takes: a sample profile, every one-byte deletion of it, and edge cases.
    #[test]
    fn fast_json_agrees_with_the_full_parser() {
        let sample = concat!(
            "{\n  \"profile\": {\"id\": \"team-00001\", \"serial\": 2, \"x\": -0, \"f\": 1.5e-3},\n",
            "  \"accounts\": {\"allow\": [\"acme-*\", \"a/b~c\"], \"deny\": []},\n",
            "  \"nested\": [[1, [true, false]], {}, null, {\"\": 0}],\n",
            "  \"text\": \"caf\u{e9} \u{1F600}\", \"big\": 123456789012345678901234567890\n}\n"
        );
        let mut texts: Vec<String> = vec![sample.to_owned()];
        for i in 0..sample.len() {
            if sample.is_char_boundary(i) && sample.is_char_boundary(i + 1) {
                texts.push(format!("{}{}", &sample[..i], &sample[i + 1..]));
            }
        }
        for edge in [
            "",
            " ",
            "{}",
            "[]",
            "0",
            "-",
            "-0",
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "1E-2",
            "+1",
            "true",
            "tru",
            "truex",
            "nul",
            "null ",
            "\"a\\nb\"",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1}{}",
            "\u{feff}{}",
            "{\u{a0}}",
            "\"\u{1}\"",
            "{\"a\":1,\"a\":2}",
            "[1]x",
            "\t[\r\n]\n",
            "{\"k\":\"v\"}  ",
            "1e999",
            "-1e999",
            "18446744073709551616",
        ] {
            texts.push(edge.to_owned());
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        texts.push(deep(MAX_JSON_DEPTH));
        texts.push(deep(MAX_JSON_DEPTH + 1));
        let mut fast_taken = 0;
        for text in &texts {
            let Some(fast) = FastJson::parse(text) else {
                continue;
            };
            fast_taken += 1;
            let full = parse_json_ast("p.json", text).unwrap_or_else(|e| {
                panic!("fast path took {text:?}, the parser refuses it: {e:?}")
            });
            assert_eq!(fast, full, "{text:?}");
        }
        // Most one-byte deletions break the document; enough remain to compare.
        assert!(fast_taken > 40, "{fast_taken}");
    }

    #[test]
    fn spans_are_found_by_pointer() {
        let text = "{\"a\": {\"b/c\": [10, {\"~\": 1}]}, \"\": 2}";
        let doc = parse("p.json", text.as_bytes(), Syntax::Json).unwrap();
        let at = |p: &str| doc.spans.get(p).map(|s| &text[s.value.clone()]);
        assert_eq!(at(""), Some(text));
        assert_eq!(at("/a/b~1c/0"), Some("10"));
        assert_eq!(at("/a/b~1c/1/~0"), Some("1"));
        assert_eq!(at("/"), Some("2"));
        for missing in [
            "/a/b~1c/00",
            "/a/b~1c/2",
            "/a/b/c",
            "/a/x",
            "a",
            "/a/b~1c/+1",
        ] {
            assert_eq!(at(missing), None, "{missing}");
        }
        let key = doc.spans.get("/a").and_then(|s| s.key.clone()).unwrap();
        assert_eq!(&text[key], "\"a\"");
        // A missing value is located at its nearest ancestor.
        let loc = doc.locate("/a/b~1c/7/x", false);
        assert_eq!(loc.span, doc.spans.get("/a/b~1c").map(|s| s.value.clone()));
        assert_eq!(loc.pointer.as_deref(), Some("/a/b~1c/7/x"));
    }

    #[test]
    fn invalid_utf8_is_a_finding() {
        let err = parse("p.toml", b"a = \"\xff\"", Syntax::Toml).unwrap_err();
        assert_eq!(err[0].location.line, Some(1));
        assert_eq!(err[0].location.column, Some(6));
    }
}
