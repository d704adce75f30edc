//! The real `warden-agent` binary in system mode, with every path under `--root`.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use warden_bundle::{EndpointPolicy, ExpectedCortex, PolicyBody, Statement};
use warden_policy::{EndpointModes, Policy};
use warden_trust::keys::SigningKey;
use warden_trust::time::parse_utc;

const NOW: &str = "2026-03-01T00:00:00Z";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        warden_testkit::repo_root()
            .join("tests/fixtures/agent/system")
            .join(name),
    )
    .unwrap()
}

struct Endpoint {
    dir: tempfile::TempDir,
}

impl Endpoint {
    fn new() -> Self {
        let e = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        e.put("etc/warden/trust-root.json", &fixture("trust-root.json"));
        e
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn deliver(&self, bundle: &[u8]) {
        self.put("etc/warden/bundle.dsse.json", bundle);
    }

    fn settings_path(&self) -> PathBuf {
        self.root().join("etc/cortex/managed-settings.json")
    }

    fn settings(&self) -> Option<Vec<u8>> {
        std::fs::read(self.settings_path()).ok()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden-agent"));
        cmd.args(args)
            .arg("--root")
            .arg(self.root())
            .args(["--now", NOW, "--platform", "linux"])
            .env_remove(PACE_ENV);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

const PACE_ENV: &str = "WARDEN_AGENT_TEST_PACE_MS";

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn applied() -> Endpoint {
    let e = Endpoint::new();
    e.deliver(&fixture("bundle-7.json"));
    let o = e.run(&["enforce", "--system"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    e
}

#[test]
fn enforce_applies_and_every_format_reports_it() {
    let e = applied();
    assert_eq!(e.settings().unwrap(), fixture("managed-settings-7.json"));
    let o = e.run(&["check", "--system", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["schema"], "warden.report/v1");
    assert_eq!(json["mode"], "system");
    assert_eq!(json["compliant"], true);
    assert_eq!(json["evaluable"], true);
    assert_eq!(json["policy"]["id"], "acme-baseline");
    assert_eq!(json["policy"]["serial"], 7);
    assert_eq!(json["policy"]["expires"], "2026-03-31T00:00:00Z");
    assert_eq!(json["findings"], Value::Array(vec![]));
    let o = e.run(&["check", "--system", "--format", "jamf"]);
    assert_eq!(
        stdout(&o),
        "<result>compliant (acme-baseline #7)</result>\n"
    );
    let o = e.run(&["check", "--system", "--format", "intune"]);
    assert_eq!(stdout(&o), "compliant (acme-baseline #7)\n");
    let o = e.run(&["check", "--system"]);
    let text = stdout(&o);
    assert!(
        text.starts_with("policy acme-baseline serial 7 from file "),
        "{text}"
    );
    assert!(text.ends_with("system mode: compliant\n"), "{text}");
}

#[test]
fn refusals_and_drift_are_non_compliant_in_every_format() {
    let e = applied();
    e.deliver(&fixture("bundle-8-tampered.json"));
    std::fs::write(e.settings_path(), b"{}").unwrap();
    let o = e.run(&["check", "--format", "jamf"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "<result>non-compliant: bad-signature, managed-settings-different (acme-baseline #7)</result>\n"
    );
    let o = e.run(&["enforce", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings[0]["code"], "bad-signature");
    assert_eq!(findings[0]["fixed"], false);
    assert_eq!(findings[1]["code"], "managed-settings-different");
    assert_eq!(findings[1]["fixed"], true);
    assert_eq!(e.settings().unwrap(), fixture("managed-settings-7.json"));
}

#[test]
fn with_no_bundle_the_agent_cannot_evaluate_and_writes_nothing() {
    let e = Endpoint::new();
    let o = e.run(&["check", "--system", "--format", "intune"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "cannot evaluate: no-bundle\n");
    assert!(
        !e.root().join("var/lib/warden").exists(),
        "check wrote state"
    );
    let o = e.run(&["enforce", "--system", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["evaluable"], false);
    assert_eq!(json["policy"], Value::Null);
    assert!(e.settings().is_none());
    assert!(!e.root().join("etc/cortex").exists());
}

#[test]
fn status_shows_the_policy_in_force_and_the_last_result() {
    let e = Endpoint::new();
    let o = e.run(&["status"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("profile: -\n"));
    e.deliver(&fixture("bundle-7.json"));
    e.run(&["enforce", "--system"]);
    let o = e.run(&["status", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["schema"], "warden.status/v1");
    assert_eq!(json["profile_id"], "acme-baseline");
    assert_eq!(json["serial"], 7);
    assert_eq!(json["expires"], "2026-03-31T00:00:00Z");
    assert_eq!(json["trust_root_version"], 1);
    assert!(json["source"].as_str().unwrap().starts_with("file "));
    assert_eq!(json["last_result"]["exit_code"], 0);
    assert_eq!(
        json["last_result"]["summary"],
        "compliant (acme-baseline #7)"
    );
    let o = e.run(&["status", "--format", "jamf"]);
    assert_eq!(
        stdout(&o),
        format!(
            "<result>acme-baseline #7; last run {NOW}: compliant (acme-baseline #7)</result>\n"
        )
    );
    let text = stdout(&e.run(&["status"]));
    assert!(
        text.contains("serial: 7\n") && text.contains("trust root version: 1\n"),
        "{text}"
    );
}

#[test]
fn macos_and_windows_channels_work_under_a_root() {
    let e = Endpoint::new();
    e.put(
        "Library/Application Support/Warden/trust-root.json",
        &fixture("trust-root.json"),
    );
    e.put(
        "Library/Managed Preferences/com.warden.agent.plist",
        &fixture("com.warden.agent.plist"),
    );
    e.put(
        "Library/Managed Preferences/com.snowflake.coco.plist",
        &fixture("com.snowflake.coco-drift.plist"),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args([
            "enforce",
            "--system",
            "--format",
            "intune",
            "--now",
            NOW,
            "--platform",
            "macos",
            "--root",
        ])
        .arg(e.root())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "non-compliant: mdm-value-different, mdm-value-missing, mdm-value-unexpected (acme-baseline #7)\n"
    );
    assert_eq!(
        std::fs::read(
            e.root()
                .join("Library/Application Support/Cortex/managed-settings.json")
        )
        .unwrap(),
        fixture("managed-settings-7.json")
    );

    let w = Endpoint::new();
    w.put(
        "Program Files/Warden/trust-root.json",
        &fixture("trust-root.json"),
    );
    w.put("registry.reg", &fixture("registry-drift.reg"));
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args([
            "check",
            "--system",
            "--format",
            "json",
            "--now",
            NOW,
            "--platform",
            "windows",
            "--root",
        ])
        .arg(w.root())
        .arg("--registry-file")
        .arg(w.root().join("registry.reg"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        json["policy"]["source"],
        r"registry HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Warden\Agent"
    );
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "managed-settings-dir-missing",
            "managed-settings-missing",
            "mdm-value-different",
            "mdm-value-unexpected"
        ]
    );
}

#[test]
fn user_mode_loads_the_policy_without_writing_system_state() {
    let e = Endpoint::new();
    e.deliver(&fixture("bundle-7.json"));
    let home = tempfile::tempdir().unwrap();
    let o = e
        .command(&["check", "--user", "--format", "json"])
        .arg("--home")
        .arg(home.path())
        .env("HOME", home.path())
        .env_remove("SNOWFLAKE_HOME")
        .output()
        .unwrap();
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["mode"], "user", "{json}");
    assert_eq!(json["evaluable"], true, "{json}");
    assert_eq!(json["policy"]["serial"], 7);
    assert!(!e.root().join("var/lib/warden").exists());
    // Without a bundle, user mode cannot evaluate either.
    let bare = Endpoint::new();
    let o = bare
        .command(&["check", "--user", "--format", "intune"])
        .arg("--home")
        .arg(home.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "cannot evaluate: no-bundle\n");
}

// --- crash safety and concurrency ---------------------------------------------

fn key(name: &str) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("warden-agent-fixture-key:{name}")).into();
    SigningKey::from_bytes(&seed)
}

/// Managed settings of about 300 KB (five write chunks), distinct per `variant`.
fn large_settings(variant: u8) -> Vec<u8> {
    let rules: Vec<String> = (0..9000)
        .map(|i| format!("\"Bash(tool-{variant}-{i:05}:*)\""))
        .collect();
    format!(
        "{{\n  \"version\": \"1.0\",\n  \"permissions\": {{\n    \"defaultMode\": \"ask\",\n    \"deny\": [{}]\n  }}\n}}\n",
        rules.join(", ")
    )
    .into_bytes()
}

fn large_bundle(serial: u64, settings: &[u8]) -> Vec<u8> {
    let ts = |t: &str| parse_utc(t).unwrap();
    let statement: Statement = warden_trust::PolicyStatement {
        profile_id: "acme-baseline".to_owned(),
        serial,
        issued_at: ts("2026-02-15T00:00:00Z"),
        not_before: ts("2026-02-15T00:00:00Z"),
        expires: ts("2026-03-31T00:00:00Z"),
        trust_root_version: 1,
        manifest: BTreeMap::new(),
        body: PolicyBody {
            cortex: ExpectedCortex::new(settings, BTreeMap::new(), BTreeMap::new()),
            endpoint: EndpointPolicy {
                policy: Policy::default(),
                modes: EndpointModes::default(),
                required_connection: None,
            },
        },
    };
    warden_trust::sign_bundle(&statement.to_json().unwrap(), &[&key("signer-ci")]).to_json()
}

fn temp_files(e: &Endpoint) -> Vec<String> {
    std::fs::read_dir(e.root().join("etc/cortex"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn enforce_killed_at_any_point_leaves_the_old_or_the_new_file() {
    let variants = [large_settings(0), large_settings(1)];
    let e = Endpoint::new();
    e.deliver(&large_bundle(100, &variants[0]));
    assert_eq!(code(&e.run(&["enforce", "--system"])), 0);

    // Time paced runs to spread the kills across a whole run. The fastest of three
    // is the span: a single cold first run would stretch it, and most kills would
    // then land after the run had already finished.
    let mut span = u64::MAX;
    for (serial, variant) in [(101, 1), (102, 0), (103, 1)] {
        e.deliver(&large_bundle(serial, &variants[variant]));
        let started = Instant::now();
        let o = e
            .command(&["enforce", "--system"])
            .env(PACE_ENV, "3")
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        span = span.min(started.elapsed().as_micros() as u64);
    }

    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut killed, mut finished) = (0, 0);
    for i in 0..220u64 {
        let old = e.settings().unwrap();
        let new = &variants[((i + 2) % 2) as usize];
        e.deliver(&large_bundle(104 + i, new));
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_micros(rng % (span + span / 5 + 1));
        let mut child = e
            .command(&["enforce", "--system"])
            .env(PACE_ENV, "3")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
        }
        child.wait().unwrap();
        let now = e.settings().expect("the file never disappears");
        assert!(
            now == old || now == *new,
            "iteration {i}: partial file of {} bytes after a kill at {delay:?}",
            now.len()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(e.settings_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644, "iteration {i}");
    }
    assert!(
        killed >= 100,
        "only {killed} runs were killed mid-way ({finished} finished)"
    );
    // The state always survived intact, and the next run settles everything.
    let o = e.run(&["enforce", "--system"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(e.settings().unwrap(), variants[(221 % 2) as usize]);
    assert!(temp_files(&e).is_empty(), "{:?}", temp_files(&e));
}

#[test]
fn two_enforce_runs_started_at_once_both_finish_with_a_correct_file() {
    let e = Endpoint::new();
    let settings = large_settings(7);
    e.deliver(&large_bundle(300, &settings));
    for _ in 0..5 {
        // A hand edit (or nothing yet) for both runs to repair.
        let _ = std::fs::write(e.settings_path(), b"{\"edited\": true}");
        let spawn = || {
            e.command(&["enforce", "--system", "--format", "intune"])
                .env(PACE_ENV, "2")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(code(&a), 0, "{}", stdout(&a));
        assert_eq!(code(&b), 0, "{}", stdout(&b));
        assert_eq!(e.settings().unwrap(), settings);
        assert!(temp_files(&e).is_empty());
    }
}

// --- the state must be root's ---------------------------------------------------

fn signed(serial: u64, settings: &[u8], signer: &SigningKey, trust_root_version: u64) -> Vec<u8> {
    let ts = |t: &str| parse_utc(t).unwrap();
    let statement: Statement = warden_trust::PolicyStatement {
        profile_id: "acme-baseline".to_owned(),
        serial,
        issued_at: ts("2026-02-15T00:00:00Z"),
        not_before: ts("2026-02-15T00:00:00Z"),
        expires: ts("2029-01-01T00:00:00Z"),
        trust_root_version,
        manifest: BTreeMap::new(),
        body: PolicyBody {
            cortex: ExpectedCortex::new(settings, BTreeMap::new(), BTreeMap::new()),
            endpoint: EndpointPolicy {
                policy: Policy::default(),
                modes: EndpointModes::default(),
                required_connection: None,
            },
        },
    };
    warden_trust::sign_bundle(&statement.to_json().unwrap(), &[signer]).to_json()
}

const EVIL: &[u8] = b"{\n  \"dangerouslyAllowAll\": true\n}\n";

/// What an unprivileged user can do where standard users may create the agent's
/// state directory first: a state that pins the user's own self-signed trust root
/// (version 99) and a last known-good bundle (serial 1000) signed by the user's key.
fn plant_user_state(e: &Endpoint) {
    let far = parse_utc("2030-01-01T00:00:00Z").unwrap();
    let (root_key, signer) = (key("attacker-root"), key("attacker-signer"));
    let mut root =
        warden_trust::TrustRoot::initial(&[root_key.verifying_key()], 1, 1, far).unwrap();
    root.add_signer(signer.verifying_key(), far, None).unwrap();
    root.version = 99;
    let pin = warden_trust::sign_envelope(
        warden_trust::TRUST_ROOT_PAYLOAD_TYPE,
        &root.to_json(),
        &[&root_key],
    );
    let state = serde_json::json!({
        "schema": "warden.agent-state/v1",
        "trust_root_version": 99,
        "trust_root": String::from_utf8(pin.to_json()).unwrap(),
        "profile_id": "acme-baseline",
        "serial": 1000,
        "last_known_good": String::from_utf8(signed(1000, EVIL, &signer, 99)).unwrap(),
        "last_known_good_source": "file planted",
        "trusted_time": NOW,
    });
    e.put(
        "var/lib/warden/state.json",
        &serde_json::to_vec_pretty(&state).unwrap(),
    );
    let dir = e.root().join("var/lib/warden");
    if euid_is_root(e) {
        // The user owns the directory and the file.
        let nobody = Some(65534);
        std::os::unix::fs::chown(&dir, nobody, nobody).unwrap();
        std::os::unix::fs::chown(dir.join("state.json"), nobody, nobody).unwrap();
    } else {
        // Without root, a directory anyone may write stands in for it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
}

fn euid_is_root(e: &Endpoint) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(e.root()).unwrap().uid() == 0
}

fn finding_codes(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn state_untrusted_a_user_planted_state_never_reaches_cortex_code() {
    let e = Endpoint::new();
    plant_user_state(&e);
    e.deliver(&fixture("bundle-7.json"));
    let o = e.run(&["enforce", "--system", "--format", "json"]);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let settings = e.settings().unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&settings).contains("dangerouslyAllowAll"),
        "root wrote the attacker's settings: {json}"
    );
    assert_eq!(settings, fixture("managed-settings-7.json"), "{json}");
    assert!(
        finding_codes(&json).contains(&"state-untrusted".to_owned()),
        "{json}"
    );
    assert_eq!(json["policy"]["serial"], 7, "{json}");
    // The state is the agent's again: the next run is clean.
    let o = e.run(&["enforce", "--system", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = e.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(status["trust_root_version"], 1);
    assert_eq!(status["serial"], 7);
}

#[test]
fn lock_timeout_a_held_lock_ends_in_a_finding_not_a_hang() {
    let e = applied();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(e.root().join("var/lib/warden/lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = e
        .command(&["enforce", "--system", "--format", "intune"])
        .env(LOCK_WAIT_ENV, "300")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("enforce still waits for the lock after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(stdout(&o), "cannot evaluate: lock-timeout\n");
    drop(lock);
    assert_eq!(code(&e.run(&["enforce", "--system"])), 0);
}

const LOCK_WAIT_ENV: &str = "WARDEN_AGENT_TEST_LOCK_WAIT_MS";

// --- trusted time -----------------------------------------------------------------

#[test]
fn trusted_time_now_jumping_forward_and_back_does_not_freeze_updates() {
    let e = applied();
    let at = |now: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_warden-agent"))
            .args(args)
            .arg("--root")
            .arg(e.root())
            .args(["--now", now, "--platform", "linux"])
            .output()
            .unwrap()
    };
    let o = at("2027-02-01T00:00:00Z", &["enforce", "--system"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let status: Value =
        serde_json::from_str(&stdout(&at(NOW, &["status", "--format", "json"]))).unwrap();
    assert_eq!(status["trusted_time"], "2026-02-15T00:00:00Z", "{status}");
    e.deliver(&fixture("bundle-8.json"));
    let o = at(NOW, &["enforce", "--system", "--format", "intune"]);
    assert_eq!(stdout(&o), "compliant (acme-baseline #8)\n");
    assert_eq!(e.settings().unwrap(), fixture("managed-settings-8.json"));
}

// --- test-only options ------------------------------------------------------------

#[test]
fn test_options_are_refused_on_the_real_system_paths() {
    // `check` first: it writes nothing even where the refusal is missing.
    for command in ["check", "enforce"] {
        for root in ["/", "/etc", "/var", "/var/lib", "/etc/../"] {
            for extra in [&["--now", NOW][..], &["--platform", "linux"][..], &[][..]] {
                refused(command, root, extra);
            }
        }
    }
    // The pacing knob is refused there too, and check and status the same way.
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args(["check", "--system", "--format", "intune", "--root", "/"])
        .env(PACE_ENV, "5")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "cannot evaluate: invalid-argument\n");
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args(["status", "--format", "intune", "--root", "/"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    // A root that is a link to `/` is the same root.
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("slash");
    std::os::unix::fs::symlink("/", &link).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args([
            "enforce", "--system", "--format", "intune", "--now", NOW, "--root",
        ])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "cannot evaluate: invalid-argument\n");
}

fn refused(command: &str, root: &str, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
        .args([command, "--system", "--format", "intune", "--root", root])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        code(&o),
        2,
        "{command} --root {root} {extra:?}: {}",
        stdout(&o)
    );
    assert_eq!(
        stdout(&o),
        "cannot evaluate: invalid-argument\n",
        "{command} --root {root} {extra:?}"
    );
}

#[test]
fn user_mode_reports_an_expired_policy_as_system_mode_does() {
    let e = applied();
    let home = tempfile::tempdir().unwrap();
    // bundle-7 expires 2026-03-31; both modes run after that.
    let at = |mode: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_warden-agent"))
            .args(["check", mode, "--format", "json", "--platform", "linux"])
            .arg("--root")
            .arg(e.root())
            .args(["--now", "2026-04-15T00:00:00Z"])
            .arg("--home")
            .arg(home.path())
            .env("HOME", home.path())
            .env_remove("SNOWFLAKE_HOME")
            .env_remove(PACE_ENV)
            .output()
            .unwrap();
        let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let expiry: Vec<(String, String)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().contains("expired"))
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (code(&o), json["compliant"].clone(), expiry)
    };
    let system = at("--system");
    assert_eq!(system.0, 1, "{system:?}");
    assert!(!system.2.is_empty(), "{system:?}");
    assert_eq!(at("--user"), system);
}

#[test]
fn under_umask_077_the_cortex_directory_and_file_stay_readable_by_users() {
    use std::os::unix::fs::PermissionsExt;
    let e = Endpoint::new();
    e.deliver(&fixture("bundle-7.json"));
    let under_umask = |args: &[&str]| {
        let o = Command::new("sh")
            .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_warden-agent"))
            .args(args)
            .arg("--root")
            .arg(e.root())
            .args(["--now", NOW, "--platform", "linux"])
            .env_remove(PACE_ENV)
            .output()
            .unwrap();
        (code(&o), stdout(&o))
    };
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let (c, out) = under_umask(&["enforce", "--system"]);
    assert_eq!(c, 0, "{out}");
    let dir = e.root().join("etc/cortex");
    assert_eq!(mode(&dir), 0o755, "directory mode despite the umask");
    assert_eq!(
        mode(&e.settings_path()),
        0o644,
        "file mode despite the umask"
    );
    assert_eq!(
        under_umask(&["check", "--system", "--format", "intune"]),
        (0, "compliant (acme-baseline #7)\n".to_owned())
    );

    // check names a directory or file that users cannot read.
    let chmod =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    chmod(&dir, 0o700);
    let (c, out) = under_umask(&["check", "--system", "--format", "intune"]);
    assert_eq!(
        (c, out.as_str()),
        (
            1,
            "non-compliant: managed-settings-users-cannot-read (acme-baseline #7)\n"
        )
    );
    chmod(&dir, 0o755);
    chmod(&e.settings_path(), 0o600);
    let (c, out) = under_umask(&["check", "--system", "--format", "intune"]);
    assert_eq!(
        (c, out.as_str()),
        (
            1,
            "non-compliant: managed-settings-users-cannot-read (acme-baseline #7)\n"
        )
    );
    chmod(&dir, 0o711);
    let (c, out) = under_umask(&["enforce", "--system"]);
    assert_eq!(c, 0, "{out}");
    assert_eq!((mode(&dir), mode(&e.settings_path())), (0o755, 0o644));
}
