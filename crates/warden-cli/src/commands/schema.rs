use std::process::ExitCode;

use crate::CliError;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> Result<ExitCode, CliError> {
    Err(CliError::usage("this command is not available in this build"))
}
