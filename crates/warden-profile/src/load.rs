//! Loading profiles at scale.
//!
//! What one file is on its own (its parse, schema check and layer lints) depends on
//! its bytes alone, so a [`ProfileLoader`] works it out once for every file that is
//! extended, keyed by the file's canonical path, and every profile that `extends` it
//! composes over the same layer: a fleet of a thousand team profiles over one org
//! baseline parses the baseline once. The profiles asked for are not kept.
//! [`ProfileLoader::load_all`] loads many profiles on every core and returns them in
//! the order asked.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Deserialize;
use warden_diag::{Finding, Location};

use crate::codes::Code;
use crate::model::Profile;
use crate::resolve::ResolvedProfile;
use crate::source::{self, Document, Syntax};
use crate::{Loaded, MAX_EXTENDS_DEPTH, SourceLoader, exceptions, lints, schema};

/// Loads profiles through a [`SourceLoader`], reading and checking each file once
/// however many profiles extend it.
///
/// One loader serves one run of a command: it keeps every file it has read, and
/// does not notice a file changing afterwards.
pub struct ProfileLoader<'a, L: SourceLoader + ?Sized> {
    source: &'a L,
    /// Canonical path of an extended file → its layer, or why it could not be read.
    layers: Mutex<HashMap<PathBuf, LayerCell>>,
    /// The day (`YYYY-MM-DD`) against which lint exceptions' expiry is judged.
    today: String,
}

/// A file's layer, filled by the first thread that asks for it, or why the file
/// could not be read.
type LayerCell = Arc<OnceLock<Result<Layer, String>>>;

/// One file on its own: everything that depends on its bytes alone.
#[derive(Debug, Clone)]
struct Layer {
    /// The name the file was first read under; its findings and document carry it.
    name: String,
    /// The text, when it is UTF-8 (even if it does not parse), for rendering findings.
    text: Option<String>,
    /// Syntax, schema and layer-lint findings, all located in this file.
    findings: Vec<Finding>,
    /// Absent when the file does not parse or does not deserialize.
    parsed: Option<Parsed>,
}

#[derive(Debug, Clone)]
struct Parsed {
    doc: Document,
    profile: Profile,
    schema_ok: bool,
    /// Pointers the schema check filled with placeholders; lints ignore findings there.
    placeholders: Vec<String>,
}

