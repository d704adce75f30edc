//! `warden completions`: shell completions for `warden` and `warden-agent`, generated
//! from the same clap definitions the binaries parse with.

use std::process::ExitCode;

use clap_complete::Shell;

use super::Program;
use crate::CliError;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: ShellArg,
    /// The program to complete
    #[arg(long, value_enum, default_value_t = Program::Warden)]
    program: Program,
}

/// The shells supported (clap_complete's, named as users type them).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl From<ShellArg> for Shell {
    fn from(s: ShellArg) -> Self {
        match s {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Powershell => Shell::PowerShell,
            ShellArg::Elvish => Shell::Elvish,
        }
    }
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let mut cmd = args.program.command();
    let name = cmd.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(Shell::from(args.shell), &mut cmd, name, &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}
