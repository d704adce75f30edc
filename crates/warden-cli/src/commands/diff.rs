//! `warden diff`: the change in effect between two profiles, with loosening marked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use warden_profile::FsLoader;
use warden_profile::diff::{Change, Effect, diff};

use crate::CliError;
use crate::findings::{self, FindingsFormat};

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    #[default]
    Text,
    Json,
    /// For a pull-request comment
    Markdown,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The profile before the change
    old: PathBuf,
    /// The profile after the change
    new: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: DiffFormat,
    /// Exit 1 when any change loosens the policy (so CI can ask for a second review)
    #[arg(long)]
    fail_on_loosen: bool,
}

fn load(path: &Path) -> Result<warden_profile::ResolvedProfile, CliError> {
    let loaded = warden_profile::load(path, &FsLoader);
    match loaded.profile {
        Some(p) => Ok(p),
        None => {
            let mut errors: Vec<_> = loaded
                .findings
                .into_iter()
                .filter(|f| f.is_error())
                .collect();
            findings::dedup(&mut errors);
            eprintln!("`{}` has errors:", path.display());
            findings::print(&errors, &loaded.sources, FindingsFormat::Human);
            Err(CliError::usage(format!(
                "cannot diff `{}`: it does not validate",
                path.display()
            )))
        }
    }
}

fn label(e: Effect) -> &'static str {
    match e {
        Effect::Loosening => "LOOSENS",
        Effect::Tightening => "tightens",
        Effect::Neutral => "changes",
    }
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let changes = diff(&old, &new);
    let loosening = changes
        .iter()
        .filter(|c| c.effect == Effect::Loosening)
        .count();
    let text = match args.format {
        DiffFormat::Text => text(&changes, &old, &new, loosening),
        DiffFormat::Json => {
            let doc = serde_json::json!({
                "schema": "warden.diff/v1",
                "old": { "id": old.identity.id, "serial": old.identity.serial },
                "new": { "id": new.identity.id, "serial": new.identity.serial },
                "loosening": loosening,
                "changes": changes,
            });
            let mut s = serde_json::to_string_pretty(&doc).expect("diff serializes");
            s.push('\n');
            s
        }
        DiffFormat::Markdown => markdown(&changes, &old, &new, loosening),
    };
    out!("{text}");
    Ok(if args.fail_on_loosen && loosening > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn text(
    changes: &[Change],
    old: &warden_profile::ResolvedProfile,
    new: &warden_profile::ResolvedProfile,
    loosening: usize,
) -> String {
    let mut s = format!(
        "{} (serial {}) → {} (serial {})\n",
        old.identity.id, old.identity.serial, new.identity.id, new.identity.serial
    );
    if changes.is_empty() {
        s.push_str("no change in effect\n");
        return s;
    }
    for c in changes {
        s.push_str(&format!(
            "  {:<8}  {:<14} {}\n",
            label(c.effect),
            c.area,
            c.description
        ));
    }
    s.push_str(&format!(
        "{} change(s), {loosening} loosening\n",
        changes.len()
    ));
    s
}

fn markdown(
    changes: &[Change],
    old: &warden_profile::ResolvedProfile,
    new: &warden_profile::ResolvedProfile,
    loosening: usize,
) -> String {
    let mut s = format!(
        "### Policy change: `{}` serial {} → {}\n\n",
        new.identity.id, old.identity.serial, new.identity.serial
    );
    if changes.is_empty() {
        s.push_str("No change in effect.\n");
        return s;
    }
    if loosening > 0 {
        s.push_str(&format!(
            "> **{loosening} change(s) loosen the policy** and need a second review.\n\n"
        ));
    }
    s.push_str("| effect | area | change |\n|---|---|---|\n");
    for c in changes {
        let effect = match c.effect {
            Effect::Loosening => "⚠️ loosens",
            Effect::Tightening => "tightens",
            Effect::Neutral => "changes",
        };
        s.push_str(&format!(
            "| {effect} | {} | {} |\n",
            c.area,
            c.description.replace('|', "\\|")
        ));
    }
    s
}
