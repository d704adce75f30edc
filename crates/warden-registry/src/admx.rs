//! ADMX/ADML administrative templates generated from data.
//!
//! One template has one target namespace and prefix, one category, one
//! `supportedOn` definition of its own (so it needs no `using` dependency such
//! as `Windows.admx`, which Intune would make the admin import first) and a
//! list of policies. Each policy sets one registry value:
//!
//! * [`AdmxPolicyKind::Boolean`]: Enabled/Disabled writes `REG_DWORD` 1/0
//!   through `enabledValue`/`disabledValue`;
//! * [`AdmxPolicyKind::Text`]: a `text` element writing `REG_SZ`, edited
//!   in a `textBox`;
//! * [`AdmxPolicyKind::Decimal`]: a `decimal` element writing `REG_DWORD`,
//!   edited in a `decimalTextBox`.
//!
//! Ids (namespace prefix, category, `supportedOn`, policy names) are limited
//! to `[A-Za-z0-9_]`: Microsoft's schema allows letters, digits and `_` only,
//! and tools disagree about non-ASCII letters.
//!
//! Delivery limits to keep in mind:
//! * Intune's editor for imported custom ADMX caps a string at about 1,023
//!   characters, whatever `maxLength` says. A longer value, such as the signed
//!   policy bundle, must reach the machine another way: an Intune Remediation
//!   or platform script that writes the value (run as SYSTEM in 64-bit
//!   PowerShell), or an OMA-URI ADMX-ingestion profile whose payload carries
//!   `<data id="…" value='…'/>`. Group Policy (GPMC, or the generated
//!   `Registry.pol`, itself limited to 65,535 bytes per value) has no such cap.
//! * Intune refuses ingested ADMX that write below `Software\Policies\Microsoft`
//!   (except an allow-list of Microsoft products), so a template for a key
//!   there is usable with Group Policy but not through Intune ingestion.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// The ADMX/ADML XML namespace.
pub const ADMX_NAMESPACE: &str =
    "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";
/// The `schemaVersion` both files declare.
pub const ADMX_SCHEMA_VERSION: &str = "1.0";
/// The string limit of Intune's imported-ADMX editor, in characters.
pub const INTUNE_ADMX_STRING_LIMIT: u32 = 1_023;

/// Which registry hive a policy writes: `Machine` is HKLM, `User` is HKCU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyClass {
    /// HKLM.
    Machine,
    /// HKCU.
    User,
    /// Either; the admin picks the scope.
    Both,
}

impl PolicyClass {
    fn as_str(self) -> &'static str {
        match self {
            PolicyClass::Machine => "Machine",
            PolicyClass::User => "User",
            PolicyClass::Both => "Both",
        }
    }
}

/// The value a policy writes when enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdmxPolicyKind {
    /// Enabled → `REG_DWORD` 1, Disabled → `REG_DWORD` 0.
    Boolean,
    /// A `REG_SZ` typed into a text box.
    Text {
        /// Longest accepted input, in characters (`maxLength`).
        max_length: u32,
        /// Whether the box must be filled in to enable the policy.
        required: bool,
        /// Label shown beside the box.
        label: String,
    },
    /// A `REG_DWORD` in `min..=max`.
    Decimal {
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
        /// Label shown beside the box.
        label: String,
    },
}

/// One policy: one registry value under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmxPolicy {
    /// Policy name, `[A-Za-z0-9_]+`; also names its strings and presentation.
    pub id: String,
    /// Which hive it applies to.
    pub class: PolicyClass,
    /// Registry key without hive, e.g. `SOFTWARE\Policies\Warden\Agent`.
    pub key: String,
    /// Registry value name.
    pub value_name: String,
    /// Title shown in the editor.
    pub display_name: String,
    /// Help text shown in the editor.
    pub explain: String,
    /// The value written.
    pub kind: AdmxPolicyKind,
}

