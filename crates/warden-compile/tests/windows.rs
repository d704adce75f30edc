//! The Windows delivery backend over every example profile: which files, their
//! determinism, and what the registry files, scripts and README hold.

mod windows_support;

use std::collections::BTreeMap;

use warden_compile::windows::{MAX_POL_BUNDLE_UNITS, WindowsError, cortex_registry_values};
use warden_compile::{CompileError, Context, DeliveryBackend, MdmKey, MdmValue, WindowsBackend};
use warden_registry::{RegFile, RegTree, RegValue, read_pol};
use windows_support::{
    ScriptData, agent_key, cortex_key, examples, fake_bundle, intended, load, script_values,
    windows_artifacts,
};

const SCRIPTS: [&str; 3] = [
    "windows/intune/detect.ps1",
    "windows/intune/remediate.ps1",
    "windows/intune/install.ps1",
];

#[test]
fn every_example_yields_the_same_files_twice() {
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let first = windows_artifacts(&p, &bundle).unwrap();
        let second = windows_artifacts(&p, &bundle).unwrap();
        assert_eq!(first, second, "{}", path.display());
        let names: Vec<&str> = first.keys().map(String::as_str).collect();
        let reg = format!("windows/{}.reg", p.identity.id);
        let mut expected = vec![
            "windows/CortexCode.admx",
            "windows/README.md",
            "windows/Registry.pol",
            "windows/WardenAgent.admx",
            "windows/en-US/CortexCode.adml",
            "windows/en-US/WardenAgent.adml",
            "windows/intune/detect.ps1",
            "windows/intune/install.ps1",
            "windows/intune/remediate.ps1",
            reg.as_str(),
        ];
        expected.sort_unstable();
        assert_eq!(names, expected, "{}", path.display());
    }
}

#[test]
fn reg_file_replaces_both_keys_with_the_intended_values() {
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let bytes = &files[&format!("windows/{}.reg", p.identity.id)];
        assert!(bytes.starts_with(&[0xFF, 0xFE]), "UTF-16LE with BOM");
        let reg = RegFile::parse(bytes).unwrap();

        // A machine with values from an older policy: importing leaves none of them.
        let mut machine = RegTree::new();
        machine.set(
            &cortex_key(),
            "CortexManagedSettingsBase64",
            RegValue::Sz("e30=".into()),
        );
        machine.set(
            &cortex_key(),
            "CortexMinimumVersion",
            RegValue::Sz("0.1".into()),
        );
        machine.set(&agent_key(), "Stale", RegValue::Dword(9));
        machine.apply(&reg);

        let want = intended(&p, std::str::from_utf8(&bundle).unwrap());
        for (key, values) in &want {
            assert_eq!(
                machine.values(key).as_ref(),
                Some(values),
                "{}: {key}",
                path.display()
            );
        }
        assert_eq!(machine.keys().count(), want.len());
    }
}

#[test]
fn registry_pol_holds_the_same_values() {
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let entries = read_pol(&files["windows/Registry.pol"]).unwrap();
        let got: BTreeMap<(String, String), RegValue> = entries
            .into_iter()
            .map(|e| ((e.key, e.value_name), e.value))
            .collect();
        let want: BTreeMap<(String, String), RegValue> =
            intended(&p, std::str::from_utf8(&bundle).unwrap())
                .into_iter()
                .flat_map(|(key, values)| {
                    values
                        .into_iter()
                        .map(move |(name, v)| ((key.path().to_owned(), name), v))
                })
                .collect();
        assert_eq!(got, want, "{}", path.display());
    }
}

