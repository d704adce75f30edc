//! One module per `warden` subcommand.

pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod enforcement;
pub(crate) mod explain;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod keygen;
pub(crate) mod schema;
pub(crate) mod test;
pub(crate) mod trust;
pub(crate) mod validate;
pub(crate) mod verify;

use std::path::{Path, PathBuf};

use crate::CliError;

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
