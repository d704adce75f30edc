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
    // The schema validator takes milliseconds to build and does not depend on the
    // files: build it while they are found. Loading waits for it if it is not done.
    std::thread::spawn(warden_profile::schema::prepare);
    let files = super::profile_files(&args.paths)?;
    // Every core, each base read once; results come back in the order of `files`.
    // Size limits are measured on the compiled values, so `compile` never fails on one.
    let loader = ProfileLoader::new(&FsLoader);
    let results = loader.load_all_map(&files, |mut loaded| {
        // Measured and dropped here, on the worker: only the findings are kept, with
        // the texts of the files they point into (the only ones rendered).
        if let Some(p) = loaded.profile.take() {
            loaded.findings.extend(warden_compile::limits::findings(&p));
        }
        let findings = &loaded.findings;
        loaded.sources.retain(|name| {
            findings
                .iter()
                .any(|f| f.location.file.as_deref() == Some(name))
        });
        (loaded.findings, loaded.sources)
    });
    let mut all = Vec::new();
    let mut sources = Sources::default();
    for (findings, kept) in results {
        sources.append(kept);
        all.extend(findings);
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
