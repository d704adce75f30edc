//! Evaluation of one Snowflake connection against a [`Policy`]: account and host, effective
//! authenticator, role, and secrets stored in the file.

use std::fmt;

use serde::Serialize;

use crate::account::{
    AccountError, AccountKind, AccountPattern, NormalizedAccount, Tld, is_placeholder,
};
use crate::authenticator::{self, Authenticator, EffectiveSource};
use crate::glob::Glob;
use crate::model::{AccountPolicy, Policy};
use crate::permission::{CompiledPermissions, Decision, Invocation, PermissionVerdict};
use crate::rule::{Rule, RuleId};

/// The connection fields the engine looks at, as the effective connection has them (after the
/// file precedence and any environment overrides the caller applies).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectionParams {
    /// Connection name (the TOML table name); never matched against account patterns.
    pub name: String,
    /// `account`
    pub account: Option<String>,
    /// `host`
    pub host: Option<String>,
    /// `authenticator`
    pub authenticator: Option<String>,
    /// `user`
    pub user: Option<String>,
    /// `role`
    pub role: Option<String>,
    /// `warehouse`
    pub warehouse: Option<String>,
    /// `database`
    pub database: Option<String>,
    /// `schema`
    pub schema: Option<String>,
    /// `password` (a password, or a PAT pasted into it)
    pub password: Option<String>,
    /// `token`
    pub token: Option<String>,
    /// `token_file_path`
    pub token_file_path: Option<String>,
    /// `private_key_file` (connector name)
    pub private_key_file: Option<String>,
    /// `private_key_path` (snow's alias, CoCo Desktop's spelling)
    pub private_key_path: Option<String>,
    /// `private_key_raw` (inline key, snow)
    pub private_key_raw: Option<String>,
}

impl fmt::Debug for ConnectionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ConnectionParams")
            .field("name", &self.name)
            .field("account", &self.account)
            .field("host", &self.host)
            .field("authenticator", &self.authenticator)
            .field("user", &self.user)
            .field("role", &self.role)
            .field("warehouse", &self.warehouse)
            .field("database", &self.database)
            .field("schema", &self.schema)
            .field("password", &redact(&self.password))
            .field("token", &redact(&self.token))
            .field("token_file_path", &self.token_file_path)
            .field("private_key_file", &self.private_key_file)
            .field("private_key_path", &self.private_key_path)
            .field("private_key_raw", &redact(&self.private_key_raw))
            .finish()
    }
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// Outcome of the account check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountStatus {
    /// Allowed by every layer and not denied.
    Allowed,
    /// Denied, or not in an allow layer.
    Denied,
    /// A legacy locator that cannot be checked against org-account patterns offline.
    Unverifiable,
    /// Missing, a `${VAR}` placeholder, or not an account identifier.
    NotEvaluable,
    /// `host` names another account, or is not a Snowflake host.
    HostMismatch,
}

/// The account part of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountVerdict {
    /// `account` as written.
    pub raw: Option<String>,
    /// Normalised form (canonical label 0 plus qualifiers).
    pub normalized: Option<String>,
    /// Shape of label 0.
    pub kind: Option<AccountKind>,
    /// Region, cloud, `privatelink`, ... for reporting.
    pub qualifiers: Vec<String>,
    /// Snowflake domain written in the value, if any.
    pub tld: Option<Tld>,
    /// Outcome.
    pub status: AccountStatus,
    /// Why.
    pub rule: Rule,
}

/// The host part of a verdict, present when the connection sets `host`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostVerdict {
    /// `host` as written.
    pub raw: String,
    /// Normalised form, when it could be normalised.
    pub normalized: Option<String>,
    /// Whether it names the connection's account; `None` when either side is not evaluable.
    pub matches_account: Option<bool>,
}

/// The authenticator part of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthenticatorVerdict {
    /// `authenticator` as written.
    pub configured: Option<String>,
    /// What the client will use.
    pub effective: Authenticator,
    /// Which input decided `effective`.
    pub source: EffectiveSource,
    /// Whether the policy allows it.
    pub allowed: bool,
    /// Why.
    pub rule: Rule,
}

/// Outcome of the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleStatus {
    /// No role, while the policy requires one or names a default role.
    Missing,
    /// No role, and the policy has no opinion.
    Unset,
    /// The policy's default role.
    Default,
    /// A forbidden role.
    Forbidden,
    /// Another role.
    Other,
    /// A `${VAR}` placeholder, whose value is unknown.
    Placeholder,
}

