//! One module per `warden` subcommand.

pub(crate) mod compile;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod enforcement;
pub(crate) mod explain;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod keygen;
pub(crate) mod man;
pub(crate) mod schema;
pub(crate) mod test;
pub(crate) mod trust;
pub(crate) mod validate;
pub(crate) mod verify;

use std::path::{Path, PathBuf};

use crate::CliError;

/// The two programs whose command lines `completions` and `man` describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Program {
    Warden,
    WardenAgent,
}

impl Program {
    /// The clap definition the program itself parses with.
    pub(crate) fn command(self) -> clap::Command {
        use clap::CommandFactory;
        match self {
            Self::Warden => crate::Cli::command(),
            Self::WardenAgent => warden_agent_args::Cli::command(),
        }
    }
}

/// Every profile file named by `paths` (files, or directories searched recursively),
/// in a deterministic order. A missing path, or no profile at all, is a usage error.
pub(crate) fn profile_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        if !Path::new(path).exists() {
            return Err(CliError::usage(format!(
                "`{}` does not exist",
                path.display()
            )));
        }
        files.extend(warden_profile::discover(path).map_err(|e| CliError::io(path, e))?);
    }
    if files.is_empty() {
        return Err(CliError::usage(
            "no profiles found (looked for *.toml and *.json)",
        ));
    }
    Ok(files)
}
