//! `warden-agentw`: `warden-agent` without a console window, for the Windows logon
//! task. On Windows it is linked for the GUI subsystem, so starting it in a user's
//! session opens no console; the program is `warden-agent`'s own (the same source
//! file), so arguments, behaviour and exit codes are identical. Its output has no
//! console to go to: read the exit code (Task Scheduler's last run result), or run
//! `warden-agent` for a report.
#![cfg_attr(windows, windows_subsystem = "windows")]
#![forbid(unsafe_code)]

#[path = "../main.rs"]
mod agent;

fn main() -> std::process::ExitCode {
    agent::main()
}
