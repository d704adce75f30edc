//! The user-mode audit: from a [`Snapshot`] to findings, per-connection results and the
//! repairs `enforce` may make. No I/O.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml_edit::Value;
use warden_bundle::EndpointPolicy;
use warden_connections::{FileError, FileKind, NoteCode, ParsedConnection};
use warden_policy::{AccountStatus, ConnectionVerdict, RoleStatus, RuleMode, SecretKind};

use super::edit::{ContentPlan, Location, NewConnection, Quarantine};
use super::snapshot::{Meta, Snapshot};
use crate::report::{ConnectionReport, Finding, Severity};

/// A finding with the identity used to tell, after a repair, whether it went away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    pub(crate) key: String,
    pub(crate) finding: Finding,
}

/// Permission changes `enforce` may make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chmod {
    pub(crate) path: PathBuf,
    pub(crate) mode: u32,
    pub(crate) directory: bool,
    /// The uid the file must still belong to when it is opened for the change.
    pub(crate) owner: Option<u32>,
    /// A key or token file named by a connection (not one of the home's own files).
    pub(crate) aux: bool,
}

/// Everything `enforce` may change, each item allowed by an `enforce` rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Create this directory (0700) before writing the first file.
    pub(crate) create_dir: Option<PathBuf>,
    pub(crate) content: ContentPlan,
    pub(crate) chmods: Vec<Chmod>,
    /// Why content edits are impossible in this home, if they are.
    pub(crate) blocked: Option<String>,
}

/// The outcome of one audit.
#[derive(Debug, Clone)]
pub(crate) struct Audit {
    pub(crate) issues: Vec<Issue>,
    pub(crate) connections: Vec<ConnectionReport>,
    pub(crate) summary: crate::report::UserSummary,
    pub(crate) plan: Plan,
}

/// Name of an [`AccountStatus`] in reports (same words as `warden test`).
pub(crate) fn account_status_name(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Allowed => "allowed",
        AccountStatus::Denied => "denied",
        AccountStatus::Unverifiable => "unverifiable",
        AccountStatus::NotEvaluable => "not-evaluable",
        AccountStatus::HostMismatch => "host-mismatch",
    }
}

/// Name of a [`RoleStatus`] in reports.
pub(crate) fn role_status_name(s: RoleStatus) -> &'static str {
    match s {
        RoleStatus::Missing => "missing",
        RoleStatus::Unset => "unset",
        RoleStatus::Default => "default",
        RoleStatus::Forbidden => "forbidden",
        RoleStatus::Other => "other",
        RoleStatus::Placeholder => "placeholder",
    }
}

struct Ctx<'a> {
    endpoint: &'a EndpointPolicy,
    snap: &'a Snapshot,
    issues: Vec<Issue>,
    plan: Plan,
    blocked: Vec<String>,
    /// Key and token files already given a mode change.
    aux_planned: BTreeSet<PathBuf>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        code: &str,
        severity: Severity,
        path: Option<&Path>,
        subject: &str,
        message: String,
    ) {
        let path = path.map(|p| p.display().to_string());
        let key = format!("{code}|{}|{subject}", path.as_deref().unwrap_or(""));
        let mut finding = Finding::new(code, severity, message);
        finding.path = path;
        self.issues.push(Issue { key, finding });
    }

    fn block(&mut self, why: String) {
        self.blocked.push(why);
    }

    fn modes(&self) -> warden_policy::EndpointModes {
        self.endpoint.modes
    }
}

fn wide(meta: Option<Meta>) -> Option<u32> {
    meta.map(|m| m.mode).filter(|m| m & 0o077 != 0)
}

