//! Rendering findings in the format the user asked for.

use std::io::Write;

use warden_diag::{Finding, Sources, render};

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum FindingsFormat {
    /// For people: the source line with a caret, colour on a terminal
    #[default]
    Human,
    /// Versioned JSON (`warden.findings/v1`)
    Json,
    /// GitHub Actions workflow annotations
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

/// Print `findings` to stdout. Colour follows the terminal and `NO_COLOR`.
pub(crate) fn print(findings: &[Finding], sources: &Sources, format: FindingsFormat) {
    let text = match format {
        FindingsFormat::Human => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            render::human(findings, sources, render::HumanOptions { color })
        }
        FindingsFormat::Json => render::json(findings),
        FindingsFormat::Github => render::github(findings),
        FindingsFormat::Sarif => {
            let codes = warden_profile::codes::all_code_info();
            render::sarif(
                findings,
                render::ToolInfo {
                    name: "warden",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules_help_base: concat!(
                        env!("CARGO_PKG_REPOSITORY"),
                        "/blob/main/docs/findings/"
                    ),
                    codes: &codes,
                },
            )
        }
    };
    let mut out = anstream::stdout();
    // A closed pipe (`warden validate | head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Drop findings reported twice (a base profile validated on its own and again as
/// part of a profile that extends it).
pub(crate) fn dedup(findings: &mut Vec<Finding>) {
    warden_diag::sort(findings);
    findings
        .dedup_by(|a, b| a.code == b.code && a.location == b.location && a.message == b.message);
}
