//! Checks that every pattern and name in a [`Policy`] can be evaluated, with a path the
//! profile linter can map back to the source.

use serde::Serialize;

use crate::account::AccountPattern;
use crate::authenticator::Authenticator;
use crate::glob::Glob;
use crate::model::Policy;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not a valid glob.
    InvalidGlob,
    /// Not a valid Cortex Code permission pattern.
    InvalidPermissionPattern,
    /// An authenticator name the Snowflake clients do not know.
    UnknownAuthenticator,
    /// An empty value where a name is needed.
    EmptyValue,
}

/// One problem found by [`Policy::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    /// Path in the policy model, e.g. `accounts.allow[0][2]` or
    /// `authenticators.per_account["acme-*"][1]`.
    pub path: String,
    /// The offending value as written.
    pub value: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong.
    pub message: String,
}

/// Accumulates problems in model order.
#[derive(Default)]
struct Problems(Vec<PolicyProblem>);

impl Problems {
    fn push(&mut self, path: String, value: &str, kind: ProblemKind, message: String) {
        self.0.push(PolicyProblem {
            path,
            value: value.to_owned(),
            kind,
            message,
        });
    }

    fn glob(&mut self, path: String, value: &str) {
        if let Err(e) = Glob::new(value) {
            self.push(path, value, ProblemKind::InvalidGlob, e.to_string());
        }
    }

    fn authenticator(&mut self, path: String, value: &str) {
        if !Authenticator::is_valid_method_name(value) {
            let known: Vec<&str> = Authenticator::known_names().collect();
            self.push(
                path,
                value,
                ProblemKind::UnknownAuthenticator,
                format!(
                    "`{value}` is not an authenticator; expected one of {} or an `https://` Okta URL",
                    known.join(", ")
                ),
            );
        }
    }

    fn non_empty(&mut self, path: &str, value: Option<&String>, what: &str) {
        if let Some(v) = value
            && v.trim().is_empty()
        {
            self.push(
                path.to_owned(),
                v,
                ProblemKind::EmptyValue,
                format!("{what} is empty"),
            );
        }
    }
}

impl Policy {
    /// Every problem, in model order; never stops at the first.
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut out = Problems::default();
        for (i, layer) in self.accounts.allow.iter().enumerate() {
            for (j, p) in layer.iter().enumerate() {
                out.glob(format!("accounts.allow[{i}][{j}]"), p);
            }
        }
        for (i, p) in self.accounts.deny.iter().enumerate() {
            out.glob(format!("accounts.deny[{i}]"), p);
        }
        for (i, layer) in self.authenticators.allowed.iter().enumerate() {
            for (j, m) in layer.iter().enumerate() {
                out.authenticator(format!("authenticators.allowed[{i}][{j}]"), m);
            }
        }
        for (i, m) in self.authenticators.forbidden.iter().enumerate() {
            out.authenticator(format!("authenticators.forbidden[{i}]"), m);
        }
        for (key, methods) in &self.authenticators.per_account {
            let base = format!("authenticators.per_account[{key:?}]");
            if let Err(e) = AccountPattern::new(key) {
                out.push(base.clone(), key, ProblemKind::InvalidGlob, e.to_string());
            }
            for (j, m) in methods.iter().enumerate() {
                out.authenticator(format!("{base}[{j}]"), m);
            }
        }
        out.non_empty(
            "roles.default_role",
            self.roles.default_role.as_ref(),
            "default role",
        );
        for (i, p) in self.roles.forbidden.iter().enumerate() {
            out.glob(format!("roles.forbidden[{i}]"), p);
        }
        out.non_empty(
            "required_connection",
            self.required_connection.as_ref(),
            "required connection name",
        );
        for p in self.permissions.problems() {
            out.push(
                format!("permissions.{}", p.path),
                &p.pattern,
                ProblemKind::InvalidPermissionPattern,
                p.error.to_string(),
            );
        }
        out.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountPolicy, AuthenticatorPolicy, PermissionPolicy, RolePolicy};

    #[test]
    fn reports_every_problem_with_paths() {
        let policy = Policy {
            accounts: AccountPolicy {
                allow: vec![vec!["acme-*".into()], vec!["acme-prod".into(), "".into()]],
                deny: vec!["acme-[x]".into()],
            },
            authenticators: AuthenticatorPolicy {
                allowed: vec![vec!["externalbrowser".into(), "PASSWORD".into()]],
                forbidden: vec!["snowflake".into()],
                per_account: [("acme-(".to_owned(), vec!["okta".to_owned()])].into(),
            },
            roles: RolePolicy {
                default_role: Some(" ".into()),
                forbidden: vec!["ACCOUNT\tADMIN".into()],
                require_role: true,
            },
            required_connection: Some("".into()),
            permissions: PermissionPolicy {
                deny: vec!["bash(rm:*".into()],
                only_allow: Some(vec!["read".into(), "read(/x)".into()]),
                ..Default::default()
            },
        };
        let paths: Vec<(String, ProblemKind)> = policy
            .validate()
            .into_iter()
            .map(|p| (p.path, p.kind))
            .collect();
        use ProblemKind::*;
        assert_eq!(
            paths,
            [
                ("accounts.allow[1][1]".to_owned(), InvalidGlob),
                ("accounts.deny[0]".to_owned(), InvalidGlob),
                (
                    "authenticators.allowed[0][1]".to_owned(),
                    UnknownAuthenticator
                ),
                (
                    "authenticators.per_account[\"acme-(\"]".to_owned(),
                    InvalidGlob
                ),
                (
                    "authenticators.per_account[\"acme-(\"][0]".to_owned(),
                    UnknownAuthenticator
                ),
                ("roles.default_role".to_owned(), EmptyValue),
                ("roles.forbidden[0]".to_owned(), InvalidGlob),
                ("required_connection".to_owned(), EmptyValue),
                ("permissions.deny[0]".to_owned(), InvalidPermissionPattern),
                (
                    "permissions.only_allow[1]".to_owned(),
                    InvalidPermissionPattern
                ),
            ]
        );
    }

    #[test]
    fn valid_policy_has_no_problems() {
        let policy = Policy {
            accounts: AccountPolicy {
                allow: vec![vec!["acme-*".into()]],
                deny: vec!["acme-sandbox*".into()],
            },
            permissions: PermissionPolicy {
                deny: vec!["bash(rm:*)".into(), "mcp(*)".into()],
                only_allow: Some(vec!["account(acme-*)".into()]),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(policy.validate(), []);
    }
}
