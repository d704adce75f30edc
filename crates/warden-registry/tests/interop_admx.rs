//! ADMX/ADML validation against Microsoft's schema with Python `xmlschema`.

use std::path::{Path, PathBuf};

use warden_registry::known::{cortex_code, warden_agent};
use warden_registry::{AdmxPolicy, AdmxPolicyKind, AdmxTemplate, PolicyClass, generate_admx};

/// Validates each file given after the schema path; prints `OK` or the error.
const SCRIPT: &str = r#"
import sys, xmlschema
schema = xmlschema.XMLSchema(sys.argv[1])
for path in sys.argv[2:]:
    try:
        schema.validate(path)
        print('OK', path)
    except xmlschema.XMLSchemaValidationError as e:
        print('INVALID', path, str(e).splitlines()[0])
"#;

fn schema() -> PathBuf {
    warden_testkit::test_data("vendor/admx-schema/PolicyDefinitionFiles.xsd")
}

fn agent_template() -> AdmxTemplate {
    AdmxTemplate {
        namespace: "Warden.Policies.Agent".into(),
        prefix: "wardenagent".into(),
        revision: "1.0".into(),
        display_name: "Warden agent".into(),
        description: "Signed policy for the Warden agent & Cortex Code <managed>".into(),
        category_id: "WardenAgent".into(),
        category_display_name: "Warden agent".into(),
        supported_on_id: "SUPPORTED_Windows10".into(),
        supported_on_display_name: "Windows 10 or later".into(),
        policies: vec![
            AdmxPolicy {
                id: "PolicyBundle".into(),
                class: PolicyClass::Machine,
                key: warden_agent::KEY.into(),
                value_name: warden_agent::POLICY_BUNDLE.name.into(),
                display_name: "Signed policy bundle".into(),
                explain: "The DSSE bundle as JSON.\nLonger than 1,023 characters: use a script."
                    .into(),
                kind: AdmxPolicyKind::Text {
                    max_length: 1_000_000,
                    required: true,
                    label: "Bundle JSON".into(),
                },
            },
            AdmxPolicy {
                id: "PolicySerial".into(),
                class: PolicyClass::Machine,
                key: warden_agent::KEY.into(),
                value_name: warden_agent::POLICY_SERIAL.name.into(),
                display_name: "Policy serial".into(),
                explain: "Serial of the bundle \"as signed\".".into(),
                kind: AdmxPolicyKind::Decimal {
                    min: 1,
                    max: u32::MAX,
                    label: "Serial".into(),
                },
            },
            AdmxPolicy {
                id: "CortexEnabled".into(),
                class: PolicyClass::Machine,
                key: cortex_code::KEY.into(),
                value_name: cortex_code::ENABLED.name.into(),
                display_name: "Cortex Code account controls".into(),
                explain: "Enabled writes 1, Disabled writes 0.".into(),
                kind: AdmxPolicyKind::Boolean,
            },
        ],
    }
}

fn validate(python: &Path, schema: &Path, files: &[PathBuf]) -> Vec<String> {
    warden_testkit::run_python(
        python,
        SCRIPT,
        std::iter::once(schema).chain(files.iter().map(PathBuf::as_path)),
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

#[test]
fn generated_admx_and_adml_are_schema_valid() {
    let Some(python) = warden_testkit::require_python_module("xmlschema") else {
        return;
    };
    let schema = schema();
    let files = generate_admx(&agent_template()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let admx = dir.path().join("Warden.admx");
    let adml = dir.path().join("Warden.adml");
    std::fs::write(&admx, &files.admx).unwrap();
    std::fs::write(&adml, &files.adml).unwrap();
    let report = validate(&python, &schema, &[admx.clone(), adml.clone()]);
    assert_eq!(
        report,
        vec![
            format!("OK {}", admx.display()),
            format!("OK {}", adml.display())
        ]
    );

    // The validator does catch what the generator refuses: a hyphenated id.
    let broken = dir.path().join("broken.admx");
    std::fs::write(
        &broken,
        files
            .admx
            .replace(r#"name="PolicySerial""#, r#"name="Policy-Serial""#),
    )
    .unwrap();
    let report = validate(&python, &schema, &[broken]);
    assert!(report[0].starts_with("INVALID"), "{report:?}");
}
