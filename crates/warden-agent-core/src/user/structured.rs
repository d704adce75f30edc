//! The structured fields of a user-mode report: which connection, file, line and rule a
//! finding is about, and the directory-wide facts (`snowflake_dir`, `default_connection`,
//! `required_connection`). No I/O.

use warden_bundle::EndpointPolicy;
use warden_connections::ParsedConnection;
use warden_policy::ConnectionVerdict;

use super::audit::Issue;
use super::snapshot::Snapshot;
use crate::report::{RequiredConnectionState, UserSummary};

/// Marks the findings raised while judging connection `c` with its name, file and line,
/// and those that come from the evaluation engine with the rule that decided them.
pub(crate) fn annotate_connection(
    issues: &mut [Issue],
    c: &ParsedConnection,
    v: &ConnectionVerdict,
) {
    for issue in issues {
        let f = &mut issue.finding;
        f.connection = Some(c.name.clone());
        f.file = Some(c.file.display().to_string());
        f.line = Some(c.line);
        let rule = match f.code.as_str() {
            "account-denied"
            | "host-mismatch"
            | "account-unverifiable"
            | "account-not-evaluable" => Some(&v.account.rule),
            "authenticator-not-allowed" => Some(&v.authenticator.rule),
            "role-forbidden" | "role-missing" | "role-placeholder" => Some(&v.role.rule),
            _ => None,
        };
        if let Some(rule) = rule {
            f.rule = Some(rule.id.as_str().to_owned());
        }
    }
}

/// Marks the findings about the required connection with its name and, where it exists,
/// its file and line.
pub(crate) fn annotate_required(issues: &mut [Issue], snap: &Snapshot, name: Option<&str>) {
    let Some(name) = name else {
        return;
    };
    let present = snap.set.get(name);
    for issue in issues {
        let f = &mut issue.finding;
        f.connection = Some(name.to_owned());
        match (f.code.as_str(), present) {
            ("required-connection-role", Some(c)) => {
                f.file = Some(c.file.display().to_string());
                f.line = Some(c.line);
            }
            ("default-connection-not-required", _) => {
                f.file = Some(snap.config_path().display().to_string());
            }
            _ => {
                f.file.clone_from(&f.path);
            }
        }
    }
}

/// The directory-wide part of the report.
pub(crate) fn summary(endpoint: &EndpointPolicy, snap: &Snapshot) -> UserSummary {
    let set = &snap.set;
    let default_connection = set.default_connection().map(|c| c.name.clone());
    let required_connection =
        super::audit::required_name(endpoint).map(|name| RequiredConnectionState {
            name: name.to_owned(),
            present: set.get(name).is_some(),
            is_default: default_connection.as_deref() == Some(name),
        });
    UserSummary {
        snowflake_dir: snap.dir.path.display().to_string(),
        default_connection,
        required_connection,
    }
}
