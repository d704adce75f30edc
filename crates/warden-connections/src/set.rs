//! Building the effective set of connections from the bytes of `config.toml` and
//! `connections.toml`, with the precedence rules of the Snowflake clients. No I/O here.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};
use toml_edit::{Document, Item, Table, TableLike, Value};
use warden_policy::ConnectionParams;

/// Files larger than this are refused: real connection files are a few kilobytes.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Which of the two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// `config.toml`: connections under `[connections.<name>]`, plus `default_connection_name`.
    ConfigToml,
    /// `connections.toml`: connections as top-level tables.
    ConnectionsToml,
}

/// Why a file could not be used. The Snowflake clients refuse to start on any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Not valid UTF-8.
    #[error("not valid UTF-8 (first invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Larger than [`MAX_FILE_SIZE`].
    #[error("{size} bytes exceeds the {limit}-byte limit for a connection file")]
    TooLarge {
        /// Size seen (at least `limit + 1`).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Starts with a UTF-8 byte order mark, which `tomllib`, the Snowflake CLI and the
    /// connector all refuse.
    #[error("starts with a UTF-8 byte order mark, which the Snowflake clients refuse")]
    Bom,
    /// Nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    #[error(
        "nested {depth} levels deep at line {line}, deeper than the {limit} levels the agent reads"
    )]
    TooDeep {
        /// 1-based line where the limit was passed.
        line: usize,
        /// Depth reached there.
        depth: u32,
        /// The limit.
        limit: u32,
    },
    /// Invalid TOML.
    #[error("invalid TOML at line {line}, column {column}: {message}")]
    Toml {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// Parser message.
        message: String,
    },
    /// The file exists but could not be read.
    #[error("cannot read: {0}")]
    Io(String),
}

impl Serialize for FileError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One input file and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    /// Which file.
    pub kind: FileKind,
    /// Where it is.
    pub path: PathBuf,
    /// Why it could not be used, if it could not.
    pub error: Option<FileError>,
}

/// The bytes of one file that exists.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// Where it is (for reports).
    pub path: &'a Path,
    /// Its content, or the error reading it.
    pub content: Result<&'a [u8], &'a FileError>,
}

/// Stable codes of the notes a connection set carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NoteCode {
    /// A file could not be read or parsed; the clients refuse to run.
    FileUnreadable,
    /// `SNOWFLAKE_HOME` names a missing directory; the clients silently use another one.
    SnowflakeHomeMissing,
    /// `connections.toml` exists, so the `[connections]` of `config.toml` are ignored.
    ConfigConnectionsIgnored,
    /// `default_connection_name` in `connections.toml`, which the connector and snow ignore.
    DefaultNameInConnectionsToml,
    /// `[connections.<name>]` inside `connections.toml`: the clients see one connection
    /// named `connections`.
    ConnectionsPrefixInConnectionsToml,
    /// A top-level entry that is not a table, skipped by the clients.
    NotATable,
    /// A connection value that is not a string where a string is expected.
    NonStringValue,
    /// `SNOWFLAKE_DEFAULT_CONNECTION_NAME` overrides the default connection.
    EnvDefaultConnectionName,
    /// `SNOWFLAKE_CONNECTIONS` replaces every file connection for the Python connector.
    EnvConnections,
    /// `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` overrides a key of a connection for snow.
    EnvConnectionOverride,
    /// The default connection name matches no connection.
    DefaultConnectionMissing,
}

impl NoteCode {
    /// The stable kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FileUnreadable => "file-unreadable",
            Self::SnowflakeHomeMissing => "snowflake-home-missing",
            Self::ConfigConnectionsIgnored => "config-connections-ignored",
            Self::DefaultNameInConnectionsToml => "default-name-in-connections-toml",
            Self::ConnectionsPrefixInConnectionsToml => "connections-prefix-in-connections-toml",
            Self::NotATable => "not-a-table",
            Self::NonStringValue => "non-string-value",
            Self::EnvDefaultConnectionName => "env-default-connection-name",
            Self::EnvConnections => "env-connections",
            Self::EnvConnectionOverride => "env-connection-override",
            Self::DefaultConnectionMissing => "default-connection-missing",
        }
    }
}

impl fmt::Display for NoteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something about the files worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable code.
    pub code: NoteCode,
    /// File concerned, if any.
    pub file: Option<PathBuf>,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// One sentence for humans.
    pub message: String,
}

