//! The Warden policy profile: model, loading (TOML and JSON), `extends`
//! composition, schema validation and semantic lints.
//!
//! Loading never stops at the first problem: [`load`] returns the resolved profile
//! (when there is no error) together with every finding, each located by file,
//! line, column and JSON pointer. The core works on bytes; file access goes
//! through [`SourceLoader`] so tests and other front ends can supply text directly.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use warden_diag::{Finding, Location, Sources};

pub mod cases;
pub mod codes;
pub mod diff;
pub mod exceptions;
pub mod lints;
pub mod model;
pub mod resolve;
pub mod schema;
pub mod source;

pub use codes::Code;
pub use model::Profile;
pub use resolve::{EndpointModes, ResolvedProfile};
pub use source::{Document, Syntax};

/// How many profiles an `extends` chain may hold.
pub const MAX_EXTENDS_DEPTH: usize = 8;

/// Where profile bytes come from.
pub trait SourceLoader {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// Reads profiles from the file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let mut buf = Vec::new();
        // Read one byte past the cap so oversized files are reported, not loaded.
        file.take(source::MAX_PROFILE_BYTES as u64 + 1)
            .read_to_end(&mut buf)?;
        Ok(buf)
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
/// today (UTC).
pub fn load(path: &Path, loader: &dyn SourceLoader) -> Loaded {
    load_at(path, loader, &exceptions::today_utc())
}

/// [`load`], with lint exceptions judged as of `today` (`YYYY-MM-DD`).
pub fn load_at(path: &Path, loader: &dyn SourceLoader, today: &str) -> Loaded {
    let mut loaded = Loaded::default();
    let mut stack = Vec::new();
    let resolved = load_chain(path, loader, &mut stack, &mut loaded, None);
    let pending = std::mem::take(&mut loaded.exceptions);
    exceptions::apply(&mut loaded.findings, &pending, today);
    warden_diag::sort(&mut loaded.findings);
    if !loaded.has_errors() {
        loaded.profile = resolved.map(|(r, _)| r);
    }
    loaded
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Load one file and, recursively, its base. Returns the composed profile and this
/// file's document. `from` locates findings about the file in the profile that
/// extends it.
fn load_chain(
    path: &Path,
    loader: &dyn SourceLoader,
    stack: &mut Vec<PathBuf>,
    loaded: &mut Loaded,
    from: Option<(&Document, &str)>,
) -> Option<(ResolvedProfile, Document)> {
    let name = display(path);
    let bytes = match loader.read(path) {
        Ok(b) => b,
        Err(e) => {
            let (code, loc) = match from {
                Some((doc, ptr)) => (Code::ExtendsNotFound, doc.locate(ptr, false)),
                None => (Code::SyntaxError, Location::file(&name)),
            };
            loaded.findings.push(
                Finding::new(code, code.severity(), format!("cannot read `{name}`: {e}")).at(loc),
            );
            return None;
        }
    };
    let doc = match source::parse(&name, &bytes, Syntax::for_path(&name)) {
        Ok(doc) => doc,
        Err(findings) => {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                loaded.sources.insert(&name, text);
            }
            loaded.findings.extend(findings);
            return None;
        }
    };
    loaded.sources.insert(&name, doc.text.clone());

    let check = schema::validate(&doc);
    let schema_ok = check.findings.is_empty();
    loaded.findings.extend(check.findings);
    let profile: Profile = match serde_json::from_value(check.repaired) {
        Ok(p) => p,
        Err(e) if schema_ok => {
            // The schema is generated from the same types, so this means a schema bug.
            loaded.findings.push(
                Finding::new(
                    Code::SchemaViolation,
                    Code::SchemaViolation.severity(),
                    format!("the profile does not match the model: {e}"),
                )
                .at(Location::file(&name)),
            );
            return None;
        }
        // Schema findings already explain why; lints cannot run on this file.
        Err(_) => return None,
    };
    // Lints run even when the schema found problems (over placeholders), so one
    // run reports everything; findings about a placeholder would only repeat the
    // schema finding and are dropped.
    let outside = |f: &Finding| {
        let ptr = f.location.pointer.as_deref().unwrap_or("");
        !check
            .placeholders
            .iter()
            .any(|p| ptr == p || ptr.starts_with(&format!("{p}/")))
    };
    if from.is_none() {
        loaded.exceptions = profile
            .exceptions
            .iter()
            .enumerate()
            .map(|(i, e)| exceptions::Pending {
                exception: e.clone(),
                file: name.clone(),
                at: doc.locate(&format!("/exceptions/{i}"), false),
            })
            .collect();
    }
    let lint_findings = lints::layer(&doc, &profile);
    loaded
        .findings
        .extend(lint_findings.into_iter().filter(|f| outside(f)));

    // Compose with the base profile, if any.
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = match &profile.extends {
        None => None,
        Some(rel) => {
            let base_path = path.parent().unwrap_or(Path::new("")).join(rel);
            let base_canon =
                std::fs::canonicalize(&base_path).unwrap_or_else(|_| base_path.clone());
            if stack.contains(&base_canon) || base_canon == canonical {
                loaded.findings.push(
                    Finding::new(
                        Code::ExtendsCycle,
                        Code::ExtendsCycle.severity(),
                        format!("`{rel}` is already part of this profile's `extends` chain"),
                    )
                    .at(doc.locate("/extends", false))
                    .help("a profile cannot extend itself or a profile that extends it"),
                );
                return None;
            }
            if stack.len() + 1 >= MAX_EXTENDS_DEPTH {
                loaded.findings.push(
                    Finding::new(
                        Code::ExtendsCycle,
                        Code::ExtendsCycle.severity(),
                        format!("the `extends` chain is deeper than {MAX_EXTENDS_DEPTH} profiles"),
                    )
                    .at(doc.locate("/extends", false)),
                );
                return None;
            }
            stack.push(canonical.clone());
            let before = loaded.findings.len();
            let result = load_chain(&base_path, loader, stack, loaded, Some((&doc, "/extends")));
            stack.pop();
            let base_errors = loaded.findings[before..]
                .iter()
                .filter(|f| f.is_error())
                .count();
            if base_errors > 0 {
                // The base's own findings are reported in the base's file; say here
                // why this profile cannot be composed.
                loaded.findings.push(
                    Finding::new(
                        Code::ExtendsNotFound,
                        Code::ExtendsNotFound.severity(),
                        format!(
                            "base profile `{}` has {base_errors} error(s)",
                            display(&base_path)
                        ),
                    )
                    .at(doc.locate("/extends", false))
                    .help("fix the base profile first"),
                );
                return None;
            }
            result.map(|(r, _)| r)
        }
    };

    let (resolved, base_serial) = match base {
        None => (ResolvedProfile::from_root(&name, &profile), None),
        Some(mut r) => {
            let parent = (
                r.identity.serial,
                r.chain.last().cloned().unwrap_or_default(),
            );
            let mut findings = Vec::new();
            r.overlay(&name, &profile, Some(&doc), &mut findings);
            loaded.findings.extend(findings);
            (r, Some(parent))
        }
    };
    let effective = lints::effective(
        &doc,
        &resolved,
        base_serial.as_ref().map(|(s, f)| (*s, f.as_str())),
    );
    loaded
        .findings
        .extend(effective.into_iter().filter(|f| outside(f)));
    if !schema_ok {
        return None;
    }
    Some((resolved, doc))
}

/// Every profile file under `path` (a file, or a directory searched recursively for
/// `*.toml` and `*.json`, skipping `*.tests.toml`), sorted for determinism.
pub fn discover(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            let ft = entry.file_type()?;
            if ft.is_dir() {
                dirs.push(p);
            } else if ft.is_file() {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let is_profile = (name.ends_with(".toml") && !name.ends_with(".tests.toml"))
                    || name.ends_with(".json");
                if is_profile {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
