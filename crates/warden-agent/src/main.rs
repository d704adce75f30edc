//! `warden-agent`: the endpoint agent. A thin shell over `warden-agent-core`:
//! parse arguments, pick system or user mode, print the report, exit with its code
//! (0 compliant, 1 non-compliant, 2 cannot evaluate; see `docs/agent.md`).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use warden_agent_args::{Cli, Command, CommonArgs, FormatArg, PlatformArg, RunArgs};
use warden_agent_core::paths::{Paths, Platform};
use warden_agent_core::report::{Finding, Format, Mode, Report, Severity};
use warden_agent_core::system::{self, Status, SystemOptions};
use warden_agent_core::user_result::{self, ConsoleUser, UserResult};
use warden_agent_core::{acl, lock, source, user};
use warden_registry::{PolicyRegistry, RegFileRegistry};
use warden_trust::Timestamp;

/// Test-only: milliseconds to pause between the steps of a write. Honoured only
/// with `--root`, so it can never slow a production run.
const PACE_ENV: &str = "WARDEN_AGENT_TEST_PACE_MS";

/// Test-only: milliseconds `enforce` waits for the run lock. Honoured only with
/// `--root`.
const LOCK_WAIT_ENV: &str = "WARDEN_AGENT_TEST_LOCK_WAIT_MS";

fn format_of(f: FormatArg) -> Format {
    match f {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jamf => Format::Jamf,
        FormatArg::Intune => Format::Intune,
        FormatArg::IntuneCompliance => Format::IntuneCompliance,
    }
}

fn platform_of(p: PlatformArg) -> Platform {
    match p {
        PlatformArg::Macos => Platform::MacOs,
        PlatformArg::Windows => Platform::Windows,
        PlatformArg::Linux => Platform::Linux,
    }
}

/// The whole program; `warden-agentw` runs it too.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let (output, code) = match cli.command {
        Command::Check(args) => run(&args, false),
        Command::Enforce(args) => run(&args, true),
        Command::Status(args) => status(&args),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (an MDM that read enough) is not the agent's failure.
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(code)
}

/// `--root` (and with it every test-only option) must relocate the system paths:
/// a root that is `/`, or that holds any real system path (after resolving links),
/// would point the relaxed test rules at production files.
fn check_root(common: &CommonArgs) -> Result<(), Finding> {
    let Some(root) = &common.root else {
        return Ok(());
    };
    let refuse = |why: String| {
        Finding::new(
            "invalid-argument",
            Severity::Error,
            format!(
                "--root {} {why}; --root and the test-only options need a directory that holds no real system path",
                root.display()
            ),
        )
    };
    let root = resolved(root).map_err(|e| refuse(format!("cannot be resolved ({e})")))?;
    if root.parent().is_none() {
        return Err(refuse("is the file-system root".to_owned()));
    }
    for platform in [Platform::MacOs, Platform::Linux, Platform::Windows] {
        let real = Paths::system(platform, None);
        let mut every = vec![
            real.managed_settings.clone(),
            real.bundle_file.clone(),
            real.trust_root.clone(),
            real.state_dir.clone(),
        ];
        every.extend(real.agent_preferences.clone());
        every.extend(real.cortex_preferences.clone());
        for path in every.iter().filter(|p| p.is_absolute()) {
            let path = resolved(path).unwrap_or_else(|_| path.clone());
            if path.starts_with(&root) {
                return Err(refuse(format!("holds the real {}", path.display())));
            }
        }
    }
    Ok(())
}

/// `path` made absolute with its longest existing ancestor's links resolved.
fn resolved(path: &std::path::Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(canonical) => {
                return Ok(rest.iter().rev().fold(canonical, |p, c| p.join(c)));
            }
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => return Ok(absolute),
            },
        }
    }
}

/// The owner system files must have: root, or the caller under a test root.
fn owner_uid(common: &CommonArgs) -> u32 {
    if common.root.is_some() {
        system::effective_uid()
    } else {
        0
    }
}

/// A test-only millisecond knob from the environment, honoured only under `--root`.
fn test_millis(common: &CommonArgs, var: &str) -> Option<Duration> {
    common
        .root
        .as_ref()
        .and_then(|_| std::env::var(var).ok()?.parse().ok())
        .map(Duration::from_millis)
}

fn paths(common: &CommonArgs) -> Paths {
    let platform = common.platform.map_or_else(Platform::current, platform_of);
    Paths::system(platform, common.root.as_deref())
}