#[test]
fn cortex_values_follow_the_mdm_values() {
    for path in examples() {
        let p = load(&path);
        let out = warden_compile::compile(&p).unwrap();
        let mdm = &out.context().mdm;
        let values = cortex_registry_values(mdm);
        let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        let expected: Vec<&str> = mdm.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, expected, "{}", path.display());
        assert!(names.contains(&"CortexManagedSettingsBase64"));
        for ((key, mdm_value), (_, reg)) in mdm.iter().zip(&values) {
            match (mdm_value, reg) {
                (MdmValue::Bool(b), RegValue::Dword(n)) => assert_eq!(*n, u32::from(*b)),
                (MdmValue::String(s), RegValue::Sz(r)) => assert_eq!(s, r, "{key:?}"),
                (MdmValue::StringList(list), RegValue::Sz(r)) => {
                    assert!(!r.contains(' '), "compact JSON: {r}");
                    assert_eq!(&serde_json::from_str::<Vec<String>>(r).unwrap(), list);
                }
                other => panic!("{key:?}: unexpected pair {other:?}"),
            }
        }
    }
    // The profile setting every version key, enabled and the per-account object.
    let sso = load(&warden_testkit::repo_root().join("profiles/examples/sso-only.toml"));
    let out = warden_compile::compile(&sso).unwrap();
    let values: BTreeMap<String, RegValue> = cortex_registry_values(&out.context().mdm)
        .into_iter()
        .collect();
    assert_eq!(values["CortexEnabled"], RegValue::Dword(1));
    assert_eq!(
        values["CortexDesktopMinimumVersion"],
        RegValue::Sz("1.21.6".into())
    );
    let base = load(&warden_testkit::repo_root().join("profiles/examples/org-baseline.toml"));
    let out = warden_compile::compile(&base).unwrap();
    let MdmValue::String(by_account) = out
        .context()
        .mdm
        .get(MdmKey::AllowedAuthMethodsByAccount)
        .unwrap()
    else {
        panic!("per-account methods are a JSON string")
    };
    let values: BTreeMap<String, RegValue> = cortex_registry_values(&out.context().mdm)
        .into_iter()
        .collect();
    assert_eq!(
        values["CortexAllowedAuthMethodsByAccount"],
        RegValue::Sz(by_account.clone())
    );
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn scripts_are_ascii_crlf_and_strict() {
    let p = load(&examples()[0]);
    let files = windows_artifacts(&p, &fake_bundle(p.identity.serial)).unwrap();
    for name in SCRIPTS {
        let bytes = &files[name];
        assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "{name}: no BOM");
        assert!(
            bytes
                .iter()
                .all(|b| b.is_ascii() && (*b >= 0x20 || *b == b'\r' || *b == b'\n')),
            "{name}: printable ASCII only"
        );
        let t = text(bytes);
        assert_eq!(
            t.matches('\n').count(),
            t.matches("\r\n").count(),
            "{name}: CRLF line ends"
        );
        for needle in [
            "Set-StrictMode -Version Latest\r\n",
            "$ErrorActionPreference = 'Stop'\r\n",
            r"$native = Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe'",
            "[Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess",
            "[Microsoft.Win32.RegistryView]::Registry64",
            r"$Agent = Join-Path $env:ProgramFiles 'Warden\warden-agent.exe'",
        ] {
            assert!(t.contains(needle), "{name} lacks {needle}");
        }
        assert!(
            t.find("Set-StrictMode").unwrap() < t.find("sysnative").unwrap(),
            "{name}: strict before anything runs"
        );
    }
    let detect = text(&files["windows/intune/detect.ps1"]);
    assert!(detect.contains("& $Agent check --format intune"));
    assert!(!detect.contains("SetValue"), "detection never writes");
    for name in ["windows/intune/remediate.ps1", "windows/intune/install.ps1"] {
        let t = text(&files[name]);
        assert!(t.contains("& $Agent enforce --system"), "{name}");
        assert!(t.contains("Write-WardenPolicy\r\n"), "{name}");
    }
}

#[test]
fn scripts_embed_exactly_the_policy_values() {
    for path in examples() {
        let p = load(&path);
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let want: Vec<(String, String, String, ScriptData)> =
            intended(&p, std::str::from_utf8(&bundle).unwrap())
                .into_iter()
                .flat_map(|(key, values)| {
                    values.into_iter().map(move |(name, v)| {
                        let (kind, data) = match v {
                            RegValue::Dword(n) => ("DWord", ScriptData::Int(i64::from(n as i32))),
                            RegValue::Sz(s) => ("String", ScriptData::Str(s)),
                            other => panic!("unexpected {other:?}"),
                        };
                        (key.path().to_owned(), name, kind.to_owned(), data)
                    })
                })
                .collect();
        for name in SCRIPTS {
            let mut got: Vec<(String, String, String, ScriptData)> =
                script_values(text(&files[name]))
                    .into_iter()
                    .map(|v| (v.key, v.name, v.kind, v.data))
                    .collect();
            got.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            let mut want = want.clone();
            want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            assert_eq!(got, want, "{}: {name}", path.display());
        }
    }
}

