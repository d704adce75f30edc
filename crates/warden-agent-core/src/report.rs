//! What a run found and did, in the formats MDMs read.
//!
//! The JSON form (`warden.report/v1`) and the exit codes are a published contract
//! (`docs/agent.md`): 0 compliant, 1 non-compliant (after `enforce`: something
//! could not be fixed), 2 cannot evaluate.

use serde::Serialize;

/// Identifier of the JSON report format.
pub const REPORT_SCHEMA: &str = "warden.report/v1";

/// Which half of the agent produced a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    System,
    User,
}

/// How serious a finding is. Only errors make an endpoint non-compliant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One thing the agent found, and whether it fixed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case code, documented in `docs/agent.md`.
    pub code: String,
    pub severity: Severity,
    /// The file, registry key or preference the finding is about.
    pub path: Option<String>,
    pub message: String,
    /// The agent repaired it in this run.
    pub fixed: bool,
    /// The connection the finding is about (its table name), when it is about one.
    pub connection: Option<String>,
    /// The connection file (`config.toml` or `connections.toml`) the finding points into.
    pub file: Option<String>,
    /// 1-based line in `file` (a connection's table header), when known.
    pub line: Option<usize>,
    /// What decided it: an evaluation rule id of the policy engine (`accounts.deny`,
    /// the same ids `warden explain` prints) or an endpoint rule (`endpoint.file_modes`).
    pub rule: Option<String>,
}

impl Finding {
    pub fn new(code: &str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            severity,
            path: None,
            message: message.into(),
            fixed: false,
            connection: None,
            file: None,
            line: None,
            rule: None,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn fixed(mut self) -> Self {
        self.fixed = true;
        self
    }

    /// The connection, its file and the line of its table header.
    pub fn in_connection(mut self, name: &str, file: impl Into<String>, line: usize) -> Self {
        self.connection = Some(name.to_owned());
        self.file = Some(file.into());
        self.line = Some(line);
        self
    }

    /// The rule that decided it.
    pub fn by_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// An error that is still there after the run.
    pub fn is_open_error(&self) -> bool {
        self.severity == Severity::Error && !self.fixed
    }
}

/// The policy a report was evaluated against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    pub id: String,
    pub serial: u64,
    /// Where the bundle came from (managed preferences, registry key, file, last
    /// known good).
    pub source: String,
    /// RFC 3339.
    pub expires: String,
}

/// One connection in a user-mode report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionReport {
    pub name: String,
    pub file: String,
    /// Normalised account, when it could be normalised.
    pub account: Option<String>,
    pub account_status: String,
    pub effective_authenticator: String,
    pub authenticator_allowed: bool,
    pub role: Option<String>,
    pub role_status: String,
    pub compliant: bool,
}

/// The required connection as the user-mode audit found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredConnectionState {
    pub name: String,
    /// A connection of that name is defined in the live connection file.
    pub present: bool,
    /// It is the connection the clients use by default.
    pub is_default: bool,
}

/// What a user-mode report says about the user's Snowflake directory as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    /// The directory the Snowflake clients resolve (whether or not it exists).
    pub snowflake_dir: String,
    /// The name of the connection the clients use by default, or null when no connection
    /// of that name is defined.
    pub default_connection: Option<String>,
    /// Null when the policy requires no connection.
    pub required_connection: Option<RequiredConnectionState>,
}

/// The outcome of one agent run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub mode: Mode,
    /// True when the policy could be evaluated and no error remains.
    pub compliant: bool,
    /// False when no verified policy was available ("cannot evaluate").
    pub evaluable: bool,
    pub policy: Option<PolicyInfo>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<ConnectionReport>>,
    /// User mode only: `snowflake_dir`, `default_connection`, `required_connection`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSummary>,
    /// System mode, when asked (`--console-user`): the console user's last recorded
    /// user-mode result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_user: Option<crate::user_result::ConsoleUser>,
}

