//! Deterministic system-mode fixtures: keys from fixed seeds, trust chains, signed
//! bundles, managed-preferences plists and `.reg` files. `system_fixtures.rs` writes
//! them to `tests/fixtures/agent/system/` (and checks they are current); the other
//! tests use them directly.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use warden_agent_core::acl::PosixModes;
use warden_agent_core::paths::{Paths, Platform};
use warden_agent_core::report::Report;
use warden_agent_core::system::{self, SystemOptions};
use warden_bundle::{
    EndpointPolicy, ExpectedCortex, PolicyBody, PreferenceValue, RegistryValue, Statement,
};
use warden_policy::{EndpointModes, Policy};
use warden_registry::value::{Hive, KeyPath, RegValue};
use warden_registry::{PolicyRegistry, RegTree};
use warden_trust::keys::SigningKey;
use warden_trust::time::parse_utc;
use warden_trust::{Timestamp, TrustChain, TrustRoot, sign_bundle};

/// The time fixtures are judged at.
pub const NOW: &str = "2026-03-01T00:00:00Z";

pub fn ts(text: &str) -> Timestamp {
    parse_utc(text).unwrap()
}

pub fn now() -> Timestamp {
    ts(NOW)
}

/// A fixture key: its seed is SHA-256 of `warden-agent-fixture-key:<name>`.
pub fn key(name: &str) -> SigningKey {
    let seed: [u8; 32] = Sha256::digest(format!("warden-agent-fixture-key:{name}")).into();
    SigningKey::from_bytes(&seed)
}

fn keys(names: &[&str]) -> Vec<SigningKey> {
    names.iter().map(|n| key(n)).collect()
}

fn v1() -> TrustRoot {
    let roots: Vec<_> = ["root-1", "root-2", "root-3"]
        .iter()
        .map(|n| key(n).verifying_key())
        .collect();
    let mut root = TrustRoot::initial(&roots, 2, 1, ts("2027-01-01T00:00:00Z")).unwrap();
    let far = ts("2030-01-01T00:00:00Z");
    root.add_signer(key("signer-ci").verifying_key(), far, None)
        .unwrap();
    root.add_signer(key("signer-compromised").verifying_key(), far, None)
        .unwrap();
    root
}

/// Version 1: root keys 1–3 (threshold 2), signers `signer-ci` and `signer-compromised`.
pub fn trust_chain_v1() -> TrustChain {
    let k = keys(&["root-1", "root-2"]);
    let refs: Vec<&SigningKey> = k.iter().collect();
    TrustChain::create(&v1(), &refs, ts("2025-06-01T00:00:00Z")).unwrap()
}

/// Versions 1 and 2; version 2 revokes `signer-compromised`.
pub fn trust_chain_v2() -> TrustChain {
    let mut chain = trust_chain_v1();
    let mut next = v1().next_version();
    next.revoke(&warden_trust::KeyId::of(
        &key("signer-compromised").verifying_key(),
    ))
    .unwrap();
    let k = keys(&["root-1", "root-2"]);
    let refs: Vec<&SigningKey> = k.iter().collect();
    chain
        .extend(&next, &refs, ts("2025-06-01T00:00:00Z"))
        .unwrap();
    chain
}

/// The managed settings a bundle of `serial` carries.
pub fn managed_settings(serial: u64) -> Vec<u8> {
    format!(
        "{{\n  \"version\": \"1.0\",\n  \"permissions\": {{\n    \"defaultMode\": \"ask\",\n    \"deny\": [\"Bash(curl:*)\", \"serial-{serial}\"]\n  }}\n}}\n"
    )
    .into_bytes()
}

/// What Cortex Code's macOS domain must hold.
pub fn expected_macos() -> BTreeMap<String, PreferenceValue> {
    BTreeMap::from([
        (
            "CortexAllowedAccounts".to_owned(),
            PreferenceValue::StringList(vec!["acme-*".to_owned()]),
        ),
        ("CortexEnabled".to_owned(), PreferenceValue::Bool(true)),
        (
            "CortexMinimumVersion".to_owned(),
            PreferenceValue::String("1.2.0".to_owned()),
        ),
    ])
}

