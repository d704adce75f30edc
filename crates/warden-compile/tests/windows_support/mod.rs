//! Helpers shared by the Windows delivery tests: example profiles, a realistic
//! bundle, and a reader for the values the generated PowerShell scripts embed.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use warden_compile::windows::cortex_registry_values;
use warden_compile::{Artifact, CompileError, DeliveryBackend, WindowsBackend};
use warden_profile::ResolvedProfile;
use warden_registry::known::{cortex_code, warden_agent};
use warden_registry::{Hive, KeyPath, RegValue};

#[path = "../common/mod.rs"]
mod common;
pub use common::load;

pub fn examples() -> Vec<PathBuf> {
    let dir = warden_testkit::repo_root().join("profiles/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "examples missing in {}", dir.display());
    files
}

/// A DSSE envelope of a few KB on one line, with `"`, `\`, `'`, `$(…)` and
/// non-ASCII text in a string so every quoting layer is exercised.
pub fn fake_bundle(serial: u64) -> Vec<u8> {
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","serial":{serial},"expected":{{"note":"{}"}}}}"#,
        "x".repeat(2500)
    );
    let payload = base64::engine::general_purpose::STANDARD.encode(statement);
    let sig = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    format!(
        r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{payload}","signatures":[{{"keyid":"sha256:{}","sig":"{sig}"}}],"comment":"C:\\Program Files\\Warden \"it's\" $(whoami) `n über’s 😀"}}"#,
        "ab".repeat(32)
    )
    .into_bytes()
}

/// Compiles `profile` and runs the Windows backend with `bundle`.
pub fn windows_artifacts(
    profile: &ResolvedProfile,
    bundle: &[u8],
) -> Result<BTreeMap<String, Vec<u8>>, CompileError> {
    let out = warden_compile::compile(profile)?;
    let files: Vec<Artifact> = WindowsBackend.artifacts(out.context(), bundle)?;
    Ok(files.into_iter().map(|a| (a.path, a.bytes)).collect())
}

pub fn cortex_key() -> KeyPath {
    KeyPath::new(cortex_code::HIVE, cortex_code::KEY).unwrap()
}

pub fn agent_key() -> KeyPath {
    KeyPath::new(warden_agent::HIVE, warden_agent::KEY).unwrap()
}

/// What each key must hold after delivery.
pub fn intended(
    profile: &ResolvedProfile,
    bundle: &str,
) -> Vec<(KeyPath, BTreeMap<String, RegValue>)> {
    let out = warden_compile::compile(profile).unwrap();
    let cortex = cortex_registry_values(&out.context().mdm)
        .into_iter()
        .collect();
    let agent = BTreeMap::from([
        ("PolicyBundle".to_owned(), RegValue::Sz(bundle.to_owned())),
        (
            "PolicySerial".to_owned(),
            RegValue::Dword(u32::try_from(profile.identity.serial).unwrap()),
        ),
    ]);
    vec![(cortex_key(), cortex), (agent_key(), agent)]
}

pub fn hklm(path: &str) -> KeyPath {
    KeyPath::new(Hive::LocalMachine, path).unwrap()
}

/// One `$Policy` row of a generated script: key, name, kind and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptValue {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub data: ScriptData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptData {
    Int(i64),
    Str(String),
}

/// Reads the `$Policy = @( … )` table of a generated script, evaluating each
/// field with PowerShell's rules for the forms the generator uses: single-quoted
/// strings (`''` is a quote, everything else literal), `[char]0xNNNN`,
/// parenthesised `+` concatenation, and integer literals.
pub fn script_values(text: &str) -> Vec<ScriptValue> {
    let start = text
        .find("$Policy = @(\r\n")
        .expect("the script has a $Policy table");
    let body = &text[start + "$Policy = @(\r\n".len()..];
    let end = body.find("\r\n)\r\n").expect("the $Policy table is closed");
    body[..end]
        .split("\r\n")
        .map(|line| {
            let mut p = Parser {
                s: line.trim().as_bytes(),
                i: 0,
            };
            p.expect("@{ Key = ");
            let key = p.string();
            p.expect("; Name = ");
            let name = p.string();
            p.expect("; Kind = ");
            let kind = p.string();
            p.expect("; Data = ");
            let data = if p.peek().is_ascii_digit() || p.peek() == b'-' {
                ScriptData::Int(p.int())
            } else {
                ScriptData::Str(p.string())
            };
            p.expect(" }");
            assert_eq!(p.i, p.s.len(), "trailing text in {line}");
            ScriptValue {
                key,
                name,
                kind,
                data,
            }
        })
        .collect()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.s[self.i]
    }

    fn expect(&mut self, lit: &str) {
        assert!(
            self.s[self.i..].starts_with(lit.as_bytes()),
            "expected `{lit}` at {} in {}",
            self.i,
            String::from_utf8_lossy(self.s)
        );
        self.i += lit.len();
    }

    fn int(&mut self) -> i64 {
        let start = self.i;
        if self.peek() == b'-' {
            self.i += 1;
        }
        while self.peek().is_ascii_digit() {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .parse()
            .unwrap()
    }

    /// A string-valued expression.
    fn string(&mut self) -> String {
        let mut units: Vec<u16> = Vec::new();
        if self.peek() == b'(' {
            self.i += 1;
            loop {
                self.term(&mut units);
                if self.peek() == b')' {
                    self.i += 1;
                    break;
                }
                self.expect(" + ");
            }
        } else {
            self.term(&mut units);
        }
        String::from_utf16(&units).unwrap()
    }

    fn term(&mut self, units: &mut Vec<u16>) {
        if self.peek() == b'\'' {
            self.i += 1;
            let mut text = String::new();
            loop {
                let c = self.peek();
                self.i += 1;
                if c == b'\'' {
                    if self.i < self.s.len() && self.peek() == b'\'' {
                        self.i += 1;
                        text.push('\'');
                    } else {
                        break;
                    }
                } else {
                    assert!(c.is_ascii() && !c.is_ascii_control(), "raw byte {c:#x}");
                    text.push(c as char);
                }
            }
            units.extend(text.encode_utf16());
        } else {
            self.expect("[char]0x");
            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
            units.push(u16::from_str_radix(hex, 16).unwrap());
            self.i += 4;
        }
    }
}
