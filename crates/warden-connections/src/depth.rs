//! How deep a TOML document nests, measured on the parser's event stream before any
//! value is built, and the connection names of a document too deep to build.
//!
//! Both passes walk `toml_parser` events without recursion of their own and stop the
//! parser from descending past the limit, so neither depends on the stack.

use toml_parser::parser::{EventReceiver, parse_document};
use toml_parser::{ErrorSink, Source, Span};

use crate::set::FileKind;

/// Deepest nesting a connection file may have: header parts, plus the parts of one
/// dotted key, plus arrays and inline tables inside one value. Python's `tomllib`
/// reads arrays about 495 deep and inline tables about 330 deep (its recursion limit);
/// `tomlkit`, which the Snowflake CLI and connector use, stops at 100.
pub const MAX_DEPTH: u32 = 512;

/// Where a document first goes deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// Byte offset of the token that went too deep.
    pub(crate) offset: usize,
    /// Depth reached there.
    pub(crate) depth: u32,
}

#[derive(Default)]
struct Depth {
    header: u32,
    max_header: u32,
    in_header: bool,
    key: u32,
    max_key: u32,
    nest: u32,
    max_nest: u32,
    too_deep: Option<TooDeep>,
}

impl Depth {
    fn check(&mut self, span: Span) -> bool {
        let depth = self.max_header + self.max_key + self.max_nest;
        if depth > MAX_DEPTH {
            self.too_deep.get_or_insert(TooDeep {
                offset: span.start(),
                depth,
            });
            return false;
        }
        true
    }

    fn open(&mut self, span: Span) -> bool {
        self.nest += 1;
        self.max_nest = self.max_nest.max(self.nest);
        self.check(span)
    }
}

impl EventReceiver for Depth {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = true;
        self.header = 0;
    }
    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = false;
    }
    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = true;
        self.header = 0;
    }
    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = false;
    }
    fn inline_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(span)
    }
    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.nest = self.nest.saturating_sub(1);
    }
    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(span)
    }
    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.nest = self.nest.saturating_sub(1);
    }
    fn simple_key(
        &mut self,
        span: Span,
        _kind: Option<toml_parser::decoder::Encoding>,
        _error: &mut dyn ErrorSink,
    ) {
        if self.in_header {
            self.header += 1;
            self.max_header = self.max_header.max(self.header);
        } else {
            self.key += 1;
            self.max_key = self.max_key.max(self.key);
        }
        self.check(span);
    }
    fn key_val_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.key = 0;
    }
}

/// The first place `text` nests deeper than [`MAX_DEPTH`], if any. Syntax errors are
/// left to the real parser.
pub(crate) fn too_deep(text: &str) -> Option<TooDeep> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut depth = Depth::default();
    parse_document(&tokens, &mut depth, &mut ());
    depth.too_deep
}

/// Collects the connection names of a document, top level only.
struct Names<'s> {
    source: Source<'s>,
    kind: FileKind,
    /// Keys of the current header, while inside one, and of the last header after.
    header: Vec<String>,
    in_header: bool,
    /// Keys of the current key-value pair's key, at nesting 0 or inside the
    /// `connections = { … }` inline table.
    key: Vec<String>,
    key_start: usize,
    nest: u32,
    /// Nesting at which keys name connections inside `connections = { … }`.
    inline_section: Option<u32>,
    out: Vec<(String, usize)>,
}

impl Names<'_> {
    fn push(&mut self, name: String, offset: usize) {
        if !self.out.iter().any(|(n, _)| *n == name) {
            self.out.push((name, offset));
        }
    }

    /// Connection named by the key path `path` (header plus key) at the top level.
    fn name_of(&self, path: &[String]) -> Option<String> {
        match self.kind {
            FileKind::ConnectionsToml => path.first().cloned(),
            FileKind::ConfigToml => match path {
                [first, name, ..] if first == "connections" => Some(name.clone()),
                _ => None,
            },
        }
    }
}