/// Where the default connection name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultSource {
    /// Nothing set it: the clients use `default`.
    Builtin,
    /// `default_connection_name` in `config.toml`.
    ConfigToml,
    /// `SNOWFLAKE_DEFAULT_CONNECTION_NAME`.
    Environment,
}

/// One connection as the clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedConnection {
    /// Table name (exact, case-sensitive).
    pub name: String,
    /// File it comes from.
    pub file: PathBuf,
    /// 1-based line of its table header.
    pub line: usize,
    /// The fields the policy engine evaluates.
    pub params: ConnectionParams,
    /// Every other key, with its TOML value as written (nested tables included).
    pub other: BTreeMap<String, String>,
}

/// A connection in a file too deep to read in full: known by name only, so it cannot be
/// judged and counts as non-compliant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnjudgedConnection {
    /// Table name.
    pub name: String,
    /// File it comes from.
    pub file: PathBuf,
    /// 1-based line where it is first named.
    pub line: usize,
}

/// The connections the Snowflake clients would use, and what is notable about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSet {
    /// Files that exist, in the order `config.toml`, `connections.toml`.
    pub files: Vec<SourceFile>,
    /// The file the connections come from, if any.
    pub connections_file: Option<PathBuf>,
    /// Name of the default connection.
    pub default_connection_name: String,
    /// Where that name came from.
    pub default_connection_source: DefaultSource,
    /// Connections in file order.
    pub connections: Vec<ParsedConnection>,
    /// Findings about the files.
    pub notes: Vec<Note>,
    /// Connections of a file too deep to read, by name: never judged, never compliant.
    pub unjudged: Vec<UnjudgedConnection>,
    /// Position in `connections` by name.
    index: HashMap<String, usize>,
}

impl ConnectionSet {
    /// False if a file is broken: the clients then refuse to run, so nothing is evaluable.
    pub fn is_readable(&self) -> bool {
        self.files.iter().all(|f| f.error.is_none())
    }

    /// The connection with this exact name.
    pub fn get(&self, name: &str) -> Option<&ParsedConnection> {
        self.index
            .get(name)
            .and_then(|&i| self.connections.get(i))
            .filter(|c| c.name == name)
            .or_else(|| self.connections.iter().find(|c| c.name == name))
    }

    /// The default connection, if it exists.
    pub fn default_connection(&self) -> Option<&ParsedConnection> {
        self.get(&self.default_connection_name)
    }