/// The role part of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleVerdict {
    /// `role` as written.
    pub value: Option<String>,
    /// Outcome.
    pub status: RoleStatus,
    /// Whether the role satisfies the policy.
    pub compliant: bool,
    /// Why.
    pub rule: Rule,
}

/// A kind of secret kept in a connection file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A plaintext `password`.
    PlaintextPassword,
    /// A programmatic access token pasted into `password` (see [`looks_like_pat`]).
    PatInPassword,
    /// An inline `token`.
    InlineToken,
    /// An inline `private_key_raw`.
    InlinePrivateKey,
}

/// A secret found in the connection. The value itself is never included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretFinding {
    /// What kind.
    pub kind: SecretKind,
    /// The key that holds it.
    pub key: String,
    /// One sentence for humans.
    pub explanation: String,
}

/// Everything the engine decided about one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionVerdict {
    /// Connection name.
    pub name: String,
    /// Whether this is the policy's required connection.
    pub required: bool,
    /// Account check.
    pub account: AccountVerdict,
    /// Host check, when `host` is set.
    pub host: Option<HostVerdict>,
    /// Authenticator check.
    pub authenticator: AuthenticatorVerdict,
    /// Role check.
    pub role: RoleVerdict,
    /// Secrets stored in the file. They are reported, not counted in `compliant`: whether a
    /// stored secret is a violation is an endpoint rule of the profile.
    pub secrets: Vec<SecretFinding>,
    /// Account allowed, authenticator allowed and role compliant.
    pub compliant: bool,
}

/// Heuristic for a Snowflake programmatic access token: PAT secrets are JWTs, so the value is
/// three non-empty base64url segments joined by `.`, the first starting with `eyJ` (base64 of
/// `{"`), at least 60 characters in all and without whitespace. Ordinary passwords essentially
/// never have this shape; a JWT of another origin would also be flagged, which is just as
/// much a secret that does not belong in `password`.
pub fn looks_like_pat(value: &str) -> bool {
    let v = value.trim();
    let segments: Vec<&str> = v.split('.').collect();
    v.len() >= 60
        && segments.len() == 3
        && segments[0].starts_with("eyJ")
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

impl Policy {
    /// Evaluates one connection. Never fails: anything that cannot be judged is reported as
    /// such in the verdict. To judge many connections, parse the policy's patterns once
    /// with [`Policy::evaluator`].
    pub fn evaluate_connection(&self, params: &ConnectionParams) -> ConnectionVerdict {
        self.evaluator().evaluate_connection(params)
    }

    /// The policy with every pattern parsed, for judging many connections: each one then
    /// costs the matching alone, not the parsing of every pattern again.
    pub fn evaluator(&self) -> PolicyEvaluator<'_> {
        PolicyEvaluator::new(self)
    }

    /// The account part of [`Policy::evaluate_connection`] alone: exactly its
    /// `account` verdict, parsing only the patterns that decide an account (the
    /// account lists and the permissions), for a single connection.
    pub fn evaluate_account(&self, params: &ConnectionParams) -> AccountVerdict {
        PolicyEvaluator::accounts_only(self).judge_account(params).0
    }
}

/// An account verdict, with the host's and the account as normalised (when it parses),
/// which the rest of a connection's evaluation reuses.
type AccountJudgement = (
    AccountVerdict,
    Option<HostVerdict>,
    Option<NormalizedAccount>,
);

/// The account allow and deny patterns, compiled.
#[derive(Debug, Clone)]
struct AccountPatterns {
    deny: Vec<AccountPattern>,
    /// One list per `extends` layer, base first.
    layers: Vec<Vec<AccountPattern>>,
}

/// A [`Policy`] with its patterns parsed once, from [`Policy::evaluator`]. Its verdicts are
/// exactly [`Policy::evaluate_connection`]'s.
#[derive(Debug, Clone)]
pub struct PolicyEvaluator<'p> {
    policy: &'p Policy,
    /// The account patterns, or the rule that denies every account because one of them is
    /// invalid (as CoCo denies on an invalid policy).
    accounts: Result<AccountPatterns, Rule>,
    /// The permissions Cortex Code receives (the profile's, with the account patterns).
    permissions: CompiledPermissions,
    /// Per-account authenticator entries whose key is a valid pattern, in key order.
    per_account: Vec<(&'p str, AccountPattern, &'p [String])>,
    /// Forbidden role patterns; an invalid one is compared literally.
    forbidden_roles: Vec<(&'p str, Option<Glob>)>,
}

