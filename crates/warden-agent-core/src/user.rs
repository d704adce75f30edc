//! User mode: audit and repair the logged-in user's Snowflake connection files.
//!
//! The directory and the files are resolved exactly as the Snowflake clients resolve
//! them (`warden-connections`), every connection is judged by the same engine as
//! `warden explain` (`warden-policy`), and where a rule of the signed policy says
//! `enforce` the agent repairs: it adds the required connection, sets its role and the
//! default connection, tightens modes and moves forbidden connections into a
//! quarantine file. Edits keep the user's bytes, comments and line endings, every
//! change keeps the version it replaces in a rolling 0600 backup beside the file, and
//! every write is atomic. A run repairs,
//! then audits again: a finding marked `fixed` is one that is really gone.

mod apply;
mod audit;
mod edit;
mod snapshot;
mod structured;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::policy::VerifiedPolicy;
use crate::report::{Finding, Mode, Report, Severity};

/// Where and as whom user mode runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserOptions {
    /// The user's home directory.
    pub home: PathBuf,
    /// The user's environment, as the Snowflake clients would see it.
    pub env: BTreeMap<String, String>,
    /// The agent runs with uid 0.
    pub running_as_root: bool,
}

/// Audit the user's connection files. Never writes.
pub fn check(policy: &VerifiedPolicy, opts: &UserOptions) -> Report {
    match prepare(opts) {
        Err(report) => *report,
        Ok(snap) => {
            let a = audit::audit(&policy.statement.body.endpoint, &snap);
            finish(
                policy,
                a.issues.into_iter().map(|i| i.finding).collect(),
                a.connections,
                a.summary,
            )
        }
    }
}

/// Audit, then repair what the policy says to enforce, then audit again. Running it a
/// second time changes nothing.
pub fn enforce(policy: &VerifiedPolicy, opts: &UserOptions) -> Report {
    enforce_at(policy, opts, jiff::Timestamp::now())
}

fn enforce_at(policy: &VerifiedPolicy, opts: &UserOptions, now: jiff::Timestamp) -> Report {
    let endpoint = &policy.statement.body.endpoint;
    let before = match prepare(opts) {
        Err(report) => return *report,
        Ok(snap) => snap,
    };
    let first = audit::audit(endpoint, &before);
    let mut extra = Vec::new();
    let plan = &first.plan;
    let has_content = !plan.content.is_empty() || plan.create_dir.is_some();
    if plan.chmods.is_empty() && !has_content {
        return finish(
            policy,
            first.issues.into_iter().map(|i| i.finding).collect(),
            first.connections,
            first.summary,
        );
    }
    let when = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let stamp = format!(
        "by warden-agent (policy {} #{}) on {when}",
        policy.statement.profile_id, policy.statement.serial
    );
    extra.extend(apply::apply(&before, plan, &stamp));

    let after = match prepare(opts) {
        Err(report) => return *report,
        Ok(snap) => snap,
    };
    let second = audit::audit(endpoint, &after);
    let still: BTreeSet<&str> = second.issues.iter().map(|i| i.key.as_str()).collect();
    let mut findings: Vec<Finding> = first
        .issues
        .iter()
        .filter(|i| !still.contains(i.key.as_str()))
        .map(|i| i.finding.clone().fixed())
        .collect();
    findings.extend(second.issues.into_iter().map(|i| i.finding));
    findings.extend(extra);
    finish(policy, findings, second.connections, second.summary)
}

/// Refuses to work as root in another user's home; reads the home otherwise.
fn prepare(opts: &UserOptions) -> Result<snapshot::Snapshot, Box<Report>> {
    let home = &opts.home;
    let cannot = |code: &str, message: String| {
        Box::new(Report::cannot_evaluate(
            Mode::User,
            vec![Finding::new(code, Severity::Error, message).at(home.display().to_string())],
        ))
    };
    let Some(meta) = snapshot::stat(home).filter(|_| home.is_dir()).or_else(|| {
        // Non-Unix systems have no uid to compare; a directory is enough.
        (!cfg!(unix) && home.is_dir()).then_some(snapshot::Meta { mode: 0, uid: 0 })
    }) else {
        return Err(cannot(
            "home-missing",
            "the home directory does not exist or is not a directory".into(),
        ));
    };
    if opts.running_as_root && meta.uid != 0 {
        return Err(cannot(
            "root-in-user-home",
            format!(
                "user mode runs as the user; as root it would write into the home of uid {}, so nothing was evaluated or changed",
                meta.uid
            ),
        ));
    }
    if opts.running_as_root
        && let Some((dir, candidate)) = snapshot::resolve(home, &opts.env)
    {
        // As root, every path user mode may read or change must be root's too: a
        // user's `SNOWFLAKE_HOME` would otherwise steer root's writes and mode changes.
        let mut paths = vec![
            dir.path.clone(),
            dir.config_toml(),
            dir.connections_toml(),
            dir.path.join(snapshot::QUARANTINE_FILE),
        ];
        if !dir.path.is_dir() {
            paths.extend(candidate.parent().map(std::path::Path::to_path_buf));
        }
        for p in paths {
            if let Some(uid) = snapshot::owners(&p).into_iter().find(|&u| u != 0) {
                return Err(Box::new(Report::cannot_evaluate(
                    Mode::User,
                    vec![Finding::new(
                        "root-in-user-home",
                        Severity::Error,
                        format!(
                            "user mode runs as the user; as root it would read and repair `{}`, which belongs to uid {uid}, so nothing was evaluated or changed",
                            p.display()
                        ),
                    )
                    .at(p.display().to_string())],
                )));
            }
        }
    }
    snapshot::take(home, &opts.env, opts.running_as_root).ok_or_else(|| {
        cannot(
            "config-dir-unresolved",
            "the Snowflake configuration directory cannot be determined".into(),
        )
    })
}

fn finish(
    policy: &VerifiedPolicy,
    mut findings: Vec<Finding>,
    connections: Vec<crate::report::ConnectionReport>,
    summary: crate::report::UserSummary,
) -> Report {
    findings.sort_by(|a, b| {
        (a.severity, &a.code, &a.path, &a.message).cmp(&(b.severity, &b.code, &b.path, &b.message))
    });
    let mut report = Report::new(Mode::User, Some(policy.info()), findings);
    report.connections = Some(connections);
    report.user = Some(summary);
    report
}
