use std::fmt::Write as _;

use crate::{Finding, Severity};

/// Render findings as GitHub Actions workflow commands (`::error file=…::…`), which
/// GitHub shows as annotations on the pull request.
///
/// GitHub shows at most [`MAX_PER_LEVEL`] annotations of each type per step; the rest
/// are printed as plain log lines, after one notice that says how many there are.
/// Findings a profile exception suppresses are not annotated.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut rest: Vec<&Finding> = Vec::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let (level, slot) = match f.severity {
            Severity::Error => ("error", 0),
            Severity::Warning => ("warning", 1),
            Severity::Note => ("notice", 2),
        };
        if shown[slot] == MAX_PER_LEVEL {
            rest.push(f);
            continue;
        }
        shown[slot] += 1;
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
    if !rest.is_empty() {
        let count = |sev: Severity| rest.iter().filter(|f| f.severity == sev).count();
        let parts: Vec<String> = [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Note, "note"),
        ]
        .into_iter()
        .filter(|(sev, _)| count(*sev) > 0)
        .map(|(sev, name)| format!("{} more {name}(s)", count(sev)))
        .collect();
        let _ = writeln!(
            out,
            "::notice title=warden::{} not annotated (GitHub shows at most {MAX_PER_LEVEL} per type); they follow in the log",
            parts.join(", ")
        );
        for f in rest {
            let place = match (&f.location.file, f.location.line) {
                (Some(file), Some(line)) => format!("{file}:{line}: "),
                (Some(file), None) => format!("{file}: "),
                _ => String::new(),
            };
            // Not a workflow command: a leading `::` would be read as one.
            let _ = writeln!(
                out,
                "{place}{}[{}]: {}",
                f.severity,
                f.code,
                f.message.replace('\n', " ")
            );
        }
    }
    out
}

/// GitHub's per-step limit of annotations of one type.
pub(crate) const MAX_PER_LEVEL: usize = 10;

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
    fn at_most_ten_annotations_per_level_and_a_summary_of_the_rest() {
        let mut findings: Vec<Finding> = (0..12)
            .map(|i| Finding::new("e", Severity::Error, format!("error {i}")))
            .collect();
        findings.extend((0..3).map(|i| Finding::new("w", Severity::Warning, format!("w {i}"))));
        let mut sup = Finding::new("s", Severity::Error, "accepted");
        sup.suppressed = Some(crate::Suppression {
            reason: "r".into(),
            expires: "2999-01-01".into(),
        });
        findings.push(sup);
        let out = github(&findings);
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::error ")).count(),
            10
        );
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::warning ")).count(),
            3
        );
        assert!(
            out.contains("::notice title=warden::2 more error(s) not annotated"),
            "{out}"
        );
        assert!(
            out.contains("\nerror[e]: error 10\nerror[e]: error 11\n"),
            "{out}"
        );
        assert!(!out.contains("accepted"), "{out}");
    }

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
