//! Format-preserving edits of the connection files, as pure functions from bytes to bytes.
//!
//! Every edit goes through `toml_edit`, so a line the agent does not touch keeps its
//! exact bytes, and comments stay where the user put them. A quarantined connection is
//! moved, with its comments, into the quarantine file, never dropped.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

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
    #[error("`connections` in config.toml is not a table")]
    ConnectionsNotATable,
}

struct Doc<'a> {
    path: &'a Path,
    original: Option<&'a [u8]>,
    doc: Option<DocumentMut>,
}

impl<'a> Doc<'a> {
    fn open(path: &'a Path, original: Option<&'a [u8]>) -> Result<Self, EditError> {
        let doc = match original {
            None => None,
            Some(bytes) => {
                let unparsable = |message: String| EditError::Unparsable {
                    path: path.display().to_string(),
                    message,
                };
                let text = std::str::from_utf8(bytes).map_err(|e| unparsable(e.to_string()))?;
                Some(
                    text.parse::<DocumentMut>()
                        .map_err(|e| unparsable(e.message().trim().to_owned()))?,
                )
            }
        };
        Ok(Self {
            path,
            original,
            doc,
        })
    }

    fn get_or_create(&mut self) -> &mut DocumentMut {
        self.doc.get_or_insert_with(DocumentMut::new)
    }

    fn into_write(self) -> Option<Write> {
        let bytes = self.doc?.to_string().into_bytes();
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

/// The table holding connections at `location`, created in `config.toml` if needed.
fn container(
    doc: &mut DocumentMut,
    location: Location,
) -> Result<&mut dyn toml_edit::TableLike, EditError> {
    match location {
        Location::ConnectionsToml => Ok(doc.as_table_mut()),
        Location::ConfigToml => {
            let item = doc.entry("connections").or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            });
            item.as_table_like_mut()
                .ok_or(EditError::ConnectionsNotATable)
        }
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
        let mut table = match item {
            Item::Table(t) => t,
            Item::Value(Value::InlineTable(t)) => t.into_table(),
            _ => return Err(EditError::NotATable(q.name.clone())),
        };
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
        let mut next = max_position(qdoc.as_item()) + 1;
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
        container(doc, add.location)?.insert(&add.name, Item::Table(table));
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
        // A second quarantine of the same name gets a distinct key.
        let again = render(files(Some(conns), None, Some(text(&w[0]))), &plan, "on U").unwrap();
        assert!(
            text(&again[0]).contains("[\"bad (2)\"]"),
            "{}",
            text(&again[0])
        );
        assert!(text(&again[0]).starts_with(text(&w[0])));
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