    /// Builds the set from the two files (each `None` when it does not exist) and the
    /// environment variables. Precedence, as in snowflake-connector-python 4.x and snow:
    /// `connections.toml`, when it exists, replaces the whole `connections` section of
    /// `config.toml`; the default name comes from `config.toml` only, overridden by
    /// `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else `default`. Environment overrides of single
    /// keys are reported, not applied: they belong to one shell, not to the files.
    pub fn build(
        config: Option<FileInput<'_>>,
        connections: Option<FileInput<'_>>,
        env: &BTreeMap<String, String>,
    ) -> Self {
        let mut notes = Vec::new();
        let mut files = Vec::new();
        let mut unjudged = Vec::new();
        let config_doc = config.and_then(|f| {
            load(
                FileKind::ConfigToml,
                f,
                &mut files,
                &mut notes,
                connections.is_none().then_some(&mut unjudged),
            )
        });
        let conn_doc = connections.and_then(|f| {
            load(
                FileKind::ConnectionsToml,
                f,
                &mut files,
                &mut notes,
                Some(&mut unjudged),
            )
        });

        let (mut default_name, mut default_source) = ("default".to_owned(), DefaultSource::Builtin);
        if let (Some(f), Some((doc, lines))) = (config, &config_doc) {
            match doc.get("default_connection_name") {
                Some(Item::Value(Value::String(s))) => {
                    default_name = s.value().clone();
                    default_source = DefaultSource::ConfigToml;
                }
                Some(other) => notes.push(Note {
                    code: NoteCode::NonStringValue,
                    file: Some(f.path.to_path_buf()),
                    line: lines.span_line(other.span()),
                    message: "`default_connection_name` is not a string; the clients use `default`"
                        .into(),
                }),
                None => {}
            }
        }
        if let Some(v) = env.get("SNOWFLAKE_DEFAULT_CONNECTION_NAME") {
            notes.push(Note {
                code: NoteCode::EnvDefaultConnectionName,
                file: None,
                line: None,
                message: format!(
                    "SNOWFLAKE_DEFAULT_CONNECTION_NAME makes `{v}` the default connection instead of `{default_name}`"
                ),
            });
            default_name = v.clone();
            default_source = DefaultSource::Environment;
        }

        let mut out = Vec::new();
        let mut connections_file = None;
        if let Some(f) = connections {
            connections_file = Some(f.path.to_path_buf());
            if let (Some(cf), Some((doc, _))) = (config, &config_doc)
                && let Ok(Some(section)) = section(doc.as_table(), FileKind::ConfigToml)
                && !section.is_empty()
            {
                let names: Vec<&str> = section.iter().map(|(k, _)| k).collect();
                notes.push(Note {
                    code: NoteCode::ConfigConnectionsIgnored,
                    file: Some(cf.path.to_path_buf()),
                    line: None,
                    message: format!(
                        "`connections.toml` exists, so the clients ignore these `config.toml` connections: {}",
                        names.join(", ")
                    ),
                });
            }
            if let Some((doc, lines)) = &conn_doc {
                collect(
                    FileKind::ConnectionsToml,
                    f.path,
                    lines,
                    doc.as_table(),
                    &mut out,
                    &mut notes,
                );
            }
        } else if let (Some(f), Some((doc, lines))) = (config, &config_doc) {
            connections_file = Some(f.path.to_path_buf());
            match section(doc.as_table(), FileKind::ConfigToml) {
                Ok(None) => {}
                Ok(Some(t)) => {
                    collect(FileKind::ConfigToml, f.path, lines, t, &mut out, &mut notes)
                }
                Err(span) => notes.push(Note {
                    code: NoteCode::NotATable,
                    file: Some(f.path.to_path_buf()),
                    line: lines.span_line(span),
                    message: "`connections` is not a table; the clients find no connection".into(),
                }),
            }
        }

        env_notes(env, &out, &mut notes);
        let readable = files.iter().all(|f: &SourceFile| f.error.is_none());
        if readable && !out.iter().any(|c| c.name == default_name) {
            notes.push(Note {
                code: NoteCode::DefaultConnectionMissing,
                file: None,
                line: None,
                message: format!("the default connection `{default_name}` is not defined"),
            });
        }
        let index = out
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        Self {
            files,
            connections_file,
            default_connection_name: default_name,
            default_connection_source: default_source,
            connections: out,
            notes,
            unjudged,
            index,
        }
    }
}

/// The table holding the connections of a file, read the same way for audit and edit:
/// the whole document for `connections.toml`; for `config.toml`, `connections` as a
/// `[connections]` or `[connections.<name>]` header, a dotted key or an inline table.
/// `Ok(None)`: no connections; `Err(span)`: `connections` is not a table.
pub fn section(
    root: &Table,
    kind: FileKind,
) -> Result<Option<&dyn TableLike>, Option<std::ops::Range<usize>>> {
    match kind {
        FileKind::ConnectionsToml => Ok(Some(root)),
        FileKind::ConfigToml => match root.get("connections") {
            None => Ok(None),
            Some(item) => item.as_table_like().map(Some).ok_or_else(|| item.span()),
        },
    }
}

/// [`section`], for editing. With `create`, a missing `connections` of `config.toml` is
/// added as an implicit table (only its `[connections.<name>]` children will print).
pub fn section_mut(
    root: &mut Table,
    kind: FileKind,
    create: bool,
) -> Result<Option<&mut dyn TableLike>, Option<std::ops::Range<usize>>> {
    match kind {
        FileKind::ConnectionsToml => Ok(Some(root)),
        FileKind::ConfigToml => {
            if create && !root.contains_key("connections") {
                let mut t = Table::new();
                t.set_implicit(true);
                root.insert("connections", Item::Table(t));
            }
            match root.get_mut("connections") {
                None => Ok(None),
                Some(item) => {
                    let span = item.span();
                    item.as_table_like_mut().map(Some).ok_or(span)
                }
            }
        }
    }
}

/// Start offsets of every line of a text, computed once, so that turning a byte offset
/// into a line is a binary search, not a scan from the start.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    fn span_line(&self, span: Option<std::ops::Range<usize>>) -> Option<usize> {
        span.map(|s| self.line_col(s.start).0)
    }
}

