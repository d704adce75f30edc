//! Snowflake connection files (`connections.toml`, `config.toml`) read exactly as the
//! Snowflake clients read them: which directory, which file wins, which connection is the
//! default, and what the environment changes.
//!
//! The core ([`ConnectionSet::build`], [`resolve_dir`]) takes bytes and an injected
//! environment and does no I/O; [`load`] is the thin edge that reads the real files. Files are
//! parsed with `toml_edit`, keeping spans so findings point at lines and later repairs can
//! preserve formatting.

#![forbid(unsafe_code)]

mod depth;
mod dirs;
mod io;
mod set;

pub use depth::MAX_DEPTH;
pub use dirs::{ConfigDir, DirSource, Environment, Os, resolve_dir};
pub use io::{load, load_dir, read_capped};
pub use set::{
    ConnectionSet, DefaultSource, FileError, FileInput, FileKind, MAX_FILE_SIZE, Note, NoteCode,
    ParsedConnection, SourceFile, UnjudgedConnection, parse, section, section_mut,
};