/// What Cortex Code's Windows policy key must hold.
pub fn expected_windows() -> BTreeMap<String, RegistryValue> {
    BTreeMap::from([
        ("CortexEnabled".to_owned(), RegistryValue::Dword(1)),
        (
            "CortexMinimumVersion".to_owned(),
            RegistryValue::Sz("1.2.0".to_owned()),
        ),
    ])
}

pub fn statement(serial: u64, settings: &[u8], not_before: &str, expires: &str) -> Statement {
    warden_trust::PolicyStatement {
        profile_id: "acme-baseline".to_owned(),
        serial,
        issued_at: ts(not_before),
        not_before: ts(not_before),
        expires: ts(expires),
        trust_root_version: 1,
        manifest: BTreeMap::new(),
        body: PolicyBody {
            cortex: ExpectedCortex::new(settings, expected_macos(), expected_windows()),
            endpoint: EndpointPolicy {
                policy: Policy::default(),
                modes: EndpointModes::default(),
                required_connection: None,
            },
        },
    }
}

pub fn sign(statement: &Statement, signers: &[&str]) -> Vec<u8> {
    let k = keys(signers);
    let refs: Vec<&SigningKey> = k.iter().collect();
    sign_bundle(&statement.to_json().unwrap(), &refs).to_json()
}

/// A valid bundle (signer-ci, valid 2026-02-15 to 2026-03-31).
pub fn bundle(serial: u64) -> Vec<u8> {
    sign(
        &statement(
            serial,
            &managed_settings(serial),
            "2026-02-15T00:00:00Z",
            "2026-03-31T00:00:00Z",
        ),
        &["signer-ci"],
    )
}

/// `bundle(serial)` with one character of the base64 payload changed.
pub fn tampered(serial: u64) -> Vec<u8> {
    let mut bytes = bundle(serial);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let start = text.find("\"payload\": \"").unwrap() + "\"payload\": \"".len();
    let at = start + 200;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    bytes
}

/// Every fixture file, by name.
pub fn fixtures() -> BTreeMap<&'static str, Vec<u8>> {
    let serial_9 = |signers: &[&str]| {
        sign(
            &statement(
                9,
                &managed_settings(9),
                "2026-02-15T00:00:00Z",
                "2026-03-31T00:00:00Z",
            ),
            signers,
        )
    };
    let mut out = BTreeMap::new();
    out.insert("trust-root.json", trust_chain_v1().to_json());
    out.insert("trust-root-v2.json", trust_chain_v2().to_json());
    out.insert("bundle-6.json", bundle(6));
    out.insert("bundle-7.json", bundle(7));
    out.insert("bundle-8.json", bundle(8));
    out.insert("bundle-8-tampered.json", tampered(8));
    out.insert("bundle-9-unknown-key.json", serial_9(&["signer-rogue"]));
    out.insert(
        "bundle-9-revoked-key.json",
        serial_9(&["signer-compromised"]),
    );
    out.insert(
        "bundle-9-expired.json",
        sign(
            &statement(
                9,
                &managed_settings(9),
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00Z",
            ),
            &["signer-ci"],
        ),
    );
    out.insert("managed-settings-7.json", managed_settings(7));
    out.insert("managed-settings-8.json", managed_settings(8));
    out.insert("com.warden.agent.plist", agent_plist(&bundle(7), 7));
    out.insert("com.snowflake.coco.plist", coco_plist(false));
    out.insert("com.snowflake.coco-drift.plist", coco_plist(true));
    out.insert("registry.reg", registry_reg(&bundle(7), false));
    out.insert("registry-drift.reg", registry_reg(&bundle(7), true));
    out
}

fn xml(dict: plist::Dictionary) -> Vec<u8> {
    let mut out = Vec::new();
    plist::Value::Dictionary(dict)
        .to_writer_xml(&mut out)
        .unwrap();
    out.push(b'\n');
    out
}

/// The agent's managed preferences as macOS writes them (with bookkeeping keys).
pub fn agent_plist(bundle: &[u8], serial: u64) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert(
        "PayloadUUID".into(),
        "6F1D3C6B-0000-5000-8000-000000000001".into(),
    );
    d.insert(
        "PolicyBundle".into(),
        String::from_utf8(bundle.to_vec()).unwrap().into(),
    );
    d.insert(
        "PolicySerial".into(),
        plist::Value::Integer((serial as i64).into()),
    );
    xml(d)
}