impl Parsed {
    /// Whether `f` is about real content rather than a schema placeholder (a finding
    /// about a placeholder would only repeat the schema finding).
    fn outside_placeholders(&self, f: &Finding) -> bool {
        let ptr = f.location.pointer.as_deref().unwrap_or("");
        !self.placeholders.iter().any(|p| {
            ptr.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

impl Layer {
    /// Parse, schema-check and lint `bytes`, the contents of the file called `name`.
    fn new(name: String, bytes: &[u8]) -> Self {
        let mut layer = Self {
            name,
            text: None,
            findings: Vec::new(),
            parsed: None,
        };
        let doc = match source::parse(&layer.name, bytes, Syntax::for_path(&layer.name)) {
            Ok(doc) => doc,
            Err(findings) => {
                layer.text = std::str::from_utf8(bytes).ok().map(str::to_owned);
                layer.findings = findings;
                return layer;
            }
        };
        layer.text = Some(doc.text.clone());

        let check = schema::validate(&doc);
        let schema_ok = check.findings.is_empty();
        layer.findings.extend(check.findings);
        let read = match &check.repaired {
            Some(repaired) => Profile::deserialize(repaired),
            None => Profile::deserialize(&doc.value),
        };
        let profile: Profile = match read {
            Ok(p) => p,
            Err(e) if schema_ok => {
                // The schema is generated from the same types, so this means a schema bug.
                // Worded as deserializing an owned value words it.
                let e = serde_json::from_value::<Profile>(doc.value.clone())
                    .err()
                    .map_or_else(|| e.to_string(), |e| e.to_string());
                layer.findings.push(
                    Finding::new(
                        Code::SchemaViolation,
                        Code::SchemaViolation.severity(),
                        format!("the profile does not match the model: {e}"),
                    )
                    .at(Location::file(&layer.name)),
                );
                return layer;
            }
            // Schema findings already explain why; lints cannot run on this file.
            Err(_) => return layer,
        };
        let parsed = Parsed {
            doc,
            profile,
            schema_ok,
            placeholders: check.placeholders,
        };
        // Lints run even when the schema found problems (over placeholders), so one
        // run reports everything.
        let lint_findings = lints::layer(&parsed.doc, &parsed.profile);
        layer.findings.extend(
            lint_findings
                .into_iter()
                .filter(|f| parsed.outside_placeholders(f)),
        );
        layer.parsed = Some(parsed);
        layer
    }

    /// The same layer, for a file reached under another name (`teams/../org.toml`
    /// and `org.toml`): findings and document name the file as this profile does.
    fn renamed(&self, name: &str) -> Self {
        let mut layer = self.clone();
        for f in &mut layer.findings {
            if f.location.file.as_deref() == Some(self.name.as_str()) {
                f.location.file = Some(name.to_owned());
            }
        }
        if let Some(parsed) = &mut layer.parsed {
            parsed.doc.file = name.to_owned();
        }
        layer.name = name.to_owned();
        layer
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl<'a, L: SourceLoader + ?Sized> ProfileLoader<'a, L> {
    pub fn new(source: &'a L) -> Self {
        Self {
            source,
            layers: Mutex::new(HashMap::new()),
            today: exceptions::today_utc(),
        }
    }

    /// Judge lint exceptions' expiry as of `today` (`YYYY-MM-DD`) instead of today.
    pub fn judging_exceptions_on(mut self, today: &str) -> Self {
        self.today = today.to_owned();
        self
    }

    /// Load, validate and compose the profile at `path`.
    pub fn load(&self, path: &Path) -> Loaded {
        self.load_read(path, None)
    }

    /// [`ProfileLoader::load`], with the file at `path` already read into `read`
    /// (used unless this loader has read that file before).
    fn load_read(&self, path: &Path, read: Option<std::io::Result<Vec<u8>>>) -> Loaded {
        let mut loaded = Loaded::default();
        let mut stack = Vec::new();
        let resolved = self.load_chain(path, None, read, &mut stack, &mut loaded, None);
        let pending = std::mem::take(&mut loaded.exceptions);
        exceptions::apply(&mut loaded.findings, &pending, &self.today);
        warden_diag::sort(&mut loaded.findings);
        if !loaded.has_errors() {
            loaded.profile = resolved;
        }
        loaded
    }

    /// The layer of the file at `path`, read and checked on first use only. Two
    /// threads asking for the same new file wait for one reading.
    /// A layer not kept (`keep` false) is still taken from the cache if it is there.
    fn layer(
        &self,
        path: &Path,
        key: &Path,
        read: Option<std::io::Result<Vec<u8>>>,
        keep: bool,
    ) -> LayerCell {
        let cell = {
            let mut layers = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
            if keep {
                Arc::clone(layers.entry(key.to_path_buf()).or_default())
            } else {
                layers.get(key).cloned().unwrap_or_default()
            }
        };
        cell.get_or_init(|| match read.unwrap_or_else(|| self.source.read(path)) {
            Ok(bytes) => Ok(Layer::new(display(path), &bytes)),
            Err(e) => Err(e.to_string()),
        });
        cell
    }

    /// Load one file and, recursively, its base; returns the composed profile.
    /// `canonical` is the file's canonical path, `None` for the profile asked for;
    /// `read` is the file's bytes if they were read ahead; `from` locates findings
    /// about the file in the profile that extends it.
    fn load_chain(
        &self,
        path: &Path,
        canonical: Option<&Path>,
        read: Option<std::io::Result<Vec<u8>>>,
        stack: &mut Vec<PathBuf>,
        loaded: &mut Loaded,
        from: Option<(&Document, &str)>,
    ) -> Option<ResolvedProfile> {
        let name = display(path);
        // Only bases are kept: they are what other profiles share. The profile asked
        // for is dropped once loaded (a thousand parsed documents held to the end
        // cost more in fresh memory than their parsing), found by its path as given,
        // and resolved only if it extends another, for the cycle check: resolving
        // every link of every path costs a system call per component. A file both
        // asked for and extended is parsed at most twice.
        let key = match canonical {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(crate::lexical(path)),
        };
        let cell = self.layer(path, &key, read, canonical.is_some());
        let layer = match cell.get().expect("initialised by `layer`") {
            Ok(layer) if layer.name == name => Cow::Borrowed(layer),
            Ok(layer) => Cow::Owned(layer.renamed(&name)),
            Err(e) => {
                let (code, loc) = match from {
                    Some((doc, ptr)) => (Code::ExtendsNotFound, doc.locate(ptr, false)),
                    None => (Code::SyntaxError, Location::file(&name)),
                };
                loaded.findings.push(
                    Finding::new(code, code.severity(), format!("cannot read `{name}`: {e}"))
                        .at(loc),
                );
                return None;
            }
        };
        if let Some(text) = &layer.text {
            loaded.sources.insert(&name, text.as_str());
        }
        loaded.findings.extend(layer.findings.iter().cloned());
        let parsed = layer.parsed.as_ref()?;
        let (doc, profile) = (&parsed.doc, &parsed.profile);
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

        // Compose with the base profile, if any.
        let base = match &profile.extends {
            None => None,
            Some(rel) => {
                let base_path = path.parent().unwrap_or(Path::new("")).join(rel);
                let base_canon = self.source.canonical(&base_path);
                let canonical = match canonical {
                    Some(c) => Cow::Borrowed(c),
                    None => Cow::Owned(self.source.canonical(path)),
                };
                if stack.contains(&base_canon) || base_canon == *canonical {
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
                            format!(
                                "the `extends` chain is deeper than {MAX_EXTENDS_DEPTH} profiles"
                            ),
                        )
                        .at(doc.locate("/extends", false)),
                    );
                    return None;
                }
                stack.push(canonical.into_owned());
                let before = loaded.findings.len();
                let result = self.load_chain(
                    &base_path,
                    Some(&base_canon),
                    None,
                    stack,
                    loaded,
                    Some((doc, "/extends")),
                );
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
                result
            }
        };

        let (resolved, base_serial) = match base {
            None => (ResolvedProfile::from_root(&name, profile), None),
            Some(mut r) => {
                let parent = (
                    r.identity.serial,
                    r.chain.last().cloned().unwrap_or_default(),
                );
                let mut findings = Vec::new();
                r.overlay(&name, profile, Some(doc), &mut findings);
                loaded.findings.extend(findings);
                (r, Some(parent))
            }
        };
        let effective = lints::effective(
            doc,
            &resolved,
            base_serial.as_ref().map(|(s, f)| (*s, f.as_str())),
        );
        loaded.findings.extend(
            effective
                .into_iter()
                .filter(|f| parsed.outside_placeholders(f)),
        );
        if !parsed.schema_ok {
            return None;
        }
        Some(resolved)
    }
}

impl<L: SourceLoader + Sync + ?Sized> ProfileLoader<'_, L> {
    /// Load every profile of `paths`, on as many threads as the machine has cores
    /// (no more than there are paths). The result is in the order of `paths`, and is
    /// what loading them one by one would give.
    pub fn load_all(&self, paths: &[PathBuf]) -> Vec<Loaded> {
        self.load_all_then(paths, |_| {})
    }

    /// [`ProfileLoader::load_all`], running `then` on each result on the thread that
    /// loaded it: per-profile work a command adds (such as checks on the compiled
    /// values) spreads over the cores with the loading.
    pub fn load_all_then<F>(&self, paths: &[PathBuf], then: F) -> Vec<Loaded>
    where
        F: Fn(&mut Loaded) + Sync,
    {
        self.load_all_map(paths, |mut loaded| {
            then(&mut loaded);
            loaded
        })
    }

    /// [`ProfileLoader::load_all`], turning each result into what the command keeps
    /// of it on the thread that loaded it: what is not kept (the composed profile, the
    /// texts no finding points into) is freed there as the run goes, not held to the end.
    pub fn load_all_map<R, F>(&self, paths: &[PathBuf], map: F) -> Vec<R>
    where
        R: Send,
        F: Fn(Loaded) -> R + Sync,
    {
        let load = |path: &PathBuf, read: Option<std::io::Result<Vec<u8>>>| {
            map(self.load_read(path, read))
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(paths.len());
        if workers <= 1 {
            return paths.iter().map(|path| load(path, None)).collect();
        }
        // Workers take the next path as they finish one, so a slow file does not hold
        // up a whole share. The calling thread, already running, builds the schema
        // validator while the threads it spawns read files ahead into `ahead`, where
        // whichever worker takes that path finds them: a worker that kept what it read
        // ahead would then load it alone.
        let next = AtomicUsize::new(0);
        let next_ahead = AtomicUsize::new(0);
        let ahead: Vec<Mutex<Option<std::io::Result<Vec<u8>>>>> =
            std::iter::repeat_with(|| Mutex::new(None))
                .take(paths.len())
                .collect();
        let work = || {
            while !schema::is_prepared() {
                // No path is loaded before the validator is built, so each one read
                // here is still waiting for its worker.
                let j = next_ahead.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(j) else { break };
                let read = self.source.read(path);
                *ahead[j].lock().unwrap_or_else(PoisonError::into_inner) = Some(read);
            }
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                let read = ahead[i]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                done.push((i, load(path, read)));
            }
            done
        };
        let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(paths.len()).collect();
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            schema::prepare();
            let mine = work();
            let theirs = helpers.into_iter().map(|h| match h.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            });
            for (i, loaded) in std::iter::once(mine).chain(theirs).flatten() {
                slots[i] = Some(loaded);
            }
        });
        slots
            .into_iter()
            .map(|s| s.expect("every path was taken by a worker"))
            .collect()
    }
}
