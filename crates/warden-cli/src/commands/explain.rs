//! `warden explain`: the decision a profile reaches for each connection of a Snowflake
//! connection file, with the rule behind every part of it.
//!
//! The files are combined by `warden-connections` exactly as the Snowflake clients combine
//! them, and each connection goes through `Policy::evaluate_connection`, the engine the
//! endpoint agent runs, so what this prints in CI is what the laptop will do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstyle::{AnsiColor, Effects, Style};
use warden_connections::{
    ConnectionSet, DefaultSource, FileError, FileInput, FileKind, Note, ParsedConnection,
    SourceFile,
};
use warden_policy::{
    AccountStatus, AccountVerdict, AuthenticatorVerdict, ConnectionVerdict, EffectiveSource,
    HostVerdict, RoleStatus, RoleVerdict, Rule, SecretFinding, SecretKind,
};
use warden_profile::cases::{account_status_name, decisive_rule};
use warden_profile::enforced::{self, Enforcement};
use warden_profile::model::RuleMode;
use warden_profile::{FsLoader, ResolvedProfile};

use crate::CliError;
use crate::findings;

/// Version of the JSON report; bump it on any incompatible change.
const SCHEMA: &str = "warden.explain/v1";

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ExplainFormat {
    /// For people: one block per connection, colour on a terminal
    #[default]
    Text,
    /// Versioned JSON (`warden.explain/v1`; `warden.enforcement/v1` with `--enforcement`)
    Json,
    /// A Markdown table for a pull-request comment (with `--enforcement`)
    Markdown,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The profile whose policy judges the connections
    profile: PathBuf,
    /// A `connections.toml`; when it is given, the `[connections.*]` of `config.toml` are
    /// ignored, as the Snowflake clients ignore them
    #[arg(long, value_name = "FILE", required_unless_present_any = ["config", "enforcement"])]
    connections: Option<PathBuf>,
    /// A `config.toml`: where `default_connection_name` lives, and the connections when
    /// `--connections` is not given
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Explain only the connection with this exact name
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: ExplainFormat,
    /// Instead of judging connections: for every control the profile sets, per OS and
    /// client, what enforces it and how tamper-resistant that is
    #[arg(long, conflicts_with_all = ["connections", "config", "name"])]
    enforcement: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let profile = load_profile(&args.profile)?;
    if args.enforcement {
        return super::enforcement::run(&profile, args.format);
    }
    if args.format == ExplainFormat::Markdown {
        return Err(CliError::usage(
            "`--format markdown` is for `--enforcement`".to_owned(),
        ));
    }
    let set = load_set(args.config.as_deref(), args.connections.as_deref())?;
    if let Some(name) = &args.name
        && set.get(name).is_none()
    {
        let known: Vec<String> = set
            .connections
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect();
        return Err(CliError::usage(format!(
            "no connection named `{name}` (the files define {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    let report = Report::new(&args.profile, &profile, &set, args.name.as_deref());
    let text = match args.format {
        ExplainFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            report.text(color)
        }
        ExplainFormat::Json => report.json(),
        ExplainFormat::Markdown => unreachable!("refused above"),
    };
    // A closed pipe (`warden explain … | head`) is not an error worth reporting. JSON has
    // no styles to strip, so it goes to stdout as it is.
    let (mut raw, mut styled);
    let out: &mut dyn std::io::Write = if args.format == ExplainFormat::Json {
        raw = std::io::stdout().lock();
        &mut raw
    } else {
        styled = anstream::stdout();
        &mut styled
    };
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if report.all_compliant() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Loads the profile; a profile with errors cannot judge anything, so its findings go to
/// stderr (stdout may be JSON) and the command stops.
fn load_profile(path: &Path) -> Result<ResolvedProfile, CliError> {
    if !path.exists() {
        return Err(CliError::usage(format!(
            "`{}` does not exist",
            path.display()
        )));
    }
    let loaded = warden_profile::load(path, &FsLoader);
    if let Some(p) = loaded.profile {
        return Ok(p);
    }
    let mut errors: Vec<_> = loaded
        .findings
        .into_iter()
        .filter(|f| f.is_error())
        .collect();
    findings::dedup(&mut errors);
    let color = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    let rendered = warden_diag::render::human(
        &errors,
        &loaded.sources,
        warden_diag::render::HumanOptions { color },
    );
    let mut err = anstream::stderr();
    let _ = writeln!(err, "`{}` has errors:", path.display());
    let _ = err.write_all(rendered.as_bytes());
    Err(CliError::usage(format!(
        "cannot explain with `{}`: it does not validate",
        path.display()
    )))
}

/// Reads the files named on the command line and combines them as the clients do.
///
/// The shell's `SNOWFLAKE_*` variables are deliberately not applied: they belong to one
/// shell on one machine, and the answer for a file must be the same in CI and on a laptop.
fn load_set(config: Option<&Path>, connections: Option<&Path>) -> Result<ConnectionSet, CliError> {
    let read = |path: Option<&Path>| -> Result<Option<Result<Vec<u8>, FileError>>, CliError> {
        let Some(path) = path else {
            return Ok(None);
        };
        match warden_connections::read_capped(path) {
            Ok(Some(bytes)) => Ok(Some(Ok(bytes))),
            Ok(None) => Err(CliError::usage(format!(
                "`{}` does not exist",
                path.display()
            ))),
            Err(e) => Ok(Some(Err(e))),
        }
    };
    let (config_read, conn_read) = (read(config)?, read(connections)?);
    let set = ConnectionSet::build(
        input(config, &config_read),
        input(connections, &conn_read),
        &BTreeMap::new(),
    );
    if let Some((bad, error)) = set
        .files
        .iter()
        .find_map(|f| f.error.as_ref().map(|e| (f, e)))
    {
        let what = match bad.kind {
            FileKind::ConfigToml => "config.toml",
            FileKind::ConnectionsToml => "connections.toml",
        };
        return Err(CliError::failed(
            format!(
                "cannot use the {what} `{}`: the Snowflake clients refuse to run until it is fixed",
                bad.path.display()
            ),
            error.clone(),
        ));
    }
    Ok(set)
}

/// The input `ConnectionSet::build` takes for one file named on the command line.
fn input<'a>(
    path: Option<&'a Path>,
    read: &'a Option<Result<Vec<u8>, FileError>>,
) -> Option<FileInput<'a>> {
    Some(FileInput {
        path: path?,
        content: read.as_ref()?.as_deref(),
    })
}

/// The JSON report (`warden.explain/v1`); keys in this order.
#[derive(serde::Serialize)]
struct ReportJson<'a> {
    schema: &'static str,
    profile: serde_json::Value,
    files: &'a [SourceFile],
    connections_file: Option<String>,
    default_connection: serde_json::Value,
    required_connection: Option<serde_json::Value>,
    plaintext_secrets: RuleMode,
    cortex_controls_enabled: bool,
    connections: Vec<ConnectionJson<'a>>,
    notes: &'a [Note],
    summary: serde_json::Value,
}

/// One connection in the JSON report, serialised straight from the verdict: a report of
/// thousands of connections is not built as a `serde_json::Value` tree first.
#[derive(serde::Serialize)]
struct ConnectionJson<'a> {
    name: &'a str,
    file: String,
    line: usize,
    compliant: bool,
    rule: &'a Rule,
    required: bool,
    default: bool,
    account: &'a AccountVerdict,
    host: Option<&'a HostVerdict>,
    authenticator: &'a AuthenticatorVerdict,
    role: &'a RoleVerdict,
    secrets: &'a [SecretFinding],
    #[serde(skip_serializing_if = "Option::is_none")]
    enforcement: Option<&'a Enforcement>,
}