impl<'p> PolicyEvaluator<'p> {
    /// An evaluator for [`Policy::evaluate_account`]: the methods and roles are not
    /// parsed, so it must never judge them.
    fn accounts_only(policy: &'p Policy) -> Self {
        Self {
            policy,
            accounts: compile_accounts(&policy.accounts),
            permissions: policy.permissions.with_accounts(&policy.accounts).compile(),
            per_account: Vec::new(),
            forbidden_roles: Vec::new(),
        }
    }

    fn new(policy: &'p Policy) -> Self {
        Self {
            per_account: policy
                .authenticators
                .per_account
                .iter()
                .filter_map(|(key, methods)| {
                    let pattern = AccountPattern::new(key).ok()?;
                    Some((key.as_str(), pattern, methods.as_slice()))
                })
                .collect(),
            forbidden_roles: policy
                .roles
                .forbidden
                .iter()
                .map(|p| (p.as_str(), Glob::new(p).ok()))
                .collect(),
            ..Self::accounts_only(policy)
        }
    }

    /// How Cortex Code's CLI decides `account(<account>)` through the permissions the
    /// compiler writes (the profile's lists with the account patterns added).
    pub fn account_permission(&self, account: &str) -> PermissionVerdict {
        self.permissions
            .evaluate(&Invocation::new("account", Some(account)))
    }

    /// Evaluates one connection. Never fails: anything that cannot be judged is reported as
    /// such in the verdict.
    pub fn evaluate_connection(&self, params: &ConnectionParams) -> ConnectionVerdict {
        let (account, host, normalized) = self.judge_account(params);
        let authenticator = self.evaluate_authenticator(params, normalized.as_ref());
        let role = self.evaluate_role(set(&params.role));
        let secrets = secrets(params);
        let compliant =
            account.status == AccountStatus::Allowed && authenticator.allowed && role.compliant;
        ConnectionVerdict {
            name: params.name.clone(),
            required: self.policy.required_connection.as_deref() == Some(params.name.as_str()),
            account,
            host,
            authenticator,
            role,
            secrets,
            compliant,
        }
    }

    /// The account verdict: the account patterns and the host, then the permissions.
    fn judge_account(&self, params: &ConnectionParams) -> AccountJudgement {
        let (mut account, host, normalized) = self.account_by_patterns(params);
        // Cortex Code's CLI also judges the account through `permissions` (`account(…)`
        // patterns, `onlyAllow`, `defaultMode`): the same lists the compiler writes.
        if account.status == AccountStatus::Allowed
            && let Some(value) = set(&params.account)
        {
            // The account is parsed once, for the patterns and the permissions alike.
            let v = match &normalized {
                Some(acct) => self.permissions.evaluate_account(value, acct),
                None => self.account_permission(value),
            };
            if v.decision == Decision::Deny {
                account.status = AccountStatus::Denied;
                account.rule = v.rule;
            }
        }
        (account, host, normalized)
    }

