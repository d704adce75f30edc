//! The command line of `warden-agent`.
//!
//! Its own crate so that the agent and the admin CLI's `warden completions` and
//! `warden man` read one definition, without the agent linking the generators.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `warden-agent` and its subcommands.
#[derive(Debug, Parser)]
#[command(
    name = "warden-agent",
    version,
    about = "Verify the signed Warden policy bundle and keep this endpoint on it",
    long_about = "Verify the signed Warden policy bundle and keep this endpoint on it.\n\n\
        System mode (root/SYSTEM) keeps Cortex Code's managed-settings.json exactly as signed \
        and reports MDM drift; user mode audits and repairs the user's Snowflake connections.\n\n\
        Exit codes: 0 compliant, 1 non-compliant, 2 cannot evaluate."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify and report; never writes anything.
    Check(RunArgs),
    /// Verify, repair what the policy says to enforce, and report.
    Enforce(RunArgs),
    /// Show the policy in force and the last result recorded by system mode.
    Status(CommonArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// System mode: Cortex Code's managed settings (default when run as root).
    #[arg(long, conflicts_with = "user")]
    pub system: bool,
    /// User mode: the user's Snowflake connections (default when run as a user).
    #[arg(long)]
    pub user: bool,
    /// System mode: also report the last result user mode recorded for this user (the
    /// one at the console), in the same line (Jamf extension attribute, Intune detection).
    #[arg(
        long,
        value_name = "NAME",
        requires = "console_home",
        conflicts_with = "user"
    )]
    pub console_user: Option<String>,
    /// The home directory of `--console-user`.
    #[arg(long, value_name = "DIR", requires = "console_user")]
    pub console_home: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Relocate every system path under DIR (for testing; no real path is touched).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The home directory user mode audits (default: $HOME).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Evaluate at this RFC 3339 UTC time instead of the clock (with --root only, and
    /// a root that holds no real system path).
    #[arg(long, hide = true, value_name = "RFC3339", requires = "root")]
    pub now: Option<String>,
    /// Use another OS's layout and MDM channel (with --root only).
    #[arg(long, hide = true, value_enum, requires = "root")]
    pub platform: Option<PlatformArg>,
    /// Stand-in for the Windows registry: .reg files applied in order (with --root only).
    #[arg(long, hide = true, value_name = "FILE", requires = "root")]
    pub registry_file: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    /// A Jamf Pro extension attribute: `<result>…</result>`.
    Jamf,
    /// One line for Intune remediation output.
    Intune,
    /// The JSON an Intune custom compliance discovery script returns.
    IntuneCompliance,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlatformArg {
    Macos,
    Windows,
    Linux,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