#[test]
fn quotes_and_subexpressions_round_trip_through_the_scripts() {
    let p = load(&examples()[0]);
    let tricky = r#"{"a":"it's '' $(Remove-Item C:\\ -Recurse) `$x ${env:PATH} @' ’‘ ü"}"#;
    let files = windows_artifacts(&p, tricky.as_bytes()).unwrap();
    for name in SCRIPTS {
        let values = script_values(text(&files[name]));
        let bundle = values.iter().find(|v| v.name == "PolicyBundle").unwrap();
        assert_eq!(bundle.data, ScriptData::Str(tricky.to_owned()), "{name}");
        // The `$(…)` sits inside a single-quoted run, never a double-quoted one.
        assert!(!text(&files[name]).contains("\"$("), "{name}");
    }
}

#[test]
fn readme_explains_routes_with_this_compiles_sizes() {
    let p = load(&examples()[0]);
    let bundle = fake_bundle(p.identity.serial);
    let files = windows_artifacts(&p, &bundle).unwrap();
    let readme = text(&files["windows/README.md"]);
    let reg = format!("windows/{}.reg", p.identity.id);
    for needle in [
        format!("| `{}.reg` | {} bytes |", p.identity.id, files[&reg].len()),
        format!(
            "| `Registry.pol` | {} bytes |",
            files["windows/Registry.pol"].len()
        ),
        format!(
            "| `intune/remediate.ps1` | {} bytes |",
            files["windows/intune/remediate.ps1"].len()
        ),
        format!(
            "{} characters, {} bytes as REG_SZ",
            bundle.len() - "über’s 😀".len() + "über’s 😀".encode_utf16().count(),
            (std::str::from_utf8(&bundle).unwrap().encode_utf16().count() + 1) * 2
        ),
        "Remediations".to_owned(),
        "1023-character".to_owned(),
        "Software\\Policies\\Microsoft".to_owned(),
    ] {
        assert!(readme.contains(&needle), "README lacks {needle}:\n{readme}");
    }
}

fn windows_error(err: CompileError) -> WindowsError {
    match err {
        CompileError::Backend { backend, source } => {
            assert_eq!(backend, "windows");
            *source.downcast::<WindowsError>().unwrap()
        }
        other => panic!("not a backend error: {other}"),
    }
}

#[test]
fn refuses_what_the_registry_cannot_carry() {
    let p = load(&examples()[0]);
    let err = windows_error(windows_artifacts(&p, b"{\"a\":\"\xFF\"}").unwrap_err());
    assert!(matches!(err, WindowsError::BundleNotUtf8), "{err}");
    let err = windows_error(windows_artifacts(&p, b"not json\n").unwrap_err());
    assert!(matches!(err, WindowsError::BundleNotJson), "{err}");
    let err = windows_error(windows_artifacts(&p, b"").unwrap_err());
    assert!(matches!(err, WindowsError::BundleNotJson), "{err}");

    let huge = format!(r#"{{"payload":"{}"}}"#, "A".repeat(MAX_POL_BUNDLE_UNITS));
    // Too long for one Registry.pol record: that file carries Cortex Code's values
    // only, the other routes carry everything, and the README says so.
    let files = windows_artifacts(&p, huge.as_bytes()).unwrap();
    let pol = read_pol(&files["windows/Registry.pol"]).unwrap();
    assert!(pol.iter().all(|e| e.key == cortex_key().path()), "{pol:?}");
    assert!(
        pol.iter()
            .any(|e| e.value_name == "CortexManagedSettingsBase64")
    );
    let readme = text(&files["windows/README.md"]);
    assert!(
        readme.contains("carries Cortex Code's values only"),
        "{readme}"
    );
    let reg = RegFile::parse(&files[&format!("windows/{}.reg", p.identity.id)]).unwrap();
    let mut tree = RegTree::new();
    tree.apply(&reg);
    assert_eq!(
        tree.values(&agent_key()).unwrap()["PolicyBundle"],
        RegValue::Sz(huge.clone())
    );
    // The largest bundle a record can carry still fits.
    let fits = format!(
        r#"{{"payload":"{}"}}"#,
        "A".repeat(MAX_POL_BUNDLE_UNITS - r#"{"payload":""}"#.len())
    );
    let files = windows_artifacts(&p, fits.as_bytes()).unwrap();
    assert_eq!(read_pol(&files["windows/Registry.pol"]).unwrap().len(), {
        let out = warden_compile::compile(&p).unwrap();
        cortex_registry_values(&out.context().mdm).len() + 2
    });

    let mut big_serial = p.clone();
    big_serial.identity.serial = u64::from(u32::MAX) + 1;
    let cx = Context::new(&big_serial).unwrap();
    let err = windows_error(WindowsBackend.artifacts(&cx, &fake_bundle(1)).unwrap_err());
    assert!(
        matches!(err, WindowsError::SerialOutOfRange { serial } if serial == 1 << 32),
        "{err}"
    );
}

#[test]
fn a_bundle_spread_over_lines_is_written_on_one() {
    let p = load(&examples()[0]);
    let pretty = b"{\n  \"payloadType\": \"application/vnd.in-toto+json\",\n  \"payload\": \"e30=\",\n  \"signatures\": []\n}\n";
    let files = windows_artifacts(&p, pretty).unwrap();
    let reg = RegFile::parse(&files[&format!("windows/{}.reg", p.identity.id)]).unwrap();
    let mut tree = RegTree::new();
    tree.apply(&reg);
    assert_eq!(
        tree.values(&agent_key()).unwrap()["PolicyBundle"],
        RegValue::Sz(
            r#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}"#
                .into()
        )
    );
}

#[test]
fn the_pipeline_delivers_and_lists_the_windows_files() {
    let p = load(&examples()[0]);
    let mut out = warden_compile::compile(&p).unwrap();
    out.add_bundle(fake_bundle(p.identity.serial)).unwrap();
    out.deliver(&[&WindowsBackend]).unwrap();
    let files = out.finish().unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &files
            .iter()
            .find(|a| a.path == "manifest.json")
            .unwrap()
            .bytes,
    )
    .unwrap();
    let listed: Vec<&str> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"windows/Registry.pol"), "{listed:?}");
    assert!(
        listed.contains(&"windows/intune/remediate.ps1"),
        "{listed:?}"
    );
}