    /// The account verdict of the account patterns and the host alone.
    fn account_by_patterns(&self, params: &ConnectionParams) -> AccountJudgement {
        let raw = params.account.clone();
        let verdict = |status, rule, n: Option<&NormalizedAccount>| AccountVerdict {
            raw: raw.clone(),
            normalized: n.map(NormalizedAccount::normalized),
            kind: n.map(|n| n.kind),
            qualifiers: n.map(|n| n.qualifiers.clone()).unwrap_or_default(),
            tld: n.and_then(|n| n.tld),
            status,
            rule,
        };
        let host_raw = set(&params.host);
        let host_norm = host_raw.map(NormalizedAccount::parse);

        let Some(value) = set(&params.account) else {
            let host = host_raw.map(|h| host_verdict(h, host_norm.as_ref(), None));
            let rule = Rule::new(RuleId::AccountsMissing, "the connection has no `account`");
            return (verdict(AccountStatus::NotEvaluable, rule, None), host, None);
        };
        let acct = match NormalizedAccount::parse(value) {
            Ok(a) => a,
            Err(e) => {
                let host = host_raw.map(|h| host_verdict(h, host_norm.as_ref(), None));
                let rule = match e {
                    AccountError::Placeholder => Rule::new(
                        RuleId::AccountsPlaceholder,
                        "`account` is a `${...}` placeholder, which the Snowflake clients do not expand",
                    ),
                    AccountError::Empty => Rule::new(
                        RuleId::AccountsInvalidIdentifier,
                        "`account` is empty once the scheme, domain and port are removed",
                    ),
                };
                return (verdict(AccountStatus::NotEvaluable, rule, None), host, None);
            }
        };
        let host = host_raw.map(|h| host_verdict(h, host_norm.as_ref(), Some(&acct)));
        let done = |status, rule| {
            (
                verdict(status, rule, Some(&acct)),
                host.clone(),
                Some(acct.clone()),
            )
        };

        if acct.kind == AccountKind::Invalid {
            return done(
                AccountStatus::NotEvaluable,
                Rule::new(
                    RuleId::AccountsInvalidIdentifier,
                    format!("`{value}` is not an account identifier (letters, digits, `-`, `_`)"),
                ),
            );
        }

        // A broken policy denies, as CoCo does.
        let AccountPatterns { deny, layers } = match &self.accounts {
            Ok(patterns) => patterns,
            Err(rule) => return done(AccountStatus::Denied, rule.clone()),
        };

        if let Some(p) = deny.iter().find(|p| p.matches(&acct)) {
            return done(
                AccountStatus::Denied,
                Rule::new(
                    RuleId::AccountsDeny,
                    format!("deny pattern `{}` matches; a deny always wins", p.glob()),
                )
                .with_pattern(p.glob().as_str()),
            );
        }

        if let Some(h) = &host {
            match (&host_norm, h.matches_account) {
                (Some(Err(AccountError::Placeholder)), _) => {
                    return done(
                        AccountStatus::NotEvaluable,
                        Rule::new(
                            RuleId::AccountsPlaceholder,
                            "`host` is a `${...}` placeholder",
                        ),
                    );
                }
                (_, Some(true)) => {}
                _ => {
                    return done(
                        AccountStatus::HostMismatch,
                        Rule::new(
                            RuleId::AccountsHostMismatch,
                            format!(
                                "`host` `{}` does not name account `{}` on a Snowflake domain; CoCo refuses such a connection",
                                h.raw, acct.account_part
                            ),
                        ),
                    );
                }
            }
        }

        let locator = acct.kind == AccountKind::Locator;
        let unverifiable = || {
            Rule::new(
                RuleId::AccountsLocatorUnverifiable,
                format!(
                    "`{}` is a legacy locator; it cannot be mapped to an org-account name offline",
                    acct.account_part
                ),
            )
        };
        if layers.is_empty() {
            if locator && !deny.is_empty() {
                return done(AccountStatus::Unverifiable, unverifiable());
            }
            return done(
                AccountStatus::Allowed,
                Rule::new(
                    RuleId::AccountsUnrestricted,
                    "the policy has no account allow list",
                ),
            );
        }
        let mut last = None;
        for (i, layer) in layers.iter().enumerate() {
            // A match-all pattern says nothing about which account a locator is once deny
            // patterns exist.
            let hit = layer.iter().find(|p| {
                p.matches(&acct) && !(locator && !deny.is_empty() && p.glob().is_match_all())
            });
            match hit {
                Some(p) => last = Some((i, p)),
                None if locator => return done(AccountStatus::Unverifiable, unverifiable()),
                None => {
                    return done(
                        AccountStatus::Denied,
                        Rule::new(
                            RuleId::AccountsNotAllowed,
                            format!(
                                "no allow pattern of layer {i} matches `{}`",
                                acct.account_part
                            ),
                        )
                        .with_layer(i),
                    );
                }
            }
        }
        let rule = match last {
            Some((i, p)) => Rule::new(
                RuleId::AccountsAllow,
                format!("allowed by `{}` (and a pattern in every layer)", p.glob()),
            )
            .with_pattern(p.glob().as_str())
            .with_layer(i),
            None => Rule::new(
                RuleId::AccountsUnrestricted,
                "the policy has no account allow list",
            ),
        };
        done(AccountStatus::Allowed, rule)
    }
}

/// Compiles every account pattern; the first invalid one (deny patterns first) becomes the
/// rule that denies.
fn compile_accounts(policy: &AccountPolicy) -> Result<AccountPatterns, Rule> {
    let compile = |p: &String, layer| {
        AccountPattern::new(p).map_err(|e| invalid_account_pattern(p, layer, &e))
    };
    let deny = policy
        .deny
        .iter()
        .map(|p| compile(p, None))
        .collect::<Result<_, _>>()?;
    let layers = policy
        .allow
        .iter()
        .enumerate()
        .map(|(i, layer)| layer.iter().map(|p| compile(p, Some(i))).collect())
        .collect::<Result<_, _>>()?;
    Ok(AccountPatterns { deny, layers })
}

