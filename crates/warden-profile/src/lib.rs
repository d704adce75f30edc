//! The Warden policy profile: model, loading (TOML and JSON), `extends`
//! composition, schema validation and semantic lints.
//!
//! Loading never stops at the first problem: [`load`] returns the resolved profile
//! (when there is no error) together with every finding, each located by file,
//! line, column and JSON pointer. The core works on bytes; file access goes
//! through [`SourceLoader`] so tests and other front ends can supply text directly.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use warden_diag::{Finding, Sources};

pub mod cases;
pub mod codes;
pub mod diff;
pub mod enforced;
pub mod exceptions;
pub mod lints;
mod load;
pub mod model;
pub mod resolve;
pub mod schema;
pub mod snowflake_lints;
pub mod source;

pub use codes::Code;
pub use load::ProfileLoader;
pub use model::Profile;
pub use resolve::{EndpointModes, ResolvedProfile};
pub use source::{Document, Syntax};

/// How many profiles an `extends` chain may hold.
pub const MAX_EXTENDS_DEPTH: usize = 8;

/// Where profile bytes come from.
pub trait SourceLoader {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;

    /// A name for the file at `path` that every other path to the same file shares:
    /// the key under which [`ProfileLoader`] keeps what it read of a base, and what `extends`
    /// cycles are detected on. By default the path itself, without `.` components.
    fn canonical(&self, path: &Path) -> PathBuf {
        lexical(path)
    }
}

/// `path` without `.` components and repeated separators, touching no file system.
fn lexical(path: &Path) -> PathBuf {
    path.components().collect()
}

/// Reads profiles from the file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        // Read one byte past the cap so oversized files are reported, not loaded.
        let cap = source::MAX_PROFILE_BYTES as u64 + 1;
        // A regular file is read as long as it was when opened, in one call and into
        // a buffer of its size. Anything else (a pipe, a procfs file, which says it is
        // empty) is read to its end.
        let (len, mut buf) = match file.metadata() {
            Ok(m) if m.is_file() && m.len() > 0 => {
                let len = m.len().min(cap);
                (len, Vec::with_capacity(usize::try_from(len).unwrap_or(0)))
            }
            _ => (cap, Vec::new()),
        };
        file.take(len).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// The path with every link and `..` resolved; the path itself when that fails
    /// (a missing file is reported when it is read).
    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The outcome of loading one profile.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The composed profile, when no error-level finding stands in the way.
    pub profile: Option<ResolvedProfile>,
    /// Every finding, from every layer, in a deterministic order.
    pub findings: Vec<Finding>,
    /// The text of the files findings point into.
    pub sources: Sources,
    /// The top file's `[[exceptions]]`, applied once every finding is in.
    exceptions: Vec<exceptions::Pending>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// Load, validate and compose the profile at `path`, judging its exceptions as of
/// today (UTC). To load many profiles, or profiles that share a base, use one
/// [`ProfileLoader`] for all of them.
pub fn load(path: &Path, loader: &dyn SourceLoader) -> Loaded {
    ProfileLoader::new(loader).load(path)
}

/// [`load`], with lint exceptions judged as of `today` (`YYYY-MM-DD`).
pub fn load_at(path: &Path, loader: &dyn SourceLoader, today: &str) -> Loaded {
    ProfileLoader::new(loader)
        .judging_exceptions_on(today)
        .load(path)
}

/// Every profile file under `path` (a file, or a directory searched recursively for
/// `*.toml` and `*.json`, skipping `*.tests.toml`), sorted for determinism.
pub fn discover(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    Ok(out)
}

/// Appends the profiles under `dir` in [`Path`] order. Each directory's entries are
/// sorted by name and a subdirectory is walked in its place, which is the order
/// sorting the whole list would give, without comparing paths component by
/// component (most of the time `validate` spent on its main thread).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        entries.push((entry.file_name(), ft));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, ft) in entries {
        if ft.is_dir() {
            walk(&dir.join(&name), out)?;
        } else if ft.is_file() {
            let text = name.to_str().unwrap_or("");
            let is_profile = (text.ends_with(".toml") && !text.ends_with(".tests.toml"))
                || text.ends_with(".json");
            if is_profile {
                out.push(dir.join(&name));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_whole_and_a_file_over_the_cap_one_byte_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.toml");
        std::fs::write(&small, "[profile]\n").unwrap();
        assert_eq!(FsLoader.read(&small).unwrap(), b"[profile]\n");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; source::MAX_PROFILE_BYTES + 10]).unwrap();
        assert_eq!(
            FsLoader.read(&big).unwrap().len(),
            source::MAX_PROFILE_BYTES + 1
        );
    }

    #[test]
    fn discovery_lists_profiles_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "a-b.toml",
            "a/z.json",
            "a/b/y.toml",
            "a.toml",
            "b.json",
            "a/x.tests.toml",
            "a/notes.md",
            "A.toml",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let found = discover(dir.path()).unwrap();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found, sorted);
        let names: Vec<_> = found
            .iter()
            .map(|p| {
                p.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "A.toml",
                "a/b/y.toml",
                "a/z.json",
                "a-b.toml",
                "a.toml",
                "b.json"
            ]
        );
    }

    /// A pipe has no length to go by; it is read to its end.
    #[cfg(unix)]
    #[test]
    fn a_pipe_is_read_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("profile.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "[profile]\nid = \"p\"\n"))
        };
        assert_eq!(FsLoader.read(&fifo).unwrap(), b"[profile]\nid = \"p\"\n");
        writer.join().unwrap().unwrap();
    }
}
