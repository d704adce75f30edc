use std::fmt::Write as _;

use crate::{Finding, Severity};

/// Render findings as GitHub Actions workflow commands (`::error file=…::…`), which
/// GitHub shows as annotations on the pull request.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = &f.location.file {
            props.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = f.location.line {
            props.push(format!("line={line}"));
        }
        if let Some(col) = f.location.column {
            props.push(format!("col={col}"));
        }
        props.push(format!("title={}", escape_property(&f.code)));
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    #[test]
    fn escapes_workflow_command_syntax() {
        let mut loc = Location::file("a,b:c.toml");
        loc.line = Some(3);
        loc.column = Some(7);
        let f = Finding::new("unknown-key", Severity::Error, "100% bad\nline")
            .at(loc)
            .help("fix it");
        assert_eq!(
            github(&[f]),
            "::error file=a%2Cb%3Ac.toml,line=3,col=7,title=unknown-key::100%25 bad%0Aline%0Ahelp: fix it\n"
        );
    }
}