/// A whole template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmxTemplate {
    /// Target namespace, e.g. `Warden.Policies.CortexCode` (`[A-Za-z0-9_.]`).
    pub namespace: String,
    /// Target prefix, `[A-Za-z0-9_]+`.
    pub prefix: String,
    /// `revision` of both files and `minRequiredRevision`, e.g. `1.0`.
    pub revision: String,
    /// ADML `displayName`.
    pub display_name: String,
    /// ADML `description`.
    pub description: String,
    /// Category id, `[A-Za-z0-9_]+`.
    pub category_id: String,
    /// Category title.
    pub category_display_name: String,
    /// `supportedOn` definition id, `[A-Za-z0-9_]+`.
    pub supported_on_id: String,
    /// `supportedOn` text, e.g. `Windows 10 or later`.
    pub supported_on_display_name: String,
    /// The policies, emitted in this order.
    pub policies: Vec<AdmxPolicy>,
}

/// The generated pair: write `<name>.admx` and `en-US/<name>.adml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmxFiles {
    /// The `.admx` (UTF-8).
    pub admx: String,
    /// The `.adml` (UTF-8).
    pub adml: String,
}

/// Why a template could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdmxError {
    /// An id outside `[A-Za-z0-9_]+`.
    #[error("{what} `{id}` must be non-empty and use only A-Z, a-z, 0-9 and _")]
    BadId {
        /// Which id.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// A namespace outside `[A-Za-z0-9_.]+`.
    #[error("namespace `{0}` must be non-empty and use only A-Z, a-z, 0-9, _ and .")]
    BadNamespace(String),
    /// `revision` not of the form `N.N` (1–4 and 1–5 digits).
    #[error("revision `{0}` must look like 1.0")]
    BadRevision(String),
    /// Two strings or presentations would share an id.
    #[error("id `{0}` is used twice")]
    DuplicateId(String),
    /// A registry key or value name that is empty, has control characters, or
    /// (for keys) empty components.
    #[error("policy `{policy}`: bad registry {what} `{value}`")]
    BadRegistryName {
        /// Policy id.
        policy: String,
        /// `key` or `value name`.
        what: &'static str,
        /// The offending text.
        value: String,
    },
    /// Text that XML 1.0 cannot carry (control characters other than tab and
    /// LF; CR would be normalised away by parsers).
    #[error("{what} contains a character XML cannot carry")]
    BadText {
        /// Which text.
        what: String,
    },
    /// `maxLength` of 0 or `min > max`.
    #[error("policy `{0}`: empty range or zero maxLength")]
    BadRange(String),
    /// A template without policies is refused by the schema.
    #[error("template has no policies")]
    NoPolicies,
    /// The XML writer failed.
    #[error("XML output failed: {0}")]
    Xml(String),
}

fn check_id(what: &'static str, id: &str) -> Result<(), AdmxError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(AdmxError::BadId {
            what,
            id: id.to_owned(),
        });
    }
    Ok(())
}