/// The endpoint rule (`[endpoint]` key of the profile) a finding code belongs to, as the
/// tables of `docs/agent.md` list them. Codes outside any rule have none.
pub fn endpoint_rule(mode: Mode, code: &str) -> Option<&'static str> {
    Some(match (mode, code) {
        (Mode::System, c) if c.starts_with("managed-settings-") => "managed_settings",
        (Mode::System, _) => return None,
        (Mode::User, "dir-mode" | "file-mode") => "file_modes",
        (Mode::User, c) if c.starts_with("key-file-") || c.starts_with("token-file-") => {
            "file_modes"
        }
        (
            Mode::User,
            "account-denied"
            | "host-mismatch"
            | "authenticator-not-allowed"
            | "role-forbidden"
            | "account-unverifiable"
            | "account-not-evaluable"
            | "role-missing"
            | "role-placeholder",
        ) => "forbidden_connections",
        (
            Mode::User,
            "plaintext-password" | "pat-in-password" | "inline-token" | "inline-private-key",
        ) => "plaintext_secrets",
        (Mode::User, "required-connection-missing" | "required-connection-template-missing") => {
            "required_connection"
        }
        (Mode::User, "required-connection-role") => "role",
        (Mode::User, "default-connection-not-required") => "default_connection",
        _ => return None,
    })
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// A Jamf Pro extension attribute: `<result>…</result>`.
    Jamf,
    /// One line for Intune remediation output.
    Intune,
    /// The compressed JSON object an Intune custom compliance discovery script returns:
    /// one value per setting of the compiled `compliance-rules.json`.
    IntuneCompliance,
}

/// Setting names of Intune custom compliance (`windows/intune/compliance-rules.json`).
pub mod intune_setting {
    /// Boolean: the agent is installed (the discovery script reports false without it).
    pub const AGENT_INSTALLED: &str = "WardenAgentInstalled";
    /// Boolean: a verified policy could be evaluated.
    pub const EVALUABLE: &str = "WardenPolicyEvaluable";
    /// String: the profile id of the policy in force ("" without one).
    pub const POLICY_ID: &str = "WardenPolicyId";
    /// Int64: the serial of the policy in force (0 without one).
    pub const POLICY_SERIAL: &str = "WardenPolicySerial";
    /// Boolean: the run found no open error.
    pub const COMPLIANT: &str = "WardenCompliant";
    /// String: the open error codes, sorted, comma separated ("" when none).
    pub const OPEN_ERRORS: &str = "WardenOpenErrors";
}

impl Report {
    pub fn new(mode: Mode, policy: Option<PolicyInfo>, mut findings: Vec<Finding>) -> Self {
        for f in &mut findings {
            if f.rule.is_none() {
                f.rule = endpoint_rule(mode, &f.code).map(|r| format!("endpoint.{r}"));
            }
        }
        let evaluable = policy.is_some();
        let compliant = evaluable && !findings.iter().any(Finding::is_open_error);
        Self {
            schema: REPORT_SCHEMA,
            mode,
            compliant,
            evaluable,
            policy,
            findings,
            connections: None,
            user: None,
            console_user: None,
        }
    }

    /// A report for a run that had no verified policy to evaluate against.
    pub fn cannot_evaluate(mode: Mode, findings: Vec<Finding>) -> Self {
        Self::new(mode, None, findings)
    }

    /// 0 compliant, 1 non-compliant, 2 cannot evaluate.
    pub fn exit_code(&self) -> u8 {
        match (self.evaluable, self.compliant) {
            (false, _) => 2,
            (true, true) => 0,
            (true, false) => 1,
        }
    }