/// The managed settings travel in the registry as base64 of their exact bytes.
#[test]
fn every_registry_route_embeds_the_exact_managed_settings() {
    use base64::Engine as _;
    for path in examples() {
        let p = load(&path);
        let out = warden_compile::compile(&p).unwrap();
        let file = out.artifacts()["managed-settings.json"].clone();
        let bundle = fake_bundle(p.identity.serial);
        let files = windows_artifacts(&p, &bundle).unwrap();
        let decode = |v: &RegValue| match v {
            RegValue::Sz(s) => base64::engine::general_purpose::STANDARD.decode(s).unwrap(),
            other => panic!("not REG_SZ: {other:?}"),
        };
        let reg = RegFile::parse(&files[&format!("windows/{}.reg", p.identity.id)]).unwrap();
        let mut tree = RegTree::new();
        tree.apply(&reg);
        let from_reg = &tree.values(&cortex_key()).unwrap()["CortexManagedSettingsBase64"];
        assert_eq!(decode(from_reg), file, "{}: .reg", path.display());
        let pol = read_pol(&files["windows/Registry.pol"]).unwrap();
        let from_pol = pol
            .iter()
            .find(|e| e.value_name == "CortexManagedSettingsBase64")
            .unwrap();
        assert_eq!(
            decode(&from_pol.value),
            file,
            "{}: Registry.pol",
            path.display()
        );
        for name in SCRIPTS {
            let values = script_values(text(&files[name]));
            let v = values
                .iter()
                .find(|v| v.name == "CortexManagedSettingsBase64")
                .unwrap_or_else(|| panic!("{name} does not write the embed"));
            let ScriptData::Str(s) = &v.data else {
                panic!("{name}: not a string")
            };
            assert_eq!(
                decode(&RegValue::Sz(s.clone())),
                file,
                "{}: {name}",
                path.display()
            );
        }
    }
}

/// One template for every profile: a central store holds one copy.
#[test]
fn admx_and_adml_are_identical_for_every_profile() {
    let mut seen: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for path in examples() {
        let p = load(&path);
        let files = windows_artifacts(&p, &fake_bundle(p.identity.serial)).unwrap();
        for name in [
            "windows/CortexCode.admx",
            "windows/en-US/CortexCode.adml",
            "windows/WardenAgent.admx",
            "windows/en-US/WardenAgent.adml",
        ] {
            let bytes = files[name].clone();
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                !text.contains(&p.identity.id),
                "{name} names {}",
                p.identity.id
            );
            if let Some(first) = seen.get(name) {
                assert_eq!(first, &bytes, "{name} differs for {}", path.display());
            } else {
                seen.insert(name, bytes);
            }
        }
    }
    let admx = String::from_utf8(seen["windows/CortexCode.admx"].clone()).unwrap();
    for key in MdmKey::ALL {
        assert!(
            admx.contains(&format!("valueName=\"{}\"", key.as_str())),
            "CortexCode.admx lacks {}",
            key.as_str()
        );
    }
}

