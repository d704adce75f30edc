use std::fmt::Write as _;

use anstyle::{AnsiColor, Effects, Style};

use crate::{Finding, Severity, Sources, Summary};

/// Widest source excerpt shown under a finding, in characters.
const MAX_SNIPPET: usize = 120;

/// Options for the human renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Emit ANSI colour codes. Callers decide (terminal, `NO_COLOR`); the text is
    /// identical without them.
    pub color: bool,
}

fn paint(opts: HumanOptions, style: Style, text: &str) -> String {
    if opts.color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

fn severity_style(sev: Severity) -> Style {
    let color = match sev {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Note => AnsiColor::Cyan,
    };
    Style::new()
        .fg_color(Some(color.into()))
        .effects(Effects::BOLD)
}

/// Render findings for a terminal: a header per finding, the source line with a
/// caret under the problem, the hint, and a closing summary.
pub fn human(findings: &[Finding], sources: &Sources, opts: HumanOptions) -> String {
    let mut out = String::new();
    let blue = Style::new()
        .fg_color(Some(AnsiColor::Blue.into()))
        .effects(Effects::BOLD);
    for f in findings {
        if let Some(sup) = &f.suppressed {
            // One line: accepted on purpose, shown so the exception stays visible.
            let place = match (&f.location.file, f.location.line) {
                (Some(file), Some(line)) => format!(" ({file}:{line})"),
                (Some(file), None) => format!(" ({file})"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "suppressed[{}]{place}: {} (exception: {}; expires {})\n",
                f.code, f.message, sup.reason, sup.expires
            );
            continue;
        }
        let sev = paint(
            opts,
            severity_style(f.severity),
            &format!("{}[{}]", f.severity, f.code),
        );
        let _ = writeln!(out, "{sev}: {}", f.message);
        let loc = &f.location;
        if let Some(file) = &loc.file {
            let mut place = file.clone();
            if let Some(line) = loc.line {
                let _ = write!(place, ":{line}:{}", loc.column.unwrap_or(1));
            }
            let _ = writeln!(out, "  {} {place}", paint(opts, blue, "-->"));
            if let (Some(line), Some(text)) = (loc.line, sources.get(file)) {
                render_snippet(&mut out, text, line, loc, opts, f.severity);
            }
        }
        if let Some(pointer) = loc.pointer.as_deref().filter(|p| !p.is_empty()) {
            let _ = writeln!(out, "   {} at: {pointer}", paint(opts, blue, "="));
        }
        if let Some(help) = &f.help {
            let _ = writeln!(out, "   {} help: {help}", paint(opts, blue, "="));
        }
        out.push('\n');
    }
    let s = Summary::of(findings);
    let _ = writeln!(
        out,
        "{} {}, {} {}",
        s.errors,
        plural(s.errors, "error"),
        s.warnings,
        plural(s.warnings, "warning")
    );
    if s.suppressed > 0 {
        out.pop();
        let _ = writeln!(out, ", {} suppressed by exceptions", s.suppressed);
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn render_snippet(
    out: &mut String,
    text: &str,
    line: u32,
    loc: &crate::Location,
    opts: HumanOptions,
    sev: Severity,
) {
    let Some(src_line) = text.lines().nth(line as usize - 1) else {
        return;
    };
    // Tabs would misalign the caret; show them as one space each. Very long lines
    // (minified or hostile input) are cut to a window around the column.
    let chars: Vec<char> = src_line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let mut column = loc.column.unwrap_or(1) as usize;
    let start = column.saturating_sub(1).saturating_sub(MAX_SNIPPET / 2);
    let end = (start + MAX_SNIPPET).min(chars.len());
    let mut shown: String = chars[start.min(end)..end].iter().collect();
    if start > 0 {
        shown.insert_str(0, "...");
        column = column - start + 3;
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    let width = loc
        .span
        .as_ref()
        .map(|s| {
            let start = s.start.min(text.len());
            let end = s.end.min(text.len()).max(start);
            text.get(start..end)
                .map(|t| t.lines().next().unwrap_or("").chars().count())
                .unwrap_or(1)
        })
        .unwrap_or(1)
        .clamp(1, MAX_SNIPPET);
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    let blue = Style::new()
        .fg_color(Some(AnsiColor::Blue.into()))
        .effects(Effects::BOLD);
    let _ = writeln!(out, "{pad} {}", paint(opts, blue, "|"));
    let _ = writeln!(out, "{} {shown}", paint(opts, blue, &format!("{gutter} |")));
    let carets = paint(opts, severity_style(sev), &"^".repeat(width));
    let _ = writeln!(
        out,
        "{pad} {} {}{carets}",
        paint(opts, blue, "|"),
        " ".repeat(column.saturating_sub(1))
    );
}