fn check_text(what: &str, s: &str) -> Result<(), AdmxError> {
    let bad = |c: char| {
        (c.is_control() && c != '\t' && c != '\n') || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if s.chars().any(bad) {
        return Err(AdmxError::BadText {
            what: what.to_owned(),
        });
    }
    Ok(())
}

fn check_revision(r: &str) -> Result<(), AdmxError> {
    let ok = r.split_once('.').is_some_and(|(a, b)| {
        (1..=4).contains(&a.len())
            && (1..=5).contains(&b.len())
            && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(AdmxError::BadRevision(r.to_owned()))
    }
}

fn validate(t: &AdmxTemplate) -> Result<(), AdmxError> {
    if t.namespace.is_empty()
        || !t
            .namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        return Err(AdmxError::BadNamespace(t.namespace.clone()));
    }
    check_id("prefix", &t.prefix)?;
    check_revision(&t.revision)?;
    check_id("category", &t.category_id)?;
    check_id("supportedOn", &t.supported_on_id)?;
    check_text("display name", &t.display_name)?;
    check_text("description", &t.description)?;
    check_text("category display name", &t.category_display_name)?;
    check_text("supportedOn display name", &t.supported_on_display_name)?;
    if t.policies.is_empty() {
        return Err(AdmxError::NoPolicies);
    }
    let mut string_ids = std::collections::BTreeSet::new();
    for id in [&t.category_id, &t.supported_on_id] {
        if !string_ids.insert(id.clone()) {
            return Err(AdmxError::DuplicateId(id.clone()));
        }
    }
    for p in &t.policies {
        check_id("policy", &p.id)?;
        for id in [p.id.clone(), explain_id(&p.id)] {
            if !string_ids.insert(id.clone()) {
                return Err(AdmxError::DuplicateId(id));
            }
        }
        let bad_name = |what: &'static str, value: &str| AdmxError::BadRegistryName {
            policy: p.id.clone(),
            what,
            value: value.to_owned(),
        };
        if crate::value::validate_key_path(&p.key).is_err() {
            return Err(bad_name("key", &p.key));
        }
        if p.value_name.is_empty() || p.value_name.chars().any(char::is_control) {
            return Err(bad_name("value name", &p.value_name));
        }
        check_text(&format!("policy `{}` display name", p.id), &p.display_name)?;
        check_text(&format!("policy `{}` explain text", p.id), &p.explain)?;
        match &p.kind {
            AdmxPolicyKind::Boolean => {}
            AdmxPolicyKind::Text {
                max_length, label, ..
            } => {
                if *max_length == 0 {
                    return Err(AdmxError::BadRange(p.id.clone()));
                }
                check_text(&format!("policy `{}` label", p.id), label)?;
            }
            AdmxPolicyKind::Decimal { min, max, label } => {
                if min > max {
                    return Err(AdmxError::BadRange(p.id.clone()));
                }
                check_text(&format!("policy `{}` label", p.id), label)?;
            }
        }
    }
    Ok(())
}

fn explain_id(policy: &str) -> String {
    format!("{policy}_Explain")
}

fn string_ref(id: &str) -> String {
    format!("$(string.{id})")
}

type XmlResult = std::io::Result<()>;

fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> XmlResult {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

fn finish(w: Writer<Vec<u8>>) -> std::io::Result<String> {
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

fn new_writer() -> Result<Writer<Vec<u8>>, std::io::Error> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    Ok(w)
}

fn write_admx(t: &AdmxTemplate) -> std::io::Result<String> {
    let mut w = new_writer()?;
    w.create_element("policyDefinitions")
        .with_attribute(("xmlns", ADMX_NAMESPACE))
        .with_attribute(("revision", t.revision.as_str()))
        .with_attribute(("schemaVersion", ADMX_SCHEMA_VERSION))
        .write_inner_content(|w| {
            w.create_element("policyNamespaces")
                .write_inner_content(|w| {
                    w.create_element("target")
                        .with_attribute(("prefix", t.prefix.as_str()))
                        .with_attribute(("namespace", t.namespace.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
            w.create_element("resources")
                .with_attribute(("minRequiredRevision", t.revision.as_str()))
                .write_empty()?;
            w.create_element("supportedOn").write_inner_content(|w| {
                w.create_element("definitions").write_inner_content(|w| {
                    w.create_element("definition")
                        .with_attribute(("name", t.supported_on_id.as_str()))
                        .with_attribute(("displayName", string_ref(&t.supported_on_id).as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
                Ok(())
            })?;
            w.create_element("categories").write_inner_content(|w| {
                w.create_element("category")
                    .with_attribute(("name", t.category_id.as_str()))
                    .with_attribute(("displayName", string_ref(&t.category_id).as_str()))
                    .write_empty()?;
                Ok(())
            })?;
            w.create_element("policies").write_inner_content(|w| {
                for p in &t.policies {
                    write_policy(w, t, p)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    finish(w)
}

fn write_policy(w: &mut Writer<Vec<u8>>, t: &AdmxTemplate, p: &AdmxPolicy) -> XmlResult {
    let display = string_ref(&p.id);
    let explain = string_ref(&explain_id(&p.id));
    let presentation = format!("$(presentation.{})", p.id);
    let mut el = w
        .create_element("policy")
        .with_attribute(("name", p.id.as_str()))
        .with_attribute(("class", p.class.as_str()))
        .with_attribute(("displayName", display.as_str()))
        .with_attribute(("explainText", explain.as_str()));
    if !matches!(p.kind, AdmxPolicyKind::Boolean) {
        el = el.with_attribute(("presentation", presentation.as_str()));
    }
    el = el.with_attribute(("key", p.key.as_str()));
    if matches!(p.kind, AdmxPolicyKind::Boolean) {
        el = el.with_attribute(("valueName", p.value_name.as_str()));
    }
    el.write_inner_content(|w| {
        w.create_element("parentCategory")
            .with_attribute(("ref", t.category_id.as_str()))
            .write_empty()?;
        w.create_element("supportedOn")
            .with_attribute(("ref", t.supported_on_id.as_str()))
            .write_empty()?;
        match &p.kind {
            AdmxPolicyKind::Boolean => {
                for (name, value) in [("enabledValue", "1"), ("disabledValue", "0")] {
                    w.create_element(name).write_inner_content(|w| {
                        w.create_element("decimal")
                            .with_attribute(("value", value))
                            .write_empty()?;
                        Ok(())
                    })?;
                }
            }
            AdmxPolicyKind::Text {
                max_length,
                required,
                ..
            } => {
                let max_length = max_length.to_string();
                w.create_element("elements").write_inner_content(|w| {
                    w.create_element("text")
                        .with_attribute(("id", p.id.as_str()))
                        .with_attribute(("valueName", p.value_name.as_str()))
                        .with_attribute(("maxLength", max_length.as_str()))
                        .with_attribute(("required", if *required { "true" } else { "false" }))
                        .write_empty()?;
                    Ok(())
                })?;
            }
            AdmxPolicyKind::Decimal { min, max, .. } => {
                let (min, max) = (min.to_string(), max.to_string());
                w.create_element("elements").write_inner_content(|w| {
                    w.create_element("decimal")
                        .with_attribute(("id", p.id.as_str()))
                        .with_attribute(("valueName", p.value_name.as_str()))
                        .with_attribute(("minValue", min.as_str()))
                        .with_attribute(("maxValue", max.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

fn write_adml(t: &AdmxTemplate) -> std::io::Result<String> {
    let mut w = new_writer()?;
    w.create_element("policyDefinitionResources")
        .with_attribute(("xmlns", ADMX_NAMESPACE))
        .with_attribute(("revision", t.revision.as_str()))
        .with_attribute(("schemaVersion", ADMX_SCHEMA_VERSION))
        .write_inner_content(|w| {
            text_element(w, "displayName", &t.display_name)?;
            text_element(w, "description", &t.description)?;
            w.create_element("resources").write_inner_content(|w| {
                w.create_element("stringTable").write_inner_content(|w| {
                    let mut strings = vec![
                        (t.category_id.clone(), t.category_display_name.as_str()),
                        (
                            t.supported_on_id.clone(),
                            t.supported_on_display_name.as_str(),
                        ),
                    ];
                    for p in &t.policies {
                        strings.push((p.id.clone(), p.display_name.as_str()));
                        strings.push((explain_id(&p.id), p.explain.as_str()));
                    }
                    for (id, text) in strings {
                        w.create_element("string")
                            .with_attribute(("id", id.as_str()))
                            .write_text_content(BytesText::new(text))?;
                    }
                    Ok(())
                })?;
                let presented: Vec<&AdmxPolicy> = t
                    .policies
                    .iter()
                    .filter(|p| !matches!(p.kind, AdmxPolicyKind::Boolean))
                    .collect();
                if !presented.is_empty() {
                    w.create_element("presentationTable")
                        .write_inner_content(|w| {
                            for p in presented {
                                write_presentation(w, p)?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    finish(w)
}

fn write_presentation(w: &mut Writer<Vec<u8>>, p: &AdmxPolicy) -> XmlResult {
    w.create_element("presentation")
        .with_attribute(("id", p.id.as_str()))
        .write_inner_content(|w| {
            match &p.kind {
                AdmxPolicyKind::Boolean => {}
                AdmxPolicyKind::Text { label, .. } => {
                    w.create_element("textBox")
                        .with_attribute(("refId", p.id.as_str()))
                        .write_inner_content(|w| text_element(w, "label", label))?;
                }
                AdmxPolicyKind::Decimal { min, label, .. } => {
                    let default = min.to_string();
                    w.create_element("decimalTextBox")
                        .with_attribute(("refId", p.id.as_str()))
                        .with_attribute(("defaultValue", default.as_str()))
                        .write_text_content(BytesText::new(label))?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// Generates the `.admx` and its `en-US` `.adml` (UTF-8, two-space indent,
/// byte-identical for identical input).
pub fn generate_admx(t: &AdmxTemplate) -> Result<AdmxFiles, AdmxError> {
    validate(t)?;
    // Writing into a Vec does not fail in practice; still report, never panic.
    let io = |e: std::io::Error| AdmxError::Xml(e.to_string());
    Ok(AdmxFiles {
        admx: write_admx(t).map_err(io)?,
        adml: write_adml(t).map_err(io)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> AdmxTemplate {
        AdmxTemplate {
            namespace: "Warden.Policies.Agent".into(),
            prefix: "wardenagent".into(),
            revision: "1.0".into(),
            display_name: "Warden agent".into(),
            description: "Policy for the Warden agent & friends <test>".into(),
            category_id: "WardenAgent".into(),
            category_display_name: "Warden agent".into(),
            supported_on_id: "SUPPORTED_Windows10".into(),
            supported_on_display_name: "Windows 10 or later".into(),
            policies: vec![
                AdmxPolicy {
                    id: "Enabled".into(),
                    class: PolicyClass::Machine,
                    key: r"SOFTWARE\Policies\Warden\Agent".into(),
                    value_name: "Enabled".into(),
                    display_name: "Enable".into(),
                    explain: "Turns it \"on\".\nSecond line.".into(),
                    kind: AdmxPolicyKind::Boolean,
                },
                AdmxPolicy {
                    id: "PolicyBundle".into(),
                    class: PolicyClass::Machine,
                    key: r"SOFTWARE\Policies\Warden\Agent".into(),
                    value_name: "PolicyBundle".into(),
                    display_name: "Signed policy bundle".into(),
                    explain: "DSSE JSON.".into(),
                    kind: AdmxPolicyKind::Text {
                        max_length: 1_000_000,
                        required: true,
                        label: "Bundle:".into(),
                    },
                },
                AdmxPolicy {
                    id: "PolicySerial".into(),
                    class: PolicyClass::Machine,
                    key: r"SOFTWARE\Policies\Warden\Agent".into(),
                    value_name: "PolicySerial".into(),
                    display_name: "Serial".into(),
                    explain: "Serial of the bundle.".into(),
                    kind: AdmxPolicyKind::Decimal {
                        min: 1,
                        max: u32::MAX,
                        label: "Serial".into(),
                    },
                },
            ],
        }
    }

    #[test]
    fn generates_expected_structure() {
        let files = generate_admx(&sample()).unwrap();
        let admx = &files.admx;
        assert!(admx.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<policyDefinitions xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\" revision=\"1.0\" schemaVersion=\"1.0\">\n  <policyNamespaces>\n    <target prefix=\"wardenagent\" namespace=\"Warden.Policies.Agent\"/>"), "{admx}");
        assert!(admx.contains(r#"<policy name="Enabled" class="Machine" displayName="$(string.Enabled)" explainText="$(string.Enabled_Explain)" key="SOFTWARE\Policies\Warden\Agent" valueName="Enabled">"#));
        assert!(admx.contains(r#"<decimal value="1"/>"#));
        assert!(admx.contains(r#"<text id="PolicyBundle" valueName="PolicyBundle" maxLength="1000000" required="true"/>"#));
        assert!(admx.contains(r#"<decimal id="PolicySerial" valueName="PolicySerial" minValue="1" maxValue="4294967295"/>"#));
        assert!(admx.ends_with("</policyDefinitions>\n"));
        let adml = &files.adml;
        assert!(
            adml.contains(
                "<description>Policy for the Warden agent &amp; friends &lt;test&gt;</description>"
            ),
            "{adml}"
        );
        assert!(adml.contains(r#"<string id="Enabled_Explain">Turns it &quot;on&quot;."#));
        assert!(adml.contains(r#"<textBox refId="PolicyBundle">"#));
        assert!(adml.contains(
            r#"<decimalTextBox refId="PolicySerial" defaultValue="1">Serial</decimalTextBox>"#
        ));
        // Deterministic.
        assert_eq!(generate_admx(&sample()).unwrap(), files);
    }

    #[test]
    fn refuses_bad_input() {
        let with = |f: &dyn Fn(&mut AdmxTemplate)| {
            let mut t = sample();
            f(&mut t);
            generate_admx(&t).unwrap_err()
        };
        assert!(matches!(
            with(&|t| t.prefix = "war-den".into()),
            AdmxError::BadId { what: "prefix", .. }
        ));
        assert!(matches!(
            with(&|t| t.policies[0].id = "a.b".into()),
            AdmxError::BadId { what: "policy", .. }
        ));
        assert!(matches!(
            with(&|t| t.policies[0].id = "Ünicode".into()),
            AdmxError::BadId { .. }
        ));
        assert!(matches!(
            with(&|t| t.category_id = String::new()),
            AdmxError::BadId { .. }
        ));
        assert!(matches!(
            with(&|t| t.namespace = "a b".into()),
            AdmxError::BadNamespace(_)
        ));
        assert!(matches!(
            with(&|t| t.revision = "1".into()),
            AdmxError::BadRevision(_)
        ));
        assert!(matches!(
            with(&|t| t.revision = "12345.0".into()),
            AdmxError::BadRevision(_)
        ));
        assert!(matches!(
            with(&|t| t.policies[1].id = "Enabled".into()),
            AdmxError::DuplicateId(_)
        ));
        assert!(matches!(
            with(&|t| t.policies[1].id = "Enabled_Explain".into()),
            AdmxError::DuplicateId(_)
        ));
        assert!(matches!(
            with(&|t| t.policies[0].id = "WardenAgent".into()),
            AdmxError::DuplicateId(_)
        ));
        assert!(matches!(
            with(&|t| t.policies[0].key = r"A\\B".into()),
            AdmxError::BadRegistryName { what: "key", .. }
        ));
        assert!(matches!(
            with(&|t| t.policies[0].value_name = String::new()),
            AdmxError::BadRegistryName { .. }
        ));
        assert!(matches!(
            with(&|t| t.policies[0].explain = "a\u{1}b".into()),
            AdmxError::BadText { .. }
        ));
        assert!(matches!(
            with(&|t| t.description = "a\rb".into()),
            AdmxError::BadText { .. }
        ));
        assert!(matches!(
            with(&|t| t.policies[2].kind = AdmxPolicyKind::Decimal {
                min: 5,
                max: 4,
                label: String::new()
            }),
            AdmxError::BadRange(_)
        ));
        assert!(matches!(
            with(&|t| t.policies[1].kind = AdmxPolicyKind::Text {
                max_length: 0,
                required: false,
                label: String::new()
            }),
            AdmxError::BadRange(_)
        ));
        assert!(matches!(
            with(&|t| t.policies.clear()),
            AdmxError::NoPolicies
        ));
    }
}
