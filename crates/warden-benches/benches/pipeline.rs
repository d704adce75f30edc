//! The hot paths, in-process: `validate` of one profile, `compile` of one profile,
//! bundle verification, and the user-mode audit of a home with 20 connections.
//! Whole-process figures against peers come from `scripts/bench.sh`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use warden_agent_core::policy::VerifiedPolicy;
use warden_agent_core::user::{UserOptions, check};
use warden_bundle::{EndpointPolicy, ExpectedCortex, PolicyBody, Statement};
use warden_profile::FsLoader;
use warden_trust::{
    SigningKey, Timestamp, TrustChain, TrustRoot, VerifyOptions, sign_bundle, verify_bundle,
    verify_chain,
};

fn baseline_path() -> std::path::PathBuf {
    warden_testkit::repo_root().join("profiles/examples/org-baseline.toml")
}

fn statement(profile: &warden_profile::ResolvedProfile, settings: &[u8]) -> Statement {
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

fn benches(c: &mut Criterion) {
    let path = baseline_path();
    c.bench_function("validate org-baseline.toml", |b| {
        b.iter(|| black_box(warden_profile::load(black_box(&path), &FsLoader)))
    });

    let profile = warden_profile::load(&path, &FsLoader).profile.unwrap();
    c.bench_function("compile org-baseline (policy artifacts + manifest)", |b| {
        b.iter(|| black_box(warden_compile::compile(&profile).unwrap().finish().unwrap()))
    });

    let key = SigningKey::from_bytes(&[9u8; 32]);
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let expires: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let mut root = TrustRoot::initial(&[key.verifying_key()], 1, 1, expires).unwrap();
    root.add_signer(key.verifying_key(), expires, None).unwrap();
    let chain = TrustChain::create(&root, &[&key], now).unwrap();
    let verified_root = verify_chain(&chain, None, now).unwrap();
    let output = warden_compile::compile(&profile).unwrap();
    let stmt = statement(&profile, &output.context().managed_settings_bytes);
    let envelope = sign_bundle(&stmt.to_json().unwrap(), &[&key]).to_json();
    let options = VerifyOptions {
        now,
        min_serial: None,
        profile_id: None,
    };
    c.bench_function("verify bundle", |b| {
        b.iter(|| {
            black_box(
                verify_bundle::<PolicyBody>(black_box(&envelope), &verified_root, &options)
                    .unwrap(),
            )
        })
    });

    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".snowflake");
    std::fs::create_dir(&dir).unwrap();
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&format!(
            "[conn{i:02}]\naccount = \"acme-prod{i:02}\"\nuser = \"u{i}\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\n\n"
        ));
    }
    write_private(&dir.join("connections.toml"), &text);
    write_private(
        &dir.join("config.toml"),
        "default_connection_name = \"conn00\"\n",
    );
    set_mode(&dir, 0o700);
    let policy = VerifiedPolicy {
        statement: stmt,
        source: "bench".into(),
    };
    let opts = UserOptions {
        home: home.path().to_path_buf(),
        env: BTreeMap::new(),
        running_as_root: false,
    };
    c.bench_function("audit home with 20 connections", |b| {
        b.iter(|| black_box(check(&policy, &opts)))
    });
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

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