/// One connection and what the policy decided about it.
struct Explained<'a> {
    conn: &'a ParsedConnection,
    verdict: ConnectionVerdict,
    is_default: bool,
    /// What still refuses it while Cortex Code's controls are switched off.
    enforcement: Option<Enforcement>,
}

/// Everything `explain` reports. Built without I/O, then rendered.
struct Report<'a> {
    profile_path: &'a Path,
    profile: &'a ResolvedProfile,
    set: &'a ConnectionSet,
    explained: Vec<Explained<'a>>,
}

impl<'a> Report<'a> {
    fn new(
        profile_path: &'a Path,
        profile: &'a ResolvedProfile,
        set: &'a ConnectionSet,
        only: Option<&str>,
    ) -> Self {
        let evaluator = profile.policy.evaluator();
        let explained = set
            .connections
            .iter()
            .filter(|c| only.is_none_or(|n| c.name == n))
            .map(|conn| {
                let verdict = evaluator.evaluate_connection(&conn.params);
                Explained {
                    conn,
                    enforcement: enforced::when_disabled(
                        profile,
                        &evaluator,
                        &conn.params,
                        &verdict,
                    ),
                    verdict,
                    is_default: conn.name == set.default_connection_name,
                }
            })
            .collect();
        Self {
            profile_path,
            profile,
            set,
            explained,
        }
    }

