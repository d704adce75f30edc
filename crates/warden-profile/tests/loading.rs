//! One `ProfileLoader` over many profiles: each file is read once however many
//! profiles extend it, findings name files as each profile names them, and loading on
//! every core gives what loading one by one gives, in the order asked.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use warden_profile::{ProfileLoader, SourceLoader, load};

/// Profiles held in memory; counts how often each path is read.
#[derive(Default)]
struct Counting {
    files: BTreeMap<PathBuf, String>,
    reads: Mutex<BTreeMap<PathBuf, usize>>,
}

impl Counting {
    fn add(&mut self, path: &str, text: impl Into<String>) {
        self.files.insert(PathBuf::from(path), text.into());
    }

    fn reads(&self, path: &str) -> usize {
        let reads = self.reads.lock().unwrap();
        reads
            .iter()
            .filter(|(p, _)| self.canonical(p) == Path::new(path))
            .map(|(_, n)| n)
            .sum()
    }
}

impl SourceLoader for Counting {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        *self
            .reads
            .lock()
            .unwrap()
            .entry(path.to_path_buf())
            .or_default() += 1;
        self.files
            .get(&self.canonical(path))
            .map(|t| t.clone().into_bytes())
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }

    /// `a/../b` is `b`: the in-memory tree has no links.
    fn canonical(&self, path: &Path) -> PathBuf {
        let mut out = PathBuf::new();
        for c in path.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    }
}

const BASE: &str = r#"
[profile]
id = "acme-baseline"
name = "Acme baseline"
serial = 10
bundle_lifetime_days = 120

[accounts]
allow = ["acme-*"]

[authenticators]
forbidden = ["SNOWFLAKE"]
"#;

fn child(i: usize, extends: &str) -> String {
    format!(
        "extends = \"{extends}\"\n\n[profile]\nid = \"team-{i:04}\"\nname = \"Team {i}\"\nserial = 11\n\n[accounts]\nallow = [\"acme-team{i}*\"]\n"
    )
}

#[test]
fn a_thousand_profiles_over_one_base_read_the_base_once() {
    let mut fs = Counting::default();
    fs.add("fleet/org.toml", BASE);
    let mut paths = Vec::new();
    for i in 0..999 {
        let path = format!("fleet/teams/team-{i:04}.toml");
        fs.add(&path, child(i, "../org.toml"));
        paths.push(PathBuf::from(path));
    }
    let all = ProfileLoader::new(&fs).load_all(&paths);

    assert_eq!(all.len(), 999);
    assert_eq!(fs.reads("fleet/org.toml"), 1);
    for (i, (path, loaded)) in paths.iter().zip(&all).enumerate() {
        assert_eq!(fs.reads(path.to_str().unwrap()), 1);
        assert!(!loaded.has_errors(), "{:#?}", loaded.findings);
        let profile = loaded.profile.as_ref().expect("composes");
        assert_eq!(profile.identity.id, format!("team-{i:04}"));
        assert_eq!(
            profile.chain,
            [
                "fleet/teams/../org.toml".to_owned(),
                path.to_str().unwrap().to_owned()
            ]
        );
        // The base's allow list and the child's, layered.
        assert_eq!(profile.policy.accounts.allow.len(), 2);
    }
}