fn invalid_account_pattern(pattern: &str, layer: Option<usize>, e: &crate::GlobError) -> Rule {
    let mut rule = Rule::new(
        RuleId::AccountsInvalidPolicy,
        format!("account pattern `{pattern}` is invalid ({e}); CoCo denies connections on an invalid policy"),
    )
    .with_pattern(pattern);
    rule.layer = layer;
    rule
}

fn host_verdict(
    raw: &str,
    parsed: Option<&Result<NormalizedAccount, AccountError>>,
    account: Option<&NormalizedAccount>,
) -> HostVerdict {
    let host = parsed.and_then(|r| r.as_ref().ok());
    HostVerdict {
        raw: raw.to_owned(),
        normalized: host.map(NormalizedAccount::normalized),
        matches_account: match (account, host) {
            (Some(a), Some(h)) => Some(a.host_matches(h)),
            _ => None,
        },
    }
}

impl PolicyEvaluator<'_> {
    fn evaluate_authenticator(
        &self,
        params: &ConnectionParams,
        account: Option<&NormalizedAccount>,
    ) -> AuthenticatorVerdict {
        let policy = &self.policy.authenticators;
        let has_key = [
            &params.private_key_file,
            &params.private_key_path,
            &params.private_key_raw,
        ]
        .into_iter()
        .any(|v| set(v).is_some());
        let (effective, source) = authenticator::effective(set(&params.authenticator), has_key);
        let verdict = |allowed, rule| AuthenticatorVerdict {
            configured: params.authenticator.clone(),
            effective: effective.clone(),
            source,
            allowed,
            rule,
        };
        if let Authenticator::Unknown(v) = &effective {
            return verdict(
                false,
                Rule::new(
                    RuleId::AuthenticatorsUnknown,
                    format!("`{v}` is not an authenticator the Snowflake clients accept"),
                ),
            );
        }
        if let Some(m) = policy.forbidden.iter().find(|m| effective.is_named(m)) {
            return verdict(
                false,
                Rule::new(
                    RuleId::AuthenticatorsForbidden,
                    format!("`{effective}` is forbidden"),
                )
                .with_pattern(m.as_str()),
            );
        }
        // With methods forbidden, "any method" is compiled as every known method but the
        // forbidden ones, a list that cannot name a native-Okta URL: Cortex Code then
        // refuses it, so the engine does too rather than drop it silently.
        let okta_unlisted =
            matches!(effective, Authenticator::NativeOkta(_)) && !policy.forbidden.is_empty();
        let okta_rule = || {
            Rule::new(
                RuleId::AuthenticatorsNotAllowed,
                format!(
                    "`{effective}` is a native-Okta URL; with methods forbidden, Cortex Code receives the known methods minus the forbidden ones, which cannot include a URL: list it in `[authenticators] allowed`"
                ),
            )
        };
        if let Some((key, methods)) = account.and_then(|a| self.per_account_entry(a)) {
            if methods.is_empty() && okta_unlisted {
                return verdict(false, okta_rule().with_pattern(key));
            }
            let allowed = methods.is_empty() || methods.iter().any(|m| effective.is_named(m));
            let explanation = match (methods.is_empty(), allowed) {
                (true, _) => format!("per-account entry `{key}` allows any method"),
                (false, true) => format!("per-account entry `{key}` allows `{effective}`"),
                (false, false) => format!(
                    "per-account entry `{key}` allows only {}",
                    methods.join(", ")
                ),
            };
            return verdict(
                allowed,
                Rule::new(RuleId::AuthenticatorsPerAccount, explanation).with_pattern(key),
            );
        }
        if policy.allowed.is_empty() && okta_unlisted {
            return verdict(false, okta_rule());
        }
        if policy.allowed.is_empty() {
            return verdict(
                true,
                Rule::new(
                    RuleId::AuthenticatorsUnrestricted,
                    "the policy restricts no authenticator",
                ),
            );
        }
        for (i, layer) in policy.allowed.iter().enumerate() {
            if !layer.iter().any(|m| effective.is_named(m)) {
                return verdict(
                    false,
                    Rule::new(
                        RuleId::AuthenticatorsNotAllowed,
                        format!(
                            "`{effective}` is not in allowed set {i} ({})",
                            layer.join(", ")
                        ),
                    )
                    .with_layer(i),
                );
            }
        }
        verdict(
            true,
            Rule::new(
                RuleId::AuthenticatorsAllowed,
                format!("`{effective}` is in every allowed set"),
            )
            .with_layer(policy.allowed.len() - 1),
        )
    }

    /// The per-account entry that applies: a key without wildcards that matches beats any
    /// glob; among globs the one with the most literal characters wins, ties going to the
    /// first key in order. Keys that are not valid globs never match.
    fn per_account_entry(&self, account: &NormalizedAccount) -> Option<(&str, &[String])> {
        let mut best: Option<(bool, usize, &str, &[String])> = None;
        for (key, p, methods) in &self.per_account {
            if !p.matches(account) {
                continue;
            }
            let rank = (p.glob().is_literal(), p.glob().literal_len());
            if best.is_none_or(|(l, n, _, _)| rank > (l, n)) {
                best = Some((rank.0, rank.1, key, methods));
            }
        }
        best.map(|(_, _, k, m)| (k, m))
    }
}

