use serde::Serialize;

use crate::{Finding, Summary};

/// Identifier of the JSON wire format. Bumped only on breaking changes.
pub const JSON_SCHEMA_ID: &str = "warden.findings/v1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    summary: Summary,
    findings: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    pointer: Option<&'a str>,
    help: Option<&'a str>,
    /// Present when a profile exception accepts the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a crate::Suppression>,
}

/// Render findings as the versioned JSON document (`warden.findings/v1`).
pub fn json(findings: &[Finding]) -> String {
    let doc = Document {
        schema: JSON_SCHEMA_ID,
        summary: Summary::of(findings),
        findings: findings
            .iter()
            .map(|f| Entry {
                code: &f.code,
                severity: f.severity.as_str(),
                message: &f.message,
                file: f.location.file.as_deref(),
                line: f.location.line,
                column: f.location.column,
                pointer: f.location.pointer.as_deref(),
                help: f.help.as_deref(),
                suppressed: f.suppressed.as_ref(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("findings serialize");
    s.push('\n');
    s
}