#[test]
fn a_base_reached_under_two_names_is_read_once_as_a_base_and_reported_under_each() {
    let mut fs = Counting::default();
    fs.add("org.toml", BASE);
    fs.add("a/team.toml", child(1, "../org.toml"));
    fs.add("b/c/team.toml", child(2, "../../org.toml"));
    let paths: Vec<PathBuf> = ["org.toml", "a/team.toml", "b/c/team.toml"]
        .map(PathBuf::from)
        .to_vec();
    // One by one, so that the count does not depend on which thread gets there
    // first: once as a profile asked for (not kept), once as the base both teams
    // share.
    let loader = ProfileLoader::new(&fs);
    let all: Vec<_> = paths.iter().map(|p| loader.load(p)).collect();
    assert_eq!(fs.reads("org.toml"), 2);

    // The base's 120-day lifetime draws a warning; each profile names the base as it
    // reached it, so the finding points into a file the reader can open.
    let files: Vec<Vec<String>> = all
        .iter()
        .map(|l| {
            l.findings
                .iter()
                .filter(|f| f.code == "bundle-lifetime-too-long")
                .map(|f| f.location.file.clone().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        files,
        [
            vec!["org.toml".to_owned()],
            vec!["a/../org.toml".to_owned()],
            vec!["b/c/../../org.toml".to_owned()],
        ]
    );
    assert!(all[1].sources.get("a/../org.toml").is_some());
    assert!(all[2].sources.get("b/c/../../org.toml").is_some());
}

#[test]
fn loading_on_every_core_gives_what_loading_one_by_one_gives() {
    let mut fs = Counting::default();
    fs.add("org.toml", BASE);
    let mut paths = Vec::new();
    for i in 0..300 {
        let path = format!("p{i:03}.toml");
        // A mix of clean profiles, schema errors, syntax errors and a missing base.
        let text = match i % 4 {
            0 => child(i, "org.toml"),
            1 => format!("{}\n[cortex]\nenabld = true\n", child(i, "org.toml")),
            2 => format!("[profile\nid = \"x{i}\""),
            _ => child(i, "missing.toml"),
        };
        fs.add(&path, text);
        paths.push(PathBuf::from(path));
    }
    let parallel = ProfileLoader::new(&fs).load_all(&paths);
    for (path, got) in paths.iter().zip(&parallel) {
        let want = load(path, &fs);
        assert_eq!(got.findings, want.findings, "{}", path.display());
        assert_eq!(got.profile, want.profile, "{}", path.display());
        assert!(!got.findings.is_empty() || got.profile.is_some());
    }
    // Every kind of outcome is in the mix.
    assert!(parallel.iter().any(|l| l.profile.is_some()));
    for code in ["unknown-key", "syntax-error", "extends-not-found"] {
        assert!(
            parallel
                .iter()
                .any(|l| l.findings.iter().any(|f| f.code == code)),
            "{code}"
        );
    }
}

#[test]
fn a_missing_base_is_reported_in_every_profile_that_extends_it() {
    let mut fs = Counting::default();
    fs.add("a.toml", child(1, "gone.toml"));
    fs.add("b.toml", child(2, "gone.toml"));
    let paths = ["a.toml", "b.toml"].map(PathBuf::from).to_vec();
    let all = ProfileLoader::new(&fs).load_all(&paths);
    for (loaded, file) in all.iter().zip(["a.toml", "b.toml"]) {
        let f = loaded
            .findings
            .iter()
            .find(|f| f.code == "extends-not-found")
            .expect("reported");
        assert_eq!(f.location.file.as_deref(), Some(file));
        assert_eq!(f.location.line, Some(1));
    }
}

/// A base that asks for a signed `.mobileconfig` passes that on; a team profile cannot
/// switch it off, and the diff calls switching it off a loosening.
#[test]
fn a_signed_mobileconfig_the_base_asks_for_stays_asked_for() {
    let mut files = Counting::default();
    files.add(
        "org.toml",
        format!("{BASE}\n[macos]\nsign_mobileconfig = true\n"),
    );
    files.add("quiet.toml", child(1, "org.toml"));
    files.add(
        "off.toml",
        format!(
            "{}\n[macos]\nsign_mobileconfig = false\n",
            child(2, "org.toml")
        ),
    );
    let loader = ProfileLoader::new(&files);
    let quiet = loader.load(Path::new("quiet.toml"));
    // The base's long bundle lifetime is its own warning; nothing else is reported.
    assert!(
        quiet
            .findings
            .iter()
            .all(|f| f.code == "bundle-lifetime-too-long"),
        "{:#?}",
        quiet.findings
    );
    let quiet = quiet.profile.unwrap();
    assert_eq!(quiet.macos.sign_mobileconfig, Some(true));

    let off = loader.load(Path::new("off.toml"));
    let widens: Vec<_> = off
        .findings
        .iter()
        .filter(|f| f.code == "extends-widens")
        .collect();
    assert_eq!(widens.len(), 1, "{:#?}", off.findings);
    assert_eq!(
        widens[0].location.pointer.as_deref(),
        Some("/macos/sign_mobileconfig")
    );

    let root = load(Path::new("quiet.toml"), &files).profile.unwrap();
    let mut unsigned = root.clone();
    unsigned.macos.sign_mobileconfig = Some(false);
    let changes = warden_profile::diff::diff(&root, &unsigned);
    assert!(
        changes.iter().any(|c| c.area == "macos"
            && c.effect == warden_profile::diff::Effect::Loosening
            && c.description.contains("sign_mobileconfig")),
        "{changes:#?}"
    );
}