    fn all_compliant(&self) -> bool {
        self.explained.iter().all(|e| e.verdict.compliant)
    }

    fn compliant_count(&self) -> usize {
        self.explained
            .iter()
            .filter(|e| e.verdict.compliant)
            .count()
    }

    /// Refused connections that nothing blocks (only with the Cortex Code controls off).
    fn unblocked_count(&self) -> usize {
        self.explained
            .iter()
            .filter(|e| e.enforcement.as_ref().is_some_and(|x| !x.blocked))
            .count()
    }

    fn required(&self) -> Option<(&str, bool)> {
        let name = self.profile.policy.required_connection.as_deref()?;
        Some((name, self.set.get(name).is_some()))
    }

    fn json(&self) -> String {
        let connections: Vec<ConnectionJson<'_>> = self
            .explained
            .iter()
            .map(|e| {
                let v = &e.verdict;
                ConnectionJson {
                    name: &e.conn.name,
                    file: e.conn.file.display().to_string(),
                    line: e.conn.line,
                    compliant: v.compliant,
                    rule: decisive_rule(v),
                    required: v.required,
                    default: e.is_default,
                    account: &v.account,
                    host: v.host.as_ref(),
                    authenticator: &v.authenticator,
                    role: &v.role,
                    secrets: &v.secrets,
                    enforcement: e.enforcement.as_ref(),
                }
            })
            .collect();
        let doc = ReportJson {
            schema: SCHEMA,
            profile: serde_json::json!({
                "id": self.profile.identity.id,
                "serial": self.profile.identity.serial,
                "file": self.profile_path.display().to_string(),
            }),
            files: &self.set.files,
            connections_file: self
                .set
                .connections_file
                .as_ref()
                .map(|p| p.display().to_string()),
            default_connection: serde_json::json!({
                "name": self.set.default_connection_name,
                "source": self.set.default_connection_source,
                "defined": self.set.default_connection().is_some(),
            }),
            required_connection: self.required().map(|(name, defined)| {
                serde_json::json!({
                    "name": name,
                    "defined": defined,
                    // The names of the agent's `warden.report/v1` for the same facts.
                    "present": defined,
                    "is_default": defined && self.set.default_connection_name == name,
                })
            }),
            plaintext_secrets: self.profile.endpoint.plaintext_secrets,
            cortex_controls_enabled: enforced::cortex_controls_enabled(self.profile),
            connections,
            notes: &self.set.notes,
            summary: serde_json::json!({
                "connections": self.explained.len(),
                "compliant": self.compliant_count(),
                "not_compliant": self.explained.len() - self.compliant_count(),
                "not_blocked": self.unblocked_count(),
            }),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("the explain report serializes");
        s.push('\n');
        s
    }

    fn text(&self, color: bool) -> String {
        let p = Painter { color };
        let mut s = String::new();
        let id = &self.profile.identity;
        let _ = writeln!(
            s,
            "{}{} (serial {}), {}",
            p.head("profile"),
            id.id,
            id.serial,
            self.profile_path.display()
        );
        let from = match &self.set.connections_file {
            Some(f) => f.display().to_string(),
            None => "(no connection file)".to_owned(),
        };
        let _ = writeln!(s, "{}{from}", p.head("connections"));
        let default_from = match self.set.default_connection_source {
            DefaultSource::Builtin => "no `default_connection_name` is set",
            DefaultSource::ConfigToml => "`default_connection_name` in config.toml",
            DefaultSource::Environment => "SNOWFLAKE_DEFAULT_CONNECTION_NAME",
        };
        let defined = |yes: bool| if yes { "" } else { ", not defined" };
        let _ = writeln!(
            s,
            "{}`{}` ({default_from}{})",
            p.head("default"),
            self.set.default_connection_name,
            defined(self.set.default_connection().is_some())
        );
        match self.required() {
            Some((name, present)) => {
                let state = if present {
                    p.paint(GOOD, "defined")
                } else {
                    p.paint(BAD, "NOT DEFINED")
                };
                let _ = writeln!(s, "{}`{name}` ({state})", p.head("required"));
            }
            None => {
                let _ = writeln!(s, "{}(the profile names none)", p.head("required"));
            }
        }
        if !enforced::cortex_controls_enabled(self.profile) {
            let _ = writeln!(
                s,
                "{}{}",
                p.head("note"),
                p.paint(WARN, enforced::DISABLED_NOTE)
            );
        }
        for e in &self.explained {
            s.push('\n');
            self.block(&mut s, e, p);
        }
        if self.explained.is_empty() {
            s.push_str("\nno connections to explain\n");
        }
        if !self.set.notes.is_empty() {
            let _ = writeln!(s, "\n{}", p.paint(BOLD, "notes"));
            for n in &self.set.notes {
                let _ = writeln!(s, "  {}", note_line(n));
            }
        }
        let not = self.explained.len() - self.compliant_count();
        let unblocked = self.unblocked_count();
        let _ = writeln!(
            s,
            "\n{} connection(s): {} compliant, {}{}",
            self.explained.len(),
            self.compliant_count(),
            if not == 0 {
                "0 not compliant".to_owned()
            } else {
                p.paint(BAD, &format!("{not} not compliant"))
            },
            if unblocked == 0 {
                String::new()
            } else {
                format!(
                    " ({})",
                    p.paint(BAD, &format!("{unblocked} of them not blocked"))
                )
            }
        );
        s
    }

    fn block(&self, s: &mut String, e: &Explained<'_>, p: Painter) {
        let v = &e.verdict;
        let decision = if v.compliant {
            p.paint(GOOD, "compliant")
        } else {
            let unblocked = e.enforcement.as_ref().is_some_and(|x| !x.blocked);
            p.paint(
                BAD,
                &format!(
                    "NOT COMPLIANT ({}){}",
                    decisive_rule(v).id.as_str(),
                    if unblocked { ", NOT BLOCKED" } else { "" }
                ),
            )
        };
        let _ = writeln!(s, "{}: {decision}", p.paint(BOLD, &e.conn.name));
        let _ = writeln!(
            s,
            "  {:<LABEL$}{}:{}",
            "defined at",
            e.conn.file.display(),
            e.conn.line
        );
        let mut roles = Vec::new();
        if v.required {
            roles.push("the required connection");
        }
        if e.is_default {
            roles.push("the default connection");
        }
        if !roles.is_empty() {
            let _ = writeln!(s, "  {:<LABEL$}{}", "serves as", roles.join(" and "));
        }
        if let Some(x) = &e.enforcement {
            let (word, tone) = if x.blocked {
                ("blocked", GOOD)
            } else {
                ("NOT BLOCKED", BAD)
            };
            check(s, p, "enforced by", tone, word, &x.describe());
        }

        // Account.
        let a = &v.account;
        let detail = match (&a.raw, &a.normalized) {
            (None, _) => "(not set)".to_owned(),
            (Some(raw), Some(n)) if raw != n => format!("`{raw}` → {n}"),
            (Some(raw), _) => format!("`{raw}`"),
        };
        let tone = match a.status {
            AccountStatus::Allowed => GOOD,
            AccountStatus::Unverifiable | AccountStatus::NotEvaluable => WARN,
            AccountStatus::Denied | AccountStatus::HostMismatch => BAD,
        };
        check(
            s,
            p,
            "account",
            tone,
            account_status_name(a.status),
            &detail,
        );
        rule_line(s, &a.rule);

        // Host.
        if let Some(h) = &v.host {
            let (word, tone) = host_status(h);
            let detail = match &h.normalized {
                Some(n) if *n != h.raw => format!("`{}` → {n}", h.raw),
                _ => format!("`{}`", h.raw),
            };
            check(s, p, "host", tone, word, &detail);
        }

        // Authenticator.
        let au = &v.authenticator;
        let how = match (au.source, &au.configured) {
            (EffectiveSource::Configured, Some(c))
                if !c.trim().eq_ignore_ascii_case(au.effective.as_str()) =>
            {
                format!("configured as `{c}`")
            }
            (EffectiveSource::Configured, _) => "configured".to_owned(),
            (EffectiveSource::Default, _) => "the default: no `authenticator`".to_owned(),
            (EffectiveSource::PrivateKey, None) => "forced by the private key".to_owned(),
            (EffectiveSource::PrivateKey, Some(c)) => {
                format!("forced by the private key over `{c}`")
            }
        };
        let (word, tone) = if au.allowed {
            ("allowed", GOOD)
        } else {
            ("not allowed", BAD)
        };
        check(
            s,
            p,
            "authenticator",
            tone,
            word,
            &format!("{} ({how})", au.effective),
        );
        rule_line(s, &au.rule);

        // Role.
        let r = &v.role;
        let detail = match &r.value {
            Some(role) => format!("`{role}`"),
            None => "(not set)".to_owned(),
        };
        let tone = match (r.compliant, r.status) {
            (false, _) => BAD,
            (true, RoleStatus::Missing | RoleStatus::Placeholder) => WARN,
            (true, _) => GOOD,
        };
        check(s, p, "role", tone, role_status_name(r.status), &detail);
        rule_line(s, &r.rule);

        // Secrets: reported with the endpoint rule that decides what happens to them.
        if v.secrets.is_empty() {
            check(s, p, "secrets", GOOD, "none", "");
        } else {
            let mode = rule_mode_name(self.profile.endpoint.plaintext_secrets);
            for (i, secret) in v.secrets.iter().enumerate() {
                let label = if i == 0 { "secrets" } else { "" };
                check(
                    s,
                    p,
                    label,
                    WARN,
                    "found",
                    &format!(
                        "{} (endpoint rule `plaintext_secrets`: {mode})",
                        secret_name(secret.kind)
                    ),
                );
            }
        }
    }
}

/// Width of the label column.
const LABEL: usize = 15;
/// Width of the status column.
const STATUS: usize = 15;

const GOOD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const WARN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const BAD: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const BOLD: Style = Style::new().effects(Effects::BOLD);

/// Colours text when the output is a terminal; the text is the same either way.
#[derive(Clone, Copy)]
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// A header label, padded before painting so the columns stay aligned.
    fn head(self, label: &str) -> String {
        self.paint(BOLD, &format!("{label:<13}"))
    }
}

