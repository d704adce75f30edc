//! Shared set-up for the user-mode tests: the example policy as a verified statement,
//! fixture homes staged in temporary directories, and byte/mtime views of a tree.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use warden_agent_core::policy::VerifiedPolicy;
use warden_agent_core::report::{Format, Report};
use warden_agent_core::user::UserOptions;
use warden_bundle::{EndpointPolicy, ExpectedCortex, PolicyBody, RequiredConnection, Statement};

pub fn repo() -> PathBuf {
    warden_testkit::repo_root()
}

/// `profiles/examples/org-baseline.toml`, compiled by hand into a statement, with
/// `tweak` applied to its endpoint rules.
pub fn policy_with(tweak: impl FnOnce(&mut EndpointPolicy)) -> VerifiedPolicy {
    let path = repo().join("profiles/examples/org-baseline.toml");
    let loaded = warden_profile::load(&path, &warden_profile::FsLoader);
    let p = loaded.profile.expect("the example profile loads");
    let mut endpoint = EndpointPolicy {
        policy: p.policy,
        modes: p.endpoint,
        required_connection: p.connection.name.clone().map(|name| RequiredConnection {
            name,
            role: p.connection.default_role.clone(),
            warehouse: p.connection.default_warehouse.clone(),
            template: p.connection.template.clone(),
        }),
    };
    tweak(&mut endpoint);
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    VerifiedPolicy {
        statement: Statement {
            profile_id: p.identity.id,
            serial: p.identity.serial,
            issued_at: t("2026-01-01T00:00:00Z"),
            not_before: t("2026-01-01T00:00:00Z"),
            expires: t("2026-02-01T00:00:00Z"),
            trust_root_version: 1,
            manifest: BTreeMap::new(),
            body: PolicyBody {
                cortex: ExpectedCortex::new(b"{}\n", BTreeMap::new(), BTreeMap::new()),
                endpoint,
            },
        },
        source: "test".into(),
    }
}

pub fn policy() -> VerifiedPolicy {
    policy_with(|_| {})
}

pub struct Home {
    _tmp: tempfile::TempDir,
    pub home: PathBuf,
}

impl Home {
    pub fn sf(&self) -> PathBuf {
        self.home.join(".snowflake")
    }

    pub fn opts(&self) -> UserOptions {
        self.opts_env(&[])
    }

    pub fn opts_env(&self, env: &[(&str, &str)]) -> UserOptions {
        UserOptions {
            home: self.home.clone(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            running_as_root: false,
        }
    }

    /// The report as JSON with the temporary home replaced by `[HOME]`.
    pub fn json(&self, report: &Report) -> String {
        report
            .render(Format::Json)
            .replace(&self.home.display().to_string(), "[HOME]")
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if entry.file_name() != ".keep" {
            std::fs::copy(entry.path(), &dest).unwrap();
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

/// Copies `tests/fixtures/agent/homes/<case>` into a fresh home: directories 0700,
/// files 0600, as the Snowflake clients want them.
pub fn stage(case: &str) -> Home {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    copy_tree(&repo().join("tests/fixtures/agent/homes").join(case), &home);
    Home { _tmp: tmp, home }
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Every entry under `dir`: content (for files), mode and mtime.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, (Option<Vec<u8>>, u32, SystemTime)> {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, (Option<Vec<u8>>, u32, SystemTime)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let content = m.is_file().then(|| std::fs::read(&p).unwrap());
            out.insert(
                p.clone(),
                (
                    content,
                    m.permissions().mode() & 0o7777,
                    m.modified().unwrap(),
                ),
            );
            if m.is_dir() {
                walk(&p, out);
            }
        }
    }
    walk(dir, &mut out);
    out
}

/// The codes of the findings, with `+` for fixed ones, in report order.
pub fn codes(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| format!("{}{}", f.code, if f.fixed { "+" } else { "" }))
        .collect()
}
