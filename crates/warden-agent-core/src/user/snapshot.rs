//! The I/O edge of user mode: everything the audit looks at, read once.
//!
//! Nothing here decides anything; [`super::audit`] works on a [`Snapshot`] alone, so
//! the same audit runs before and after a repair.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use warden_connections::{
    ConfigDir, ConnectionSet, Environment, FileError, FileInput, MAX_FILE_SIZE, Os, resolve_dir,
};

use crate::fsutil::{ReadError, read_regular};

/// Name of the file quarantined connections are moved to, beside the live file.
pub(crate) const QUARANTINE_FILE: &str = "connections.quarantine.toml";

/// Ownership and permission bits (Unix only; `None` elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) mode: u32,
    pub(crate) uid: u32,
}

/// A file that exists (possibly as a symlink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileState {
    pub(crate) path: PathBuf,
    /// The path itself is a symbolic link (its target was read, never written).
    pub(crate) symlink: bool,
    /// Mode and owner of what the clients open (the link's target for a link).
    pub(crate) meta: Option<Meta>,
    pub(crate) content: Result<Vec<u8>, FileError>,
}

/// The Snowflake configuration directory as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirState {
    pub(crate) exists: bool,
    pub(crate) symlink: bool,
    pub(crate) meta: Option<Meta>,
}

/// A key or token file a connection names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuxFile {
    /// Where it resolves to (`~` expanded, relative paths taken from the home).
    pub(crate) path: PathBuf,
    pub(crate) exists: bool,
    pub(crate) symlink: bool,
    pub(crate) meta: Option<Meta>,
    /// It resolves to a path inside the resolved Snowflake directory.
    pub(crate) inside_dir: bool,
}

/// Everything user mode reads from the home directory.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// Owner the files must have: the user the agent runs as.
    pub(crate) uid: Option<u32>,
    /// The agent runs as root.
    pub(crate) as_root: bool,
    pub(crate) dir: ConfigDir,
    /// The candidate to create when no directory exists (`$SNOWFLAKE_HOME` or
    /// `~/.snowflake`), which every client then resolves to.
    pub(crate) create_candidate: PathBuf,
    pub(crate) dir_state: DirState,
    pub(crate) config: Option<FileState>,
    pub(crate) connections: Option<FileState>,
    pub(crate) quarantine: Option<FileState>,
    pub(crate) set: ConnectionSet,
    /// Key and token files by the value written in the connection.
    pub(crate) aux: BTreeMap<String, AuxFile>,
}

impl Snapshot {
    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.config_toml()
    }

    pub(crate) fn connections_path(&self) -> PathBuf {
        self.dir.connections_toml()
    }
}

/// The running user's uid.
pub(crate) fn current_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(rustix::process::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(unix)]
fn meta_of(m: &std::fs::Metadata) -> Option<Meta> {
    use std::os::unix::fs::MetadataExt;
    Some(Meta {
        mode: m.mode() & 0o7777,
        uid: m.uid(),
    })
}

#[cfg(not(unix))]
fn meta_of(_m: &std::fs::Metadata) -> Option<Meta> {
    None
}

/// Owner and mode of `path`, following links (as the clients do).
pub(crate) fn stat(path: &Path) -> Option<Meta> {
    std::fs::metadata(path).ok().as_ref().and_then(meta_of)
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Reads one of the connection files. A symlink is followed for reading only, and only
/// to a regular file under the size cap.
pub(crate) fn read_state(path: &Path) -> Option<FileState> {
    let content = match read_regular(path, MAX_FILE_SIZE) {
        Ok(bytes) => Ok(bytes),
        Err(ReadError::NotFound) => return None,
        Err(ReadError::Symlink) => read_through_link(path),
        Err(ReadError::TooLarge { size, cap }) => Err(FileError::TooLarge { size, limit: cap }),
        Err(ReadError::NotRegular) => Err(FileError::Io("not a regular file".into())),
        Err(ReadError::Io(e)) => Err(FileError::Io(e.to_string())),
    };
    Some(FileState {
        path: path.to_path_buf(),
        symlink: is_symlink(path),
        meta: stat(path),
        content,
    })
}

fn read_through_link(path: &Path) -> Result<Vec<u8>, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::Io(format!("dangling link: {e}")))?;
    if !meta.is_file() {
        return Err(FileError::Io(
            "the link does not point at a regular file".into(),
        ));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            size: meta.len(),
            limit: MAX_FILE_SIZE,
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes))
        .map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    Ok(bytes)
}

