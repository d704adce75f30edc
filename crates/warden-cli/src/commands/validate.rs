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
    // Size limits are measured on the compiled values, so `compile` never fails on one.
    let loader = ProfileLoader::new(&FsLoader);
    let all_loaded = loader.load_all_then(&files, |loaded| {
        // Measured and dropped here, on the worker: only the findings are kept.
        if let Some(p) = loaded.profile.take() {
            let limits = warden_compile::limits::findings(&p);
            loaded.findings.extend(limits);
        }
    });
    for loaded in all_loaded {
        // Only the files findings point into are rendered.
        for (name, text) in loaded.sources.iter() {
            if loaded
                .findings
                .iter()
                .any(|f| f.location.file.as_deref() == Some(name))
            {
                sources.insert(name, text);
            }
        }
        all.extend(loaded.findings);
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
