//! `warden`: the admin and CI command line.
//!
//! Every subcommand lives in `commands/<name>.rs` and returns an [`ExitCode`] or a
//! [`CliError`]; `main` is the one place that turns errors into exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `println!` that never panics: a closed pipe (`warden … | head`) is the reader's
/// choice, not an error, so write failures on stdout are ignored.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that never panics; see `outln!`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod commands;
mod error;
mod findings;
mod signing;

pub(crate) use error::CliError;

/// Compile one reviewed policy profile into everything needed to govern Snowflake
/// Cortex Code across a fleet.
#[derive(Debug, Parser)]
#[command(name = "warden", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check profiles: syntax, schema and semantic lints, all reported together
    Validate(commands::validate::Args),
    /// Print a generated JSON Schema
    Schema(commands::schema::Args),
    /// Scaffold a profile repository with a starter profile and CI workflow
    Init(commands::init::Args),
    /// Show the decision the policy reaches for each connection in a file
    Explain(commands::explain::Args),
    /// Run the test cases declared in profiles
    Test(commands::test::Args),
    /// Show the change in effect between two profiles
    Diff(commands::diff::Args),
    /// Compile profiles into Cortex Code, MDM and Snowflake artifacts
    Compile(commands::compile::Args),
    /// Turn an existing managed-settings.json, .mobileconfig/plist or .reg into a profile
    Import(commands::import::Args),
    /// Generate an Ed25519 signing key (PKCS#8 PEM)
    Keygen(commands::keygen::Args),
    /// Manage the threshold-signed trust root
    #[command(subcommand)]
    Trust(commands::trust::TrustCommand),
    /// Verify a signed policy bundle against a trust root
    Verify(commands::verify::Args),
    /// Print shell completions for warden or warden-agent
    Completions(commands::completions::Args),
    /// Print the manual page of warden or warden-agent, or write every page to a folder
    Man(commands::man::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Compile(args) => commands::compile::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Keygen(args) => commands::keygen::run(args),
        Command::Trust(cmd) => commands::trust::run(cmd),
        Command::Verify(args) => commands::verify::run(args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => err.report(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
