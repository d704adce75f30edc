//! `warden init`: scaffold a profile repository.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::CliError;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory to create the repository in
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite files that already exist
    #[arg(long)]
    force: bool,
}

/// Files written by `init`, relative to the target directory.
fn files() -> Vec<(&'static str, String)> {
    vec![
        (
            "profiles/baseline.toml",
            include_str!("../../templates/baseline.toml").to_owned(),
        ),
        (
            "schemas/profile.schema.json",
            warden_profile::schema::profile_schema_text(),
        ),
        (
            ".github/workflows/warden.yml",
            include_str!("../../templates/warden.yml").to_owned(),
        ),
        (
            ".pre-commit-config.yaml",
            include_str!("../../templates/pre-commit-config.yaml").to_owned(),
        ),
        (".gitignore", "/dist\n/.warden-dev\n*.pem\n".to_owned()),
    ]
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let files = files();
    if !args.force {
        let existing: Vec<&str> = files
            .iter()
            .filter(|(rel, _)| args.dir.join(rel).exists())
            .map(|(rel, _)| *rel)
            .collect();
        if !existing.is_empty() {
            return Err(CliError::usage(format!(
                "refusing to overwrite {} (use --force): {}",
                if existing.len() == 1 {
                    "a file"
                } else {
                    "files"
                },
                existing.join(", ")
            )));
        }
    }
    for (rel, text) in &files {
        write(&args.dir.join(rel), text)?;
        outln!("created {}", Path::new(rel).display());
    }
    outln!(
        "\nnext: edit profiles/baseline.toml, then run `warden validate` and `warden test` in {}",
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| CliError::io(path, e))
}