/// Cortex Code's managed preferences: as signed, or with three kinds of drift.
pub fn coco_plist(drift: bool) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert(
        "PayloadUUID".into(),
        "6F1D3C6B-0000-5000-8000-000000000002".into(),
    );
    d.insert("CortexEnabled".into(), plist::Value::Boolean(!drift));
    if !drift {
        d.insert(
            "CortexAllowedAccounts".into(),
            plist::Value::Array(vec!["acme-*".into()]),
        );
    } else {
        d.insert(
            "CortexAllowedAuthMethods".into(),
            plist::Value::Array(vec!["PAT".into()]),
        );
    }
    d.insert("CortexMinimumVersion".into(), "1.2.0".into());
    xml(d)
}

/// HKLM with the agent's key (bundle on one line) and Cortex Code's key.
pub fn registry_reg(bundle: &[u8], drift: bool) -> Vec<u8> {
    let compact: serde_json::Value = serde_json::from_slice(bundle).unwrap();
    let mut tree = RegTree::new();
    let agent = KeyPath::new(Hive::LocalMachine, r"SOFTWARE\Policies\Warden\Agent").unwrap();
    tree.set(&agent, "PolicyBundle", RegValue::Sz(compact.to_string()));
    tree.set(&agent, "PolicySerial", RegValue::Dword(7));
    let coco = KeyPath::new(
        Hive::LocalMachine,
        r"Software\Policies\Microsoft\CortexCode",
    )
    .unwrap();
    tree.set(&coco, "CortexEnabled", RegValue::Dword(1));
    if drift {
        tree.set(&coco, "CortexMinimumVersion", RegValue::Sz("1.0.0".into()));
        tree.set(
            &coco,
            "CortexManagedSettingsBase64Enabled",
            RegValue::Dword(0),
        );
    } else {
        tree.set(&coco, "CortexMinimumVersion", RegValue::Sz("1.2.0".into()));
    }
    tree.to_reg_file().to_bytes().unwrap()
}

/// The committed fixture directory.
pub fn fixture_dir() -> PathBuf {
    warden_testkit::repo_root().join("tests/fixtures/agent/system")
}

/// A relocated endpoint in a temporary directory.
pub struct Endpoint {
    pub dir: tempfile::TempDir,
    pub paths: Paths,
    pub registry: Option<warden_registry::RegFileRegistry>,
}

impl Endpoint {
    pub fn new(platform: Platform) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::system(platform, Some(dir.path()));
        let endpoint = Self {
            dir,
            paths,
            registry: None,
        };
        endpoint.install(
            &endpoint.paths.trust_root.clone(),
            &trust_chain_v1().to_json(),
        );
        endpoint
    }

    pub fn linux() -> Self {
        Self::new(Platform::Linux)
    }

    /// Write `bytes` at `path`, creating parents.
    pub fn install(&self, path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn deliver(&self, bundle: &[u8]) {
        self.install(&self.paths.bundle_file, bundle);
    }

    pub fn uid(&self) -> u32 {
        rustix::process::geteuid().as_raw()
    }

    fn options(&self, at: Timestamp) -> SystemOptions<'_> {
        SystemOptions {
            paths: self.paths.clone(),
            clock: at,
            owner_uid: self.uid(),
            registry: self.registry.as_ref().map(|r| r as &dyn PolicyRegistry),
            acl: &PosixModes,
            pace: None,
            lock_wait: warden_agent_core::lock::DEFAULT_WAIT,
        }
    }

    pub fn enforce_at(&self, at: &str) -> Report {
        system::enforce(&self.options(ts(at)))
    }

    pub fn enforce(&self) -> Report {
        self.enforce_at(NOW)
    }

    pub fn check_at(&self, at: &str) -> Report {
        system::check(&self.options(ts(at)))
    }

    pub fn check(&self) -> Report {
        self.check_at(NOW)
    }

    pub fn settings(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.paths.managed_settings).ok()
    }

    pub fn mode(&self, path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }
}

/// The finding codes of a report, in order.
pub fn codes(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.code.as_str()).collect()
}

/// Codes of errors still open.
pub fn open_codes(report: &Report) -> Vec<&str> {
    report
        .findings
        .iter()
        .filter(|f| f.is_open_error())
        .map(|f| f.code.as_str())
        .collect()
}

pub fn no_set() -> BTreeSet<String> {
    BTreeSet::new()
}