/// Checks size and encoding, parses, and records the file.
fn load<'a>(
    kind: FileKind,
    input: FileInput<'a>,
    files: &mut Vec<SourceFile>,
    notes: &mut Vec<Note>,
    unjudged: Option<&mut Vec<UnjudgedConnection>>,
) -> Option<(Document<&'a str>, LineIndex<'a>)> {
    let result = input.content.map_err(Clone::clone).and_then(parse);
    let (doc, error) = match result {
        Ok(doc) => (Some(doc), None),
        Err(e) => (None, Some(e)),
    };
    if let (Some(FileError::TooDeep { .. }), Some(unjudged), Ok(bytes)) =
        (&error, unjudged, input.content)
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        let lines = LineIndex::new(text);
        unjudged.extend(crate::depth::connection_names(text, kind).into_iter().map(
            |(name, offset)| UnjudgedConnection {
                name,
                file: input.path.to_path_buf(),
                line: lines.line_col(offset).0,
            },
        ));
    }
    if let Some(e) = &error {
        notes.push(Note {
            code: NoteCode::FileUnreadable,
            file: Some(input.path.to_path_buf()),
            line: match e {
                FileError::Toml { line, .. } | FileError::TooDeep { line, .. } => Some(*line),
                _ => None,
            },
            message: format!("{e}; the Snowflake clients refuse to run until it is fixed"),
        });
    }
    files.push(SourceFile {
        kind,
        path: input.path.to_path_buf(),
        error,
    });
    // The document borrows the same bytes, already checked as UTF-8 by `parse`.
    let text = input.content.ok().and_then(|b| std::str::from_utf8(b).ok());
    doc.zip(text).map(|(d, text)| (d, LineIndex::new(text)))
}

/// Parses bytes into a span-preserving document: the one reader of connection files,
/// for audit and edit alike. Refuses what the clients refuse (a byte order mark, bytes
/// that are not UTF-8, invalid TOML) and what the agent will not build (over
/// [`MAX_FILE_SIZE`], deeper than [`MAX_DEPTH`](crate::MAX_DEPTH)).
pub fn parse(bytes: &[u8]) -> Result<Document<&str>, FileError> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    if bytes.starts_with(b"\xef\xbb\xbf") {
        return Err(FileError::Bom);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if let Some(deep) = crate::depth::too_deep(text) {
        return Err(FileError::TooDeep {
            line: LineIndex::new(text).line_col(deep.offset).0,
            depth: deep.depth,
            limit: crate::depth::MAX_DEPTH,
        });
    }
    Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = LineIndex::new(text).line_col(offset);
        FileError::Toml {
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })
}

/// Turns the entries of a connections table into connections, in file order.
fn collect(
    kind: FileKind,
    path: &Path,
    lines: &LineIndex<'_>,
    table: &dyn TableLike,
    out: &mut Vec<ParsedConnection>,
    notes: &mut Vec<Note>,
) {
    for (name, item) in table.iter() {
        let key_line = table
            .get_key_value(name)
            .and_then(|(k, _)| lines.span_line(k.span()))
            .or_else(|| lines.span_line(item.span()));
        let note = |code, message: String| Note {
            code,
            file: Some(path.to_path_buf()),
            line: key_line,
            message,
        };
        if kind == FileKind::ConnectionsToml && name == "default_connection_name" {
            notes.push(note(
                NoteCode::DefaultNameInConnectionsToml,
                "`default_connection_name` in `connections.toml` is ignored by the connector and snow; put it in `config.toml`".into(),
            ));
            continue;
        }
        let Some(conn) = item.as_table_like() else {
            notes.push(note(
                NoteCode::NotATable,
                format!("`{name}` is not a table, so it is not a connection; the clients skip it"),
            ));
            continue;
        };
        if kind == FileKind::ConnectionsToml
            && name == "connections"
            && conn.iter().any(|(_, v)| v.is_table_like())
        {
            notes.push(note(
                NoteCode::ConnectionsPrefixInConnectionsToml,
                "`[connections.<name>]` headers belong in `config.toml`; in `connections.toml` the clients see one connection named `connections`".into(),
            ));
        }
        let line = item
            .as_table()
            .and_then(|t| lines.span_line(t.span()))
            .or(key_line)
            .unwrap_or(1);
        let mut params = ConnectionParams {
            name: name.to_owned(),
            ..Default::default()
        };
        let mut other = BTreeMap::new();
        for (key, value) in conn.iter() {
            let Some(slot) = param_slot(&mut params, key) else {
                other.insert(key.to_owned(), repr(value));
                continue;
            };
            match value.as_value() {
                Some(Value::String(s)) => *slot = Some(s.value().clone()),
                Some(v @ (Value::Integer(_) | Value::Float(_) | Value::Boolean(_))) => {
                    notes.push(Note {
                        code: NoteCode::NonStringValue,
                        file: Some(path.to_path_buf()),
                        line: lines.span_line(v.span()).or(Some(line)),
                        message: format!(
                            "`{key}` of `{name}` is not a string; it is read as `{}`",
                            v.to_string().trim()
                        ),
                    });
                    *slot = Some(v.to_string().trim().to_owned());
                }
                _ => {
                    notes.push(Note {
                        code: NoteCode::NonStringValue,
                        file: Some(path.to_path_buf()),
                        line: Some(line),
                        message: format!("`{key}` of `{name}` is not a string and is ignored here"),
                    });
                    other.insert(key.to_owned(), repr(value));
                }
            }
        }
        out.push(ParsedConnection {
            name: name.to_owned(),
            file: path.to_path_buf(),
            line,
            params,
            other,
        });
    }
}