impl EventReceiver for Names<'_> {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = true;
        self.header.clear();
    }
    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = true;
        self.header.clear();
    }
    fn std_table_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.in_header = false;
        let header = self.header.clone();
        if let Some(n) = self.name_of(&header) {
            self.push(n, span.start());
        }
    }
    fn array_table_close(&mut self, span: Span, error: &mut dyn ErrorSink) {
        self.std_table_close(span, error);
    }
    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.nest += 1;
        // `connections = { a = {…} }` at the top of config.toml.
        if self.kind == FileKind::ConfigToml
            && self.nest == 1
            && self.header.is_empty()
            && self.key == ["connections"]
        {
            self.inline_section = Some(1);
        }
        self.key.clear();
        // Deeper values never name a connection: do not descend.
        self.nest <= 2
    }
    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        if self.inline_section == Some(self.nest) {
            self.inline_section = None;
        }
        self.nest = self.nest.saturating_sub(1);
    }
    fn array_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        false
    }
    fn simple_key(
        &mut self,
        span: Span,
        kind: Option<toml_parser::decoder::Encoding>,
        _error: &mut dyn ErrorSink,
    ) {
        let Some(raw) = self.source.get(span) else {
            return;
        };
        let raw = toml_parser::Raw::new_unchecked(raw.as_str(), kind, span);
        let mut key = String::new();
        raw.decode_key(&mut key, &mut ());
        if self.in_header {
            self.header.push(key);
        } else if self.nest == 0 || self.inline_section == Some(self.nest) {
            if self.key.is_empty() {
                self.key_start = span.start();
            }
            self.key.push(key);
        }
    }
    fn key_val_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        let start = self.key_start;
        if self.inline_section.is_some_and(|n| n == self.nest) {
            if let Some(first) = self.key.first().cloned() {
                self.push(first, start);
            }
        } else if self.nest == 0 {
            let path: Vec<String> = self.header.iter().chain(&self.key).cloned().collect();
            if let Some(n) = self.name_of(&path) {
                self.push(n, start);
            }
        }
        // `connections = {` keeps its key until the inline table opens.
        if !(self.nest == 0 && self.header.is_empty() && self.key == ["connections"]) {
            self.key.clear();
        }
    }
    fn scalar(
        &mut self,
        _span: Span,
        _kind: Option<toml_parser::decoder::Encoding>,
        _error: &mut dyn ErrorSink,
    ) {
        if self.nest == 0 {
            self.key.clear();
        }
    }
}

/// Names of the connections a document defines, with the byte offset of each, read
/// from the event stream without building values (for documents too deep to build).
pub(crate) fn connection_names(text: &str, kind: FileKind) -> Vec<(String, usize)> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut names = Names {
        source,
        kind,
        header: Vec::new(),
        in_header: false,
        key: Vec::new(),
        key_start: 0,
        nest: 0,
        inline_section: None,
        out: Vec::new(),
    };
    parse_document(&tokens, &mut names, &mut ());
    names.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_headers_keys_and_nesting() {
        assert_eq!(too_deep("[a.b]\nc.d = [[{ e = 1 }]]\n"), None);
        let deep = format!("x = {}1{}\n", "[".repeat(600), "]".repeat(600));
        assert!(too_deep(&deep).is_some_and(|t| t.depth > MAX_DEPTH));
        let keys = format!("[a]\n{}x = 1\n", "k.".repeat(600));
        assert!(too_deep(&keys).is_some());
        let header = format!("[{}x]\n", "k.".repeat(600));
        assert!(too_deep(&header).is_some());
        let ok = format!("x = {}1{}\n", "[".repeat(500), "]".repeat(500));
        assert_eq!(too_deep(&ok), None);
    }

    #[test]
    fn names_in_every_form() {
        let names = |t: &str, k| -> Vec<String> {
            connection_names(t, k).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(
            names(
                "a = { account = 'x' }\n\"b c\".account = 'y'\n[d]\naccount = 'z'\n[d.sub]\n[e]\n",
                FileKind::ConnectionsToml
            ),
            ["a", "b c", "d", "e"]
        );
        assert_eq!(
            names(
                "default_connection_name = 'a'\nconnections = { a = { x = 1 }, b = { y = [[1]] } }\nconnections.c.account = 'x'\n[connections.d]\nx = 1\n[connections]\ne = { x = 1 }\n[cli]\nf = 1\n",
                FileKind::ConfigToml
            ),
            ["a", "b", "c", "d", "e"]
        );
    }
}
