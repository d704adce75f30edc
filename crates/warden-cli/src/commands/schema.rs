//! `warden schema`: print a generated JSON Schema.

use std::io::Write;
use std::process::ExitCode;

use crate::CliError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Which {
    /// The policy profile (`schemas/profile.schema.json`)
    Profile,
    /// Cortex Code's `managed-settings.json` (`schemas/cortex-managed-settings.schema.json`)
    CortexManagedSettings,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which schema to print
    #[arg(value_enum)]
    which: Which,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let text = match args.which {
        Which::Profile => warden_profile::schema::profile_schema_text(),
        Which::CortexManagedSettings => warden_compile::CORTEX_MANAGED_SETTINGS_SCHEMA.to_owned(),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