impl PolicyEvaluator<'_> {
    fn evaluate_role(&self, role: Option<&str>) -> RoleVerdict {
        let policy = &self.policy.roles;
        let verdict = |status, compliant, rule| RoleVerdict {
            value: role.map(str::to_owned),
            status,
            compliant,
            rule,
        };
        let Some(role) = role else {
            if policy.require_role || policy.default_role.is_some() {
                let why = match (&policy.default_role, policy.require_role) {
                    (Some(d), true) => {
                        format!("no `role`; the policy requires one (default `{d}`)")
                    }
                    (None, _) => "no `role`; the policy requires one".to_owned(),
                    (Some(d), false) => {
                        format!("no `role`; the user's default role applies instead of `{d}`")
                    }
                };
                return verdict(
                    RoleStatus::Missing,
                    !policy.require_role,
                    Rule::new(RuleId::RolesMissing, why),
                );
            }
            return verdict(
                RoleStatus::Unset,
                true,
                Rule::new(
                    RuleId::RolesOther,
                    "no `role`, and the policy has no role rule",
                ),
            );
        };
        if is_placeholder(role) {
            return verdict(
                RoleStatus::Placeholder,
                policy.forbidden.is_empty(),
                Rule::new(RuleId::RolesPlaceholder, "`role` is a `${...}` placeholder"),
            );
        }
        let bare = role.trim().trim_matches('"');
        for &(p, ref glob) in &self.forbidden_roles {
            // An invalid pattern is compared literally, so it can still forbid what it names.
            let hit = match glob {
                Some(g) => g.matches(bare),
                None => p.trim().eq_ignore_ascii_case(bare),
            };
            if hit {
                return verdict(
                    RoleStatus::Forbidden,
                    false,
                    Rule::new(
                        RuleId::RolesForbidden,
                        format!("role `{role}` is forbidden"),
                    )
                    .with_pattern(p),
                );
            }
        }
        if let Some(d) = &policy.default_role
            && d.trim().trim_matches('"').eq_ignore_ascii_case(bare)
        {
            return verdict(
                RoleStatus::Default,
                true,
                Rule::new(
                    RuleId::RolesDefault,
                    format!("`{role}` is the default role"),
                ),
            );
        }
        verdict(
            RoleStatus::Other,
            true,
            Rule::new(
                RuleId::RolesOther,
                format!("role `{role}` is not forbidden"),
            ),
        )
    }
}

fn secrets(params: &ConnectionParams) -> Vec<SecretFinding> {
    let mut out = Vec::new();
    let literal = |v: &Option<String>| set(v).filter(|s| !is_placeholder(s)).map(str::to_owned);
    if let Some(pw) = literal(&params.password) {
        out.push(if looks_like_pat(&pw) {
            SecretFinding {
                kind: SecretKind::PatInPassword,
                key: "password".into(),
                explanation: "`password` holds what looks like a programmatic access token".into(),
            }
        } else {
            SecretFinding {
                kind: SecretKind::PlaintextPassword,
                key: "password".into(),
                explanation: "`password` is stored in plaintext".into(),
            }
        });
    }
    if literal(&params.token).is_some() {
        out.push(SecretFinding {
            kind: SecretKind::InlineToken,
            key: "token".into(),
            explanation: "`token` is stored inline".into(),
        });
    }
    if literal(&params.private_key_raw).is_some() {
        out.push(SecretFinding {
            kind: SecretKind::InlinePrivateKey,
            key: "private_key_raw".into(),
            explanation: "`private_key_raw` holds a private key inline".into(),
        });
    }
    out
}
