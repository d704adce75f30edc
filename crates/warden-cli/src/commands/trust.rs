use std::process::ExitCode;

use crate::CliError;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum TrustCommand {
    /// Show a trust root
    Show,
}

pub(crate) fn run(_cmd: &TrustCommand) -> Result<ExitCode, CliError> {
    Err(CliError::usage("this command is not available in this build"))
}
