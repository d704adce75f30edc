//! `warden validate`: syntax, schema and semantic lints over profiles, all reported
//! together.

use std::path::PathBuf;
use std::process::ExitCode;

use warden_diag::Sources;
use warden_profile::{FsLoader, ProfileLoader};

use crate::CliError;
use crate::findings::{self, FindingsFormat};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Profile files or directories (searched for `*.toml` and `*.json`)
    #[arg(default_value = "profiles")]
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: FindingsFormat,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let files = super::profile_files(&args.paths)?;
    let mut all = Vec::new();
    let mut sources = Sources::default();
    // Every core, each base read once; results come back in the order of `files`.
    for loaded in ProfileLoader::new(&FsLoader).load_all(&files) {
        all.extend(loaded.findings);
        // Size limits, measured on the compiled values so `compile` never fails on one.
        if let Some(p) = &loaded.profile {
            all.extend(warden_compile::limits::findings(p));
        }
        for (name, text) in loaded.sources.iter() {
            sources.insert(name, text);
        }
    }
    findings::dedup(&mut all);
    findings::print(&all, &sources, args.format);
    if args.format == FindingsFormat::Human {
        eprintln!("checked {} profile(s)", files.len());
    }
    Ok(if all.iter().any(|f| f.is_error()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