/// One check: label, status (padded, then coloured), detail.
fn check(s: &mut String, p: Painter, label: &str, tone: Style, status: &str, detail: &str) {
    let status = p.paint(tone, &format!("{status:<STATUS$}"));
    let line = format!("  {label:<LABEL$}{status}{detail}");
    let _ = writeln!(s, "{}", line.trim_end());
}

/// The rule under a check, indented to the status column.
fn rule_line(s: &mut String, rule: &Rule) {
    let _ = writeln!(
        s,
        "  {:<LABEL$}{}: {}",
        "",
        rule.id.as_str(),
        rule.explanation
    );
}

fn host_status(h: &HostVerdict) -> (&'static str, Style) {
    match h.matches_account {
        Some(true) => ("matches", GOOD),
        Some(false) => ("MISMATCH", BAD),
        None => ("unchecked", WARN),
    }
}

fn role_status_name(s: RoleStatus) -> &'static str {
    match s {
        RoleStatus::Missing => "missing",
        RoleStatus::Unset => "unset",
        RoleStatus::Default => "default",
        RoleStatus::Forbidden => "forbidden",
        RoleStatus::Other => "allowed",
        RoleStatus::Placeholder => "placeholder",
    }
}

fn secret_name(k: SecretKind) -> &'static str {
    match k {
        SecretKind::PlaintextPassword => "plaintext password in `password`",
        SecretKind::PatInPassword => "programmatic access token (PAT) in `password`",
        SecretKind::InlineToken => "token stored inline in `token`",
        SecretKind::InlinePrivateKey => "private key stored inline in `private_key_raw`",
    }
}

fn rule_mode_name(m: RuleMode) -> &'static str {
    match m {
        RuleMode::Off => "off",
        RuleMode::Audit => "audit",
        RuleMode::Enforce => "enforce",
    }
}

fn note_line(n: &Note) -> String {
    let place = match (&n.file, n.line) {
        (Some(f), Some(l)) => format!("{}:{l}: ", f.display()),
        (Some(f), None) => format!("{}: ", f.display()),
        _ => String::new(),
    };
    format!("{place}{} [{}]", n.message, n.code)
}
