//! The thin I/O edge: find the directory, read the two files with a size cap, and hand the
//! bytes to [`ConnectionSet::build`].

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use crate::dirs::{ConfigDir, Environment, resolve_dir};
use crate::set::{ConnectionSet, FileError, FileInput, MAX_FILE_SIZE, Note, NoteCode};

/// Reads a file, refusing more than [`MAX_FILE_SIZE`] bytes. `Ok(None)` if it does not exist.
pub fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::Io(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    Ok(Some(bytes))
}

fn input<'a>(
    path: &'a Path,
    read: &'a Option<Result<Vec<u8>, FileError>>,
) -> Option<FileInput<'a>> {
    read.as_ref().map(|content| FileInput {
        path,
        content: content.as_deref(),
    })
}

/// Loads the connection set from a known directory.
pub fn load_dir(dir: &ConfigDir, env: &Environment) -> ConnectionSet {
    let (config_path, conn_path) = (dir.config_toml(), dir.connections_toml());
    let config = read_capped(&config_path).transpose();
    let conns = read_capped(&conn_path).transpose();
    let mut set = ConnectionSet::build(
        input(&config_path, &config),
        input(&conn_path, &conns),
        &env.vars,
    );
    if let Some(missing) = &dir.snowflake_home_missing {
        set.notes.insert(
            0,
            Note {
                code: NoteCode::SnowflakeHomeMissing,
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
    set
}

/// Resolves the directory from the environment and loads the connection set, as the
/// Snowflake clients would for this user. `None` when no directory can be determined.
pub fn load(env: &Environment) -> Option<(ConfigDir, ConnectionSet)> {
    let dir = resolve_dir(env, Path::exists)?;
    let set = load_dir(&dir, env);
    Some((dir, set))
}