/// Expands `~` and anchors relative paths at the home directory.
pub(crate) fn resolve_aux(value: &str, home: &Path) -> PathBuf {
    let v = value.trim();
    let p = if v == "~" {
        home.to_path_buf()
    } else if let Some(rest) = v.strip_prefix("~/").or_else(|| v.strip_prefix("~\\")) {
        home.join(rest)
    } else {
        PathBuf::from(v)
    };
    if p.is_absolute() { p } else { home.join(p) }
}

/// The directory the clients use, and the one to create when none exists.
pub(crate) fn resolve(
    home: &Path,
    vars: &BTreeMap<String, String>,
) -> Option<(ConfigDir, PathBuf)> {
    let env = Environment {
        vars: vars.clone(),
        home: Some(home.to_path_buf()),
        os: Os::current(),
    };
    let dir = resolve_dir(&env, Path::is_dir)?;
    let create_candidate = match vars.get("SNOWFLAKE_HOME").filter(|v| !v.is_empty()) {
        Some(v) => resolve_aux(v, home),
        None => home.join(".snowflake"),
    };
    Some((dir, create_candidate))
}

/// Owner of `path` itself and, for a link, of what it points at (`None`: absent).
pub(crate) fn owners(path: &Path) -> Vec<u32> {
    let mut out = Vec::new();
    if let Some(m) = std::fs::symlink_metadata(path)
        .ok()
        .as_ref()
        .and_then(meta_of)
    {
        out.push(m.uid);
    }
    out.extend(stat(path).map(|m| m.uid));
    out
}

/// Reads the home as the Snowflake clients would see it for this environment.
pub(crate) fn take(
    home: &Path,
    vars: &BTreeMap<String, String>,
    as_root: bool,
) -> Option<Snapshot> {
    let (dir, create_candidate) = resolve(home, vars)?;
    let dir_state = DirState {
        exists: dir.path.is_dir(),
        symlink: is_symlink(&dir.path),
        meta: stat(&dir.path),
    };
    let config = read_state(&dir.config_toml());
    let connections = read_state(&dir.connections_toml());
    let quarantine = read_state(&dir.path.join(QUARANTINE_FILE));
    fn input(f: &Option<FileState>) -> Option<FileInput<'_>> {
        f.as_ref().map(|f| FileInput {
            path: &f.path,
            content: f.content.as_deref(),
        })
    }
    let mut set = ConnectionSet::build(input(&config), input(&connections), vars);
    if let Some(missing) = &dir.snowflake_home_missing {
        set.notes.insert(
            0,
            warden_connections::Note {
                code: warden_connections::NoteCode::SnowflakeHomeMissing,
                file: None,
                line: None,
                message: format!(
                    "SNOWFLAKE_HOME is `{}`, which does not exist; the clients use `{}` instead",
                    missing.display(),
                    dir.path.display()
                ),
            },
        );
    }
    let real_dir = std::fs::canonicalize(&dir.path).ok();
    let mut aux = BTreeMap::new();
    for c in &set.connections {
        let p = &c.params;
        for value in [&p.private_key_file, &p.private_key_path, &p.token_file_path]
            .into_iter()
            .flatten()
        {
            if value.trim().is_empty() || warden_policy::is_placeholder(value) {
                continue;
            }
            let path = resolve_aux(value, home);
            let inside_dir = match (&real_dir, std::fs::canonicalize(&path)) {
                (Some(d), Ok(p)) => p.starts_with(d),
                _ => false,
            };
            let state = AuxFile {
                exists: path.exists(),
                symlink: is_symlink(&path),
                meta: stat(&path),
                inside_dir,
                path,
            };
            aux.insert(value.clone(), state);
        }
    }
    Some(Snapshot {
        uid: current_uid(),
        as_root,
        dir,
        create_candidate,
        dir_state,
        config,
        connections,
        quarantine,
        set,
        aux,
    })
}
