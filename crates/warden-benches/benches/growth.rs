//! How the cost grows with the work, in-process and side by side in one run:
//! the user-mode audit of homes with 20 / 200 / 2,000 / 8,000 connections, validation
//! of 10 / 100 / 1,000 / 10,000 JSON profiles (on every core, as `warden validate`
//! does), and compilation of 1 / 100 / 1,000 profiles (an org baseline and the team
//! profiles that extend it; signed, delivered, not written). Each group reports
//! throughput per element, so a flat rate means linear growth. The figures against
//! other tools come from `scripts/bench.sh`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use warden_agent_core::policy::VerifiedPolicy;
use warden_agent_core::user::{UserOptions, check};
use warden_bundle::{EndpointPolicy, ExpectedCortex, PolicyBody, Statement};
use warden_profile::{FsLoader, ProfileLoader, ResolvedProfile};
use warden_trust::{SigningKey, Timestamp, sign_bundle};

fn baseline_path() -> PathBuf {
    warden_testkit::repo_root().join("profiles/examples/org-baseline.toml")
}

fn statement(profile: &ResolvedProfile, settings: &[u8]) -> Statement {
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    Statement {
        profile_id: profile.identity.id.clone(),
        serial: profile.identity.serial,
        issued_at: now,
        not_before: now,
        expires: "2026-07-01T00:00:00Z".parse().unwrap(),
        trust_root_version: 1,
        manifest: BTreeMap::new(),
        body: PolicyBody {
            cortex: ExpectedCortex::new(settings, BTreeMap::new(), BTreeMap::new()),
            endpoint: EndpointPolicy {
                policy: profile.policy.clone(),
                modes: profile.endpoint,
                required_connection: None,
            },
        },
    }
}

/// A home whose `connections.toml` holds `n` connections, as `scripts/bench.sh` makes.
fn home_with(n: usize) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".snowflake");
    std::fs::create_dir(&dir).unwrap();
    let mut text = String::new();
    for i in 1..=n {
        text.push_str(&format!(
            "[conn{i:05}]\naccount = \"acme-prod{i:05}\"\nuser = \"user{i:05}\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\nwarehouse = \"WH\"\n\n"
        ));
    }
    write_private(&dir.join("connections.toml"), &text);
    write_private(
        &dir.join("config.toml"),
        "default_connection_name = \"conn00001\"\n",
    );
    set_mode(&dir, 0o700);
    home
}

/// `n` JSON team profiles, as `scripts/bench.sh` makes.
fn json_profiles(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let profile = serde_json::json!({
                "profile": {"id": format!("team-{i:05}"), "name": format!("Team {i}"), "organization": "Acme", "serial": i + 1},
                "accounts": {"allow": [format!("acme-team{i}*"), "acme-shared"], "deny": [format!("acme-team{i}-sandbox")]},
                "authenticators": {"forbidden": ["SNOWFLAKE", "USERNAME_PASSWORD_MFA"]},
                "connection": {"required_name": "acme", "default_role": "ANALYST", "forbidden_roles": ["ACCOUNTADMIN"],
                               "template": {"account": "acme-shared", "authenticator": "externalbrowser"}},
                "cortex": {"permissions": {"default_mode": "allow", "deny": ["bash(rm:*)"]},
                           "settings": {"force_no_history_mode": true}, "required": {"minimum_version": "1.1.89"}},
            });
            let path = dir.join(format!("{i:05}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&profile).unwrap()).unwrap();
            path
        })
        .collect()
}

/// The org baseline and `n - 1` team profiles that extend it, as `scripts/bench.sh` makes.
fn fleet(dir: &Path, n: usize) -> Vec<PathBuf> {
    let base = std::fs::read_to_string(baseline_path()).unwrap();
    let base = base.replace("#:schema ../../schemas/profile.schema.json\n", "");
    let mut paths = vec![dir.join("org.toml")];
    std::fs::write(&paths[0], base).unwrap();
    for i in 1..n {
        let path = dir.join(format!("team-{i:04}.toml"));
        std::fs::write(
            &path,
            format!(
                "extends = \"org.toml\"\n\n[profile]\nid = \"team-{i:04}\"\nname = \"Team {i}\"\nserial = 2\n\n[accounts]\nallow = [\"acme-team{i:04}*\"]\n\n[connection]\nrequired_name = \"team-{i:04}\"\n\n[connection.template]\naccount = \"acme-team{i:04}-prod\"\nauthenticator = \"externalbrowser\"\n"
            ),
        )
        .unwrap();
        paths.push(path);
    }
    paths
}

fn audit(c: &mut Criterion) {
    let profile = warden_profile::load(&baseline_path(), &FsLoader)
        .profile
        .unwrap();
    let output = warden_compile::compile(&profile).unwrap();
    let policy = VerifiedPolicy {
        statement: statement(&profile, &output.context().managed_settings_bytes),
        source: "bench".into(),
    };
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    for n in [20, 200, 2_000, 8_000] {
        let home = home_with(n);
        let opts = UserOptions {
            home: home.path().to_path_buf(),
            env: BTreeMap::new(),
            running_as_root: false,
        };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("connections", n), &n, |b, _| {
            b.iter(|| black_box(check(&policy, &opts)))
        });
    }
    group.finish();
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    for n in [10, 100, 1_000, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let paths = json_profiles(dir.path(), n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("json-profiles", n), &n, |b, _| {
            b.iter(|| {
                let all = ProfileLoader::new(&FsLoader).load_all(black_box(&paths));
                assert!(all.iter().all(|l| l.profile.is_some()));
                black_box(all)
            })
        });
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[9u8; 32]);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for n in [1, 100, 1_000] {
        let dir = tempfile::tempdir().unwrap();
        let paths = fleet(dir.path(), n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("profiles", n), &n, |b, _| {
            b.iter(|| {
                let loaded = ProfileLoader::new(&FsLoader).load_all(&paths);
                let mut bytes = 0;
                for l in &loaded {
                    let profile = l.profile.as_ref().expect("the fleet composes");
                    let mut output = warden_compile::compile(profile).unwrap();
                    let stmt = statement(profile, &output.context().managed_settings_bytes);
                    let envelope = sign_bundle(&stmt.to_json().unwrap(), &[&key]).to_json();
                    output.add_bundle(envelope).unwrap();
                    output
                        .deliver(&[
                            &warden_compile::MacosBackend,
                            &warden_compile::WindowsBackend,
                        ])
                        .unwrap();
                    bytes += output
                        .finish()
                        .unwrap()
                        .iter()
                        .map(|a| a.bytes.len())
                        .sum::<usize>();
                }
                black_box(bytes)
            })
        });
    }
    group.finish();
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    set_mode(path, 0o600);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

criterion_group!(growth, audit, validate, compile);
criterion_main!(growth);
