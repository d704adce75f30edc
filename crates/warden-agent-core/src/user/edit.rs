//! Format-preserving edits of the connection files, as pure functions from bytes to bytes.
//!
//! Every edit goes through `toml_edit`, so a line the agent does not touch keeps its
//! exact bytes, and comments stay where the user put them. A quarantined connection is
//! moved, with its comments, into the quarantine file, never dropped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};
use warden_connections::FileKind;

/// Which file a connection lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// A top-level table of `connections.toml`.
    ConnectionsToml,
    /// `[connections.<name>]` in `config.toml`.
    ConfigToml,
}

/// A connection to move out of the live file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quarantine {
    pub(crate) name: String,
    pub(crate) location: Location,
    /// Why, in one line, for the comment above it.
    pub(crate) reason: String,
}

/// The required connection, with its keys in the order they are written.
#[derive(Debug, Clone)]
pub(crate) struct NewConnection {
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) fields: Vec<(&'static str, Value)>,
}

/// The content changes of one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContentPlan {
    pub(crate) quarantine: Vec<Quarantine>,
    pub(crate) add: Option<NewConnection>,
    /// `(location, connection, role)`.
    pub(crate) set_role: Option<(Location, String, String)>,
    pub(crate) set_default: Option<String>,
}

impl ContentPlan {
    pub(crate) fn is_empty(&self) -> bool {
        self.quarantine.is_empty()
            && self.add.is_none()
            && self.set_role.is_none()
            && self.set_default.is_none()
    }
}

/// The current bytes of the three files (`None`: the file does not exist).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Files<'a> {
    pub(crate) connections: (&'a Path, Option<&'a [u8]>),
    pub(crate) config: (&'a Path, Option<&'a [u8]>),
    pub(crate) quarantine: (&'a Path, Option<&'a [u8]>),
}

/// One file to write. `original` is `None` when the file is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
    pub(crate) original: Option<Vec<u8>>,
}

/// Why an edit could not be computed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EditError {
    #[error("{path}: {message}")]
    Unparsable { path: String, message: String },
    #[error("connection `{0}` is not a table")]
    NotATable(String),
    #[error("connection `{0}` is no longer in the file")]
    Vanished(String),
    #[error("connection `{0}` already exists; it is never replaced")]
    Exists(String),
    #[error("`connections` in config.toml is not a table")]
    ConnectionsNotATable,
}

struct Doc<'a> {
    path: &'a Path,
    original: Option<&'a [u8]>,
    doc: Option<DocumentMut>,
    /// The file ends its lines with CRLF (most of its line breaks are CRLF).
    crlf: bool,
}

/// True when most line breaks of `bytes` are CRLF.
fn mostly_crlf(bytes: &[u8]) -> bool {
    let lf = bytes.iter().filter(|&&b| b == b'\n').count();
    let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
    crlf > 0 && crlf * 2 >= lf
}

/// Turns every bare LF into CRLF.
fn to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut prev = '\0';
    for ch in text.chars() {
        if ch == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(ch);
        prev = ch;
    }
    out
}