fn clock(common: &CommonArgs) -> Result<Timestamp, Finding> {
    match &common.now {
        None => Ok(Timestamp::now()),
        Some(text) => warden_trust::time::parse_utc(text)
            .map_err(|e| Finding::new("invalid-argument", Severity::Error, e.to_string())),
    }
}

/// The registry to read machine policy from: `.reg` stand-ins when given, the live
/// registry on Windows, none elsewhere.
fn registry(common: &CommonArgs) -> Result<Option<Box<dyn PolicyRegistry>>, Finding> {
    if !common.registry_file.is_empty() {
        return RegFileRegistry::open(&common.registry_file)
            .map(|r| Some(Box::new(r) as Box<dyn PolicyRegistry>))
            .map_err(|e| Finding::new("registry-unreadable", Severity::Error, e.to_string()));
    }
    #[cfg(windows)]
    {
        Ok(Some(Box::new(warden_registry::WindowsRegistry)))
    }
    #[cfg(not(windows))]
    {
        Ok(None)
    }
}

fn run(args: &RunArgs, enforce: bool) -> (String, u8) {
    let common = &args.common;
    let format = format_of(common.format);
    let as_root = system::running_as_root();
    let mode = if args.system || (!args.user && as_root) {
        Mode::System
    } else {
        Mode::User
    };
    let prepared = check_root(common)
        .and_then(|()| clock(common))
        .and_then(|now| Ok((now, registry(common)?)));
    let (now, registry) = match prepared {
        Ok(v) => v,
        Err(finding) => {
            let report = Report::cannot_evaluate(mode, vec![finding]);
            return (report.render(format), report.exit_code());
        }
    };
    let paths = paths(common);
    let platform = paths.platform;
    let registry = registry.as_deref();
    let report = match mode {
        Mode::System => {
            let acl = acl::native();
            let opts = SystemOptions {
                owner_uid: owner_uid(common),
                paths,
                clock: now,
                registry,
                acl: acl.as_ref(),
                pace: test_millis(common, PACE_ENV),
                lock_wait: test_millis(common, LOCK_WAIT_ENV).unwrap_or(lock::DEFAULT_WAIT),
            };
            let mut report = if enforce {
                system::enforce(&opts)
            } else {
                system::check(&opts)
            };
            if let (Some(name), Some(home)) = (&args.console_user, &args.console_home) {
                report.console_user = Some(ConsoleUser::read(platform, name, home));
            }
            report
        }
        Mode::User => {
            let Some(home) = common.home.clone().or_else(home_dir) else {
                let finding = Finding::new(
                    "no-home",
                    Severity::Error,
                    "no home directory: pass --home or set HOME",
                );
                let report = Report::cannot_evaluate(Mode::User, vec![finding]);
                return (report.render(format), report.exit_code());
            };
            let opts = user::UserOptions {
                home,
                env: std::env::vars().collect::<BTreeMap<_, _>>(),
                running_as_root: as_root,
            };
            let mut report = match source::load_for_user(&paths, registry, now, owner_uid(common)) {
                Err(findings) => Report::cannot_evaluate(Mode::User, findings),
                Ok(user_policy) => user_policy.annotate(if enforce {
                    user::enforce(&user_policy.policy, &opts)
                } else {
                    user::check(&user_policy.policy, &opts)
                }),
            };
            if enforce {
                record_user_result(&mut report, platform, &opts, now);
            }
            report
        }
    };
    (report.render(format), report.exit_code())
}

/// `enforce --user` leaves its summary where the system job reads it; a failure to do
/// so is a warning, never a change of verdict.
fn record_user_result(
    report: &mut Report,
    platform: Platform,
    opts: &user::UserOptions,
    now: Timestamp,
) {
    let result = UserResult::of(report, now);
    if let Err(e) = user_result::record(platform, &opts.home, &result, opts.running_as_root) {
        report.findings.push(Finding::new(
            "user-result-not-recorded",
            Severity::Warning,
            format!("{e}; the MDM will not see this run"),
        ));
    }
}

fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn status(common: &CommonArgs) -> (String, u8) {
    let format = format_of(common.format);
    let paths = paths(common);
    let refusal = check_root(common)
        .err()
        .or_else(|| system::untrusted_state(&paths, owner_uid(common)));
    if let Some(finding) = refusal {
        let report = Report::cannot_evaluate(Mode::System, vec![finding]);
        return (report.render(format), report.exit_code());
    }
    match Status::load(&paths) {
        Ok(status) => (status.render(format), status.exit_code()),
        Err(e) => {
            let finding = Finding::new("state-invalid", Severity::Error, e.to_string());
            let report = Report::cannot_evaluate(Mode::System, vec![finding]);
            (report.render(format), report.exit_code())
        }
    }
}
