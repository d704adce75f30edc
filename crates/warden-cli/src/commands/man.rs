//! `warden man`: roff manual pages for `warden` and `warden-agent`, generated from the
//! same clap definitions the binaries parse with.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::Program;
use crate::CliError;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The program whose page is printed
    #[arg(long, value_enum, default_value_t = Program::Warden, conflicts_with = "out_dir")]
    program: Program,
    /// Write every page of both programs (one per command and subcommand, e.g.
    /// `warden-compile.1`, `warden-agent-check.1`) into DIR instead of printing one
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    match &args.out_dir {
        None => {
            let mut page = Vec::new();
            render(args.program.command(), &mut page)
                .map_err(|e| CliError::failed("cannot render the manual page", e))?;
            out!("{}", String::from_utf8_lossy(&page));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
            let mut written = Vec::new();
            for program in [Program::Warden, Program::WardenAgent] {
                write_pages(program.command(), "", dir, &mut written)?;
            }
            for path in written {
                outln!("{}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn render(cmd: clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    clap_mangen::Man::new(cmd).render(out)
}

/// One page per command, named `parent-child.1`, depth first. Hidden commands and
/// clap's generated `help` get none.
fn write_pages(
    cmd: clap::Command,
    prefix: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    let name = if prefix.is_empty() {
        cmd.get_name().to_owned()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    let cmd = cmd.name(name.clone()).disable_help_subcommand(true);
    let mut page = Vec::new();
    render(cmd.clone(), &mut page)
        .map_err(|e| CliError::failed("cannot render the manual page", e))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).map_err(|e| CliError::io(&path, e))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), &name, dir, written)?;
    }
    Ok(())
}