impl<'a> Doc<'a> {
    /// Reads the file with the same reader as the audit (`warden_connections::parse`).
    fn open(path: &'a Path, original: Option<&'a [u8]>) -> Result<Self, EditError> {
        let doc = match original {
            None => None,
            Some(bytes) => Some(
                warden_connections::parse(bytes)
                    .map_err(|e| EditError::Unparsable {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?
                    .into_mut(),
            ),
        };
        Ok(Self {
            path,
            original,
            doc,
            crlf: original.is_some_and(mostly_crlf),
        })
    }

    fn get_or_create(&mut self) -> &mut DocumentMut {
        self.doc.get_or_insert_with(DocumentMut::new)
    }

    fn into_write(self) -> Option<Write> {
        let text = self.doc?.to_string();
        let bytes = if self.crlf { to_crlf(&text) } else { text }.into_bytes();
        if self.original == Some(bytes.as_slice()) {
            return None;
        }
        Some(Write {
            path: self.path.to_path_buf(),
            bytes,
            original: self.original.map(<[u8]>::to_vec),
        })
    }
}

/// The table holding connections at `location`, found by the same reader as the audit
/// (`warden_connections::section`) and created in `config.toml` if needed.
fn container(doc: &mut DocumentMut, location: Location) -> Result<&mut dyn TableLike, EditError> {
    let kind = match location {
        Location::ConnectionsToml => FileKind::ConnectionsToml,
        Location::ConfigToml => FileKind::ConfigToml,
    };
    match warden_connections::section_mut(doc.as_table_mut(), kind, true) {
        Ok(Some(t)) => Ok(t),
        _ => Err(EditError::ConnectionsNotATable),
    }
}

/// What a connection says, independent of formatting, comments and key order: two
/// tables with the same canonical form are the same connection.
fn canonical(item: &Item) -> String {
    fn value(v: &Value) -> String {
        match v {
            Value::String(s) => format!("{:?}", s.value()),
            Value::Integer(i) => i.value().to_string(),
            Value::Float(f) => f.value().to_string(),
            Value::Boolean(b) => b.value().to_string(),
            Value::Datetime(d) => d.value().to_string(),
            Value::Array(a) => format!("[{}]", a.iter().map(value).collect::<Vec<_>>().join(",")),
            Value::InlineTable(t) => table(t),
        }
    }
    fn table(t: &dyn TableLike) -> String {
        let mut parts: Vec<String> = t
            .iter()
            .map(|(k, v)| format!("{k:?}={}", canonical(v)))
            .collect();
        parts.sort();
        format!("{{{}}}", parts.join(","))
    }
    match item {
        Item::None => String::new(),
        Item::Value(v) => value(v),
        Item::Table(t) => table(t),
        Item::ArrayOfTables(a) => format!(
            "[{}]",
            a.iter().map(|t| table(t)).collect::<Vec<_>>().join(",")
        ),
    }
}

/// The name a quarantined entry was filed under: `bad (2)` is `bad`.
fn base_name(key: &str) -> &str {
    match key.rsplit_once(" (") {
        Some((base, n))
            if n.strip_suffix(')')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) =>
        {
            base
        }
        _ => key,
    }
}

/// Highest table position in the document, to append after it.
fn max_position(item: &Item) -> isize {
    let mut max = 0;
    if let Some(t) = item.as_table() {
        if let Some(p) = t.position() {
            max = max.max(p);
        }
        for (_, child) in t.iter() {
            max = max.max(max_position(child));
        }
    } else if let Some(a) = item.as_array_of_tables() {
        for t in a.iter() {
            max = max.max(t.position().unwrap_or(0));
            for (_, child) in t.iter() {
                max = max.max(max_position(child));
            }
        }
    }
    max
}

/// Gives `table` and its sub-tables consecutive positions starting at `next`, in their
/// current order, so a moved table prints as one block at the end of its new file.
fn renumber(table: &mut Table, next: &mut isize) {
    table.set_position(Some(*next));
    *next += 1;
    let mut children: Vec<(isize, String)> = table
        .iter()
        .filter_map(|(k, v)| {
            v.as_table()
                .map(|t| (t.position().unwrap_or(0), k.to_owned()))
        })
        .collect();
    children.sort();
    for (_, key) in children {
        if let Some(Item::Table(t)) = table.get_mut(&key) {
            renumber(t, next);
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces the value of `key`, keeping the spacing and trailing comment around it, or adds
/// the key at the end of the table.
fn set_string(table: &mut dyn toml_edit::TableLike, key: &str, value: &str) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            if old.as_str() == Some(value) {
                return;
            }
            let decor = old.decor().clone();
            let mut new = Value::from(value);
            *new.decor_mut() = decor;
            *old = new;
        }
        Some(slot) => *slot = toml_edit::value(value),
        None => {
            table.insert(key, toml_edit::value(value));
        }
    }
}

/// Computes the new bytes of every file the plan changes. Files left unchanged are not
/// returned. `stamp` goes into the comments the agent writes (who, which policy, when).
pub(crate) fn render(
    files: Files<'_>,
    plan: &ContentPlan,
    stamp: &str,
) -> Result<Vec<Write>, EditError> {
    let mut conns = Doc::open(files.connections.0, files.connections.1)?;
    let mut config = Doc::open(files.config.0, files.config.1)?;
    let mut quarantine = Doc::open(files.quarantine.0, files.quarantine.1)?;
    if quarantine.original.is_none() {
        // A new quarantine file follows the line ending of the file it takes from.
        quarantine.crlf = plan.quarantine.first().is_some_and(|q| match q.location {
            Location::ConnectionsToml => conns.crlf,
            Location::ConfigToml => config.crlf,
        });
    }

    // What is already quarantined, per location, so the same table is never filed twice.
    let mut filed: HashSet<(bool, String, String)> = HashSet::new();
    if let Some(qdoc) = quarantine.doc.as_mut() {
        for location in [Location::ConnectionsToml, Location::ConfigToml] {
            let config_side = location == Location::ConfigToml;
            let kind = if config_side {
                FileKind::ConfigToml
            } else {
                FileKind::ConnectionsToml
            };
            if let Ok(Some(t)) = warden_connections::section(qdoc.as_table(), kind) {
                for (k, v) in t.iter() {
                    if !(kind == FileKind::ConnectionsToml && k == "connections") {
                        filed.insert((config_side, base_name(k).to_owned(), canonical(v)));
                    }
                }
            }
        }
    }
    let mut next = quarantine
        .doc
        .as_ref()
        .map_or(0, |d| max_position(d.as_item()))
        + 1;

    for q in &plan.quarantine {
        let (source, from) = match q.location {
            Location::ConnectionsToml => (&mut conns, files.connections.0),
            Location::ConfigToml => (&mut config, files.config.0),
        };
        let doc = source
            .doc
            .as_mut()
            .ok_or_else(|| EditError::Vanished(q.name.clone()))?;
        let holder = container(doc, q.location)?;
        let item = holder
            .remove(&q.name)
            .ok_or_else(|| EditError::Vanished(q.name.clone()))?;
        let fingerprint = (
            q.location == Location::ConfigToml,
            q.name.clone(),
            canonical(&item),
        );
        let mut table = match item {
            Item::Table(t) => t,
            Item::Value(Value::InlineTable(t)) => t.into_table(),
            _ => return Err(EditError::NotATable(q.name.clone())),
        };
        // Already in the quarantine, as it is (a run that stopped between the two
        // writes): taking it out of the live file is all that is left to do.
        if !filed.insert(fingerprint) {
            continue;
        }
        table.set_dotted(false);
        table.set_implicit(false);
        let old_prefix = table
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .trim_start_matches(['\n', '\r'])
            .to_owned();
        let qdoc = quarantine.get_or_create();
        let lead = if qdoc.as_table().is_empty() { "" } else { "\n" };
        table.decor_mut().set_prefix(format!(
            "{lead}# Quarantined {stamp} from {}: {}\n{old_prefix}",
            from.display(),
            one_line(&q.reason)
        ));
        renumber(&mut table, &mut next);
        // Same header as in the live file, so an entry can be pasted back as it is.
        let holder = container(qdoc, q.location)?;
        let mut key = q.name.clone();
        let mut n = 2;
        while holder.contains_key(&key) {
            key = format!("{} ({n})", q.name);
            n += 1;
        }
        holder.insert(&key, Item::Table(table));
    }

    if let Some(add) = &plan.add {
        let target = match add.location {
            Location::ConnectionsToml => &mut conns,
            Location::ConfigToml => &mut config,
        };
        let doc = target.get_or_create();
        let empty = doc.as_table().is_empty() && doc.trailing().as_str().is_none_or(str::is_empty);
        let mut table = Table::new();
        for (k, v) in &add.fields {
            table.insert(k, Item::Value(v.clone()));
        }
        let lead = if empty { "" } else { "\n" };
        table
            .decor_mut()
            .set_prefix(format!("{lead}# Required connection, added {stamp}\n"));
        table.set_position(Some(max_position(doc.as_item()) + 1));
        let holder = container(doc, add.location)?;
        if holder.contains_key(&add.name) {
            return Err(EditError::Exists(add.name.clone()));
        }
        holder.insert(&add.name, Item::Table(table));
    }

    if let Some((location, name, role)) = &plan.set_role {
        let target = match location {
            Location::ConnectionsToml => &mut conns,
            Location::ConfigToml => &mut config,
        };
        let doc = target
            .doc
            .as_mut()
            .ok_or_else(|| EditError::Vanished(name.clone()))?;
        let conn = container(doc, *location)?
            .get_mut(name)
            .ok_or_else(|| EditError::Vanished(name.clone()))?
            .as_table_like_mut()
            .ok_or_else(|| EditError::NotATable(name.clone()))?;
        set_string(conn, "role", role);
    }

    if let Some(name) = &plan.set_default {
        let doc = config.get_or_create();
        set_string(doc.as_table_mut(), "default_connection_name", name);
    }

    Ok([quarantine, conns, config]
        .into_iter()
        .filter_map(Doc::into_write)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(conns: Option<&'a str>, config: Option<&'a str>, q: Option<&'a str>) -> Files<'a> {
        Files {
            connections: (Path::new("/s/connections.toml"), conns.map(str::as_bytes)),
            config: (Path::new("/s/config.toml"), config.map(str::as_bytes)),
            quarantine: (
                Path::new("/s/connections.quarantine.toml"),
                q.map(str::as_bytes),
            ),
        }
    }

    fn text(w: &Write) -> &str {
        std::str::from_utf8(&w.bytes).unwrap()
    }

    #[test]
    fn quarantine_moves_the_table_with_its_comments_and_keeps_the_rest() {
        let conns = "# my connections\n[good]\naccount = \"acme-prod\"  # prod\n\n# old one\n[bad]\naccount = \"globex-x\"\nrole = 'ACCOUNTADMIN'\n\n[other]\naccount = \"acme-dev\"\n";
        let plan = ContentPlan {
            quarantine: vec![Quarantine {
                name: "bad".into(),
                location: Location::ConnectionsToml,
                reason: "account denied\nby policy".into(),
            }],
            ..Default::default()
        };
        let w = render(files(Some(conns), None, None), &plan, "on T").unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].path, Path::new("/s/connections.quarantine.toml"));
        assert_eq!(
            text(&w[0]),
            "# Quarantined on T from /s/connections.toml: account denied by policy\n# old one\n[bad]\naccount = \"globex-x\"\nrole = 'ACCOUNTADMIN'\n"
        );
        assert_eq!(
            text(&w[1]),
            "# my connections\n[good]\naccount = \"acme-prod\"  # prod\n\n[other]\naccount = \"acme-dev\"\n"
        );
        assert_eq!(w[1].original.as_deref(), Some(conns.as_bytes()));
        // The same table again (a run that stopped between the writes) is not filed
        // twice: only the live file changes.
        let again = render(files(Some(conns), None, Some(text(&w[0]))), &plan, "on U").unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].path, Path::new("/s/connections.toml"));
        // Another table of the same name gets a distinct key.
        let changed = conns.replace("'ACCOUNTADMIN'", "'ORGADMIN'");
        let again = render(
            files(Some(&changed), None, Some(text(&w[0]))),
            &plan,
            "on U",
        )
        .unwrap();
        assert!(
            text(&again[0]).contains("[\"bad (2)\"]"),
            "{}",
            text(&again[0])
        );
        assert!(text(&again[0]).starts_with(text(&w[0])));
    }

    #[test]
    fn an_existing_connection_is_never_replaced_by_the_required_one() {
        let conns = "acme = { account = \"acme-prod\", user = \"jane\" }\n";
        let plan = ContentPlan {
            add: Some(NewConnection {
                name: "acme".into(),
                location: Location::ConnectionsToml,
                fields: vec![("account", "acme-prod".into())],
            }),
            ..Default::default()
        };
        assert!(matches!(
            render(files(Some(conns), None, None), &plan, "on T"),
            Err(EditError::Exists(_))
        ));
    }

    #[test]
    fn a_file_as_deep_as_the_reader_allows_is_edited_without_overflow() {
        let n = warden_connections::MAX_DEPTH as usize - 4;
        let deep = format!("{}1{}", "{ y = ".repeat(n), " }".repeat(n));
        let conns = format!("[bad]\naccount = \"g\"\nx = {deep}\n[good]\naccount = \"a\"\n");
        let plan = ContentPlan {
            quarantine: vec![Quarantine {
                name: "bad".into(),
                location: Location::ConnectionsToml,
                reason: "r".into(),
            }],
            ..Default::default()
        };
        let w = render(files(Some(&conns), None, None), &plan, "on T").unwrap();
        assert!(text(&w[0]).contains(&deep));
        assert_eq!(text(&w[1]), "[good]\naccount = \"a\"\n");
    }

    #[test]
    fn add_set_role_and_default_preserve_formatting() {
        let config = "# cli settings\n[cli.logs]\nsave_logs = true\n\n[connections.acme]\naccount = \"acme-prod\"\nrole   =   \"SYSADMIN\"   # mine\n";
        let plan = ContentPlan {
            set_role: Some((Location::ConfigToml, "acme".into(), "ANALYST".into())),
            set_default: Some("acme".into()),
            ..Default::default()
        };
        let w = render(files(None, Some(config), None), &plan, "on T").unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(
            text(&w[0]),
            "default_connection_name = \"acme\"\n# cli settings\n[cli.logs]\nsave_logs = true\n\n[connections.acme]\naccount = \"acme-prod\"\nrole   =   \"ANALYST\"   # mine\n"
        );
        // Rendering the result again changes nothing.
        assert!(
            render(files(None, Some(text(&w[0])), None), &plan, "on U")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn add_creates_a_missing_file_and_appends_to_an_existing_one() {
        let add = NewConnection {
            name: "acme".into(),
            location: Location::ConnectionsToml,
            fields: vec![
                ("account", "acme-prod".into()),
                ("client_store_temporary_credential", true.into()),
            ],
        };
        let plan = ContentPlan {
            add: Some(add),
            ..Default::default()
        };
        let w = render(files(None, None, None), &plan, "on T").unwrap();
        assert_eq!(
            text(&w[0]),
            "# Required connection, added on T\n[acme]\naccount = \"acme-prod\"\nclient_store_temporary_credential = true\n"
        );
        assert_eq!(w[0].original, None);
        let existing = "[x]\naccount = \"acme-dev\"\n# trailing note\n";
        let w = render(files(Some(existing), None, None), &plan, "on T").unwrap();
        let out = text(&w[0]);
        assert!(out.starts_with("[x]\naccount = \"acme-dev\"\n"), "{out}");
        assert!(out.contains("# trailing note\n"), "{out}");
        assert!(
            out.contains("\n# Required connection, added on T\n[acme]\n"),
            "{out}"
        );
    }

    #[test]
    fn inline_and_config_connections_can_be_quarantined() {
        let config = "default_connection_name = \"x\"\n[connections.x]\naccount = \"a-b\"\n[connections.y]\naccount = \"c-d\"\n";
        let conns = "z = { account = \"e-f\" }\n";
        let plan = ContentPlan {
            quarantine: vec![
                Quarantine {
                    name: "x".into(),
                    location: Location::ConfigToml,
                    reason: "r1".into(),
                },
                Quarantine {
                    name: "z".into(),
                    location: Location::ConnectionsToml,
                    reason: "r2".into(),
                },
            ],
            ..Default::default()
        };
        let w = render(files(Some(conns), Some(config), None), &plan, "on T").unwrap();
        let q = text(&w[0]);
        assert!(q.contains("[connections.x]\naccount = \"a-b\"\n"), "{q}");
        assert!(q.contains("[z]\naccount = \"e-f\""), "{q}");
        assert_eq!(text(&w[1]), "");
        assert_eq!(
            text(&w[2]),
            "default_connection_name = \"x\"\n[connections.y]\naccount = \"c-d\"\n"
        );
    }
}