/// Audits `snap` against the endpoint policy.
pub(crate) fn audit(endpoint: &EndpointPolicy, snap: &Snapshot) -> Audit {
    let mut cx = Ctx {
        endpoint,
        snap,
        issues: Vec::new(),
        plan: Plan::default(),
        blocked: Vec::new(),
        aux_planned: BTreeSet::new(),
    };
    notes(&mut cx);
    directory(&mut cx);
    for (kind, state) in [
        (FileKind::ConfigToml, &snap.config),
        (FileKind::ConnectionsToml, &snap.connections),
    ] {
        if let Some(state) = state {
            file(&mut cx, kind, state);
        }
    }
    if let Some(q) = &snap.quarantine
        && q.symlink
    {
        cx.block(format!("{} is a symbolic link", q.path.display()));
    }
    let connections = if snap.set.is_readable() {
        let evaluator = endpoint.policy.evaluator();
        let verdicts: Vec<(&ParsedConnection, ConnectionVerdict)> = snap
            .set
            .connections
            .iter()
            .map(|c| (c, evaluator.evaluate_connection(&c.params)))
            .collect();
        for (c, v) in &verdicts {
            let from = cx.issues.len();
            connection(&mut cx, c, v);
            super::structured::annotate_connection(&mut cx.issues[from..], c, v);
        }
        let from = cx.issues.len();
        required(&mut cx);
        super::structured::annotate_required(&mut cx.issues[from..], snap, required_name(endpoint));
        verdicts.iter().map(|(c, v)| report(c, v)).collect()
    } else {
        // A file too deep to read in full still names its connections: none of them
        // can be judged, so each one counts against compliance instead of vanishing.
        snap.set
            .unjudged
            .iter()
            .map(|c| ConnectionReport {
                name: c.name.clone(),
                file: c.file.display().to_string(),
                account: None,
                account_status: account_status_name(AccountStatus::NotEvaluable).to_owned(),
                effective_authenticator: String::new(),
                authenticator_allowed: false,
                role: None,
                role_status: role_status_name(RoleStatus::Missing).to_owned(),
                compliant: false,
            })
            .collect()
    };
    let mut plan = cx.plan;
    if !cx.blocked.is_empty() {
        plan.blocked = Some(cx.blocked.join("; "));
    }
    Audit {
        issues: cx.issues,
        connections,
        summary: super::structured::summary(endpoint, snap),
        plan,
    }
}

fn report(c: &ParsedConnection, v: &ConnectionVerdict) -> ConnectionReport {
    ConnectionReport {
        name: c.name.clone(),
        file: c.file.display().to_string(),
        account: v.account.normalized.clone(),
        account_status: account_status_name(v.account.status).to_owned(),
        effective_authenticator: v.authenticator.effective.to_string(),
        authenticator_allowed: v.authenticator.allowed,
        role: v.role.value.clone(),
        role_status: role_status_name(v.role.status).to_owned(),
        compliant: v.compliant,
    }
}

/// What the connections library noticed about the files and the environment.
fn notes(cx: &mut Ctx<'_>) {
    for note in &cx.snap.set.notes {
        let severity = match note.code {
            // Reported per file below, with a more precise code.
            NoteCode::FileUnreadable => continue,
            NoteCode::DefaultConnectionMissing => Severity::Info,
            _ => Severity::Warning,
        };
        let path = note.file.as_deref();
        // This message names the file's default, which a repair may change; the finding
        // itself is about the variable, which no repair touches.
        let subject = match note.code {
            NoteCode::EnvDefaultConnectionName => "",
            _ => note.message.as_str(),
        };
        cx.push(
            note.code.as_str(),
            severity,
            path,
            subject,
            note.message.clone(),
        );
    }
}

fn directory(cx: &mut Ctx<'_>) {
    let snap = cx.snap;
    let dir = &snap.dir.path;
    let state = &snap.dir_state;
    if !state.exists {
        cx.push(
            "config-dir-missing",
            Severity::Info,
            Some(dir),
            "",
            "the Snowflake configuration directory does not exist, so there are no connections"
                .into(),
        );
        return;
    }
    if state.symlink {
        cx.push(
            "symlinked-config-dir",
            Severity::Warning,
            Some(dir),
            "",
            "the Snowflake configuration directory is a symbolic link; it is audited but never written".into(),
        );
        cx.block(format!("{} is a symbolic link", dir.display()));
    }
    if let (Some(meta), Some(uid)) = (state.meta, snap.uid)
        && meta.uid != uid
    {
        cx.push(
            "dir-owner",
            Severity::Error,
            Some(dir),
            "",
            format!(
                "the directory belongs to uid {}, not to the user (uid {uid})",
                meta.uid
            ),
        );
        cx.block(format!("{} belongs to another user", dir.display()));
    }
    if cx.modes().file_modes != RuleMode::Off
        && let Some(mode) = wide(state.meta)
    {
        cx.push(
            "dir-mode",
            Severity::Error,
            Some(dir),
            "",
            format!("the directory is {mode:04o}; it must be 0700 (no group or other access)"),
        );
        if cx.modes().file_modes == RuleMode::Enforce && !state.symlink {
            cx.plan.chmods.push(Chmod {
                path: dir.clone(),
                mode: mode & 0o700,
                directory: true,
                owner: snap.uid,
                aux: false,
            });
        }
    }
}

