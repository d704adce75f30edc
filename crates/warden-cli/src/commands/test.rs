//! `warden test`: run the test cases declared in profiles (and in `*.tests.toml`
//! files beside them) through the same engine the endpoint agent uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use warden_diag::Sources;
use warden_profile::cases::{self, CaseResult, TestFile};
use warden_profile::{FsLoader, source};

use crate::CliError;
use crate::findings::{self, FindingsFormat};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Profile files or directories
    #[arg(default_value = "profiles")]
    paths: Vec<PathBuf>,
    /// Print every case, not only failures
    #[arg(long, short)]
    verbose: bool,
}

/// `team.toml` → `team.tests.toml`.
fn tests_file(profile: &Path) -> PathBuf {
    let stem = profile
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    profile.with_file_name(format!("{stem}.tests.toml"))
}

fn extra_cases(path: &Path) -> Result<Vec<(String, warden_profile::model::TestCase)>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = path.to_string_lossy();
    let doc = source::parse(&name, &bytes, source::Syntax::Toml)
        .map_err(|f| f.first().map(|f| f.message.clone()).unwrap_or_default())?;
    let file: TestFile = serde_json::from_value(doc.value).map_err(|e| e.to_string())?;
    Ok(file
        .tests
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("/tests/{i}"), t))
        .collect())
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let files = super::profile_files(&args.paths)?;
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut broken = Vec::new();
    let mut sources = Sources::default();
    for file in &files {
        let loaded = warden_profile::load(file, &FsLoader);
        let Some(profile) = loaded.profile else {
            broken.extend(loaded.findings.into_iter().filter(|f| f.is_error()));
            sources.append(loaded.sources);
            continue;
        };
        let mut all_cases = profile.tests.clone();
        let extra = tests_file(file);
        let mut extra_error = None;
        if extra.is_file() {
            match extra_cases(&extra) {
                Ok(more) => all_cases.extend(more),
                Err(e) => extra_error = Some(e),
            }
        }
        if all_cases.is_empty() && extra_error.is_none() {
            continue;
        }
        outln!("{} ({})", file.display(), profile.identity.id);
        if !warden_profile::enforced::cortex_controls_enabled(&profile) {
            outln!("  note  {}", warden_profile::enforced::DISABLED_NOTE);
        }
        let results: Vec<CaseResult> = all_cases
            .iter()
            .map(|(ptr, case)| cases::run_profile_case(&profile, ptr, case))
            .collect();
        for r in &results {
            if r.passed {
                passed += 1;
                if args.verbose {
                    outln!(
                        "  ok    {}  [{} by {}]",
                        r.name,
                        cases::word(r.decision),
                        r.rule
                    );
                }
            } else {
                failed += 1;
                outln!("  FAIL  {}", r.name);
                for m in &r.mismatches {
                    outln!("        {m}");
                }
                if !r.rule.is_empty() {
                    outln!("        decided by `{}`: {}", r.rule, r.explanation);
                }
            }
        }
        if let Some(e) = extra_error {
            failed += 1;
            outln!("  FAIL  {}: {e}", extra.display());
        }
        if !args.verbose && results.iter().all(|r| r.passed) {
            outln!("  ok    {} case(s)", results.len());
        }
    }
    if !broken.is_empty() {
        eprintln!("these profiles have errors and their cases were not run:");
        findings::dedup(&mut broken);
        findings::print(&broken, &sources, FindingsFormat::Human);
        failed += 1;
    }
    outln!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