fn repr(item: &Item) -> String {
    match item {
        Item::None => String::new(),
        Item::Value(v) => v.to_string().trim().to_owned(),
        Item::Table(t) => {
            let keys: Vec<&str> = t.iter().map(|(k, _)| k).collect();
            format!("{{ {} }}", keys.join(", "))
        }
        Item::ArrayOfTables(a) => format!("[{} tables]", a.len()),
    }
}

fn param_slot<'a>(p: &'a mut ConnectionParams, key: &str) -> Option<&'a mut Option<String>> {
    Some(match key {
        "account" => &mut p.account,
        "host" => &mut p.host,
        "authenticator" => &mut p.authenticator,
        "user" => &mut p.user,
        "role" => &mut p.role,
        "warehouse" => &mut p.warehouse,
        "database" => &mut p.database,
        "schema" => &mut p.schema,
        "password" => &mut p.password,
        "token" => &mut p.token,
        "token_file_path" => &mut p.token_file_path,
        "private_key_file" => &mut p.private_key_file,
        "private_key_path" => &mut p.private_key_path,
        "private_key_raw" => &mut p.private_key_raw,
        _ => return None,
    })
}

/// Reports environment variables that change what the files mean.
fn env_notes(env: &BTreeMap<String, String>, conns: &[ParsedConnection], notes: &mut Vec<Note>) {
    if env.contains_key("SNOWFLAKE_CONNECTIONS") {
        notes.push(Note {
            code: NoteCode::EnvConnections,
            file: None,
            line: None,
            message: "SNOWFLAKE_CONNECTIONS is set: the Python connector uses its TOML instead of every file connection".into(),
        });
    }
    const PREFIX: &str = "SNOWFLAKE_CONNECTIONS_";
    for var in env.keys().filter(|k| k.starts_with(PREFIX)) {
        // snow tests each connection with a plain prefix match, so one variable may reach
        // several connections (`a` and `a_b`).
        let hits: Vec<&ParsedConnection> = conns
            .iter()
            .filter(|c| {
                var[PREFIX.len()..]
                    .strip_prefix(&c.name.to_uppercase())
                    .is_some_and(|rest| rest.len() > 1 && rest.starts_with('_'))
            })
            .collect();
        if hits.is_empty() {
            notes.push(Note {
                code: NoteCode::EnvConnectionOverride,
                file: None,
                line: None,
                message: format!("{var} matches no connection; snow cannot create a connection from the environment"),
            });
        }
        for c in hits {
            let key = var[PREFIX.len() + c.name.len() + 1..].to_lowercase();
            notes.push(Note {
                code: NoteCode::EnvConnectionOverride,
                file: Some(c.file.clone()),
                line: Some(c.line),
                message: format!(
                    "{var} overrides `{key}` of connection `{}` for snow",
                    c.name
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(path: &'a str, text: &'a str) -> FileInput<'a> {
        FileInput {
            path: Path::new(path),
            content: Ok(text.as_bytes()),
        }
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(LineIndex::new("ab\ncé d").line_col(7), (2, 4));
        assert_eq!(LineIndex::new("").line_col(5), (1, 1));
        assert_eq!(LineIndex::new("a\nb\n").line_col(2), (2, 1));
        assert_eq!(LineIndex::new("a\nb\n").line_col(4), (3, 1));
    }

    #[test]
    fn connections_toml_replaces_config_connections() {
        let cfg =
            "default_connection_name = \"b\"\n[connections.a]\naccount = \"x-y\"\nrole = \"R\"\n";
        let conns = "[b]\naccount = \"acme-prod\"\n\n[a]\naccount = \"acme-dev\"\n";
        let set = ConnectionSet::build(
            Some(input("/c/config.toml", cfg)),
            Some(input("/c/connections.toml", conns)),
            &BTreeMap::new(),
        );
        let names: Vec<&str> = set.connections.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(set.get("a").unwrap().params.role, None);
        assert_eq!(set.get("a").unwrap().line, 4);
        assert_eq!(set.default_connection_name, "b");
        assert_eq!(set.default_connection_source, DefaultSource::ConfigToml);
        assert!(
            set.notes
                .iter()
                .any(|n| n.code == NoteCode::ConfigConnectionsIgnored)
        );
    }

    #[test]
    fn env_default_and_overrides() {
        let conns = "[a]\naccount = \"acme-prod\"\n[a_b]\naccount = \"acme-dev\"\n";
        let env: BTreeMap<String, String> = [
            ("SNOWFLAKE_DEFAULT_CONNECTION_NAME", "a_b"),
            ("SNOWFLAKE_CONNECTIONS_A_B_ROLE", "SYSADMIN"),
            ("SNOWFLAKE_CONNECTIONS_ZZ_ROLE", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let set = ConnectionSet::build(None, Some(input("/c/connections.toml", conns)), &env);
        assert_eq!(set.default_connection_name, "a_b");
        assert_eq!(set.default_connection_source, DefaultSource::Environment);
        let overrides: Vec<&str> = set
            .notes
            .iter()
            .filter(|n| n.code == NoteCode::EnvConnectionOverride)
            .map(|n| n.message.as_str())
            .collect();
        assert_eq!(
            overrides,
            [
                "SNOWFLAKE_CONNECTIONS_A_B_ROLE overrides `b_role` of connection `a` for snow",
                "SNOWFLAKE_CONNECTIONS_A_B_ROLE overrides `role` of connection `a_b` for snow",
                "SNOWFLAKE_CONNECTIONS_ZZ_ROLE matches no connection; snow cannot create a connection from the environment",
            ]
        );
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            parse(b"ok = 1\n\xff"),
            Err(FileError::NotUtf8 { offset: 7 })
        ));
        let big = vec![b'#'; MAX_FILE_SIZE as usize + 1];
        assert!(matches!(parse(&big), Err(FileError::TooLarge { .. })));
        match parse(b"[a]\nx = 1\nx = 2\n") {
            Err(FileError::Toml { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_too_deep_to_build_still_names_its_connections() {
        let deep = format!(
            "{}x = 1\nb = {{ account = \"g\" }}\n[a]\naccount = \"acme-prod\"\n",
            "k.".repeat(600)
        );
        let set = ConnectionSet::build(
            None,
            Some(input("/c/connections.toml", &deep)),
            &BTreeMap::new(),
        );
        assert!(!set.is_readable());
        assert!(matches!(
            set.files[0].error,
            Some(FileError::TooDeep { line: 1, .. })
        ));
        assert!(set.connections.is_empty());
        let names: Vec<(&str, usize)> = set
            .unjudged
            .iter()
            .map(|c| (c.name.as_str(), c.line))
            .collect();
        assert_eq!(names, [("k", 1), ("b", 2), ("a", 3)]);
        // A byte order mark is refused as the clients refuse it.
        assert_eq!(parse(b"\xef\xbb\xbf[a]\n").err(), Some(FileError::Bom));
    }

    #[test]
    fn lookups_by_name_use_the_index() {
        let conns = "[a]\naccount = \"x\"\n[b]\naccount = \"y\"\n";
        let set = ConnectionSet::build(
            None,
            Some(input("/c/connections.toml", conns)),
            &BTreeMap::new(),
        );
        assert_eq!(set.get("b").map(|c| c.line), Some(3));
        assert!(set.get("c").is_none());
    }

    #[test]
    fn non_string_values_are_read_and_noted() {
        let set = ConnectionSet::build(
            None,
            Some(input(
                "/c/connections.toml",
                "[a]\naccount = \"acme-prod\"\nrole = 42\nport = 443\n",
            )),
            &BTreeMap::new(),
        );
        let a = set.get("a").unwrap();
        assert_eq!(a.params.role.as_deref(), Some("42"));
        assert_eq!(a.other.get("port").map(String::as_str), Some("443"));
        assert!(
            set.notes
                .iter()
                .any(|n| n.code == NoteCode::NonStringValue && n.line == Some(3))
        );
    }
}