fn file(cx: &mut Ctx<'_>, kind: FileKind, state: &super::snapshot::FileState) {
    let path = state.path.as_path();
    let name = match kind {
        FileKind::ConfigToml => "config.toml",
        FileKind::ConnectionsToml => "connections.toml",
    };
    if state.symlink {
        cx.push(
            "symlinked-file",
            Severity::Warning,
            Some(path),
            "",
            format!("{name} is a symbolic link; it is audited through the link but never written"),
        );
        cx.block(format!("{} is a symbolic link", path.display()));
    }
    let parse_error = cx
        .snap
        .set
        .files
        .iter()
        .find(|f| f.path == state.path)
        .and_then(|f| f.error.as_ref());
    if let Some(e) = state.content.as_ref().err().or(parse_error) {
        let code = match e {
            FileError::NotUtf8 { .. } => "invalid-utf8",
            FileError::Bom => "utf8-bom",
            FileError::TooLarge { .. } => "file-too-large",
            FileError::TooDeep { .. } => "toml-too-deep",
            FileError::Toml { .. } => "invalid-toml",
            _ => "file-unreadable",
        };
        cx.push(
            code,
            Severity::Error,
            Some(path),
            "",
            format!("{name}: {e}; the Snowflake clients refuse to run, and the agent leaves the file untouched"),
        );
        cx.block(format!("{} cannot be parsed", path.display()));
    }
    if let (Some(meta), Some(uid)) = (state.meta, cx.snap.uid)
        && meta.uid != uid
    {
        cx.push(
            "file-owner",
            Severity::Error,
            Some(path),
            "",
            format!(
                "{name} belongs to uid {}, not to the user (uid {uid})",
                meta.uid
            ),
        );
        cx.block(format!("{} belongs to another user", path.display()));
    }
    if cx.modes().file_modes != RuleMode::Off
        && let Some(mode) = wide(state.meta)
    {
        cx.push(
            "file-mode",
            Severity::Error,
            Some(path),
            "",
            format!("{name} is {mode:04o}; it must be 0600 (Snowflake CLI refuses group or other access)"),
        );
        let owned = matches!((state.meta, cx.snap.uid), (Some(m), Some(u)) if m.uid == u);
        if cx.modes().file_modes == RuleMode::Enforce && !state.symlink && owned {
            cx.plan.chmods.push(Chmod {
                path: path.to_path_buf(),
                mode: mode & 0o700,
                directory: false,
                owner: cx.snap.uid,
                aux: false,
            });
        }
    }
}

fn location(snap: &Snapshot, c: &ParsedConnection) -> Location {
    if snap.connections.as_ref().is_some_and(|f| f.path == c.file) {
        Location::ConnectionsToml
    } else {
        Location::ConfigToml
    }
}