/// Intune's ADMX ingestion refuses policies below `System`, `Software\Microsoft` and
/// `Software\Policies\Microsoft`: a template writing there is Group Policy only.
#[test]
fn no_ingestible_template_writes_below_a_blocked_key() {
    use warden_compile::windows::{
        agent_template, cortex_template, intune_ingestion_blocks, template_is_ingestible,
    };
    assert!(intune_ingestion_blocks(
        r"Software\Policies\Microsoft\CortexCode"
    ));
    assert!(intune_ingestion_blocks(r"SYSTEM\CurrentControlSet"));
    assert!(!intune_ingestion_blocks(r"SOFTWARE\Policies\Warden\Agent"));
    assert!(!intune_ingestion_blocks(r"Software\MicrosoftEdgeLike"));
    let cortex = cortex_template();
    assert!(
        !template_is_ingestible(&cortex),
        "CortexCode.admx is Group Policy only"
    );
    assert!(cortex.description.contains("Group Policy only"));
    for t in [cortex_template(), agent_template()] {
        if template_is_ingestible(&t) {
            for policy in &t.policies {
                assert!(
                    !intune_ingestion_blocks(&policy.key),
                    "{}: {}",
                    t.namespace,
                    policy.key
                );
            }
        }
    }
    let p = load(&examples()[0]);
    let files = windows_artifacts(&p, &fake_bundle(p.identity.serial)).unwrap();
    let readme = text(&files["windows/README.md"]);
    assert!(readme.contains("**Group Policy only**"), "{readme}");
}

/// A profile whose file is too long to embed: `validate`'s measurement and the
/// backend agree, and the backend names its cause with the sizes.
#[test]
fn an_embed_over_the_reg_sz_limit_is_reported_with_sizes() {
    let path = warden_testkit::repo_root()
        .join("tests/fixtures/profiles/invalid/registry-value-too-large.toml");
    let p = load(&path);
    let findings = warden_compile::limits::findings(&p);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].code, "registry-value-too-large");
    assert!(
        findings[0].message.contains("65535-byte limit"),
        "{}",
        findings[0].message
    );
    let err = windows_artifacts(&p, &fake_bundle(1)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("CortexManagedSettingsBase64") && message.contains("65535"),
        "the backend error names its cause: {message}"
    );
    for example in examples() {
        assert!(warden_compile::limits::findings(&load(&example)).is_empty());
    }
}

/// `limits::findings` skips measuring each registry value when the whole file would
/// fit one: that rests on no value being longer as REG_SZ than the file it comes
/// from, checked here on every example and on the fixture whose lists are huge.
#[test]
fn no_registry_value_is_longer_than_its_file() {
    let huge = warden_testkit::repo_root()
        .join("tests/fixtures/profiles/invalid/registry-value-too-large.toml");
    // Long account lists and per-account methods: the values that are lists and maps.
    let dir = tempfile::tempdir().unwrap();
    let accounts: Vec<String> = (0..400).map(|i| format!("\"acme-team{i:04}*\"")).collect();
    let per_account: String = (0..200)
        .map(|i| format!("\"acme-team{i:04}\" = [\"EXTERNALBROWSER\", \"SNOWFLAKE_JWT\"]\n"))
        .collect();
    let lists = dir.path().join("lists.toml");
    std::fs::write(
        &lists,
        format!(
            "[profile]\nid = \"lists\"\nname = \"Lists\"\nserial = 1\n\n[accounts]\nallow = [{}]\n\n[authenticators]\nforbidden = [\"SNOWFLAKE\"]\n\n[authenticators.per_account]\n{per_account}\n[cortex.required]\nminimum_version = \"1.1.89\"\n",
            accounts.join(", ")
        ),
    )
    .unwrap();
    let mut measured = 0;
    for path in examples().into_iter().chain([huge, lists]) {
        let p = load(&path);
        let settings = warden_compile::ManagedSettings::from_profile(&p).unwrap();
        let file_len = settings.file_len().unwrap();
        let values = warden_compile::MdmValues::without_embedded_file(
            &settings,
            p.cortex.managed_settings_base64_enabled,
        )
        .unwrap();
        for (key, value) in values.iter() {
            if let Some(text) = value.registry_text() {
                measured += 1;
                let size = warden_compile::windows::reg_sz_bytes(&text);
                assert!(
                    size <= warden_compile::windows::reg_sz_bytes_of_units(file_len),
                    "{}: {} is {size} bytes, the file {file_len}",
                    path.display(),
                    key.as_str()
                );
            }
        }
    }
    assert!(measured > 10, "{measured} values measured");
}