    pub(crate) fn open_codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.is_open_error())
            .map(|f| f.code.as_str())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    fn status_word(&self) -> &'static str {
        match self.exit_code() {
            0 => "compliant",
            1 => "non-compliant",
            _ => "cannot evaluate",
        }
    }

    /// Render in `format`. Every format ends with a newline.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self).expect("report serializes");
                s.push('\n');
                s
            }
            Format::Jamf => format!("<result>{}</result>\n", self.mdm_line()),
            Format::Intune => format!("{}\n", self.mdm_line()),
            Format::IntuneCompliance => {
                let mut s = serde_json::to_string(&self.intune_compliance())
                    .expect("discovery values serialize");
                s.push('\n');
                s
            }
            Format::Text => self.text(),
        }
    }

    /// The values an Intune custom compliance discovery script returns for this run.
    pub fn intune_compliance(&self) -> serde_json::Map<String, serde_json::Value> {
        use intune_setting as k;
        let mut m = serde_json::Map::new();
        m.insert(k::AGENT_INSTALLED.into(), true.into());
        m.insert(k::EVALUABLE.into(), self.evaluable.into());
        let (id, serial) = self
            .policy
            .as_ref()
            .map_or(("", 0), |p| (p.id.as_str(), p.serial));
        m.insert(k::POLICY_ID.into(), id.into());
        m.insert(k::POLICY_SERIAL.into(), serial.into());
        m.insert(k::COMPLIANT.into(), (self.exit_code() == 0).into());
        m.insert(k::OPEN_ERRORS.into(), self.open_codes().join(", ").into());
        m
    }

    /// The MDM line: this run's verdict, then the console user's last user-mode
    /// result when one was asked for (`compliant (acme #7); user alice: compliant (…)`).
    fn mdm_line(&self) -> String {
        match &self.console_user {
            Some(user) => format!("{}; {}", self.one_line(), user.one_line()),
            None => self.one_line(),
        }
    }

    /// `compliant (acme-baseline #7)`, `non-compliant: a, b (acme-baseline #7)`,
    /// `cannot evaluate: reason`.
    fn one_line(&self) -> String {
        let policy = self
            .policy
            .as_ref()
            .map(|p| format!(" ({} #{})", p.id, p.serial))
            .unwrap_or_default();
        match self.exit_code() {
            0 => format!("compliant{policy}"),
            1 => format!("non-compliant: {}{policy}", self.open_codes().join(", ")),
            _ => {
                let why = self
                    .findings
                    .iter()
                    .find(|f| f.severity == Severity::Error)
                    .map(|f| f.code.as_str())
                    .unwrap_or("no verified policy");
                format!("cannot evaluate: {why}")
            }
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        let mode = match self.mode {
            Mode::System => "system",
            Mode::User => "user",
        };
        match &self.policy {
            Some(p) => s.push_str(&format!(
                "policy {} serial {} from {} (expires {})\n",
                p.id, p.serial, p.source, p.expires
            )),
            None => s.push_str("no verified policy\n"),
        }
        for f in &self.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let fixed = if f.fixed { " (fixed)" } else { "" };
            s.push_str(&format!("{sev}[{}]{fixed}: {}\n", f.code, f.message));
            if let Some(p) = &f.path {
                s.push_str(&format!("  --> {p}\n"));
            }
        }
        for c in self.connections.iter().flatten() {
            s.push_str(&format!(
                "connection {} ({}): account {} [{}], authenticator {} [{}], role {} [{}]: {}\n",
                c.name,
                c.file,
                c.account.as_deref().unwrap_or("-"),
                c.account_status,
                c.effective_authenticator,
                if c.authenticator_allowed {
                    "allowed"
                } else {
                    "not allowed"
                },
                c.role.as_deref().unwrap_or("-"),
                c.role_status,
                if c.compliant {
                    "compliant"
                } else {
                    "non-compliant"
                },
            ));
        }
        s.push_str(&format!("{mode} mode: {}\n", self.status_word()));
        if let Some(user) = &self.console_user {
            s.push_str(&format!("console {}\n", user.one_line()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PolicyInfo {
        PolicyInfo {
            id: "acme".into(),
            serial: 7,
            source: "file".into(),
            expires: "2026-12-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let ok = Report::new(Mode::System, Some(policy()), vec![]);
        assert_eq!(ok.exit_code(), 0);
        let fixed = Report::new(
            Mode::System,
            Some(policy()),
            vec![Finding::new("drift", Severity::Error, "x").fixed()],
        );
        assert_eq!(fixed.exit_code(), 0);
        let bad = Report::new(
            Mode::System,
            Some(policy()),
            vec![Finding::new("drift", Severity::Error, "x")],
        );
        assert_eq!(bad.exit_code(), 1);
        assert_eq!(Report::cannot_evaluate(Mode::User, vec![]).exit_code(), 2);
    }

    #[test]
    fn mdm_formats_are_one_line() {
        let bad = Report::new(
            Mode::User,
            Some(policy()),
            vec![
                Finding::new("b-code", Severity::Error, "x"),
                Finding::new("a-code", Severity::Error, "y"),
                Finding::new("w", Severity::Warning, "z"),
            ],
        );
        assert_eq!(
            bad.render(Format::Jamf),
            "<result>non-compliant: a-code, b-code (acme #7)</result>\n"
        );
        assert_eq!(
            bad.render(Format::Intune),
            "non-compliant: a-code, b-code (acme #7)\n"
        );
        let json: serde_json::Value = serde_json::from_str(&bad.render(Format::Json)).unwrap();
        assert_eq!(json["schema"], "warden.report/v1");
        assert_eq!(json["findings"][0]["fixed"], false);
    }
}