fn connection(cx: &mut Ctx<'_>, c: &ParsedConnection, v: &ConnectionVerdict) {
    let path = c.file.as_path();
    let subject = c.name.as_str();
    let who = format!("connection `{}`", c.name);
    let modes = cx.modes();
    let is_required = required_name(cx.endpoint) == Some(subject);

    if modes.forbidden_connections != RuleMode::Off {
        let mut refusals = Vec::new();
        let account = &v.account;
        let shown = account
            .normalized
            .clone()
            .or_else(|| account.raw.clone())
            .unwrap_or_else(|| "-".into());
        match account.status {
            AccountStatus::Allowed => {}
            AccountStatus::Denied => {
                refusals.push(format!("account `{shown}` is denied"));
                cx.push(
                    "account-denied",
                    Severity::Error,
                    Some(path),
                    subject,
                    format!(
                        "{who}: account `{shown}` is denied: {}",
                        account.rule.explanation
                    ),
                );
            }
            AccountStatus::HostMismatch => {
                refusals.push("its host names another account".to_owned());
                cx.push(
                    "host-mismatch",
                    Severity::Error,
                    Some(path),
                    subject,
                    format!("{who}: {}", account.rule.explanation),
                );
            }
            AccountStatus::Unverifiable => cx.push(
                "account-unverifiable",
                Severity::Warning,
                Some(path),
                subject,
                format!("{who}: {}", account.rule.explanation),
            ),
            AccountStatus::NotEvaluable => cx.push(
                "account-not-evaluable",
                Severity::Warning,
                Some(path),
                subject,
                format!("{who}: {}", account.rule.explanation),
            ),
        }
        let auth = &v.authenticator;
        if !auth.allowed {
            refusals.push(format!("authenticator `{}` is not allowed", auth.effective));
            cx.push(
                "authenticator-not-allowed",
                Severity::Error,
                Some(path),
                subject,
                format!(
                    "{who}: authenticator `{}` is not allowed: {}",
                    auth.effective, auth.rule.explanation
                ),
            );
        }
        let role = &v.role;
        match role.status {
            RoleStatus::Forbidden => {
                refusals.push(format!(
                    "role `{}` is forbidden",
                    role.value.as_deref().unwrap_or("")
                ));
                cx.push(
                    "role-forbidden",
                    Severity::Error,
                    Some(path),
                    subject,
                    format!("{who}: {}", role.rule.explanation),
                );
            }
            // The required connection's role is the `role` rule's business.
            RoleStatus::Missing if !(is_required && modes.role != RuleMode::Off) => {
                let severity = if role.compliant {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                cx.push(
                    "role-missing",
                    severity,
                    Some(path),
                    subject,
                    format!("{who}: {}", role.rule.explanation),
                );
            }
            RoleStatus::Placeholder => cx.push(
                "role-placeholder",
                Severity::Warning,
                Some(path),
                subject,
                format!("{who}: {}", role.rule.explanation),
            ),
            _ => {}
        }
        if !refusals.is_empty() && modes.forbidden_connections == RuleMode::Enforce {
            cx.plan.content.quarantine.push(Quarantine {
                name: c.name.clone(),
                location: location(cx.snap, c),
                reason: refusals.join("; "),
            });
        }
    }

    if modes.plaintext_secrets != RuleMode::Off {
        for s in &v.secrets {
            let token_file = "keep it in a 0600 file named by `token_file_path` with `authenticator = \"programmatic_access_token\"`";
            let (code, what, instead) = match s.kind {
                SecretKind::PlaintextPassword => (
                    "plaintext-password",
                    "a plaintext password",
                    format!(
                        "use SSO, OAuth or a key pair, or SNOWFLAKE_CONNECTIONS_{}_PASSWORD",
                        c.name.to_uppercase()
                    ),
                ),
                SecretKind::PatInPassword => (
                    "pat-in-password",
                    "a programmatic access token in `password`",
                    token_file.to_owned(),
                ),
                SecretKind::InlineToken => {
                    ("inline-token", "an inline `token`", token_file.to_owned())
                }
                SecretKind::InlinePrivateKey => (
                    "inline-private-key",
                    "an inline private key",
                    "keep it in a 0600 file named by `private_key_file`".to_owned(),
                ),
            };
            cx.push(
                code,
                Severity::Error,
                Some(path),
                subject,
                format!("{who} stores {what}; {instead}"),
            );
        }
    }

    if modes.file_modes != RuleMode::Off {
        let p = &c.params;
        for (key, value, kind) in [
            ("private_key_file", &p.private_key_file, "key"),
            ("private_key_path", &p.private_key_path, "key"),
            ("token_file_path", &p.token_file_path, "token"),
        ] {
            let Some(aux) = value.as_ref().and_then(|v| cx.snap.aux.get(v)) else {
                continue;
            };
            let aux_path = aux.path.clone();
            if !aux.exists {
                cx.push(
                    &format!("{kind}-file-missing"),
                    Severity::Warning,
                    Some(&aux_path),
                    subject,
                    format!("{who}: `{key}` names a file that does not exist"),
                );
                continue;
            }
            if let Some(mode) = wide(aux.meta) {
                cx.push(&format!("{kind}-file-mode"), Severity::Error, Some(&aux_path), subject,
                    format!("{who}: the {kind} file named by `{key}` is {mode:04o}; it must not be readable by group or others"));
                let owned = matches!((aux.meta, cx.snap.uid), (Some(m), Some(u)) if m.uid == u);
                // Root never changes a file outside the Snowflake directory: the path
                // comes from a file, and root owning the target proves nothing.
                let reachable = aux.inside_dir || !cx.snap.as_root;
                if modes.file_modes == RuleMode::Enforce
                    && !aux.symlink
                    && owned
                    && reachable
                    && cx.aux_planned.insert(aux_path.clone())
                {
                    cx.plan.chmods.push(Chmod {
                        path: aux_path,
                        mode: mode & 0o700,
                        directory: false,
                        owner: cx.snap.uid,
                        aux: true,
                    });
                }
            }
        }
    }
}

pub(crate) fn required_name(endpoint: &EndpointPolicy) -> Option<&str> {
    endpoint
        .required_connection
        .as_ref()
        .map(|r| r.name.as_str())
        .or(endpoint.policy.required_connection.as_deref())
}

fn required_role(endpoint: &EndpointPolicy) -> Option<&str> {
    endpoint
        .required_connection
        .as_ref()
        .and_then(|r| r.role.as_deref())
        .or(endpoint.policy.roles.default_role.as_deref())
}

/// The keys of the required connection, from the policy's template.
fn new_connection(
    endpoint: &EndpointPolicy,
    name: &str,
    location: Location,
) -> Option<NewConnection> {
    let rc = endpoint.required_connection.as_ref();
    let t = rc.and_then(|r| r.template.clone()).unwrap_or_default();
    t.account.as_ref()?;
    let s = |v: &Option<String>| v.as_deref().map(Value::from);
    let warehouse = rc.and_then(|r| r.warehouse.clone());
    let fields = [
        ("account", s(&t.account)),
        ("host", s(&t.host)),
        ("authenticator", s(&t.authenticator)),
        ("user", s(&t.user)),
        ("role", required_role(endpoint).map(Value::from)),
        ("warehouse", s(&warehouse)),
        ("database", s(&t.database)),
        ("schema", s(&t.schema)),
        (
            "client_store_temporary_credential",
            t.client_store_temporary_credential.map(Value::from),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    Some(NewConnection {
        name: name.to_owned(),
        location,
        fields,
    })
}

/// `default_connection_name` as `config.toml` itself says.
fn config_default(snap: &Snapshot) -> Option<String> {
    let bytes = snap.config.as_ref()?.content.as_ref().ok()?;
    let doc = warden_connections::parse(bytes).ok()?;
    doc.get("default_connection_name")?
        .as_str()
        .map(str::to_owned)
}

fn required(cx: &mut Ctx<'_>) {
    let endpoint = cx.endpoint;
    let snap = cx.snap;
    let Some(name) = required_name(endpoint) else {
        return;
    };
    let modes = cx.modes();
    let conn_path = snap.connections_path();
    let live_path = snap
        .set
        .connections_file
        .clone()
        .unwrap_or(conn_path.clone());
    let quarantined = cx.plan.content.quarantine.iter().any(|q| q.name == name);
    let present = snap.set.get(name);
    let mut will_exist = present.is_some() && !quarantined;

    if modes.required_connection != RuleMode::Off && (present.is_none() || quarantined) {
        if present.is_none() {
            cx.push(
                "required-connection-missing",
                Severity::Error,
                Some(&live_path),
                name,
                format!("the required connection `{name}` is not defined"),
            );
        }
        if modes.required_connection == RuleMode::Enforce {
            // Add it where the clients read connections: connections.toml if it exists, else
            // the connections of config.toml (a new connections.toml would hide them).
            let location = match (&snap.connections, &snap.config) {
                (None, Some(_)) => Location::ConfigToml,
                _ => Location::ConnectionsToml,
            };
            match new_connection(endpoint, name, location) {
                Some(add) => {
                    if !snap.dir_state.exists {
                        cx.plan.create_dir = Some(snap.create_candidate.clone());
                    }
                    cx.plan.content.add = Some(add);
                    will_exist = true;
                }
                None => cx.push("required-connection-template-missing", Severity::Warning, None, name,
                    format!("the policy has no template account for `{name}`, so the agent cannot create it")),
            }
        }
    }

    if modes.role != RuleMode::Off
        && let (Some(c), Some(want)) = (present, required_role(endpoint))
        && !quarantined
    {
        let have = c.params.role.as_deref().map(|r| r.trim().trim_matches('"'));
        if !have.is_some_and(|h| h.eq_ignore_ascii_case(want)) {
            cx.push(
                "required-connection-role",
                Severity::Error,
                Some(&c.file),
                name,
                match have {
                    Some(h) => {
                        format!("the required connection `{name}` uses role `{h}`, not `{want}`")
                    }
                    None => format!(
                        "the required connection `{name}` names no role; it must use `{want}`"
                    ),
                },
            );
            if modes.role == RuleMode::Enforce {
                cx.plan.content.set_role =
                    Some((location(snap, c), name.to_owned(), want.to_owned()));
            }
        }
    }

    if modes.default_connection != RuleMode::Off {
        let effective = &snap.set.default_connection_name;
        if effective != name {
            let why = match snap.set.default_connection_source {
                warden_connections::DefaultSource::Environment => {
                    " (set by SNOWFLAKE_DEFAULT_CONNECTION_NAME)"
                }
                warden_connections::DefaultSource::ConfigToml => "",
                _ => " (nothing sets `default_connection_name`)",
            };
            cx.push(
                "default-connection-not-required",
                Severity::Error,
                Some(&snap.config_path()),
                name,
                format!("the default connection is `{effective}`{why}, not the required `{name}`"),
            );
        }
        if modes.default_connection == RuleMode::Enforce
            && will_exist
            && config_default(snap).as_deref() != Some(name)
        {
            if !snap.dir_state.exists {
                cx.plan.create_dir = Some(snap.create_candidate.clone());
            }
            cx.plan.content.set_default = Some(name.to_owned());
        }
    }
}
