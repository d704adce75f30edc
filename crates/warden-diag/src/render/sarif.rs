use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{CodeInfo, Finding, Severity};

/// The tool that produced the findings, for SARIF's `tool.driver`.
#[derive(Debug, Clone, Copy)]
pub struct ToolInfo<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub information_uri: &'a str,
    /// Base URL of the per-code documentation; `<base><code>.md` is each rule's help.
    pub rules_help_base: &'a str,
    /// Every code the tool can emit.
    pub codes: &'a [CodeInfo],
}

/// Render findings as a SARIF 2.1.0 log with one run.
pub fn sarif(findings: &[Finding], tool: ToolInfo<'_>) -> String {
    let known: BTreeMap<&str, &CodeInfo> = tool.codes.iter().map(|c| (c.code, c)).collect();
    let mut used: Vec<&str> = findings.iter().map(|f| f.code.as_ref()).collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<Value> = used
        .iter()
        .map(|code| {
            let summary = known.get(code).map_or("", |c| c.summary);
            json!({
                "id": code,
                "shortDescription": { "text": summary },
                "helpUri": format!("{}{code}.md", tool.rules_help_base),
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(help) = &f.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": used.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
            });
            if let Some(file) = &f.location.file {
                let mut region = serde_json::Map::new();
                if let Some(line) = f.location.line {
                    region.insert("startLine".into(), line.into());
                }
                if let Some(col) = f.location.column {
                    region.insert("startColumn".into(), col.into());
                }
                let mut physical = json!({
                    "artifactLocation": { "uri": file.replace('\\', "/") },
                });
                if !region.is_empty() {
                    physical["region"] = Value::Object(region);
                }
                result["locations"] = json!([{ "physicalLocation": physical }]);
            }
            if let Some(sup) = &f.suppressed {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": format!("{} (profile exception, expires {})", sup.reason, sup.expires),
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": tool.name,
                "version": tool.version,
                "informationUri": tool.information_uri,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("sarif serializes");
    s.push('\n');
    s
}

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}
