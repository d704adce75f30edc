//! Cortex Code permission patterns (`read`, `bash(git:*)`, `mcp(https://*)`, `skill(user:*)`,
//! `account(acme-*)`, ...) and the managed evaluation order: `deny`, then `onlyAllow`, then
//! `defaultMode`.
//!
//! Scoping of `onlyAllow`: the CoCo docs contradict each other on whether a managed `onlyAllow`
//! blocks everything it does not list or only items of the kinds it lists (reference (g) item
//! 2). Their own "restrict to approved accounts" example, which lists only `account(...)` with
//! `defaultMode: "allow"`, works only in the scoped reading, so this engine scopes it by
//! [`Category`]: a list that names no MCP pattern leaves MCP servers to `defaultMode`. Built-in
//! tools (`read`, `write`, `edit`, `grep`, `glob`, `bash`, SQL) form one category, so listing
//! `read` and `bash(git:*)` does restrict `write`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::account::{AccountPattern, NormalizedAccount};
use crate::glob::{Glob, GlobError};
use crate::model::{AccountPolicy, DefaultMode, PermissionPolicy};
use crate::rule::{Rule, RuleId};

/// The kind of item a pattern or an invocation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Built-in tools: file tools, `bash`, `sql_execute` / `snowflake_sql_execute`, and any other
    /// bare tool name.
    Tool,
    /// `mcp(...)`: MCP servers by URL.
    Mcp,
    /// `skill(source:name)`.
    Skill,
    /// `plugin(...)`.
    Plugin,
    /// `account(...)`: Snowflake accounts (CLI only; Desktop does not enforce it).
    Account,
}

impl Category {
    fn of_tool(name: &str) -> Self {
        match name {
            "mcp" => Self::Mcp,
            "skill" => Self::Skill,
            "plugin" => Self::Plugin,
            "account" => Self::Account,
            _ => Self::Tool,
        }
    }
}

/// Skill sources CoCo documents.
const SKILL_SOURCES: [&str; 5] = ["bundled", "profile", "user", "project", "remote"];

/// Why a permission pattern is malformed. Columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// Empty or blank.
    #[error("pattern is empty")]
    Empty,
    /// Leading or trailing whitespace.
    #[error("pattern has leading or trailing whitespace")]
    SurroundingWhitespace,
    /// A character that cannot appear in a tool name.
    #[error(
        "`{ch}` at column {column} cannot appear in a tool name (letters, digits, `_`, `*`, `?`)"
    )]
    InvalidName {
        /// 1-based column.
        column: usize,
        /// The offending character.
        ch: char,
    },
    /// `type(` without the closing `)` at the end.
    #[error("`(` at column {column} is not closed by a `)` at the end of the pattern")]
    Unclosed {
        /// 1-based column of the `(`.
        column: usize,
    },
    /// `type()`.
    #[error("`{tool}()` has an empty filter; write `{tool}` or `{tool}(*)`")]
    EmptyFilter {
        /// The tool name.
        tool: String,
    },
    /// A filter on a tool that takes none.
    #[error(
        "`{tool}` takes no filter; CoCo documents filters for bash, mcp, skill, plugin and account only"
    )]
    FilterNotSupported {
        /// The tool name.
        tool: String,
    },
    /// A bash filter that is not `<first-token>:*`.
    #[error("bash filter `{filter}` must name the command's first token, as in `bash(git:*)`")]
    BashFilter {
        /// The filter as written.
        filter: String,
    },
    /// A skill filter that is not `*` or `<source>:<name>` with a documented source.
    #[error(
        "skill filter `{filter}` must be `*` or `<source>:<name>` with source one of bundled, profile, user, project, remote"
    )]
    SkillFilter {
        /// The filter as written.
        filter: String,
    },
    /// The filter is not a valid glob.
    #[error("filter: {0}")]
    Glob(#[from] GlobError),
}

#[derive(Debug, Clone)]
enum Filter {
    /// Compared with the first token of the shell command.
    FirstToken(Glob),
    /// Compared with the whole argument (MCP URL, `source:name`).
    Text(Glob),
    /// Compared with the account after normalisation.
    Account(AccountPattern),
}

/// A parsed permission pattern.
#[derive(Debug, Clone)]
pub struct PermissionPattern {
    raw: String,
    name: Glob,
    category: Category,
    filter: Option<Filter>,
}

impl PermissionPattern {
    /// Parses `name` or `name(filter)`.
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        if pattern.trim().is_empty() {
            return Err(PatternError::Empty);
        }
        if pattern.trim() != pattern {
            return Err(PatternError::SurroundingWhitespace);
        }
        let (name, filter) = match pattern.find('(') {
            None => (pattern, None),
            Some(open) => {
                let Some(inner) = pattern[open + 1..].strip_suffix(')') else {
                    return Err(PatternError::Unclosed {
                        column: pattern[..open].chars().count() + 1,
                    });
                };
                (&pattern[..open], Some(inner))
            }
        };
        for (i, ch) in name.chars().enumerate() {
            if !(ch.is_ascii_alphanumeric() || matches!(ch, '_' | '*' | '?')) {
                return Err(PatternError::InvalidName { column: i + 1, ch });
            }
        }
        if name.is_empty() {
            return Err(PatternError::InvalidName { column: 1, ch: '(' });
        }
        let lname = name.to_ascii_lowercase();
        let name_glob = Glob::new(&lname)?;
        let category = if name_glob.is_literal() {
            Category::of_tool(&lname)
        } else {
            Category::Tool
        };
        let filter = match filter {
            None => None,
            Some(f) if f.trim().is_empty() => {
                return Err(PatternError::EmptyFilter { tool: lname });
            }
            Some(f) => Some(parse_filter(&lname, category, f)?),
        };
        Ok(Self {
            raw: pattern.to_owned(),
            name: name_glob,
            category,
            filter,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The kind of item the pattern is about.
    pub fn category(&self) -> Category {
        self.category
    }

    /// True if the pattern has no filter and its name is a literal (e.g. `bash`, `mcp`).
    pub fn is_bare(&self) -> bool {
        self.filter.is_none()
    }

    /// True if the invocation falls under this pattern.
    pub fn matches(&self, inv: &Invocation) -> bool {
        self.matches_with(inv, account_argument(inv).as_ref())
    }

    /// [`PermissionPattern::matches`], with the argument of an `account(…)` invocation
    /// normalised once by the caller rather than once per pattern.
    fn matches_with(&self, inv: &Invocation, account: Option<&NormalizedAccount>) -> bool {
        if !self.name.matches(&inv.tool) {
            return false;
        }
        // A name glob such as `*` covers built-in tools only; `mcp`, `skill`, `plugin` and
        // `account` items are reached by their own names.
        if self.category != inv.category() {
            return false;
        }
        let Some(filter) = &self.filter else {
            return true;
        };
        let Some(arg) = inv.argument.as_deref() else {
            return false;
        };
        match filter {
            Filter::FirstToken(g) => arg.split_whitespace().next().is_some_and(|t| g.matches(t)),
            Filter::Text(g) => g.matches(arg),
            Filter::Account(p) => account.is_some_and(|a| p.matches(a)),
        }
    }
}

/// The argument of an `account(…)` invocation, normalised; `None` for other kinds and for
/// arguments that are not account identifiers.
fn account_argument(inv: &Invocation) -> Option<NormalizedAccount> {
    match (inv.category(), inv.argument.as_deref()) {
        (Category::Account, Some(arg)) => NormalizedAccount::parse(arg).ok(),
        _ => None,
    }
}

fn parse_filter(tool: &str, category: Category, filter: &str) -> Result<Filter, PatternError> {
    match (tool, category) {
        ("bash", _) => {
            let token = filter.strip_suffix(":*").unwrap_or(filter);
            if token.is_empty() || token.contains(char::is_whitespace) || token.contains(':') {
                return Err(PatternError::BashFilter {
                    filter: filter.to_owned(),
                });
            }
            Ok(Filter::FirstToken(Glob::new(token)?))
        }
        (_, Category::Mcp | Category::Plugin) => Ok(Filter::Text(Glob::new(filter)?)),
        (_, Category::Skill) => {
            let ok = filter == "*"
                || filter.split_once(':').is_some_and(|(source, name)| {
                    !name.is_empty()
                        && (SKILL_SOURCES.contains(&source.to_ascii_lowercase().as_str())
                            || source == "*")
                });
            if !ok {
                return Err(PatternError::SkillFilter {
                    filter: filter.to_owned(),
                });
            }
            Ok(Filter::Text(Glob::new(filter)?))
        }
        (_, Category::Account) => Ok(Filter::Account(AccountPattern::new(filter)?)),
        _ => Err(PatternError::FilterNotSupported {
            tool: tool.to_owned(),
        }),
    }
}

impl fmt::Display for PermissionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for PermissionPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why an invocation string is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvocationError {
    /// No tool name.
    #[error("invocation names no tool")]
    MissingTool,
    /// A tool name with characters other than letters, digits and `_`.
    #[error("`{0}` is not a tool name (letters, digits and `_`)")]
    InvalidTool(String),
    /// `tool(` without a final `)`.
    #[error("`(` is not closed by a `)` at the end")]
    Unclosed,
    /// `tool()`.
    #[error("empty argument; write `{0}` alone")]
    EmptyArgument(String),
}

/// One thing CoCo is asked to do: a tool with an optional argument (the shell command, MCP
/// server URL, `source:name` of a skill or plugin, or account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invocation {
    /// Tool name, lower case.
    pub tool: String,
    /// The argument, if any.
    pub argument: Option<String>,
}

impl Invocation {
    /// Builds an invocation; the tool name is lower-cased.
    pub fn new(tool: &str, argument: Option<&str>) -> Self {
        Self {
            tool: tool.to_ascii_lowercase(),
            argument: argument.map(str::to_owned),
        }
    }

    /// Parses `tool` or `tool(argument)`, e.g. `bash(git status)` or `account(acme-prod)`.
    pub fn parse(text: &str) -> Result<Self, InvocationError> {
        let text = text.trim();
        let (tool, argument) = match text.find('(') {
            None => (text, None),
            Some(open) => {
                let inner = text[open + 1..]
                    .strip_suffix(')')
                    .ok_or(InvocationError::Unclosed)?;
                (text[..open].trim(), Some(inner.trim()))
            }
        };
        if tool.is_empty() {
            return Err(InvocationError::MissingTool);
        }
        if !tool.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(InvocationError::InvalidTool(tool.to_owned()));
        }
        if argument.is_some_and(str::is_empty) {
            return Err(InvocationError::EmptyArgument(tool.to_owned()));
        }
        Ok(Self::new(tool, argument))
    }

    /// The kind of item this is.
    pub fn category(&self) -> Category {
        Category::of_tool(&self.tool)
    }
}

impl fmt::Display for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.argument {
            Some(a) => write!(f, "{}({a})", self.tool),
            None => f.write_str(&self.tool),
        }
    }
}

impl FromStr for Invocation {
    type Err = InvocationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Allow or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Permitted.
    Allow,
    /// Blocked.
    Deny,
}

/// The outcome for one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionVerdict {
    /// The invocation, as `tool(argument)`.
    pub invocation: String,
    /// Allow or block.
    pub decision: Decision,
    /// The rule that decided.
    pub rule: Rule,
}

/// A malformed pattern found in a [`PermissionPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternProblem {
    /// `deny[2]` or `only_allow[0]`.
    pub path: String,
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong.
    pub error: PatternError,
}

impl PermissionPolicy {
    /// Every malformed pattern, in list order (`deny` first).
    pub fn problems(&self) -> Vec<PatternProblem> {
        self.compile().problems
    }

    /// Decides an invocation as CoCo's CLI does for managed settings:
    ///
    /// 1. a `deny` pattern matches: block;
    /// 2. `onlyAllow` lists patterns of the invocation's [`Category`]: allow if one matches,
    ///    block otherwise (scoped by category, see the module docs);
    /// 3. `defaultMode`.
    ///
    /// A malformed pattern anywhere blocks everything, as CoCo's restricted fallback does for
    /// an invalid managed-settings file.
    pub fn evaluate(&self, inv: &Invocation) -> PermissionVerdict {
        self.compile().evaluate(inv)
    }

    /// Parses every pattern once, for deciding many invocations with
    /// [`CompiledPermissions::evaluate`].
    pub fn compile(&self) -> CompiledPermissions {
        let mut problems = Vec::new();
        let mut parse = |key: &str, list: &[String]| -> Vec<PermissionPattern> {
            let mut out = Vec::with_capacity(list.len());
            for (i, p) in list.iter().enumerate() {
                match PermissionPattern::parse(p) {
                    Ok(pattern) => out.push(pattern),
                    Err(error) => problems.push(PatternProblem {
                        path: format!("{key}[{i}]"),
                        pattern: p.clone(),
                        error,
                    }),
                }
            }
            out
        };
        let deny = parse("deny", &self.deny);
        let only_allow = self.only_allow.as_deref().map(|l| parse("only_allow", l));
        CompiledPermissions {
            problems,
            deny,
            only_allow,
            default_mode: self.default_mode,
        }
    }
}

/// A [`PermissionPolicy`] with its patterns parsed, from [`PermissionPolicy::compile`].
#[derive(Debug, Clone)]
pub struct CompiledPermissions {
    /// Malformed patterns, in list order (`deny` first); any of them blocks everything.
    problems: Vec<PatternProblem>,
    deny: Vec<PermissionPattern>,
    only_allow: Option<Vec<PermissionPattern>>,
    default_mode: DefaultMode,
}

impl CompiledPermissions {
    /// Decides an invocation; see [`PermissionPolicy::evaluate`] for the order.
    pub fn evaluate(&self, inv: &Invocation) -> PermissionVerdict {
        self.evaluate_with(inv, account_argument(inv).as_ref())
    }

    /// [`CompiledPermissions::evaluate`] of `account(<raw>)`, with `raw` already
    /// normalised by the caller into `account`.
    pub(crate) fn evaluate_account(
        &self,
        raw: &str,
        account: &NormalizedAccount,
    ) -> PermissionVerdict {
        let inv = Invocation::new("account", Some(raw));
        self.evaluate_with(&inv, Some(account))
    }

    fn evaluate_with(
        &self,
        inv: &Invocation,
        account: Option<&NormalizedAccount>,
    ) -> PermissionVerdict {
        let verdict = |decision, rule| PermissionVerdict {
            invocation: inv.to_string(),
            decision,
            rule,
        };
        if let Some(p) = self.problems.first() {
            return verdict(
                Decision::Deny,
                Rule::new(
                    RuleId::PermissionsInvalidPolicy,
                    format!(
                        "permissions.{} is malformed ({}); CoCo falls back to restricted mode",
                        p.path, p.error
                    ),
                )
                .with_pattern(p.pattern.as_str()),
            );
        }
        if let Some(p) = self.deny.iter().find(|p| p.matches_with(inv, account)) {
            return verdict(
                Decision::Deny,
                Rule::new(
                    RuleId::PermissionsDeny,
                    format!("managed deny pattern `{p}` matches; nothing overrides it"),
                )
                .with_pattern(p.as_str()),
            );
        }
        if let Some(list) = &self.only_allow {
            let category = inv.category();
            let mut scoped = list.iter().filter(|p| p.category() == category).peekable();
            if scoped.peek().is_some() {
                return match scoped.find(|p| p.matches_with(inv, account)) {
                    Some(p) => verdict(
                        Decision::Allow,
                        Rule::new(
                            RuleId::PermissionsOnlyAllow,
                            format!("onlyAllow pattern `{p}` matches"),
                        )
                        .with_pattern(p.as_str()),
                    ),
                    None => verdict(
                        Decision::Deny,
                        Rule::new(
                            RuleId::PermissionsNotInOnlyAllow,
                            format!(
                                "onlyAllow lists {} patterns and none matches",
                                category_name(category)
                            ),
                        ),
                    ),
                };
            }
        }
        let (decision, word) = match self.default_mode {
            DefaultMode::Allow => (Decision::Allow, "allow"),
            DefaultMode::Deny => (Decision::Deny, "deny"),
        };
        verdict(
            decision,
            Rule::new(
                RuleId::PermissionsDefaultMode,
                format!("no pattern decided; defaultMode is `{word}`"),
            ),
        )
    }
}

impl PermissionPolicy {
    /// The permissions Cortex Code receives, given the profile's account rules: the
    /// profile's lists, every account deny pattern as `account(<pattern>)` in `deny`, and,
    /// whenever `onlyAllow` is non-empty or `defaultMode` is `deny`, every allowed account
    /// pattern (of the innermost layer) as `account(<pattern>)` in `onlyAllow`. Without an
    /// account allow list, `account(*)` is added unless the list names accounts itself.
    ///
    /// The docs leave open whether a managed `onlyAllow` is scoped by pattern type (see the
    /// module docs). With the account patterns listed, a connection gets the same answer
    /// under both readings, and `defaultMode: "deny"` no longer blocks every account. The
    /// compiler writes exactly these lists, and [`Policy::evaluate_connection`] judges the
    /// account through them.
    ///
    /// [`Policy::evaluate_connection`]: crate::Policy::evaluate_connection
    pub fn with_accounts(&self, accounts: &AccountPolicy) -> PermissionPolicy {
        let wrap = |p: &String| format!("account({p})");
        let mut deny = self.deny.clone();
        push_unique(&mut deny, accounts.deny.iter().map(wrap));
        let listed = self.only_allow.as_ref().is_some_and(|l| !l.is_empty());
        let only_allow = if listed || self.default_mode == DefaultMode::Deny {
            let mut list = self.only_allow.clone().unwrap_or_default();
            let names_accounts = list.iter().any(|p| {
                PermissionPattern::parse(p).is_ok_and(|p| p.category() == Category::Account)
            });
            match accounts.allow.last() {
                Some(layer) => push_unique(&mut list, layer.iter().map(wrap)),
                // The list's own `account(…)` patterns already decide accounts.
                None if names_accounts => {}
                None => push_unique(&mut list, std::iter::once("account(*)".to_owned())),
            }
            Some(list)
        } else {
            self.only_allow.clone()
        };
        PermissionPolicy {
            deny,
            only_allow,
            default_mode: self.default_mode,
        }
    }

    /// The pattern categories a non-empty `onlyAllow` does not name while `defaultMode` is
    /// `allow`: the items the two readings of the docs decide differently (blocked when the
    /// managed allowlist covers every type, allowed when it is scoped by type). Empty when
    /// both readings agree.
    pub fn unscoped_categories(&self) -> Vec<Category> {
        let Some(list) = self.only_allow.as_ref().filter(|l| !l.is_empty()) else {
            return Vec::new();
        };
        if self.default_mode == DefaultMode::Deny {
            return Vec::new();
        }
        let named: Vec<Category> = list
            .iter()
            .filter_map(|p| PermissionPattern::parse(p).ok())
            .map(|p| p.category())
            .collect();
        [
            Category::Tool,
            Category::Mcp,
            Category::Skill,
            Category::Plugin,
            Category::Account,
        ]
        .into_iter()
        .filter(|c| !named.contains(c))
        .collect()
    }
}

fn push_unique(list: &mut Vec<String>, items: impl Iterator<Item = String>) {
    for item in items {
        if !list.iter().any(|p| p.eq_ignore_ascii_case(&item)) {
            list.push(item);
        }
    }
}

/// The lower-case name of a category, as `onlyAllow` patterns spell it.
pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Tool => "tool",
        Category::Mcp => "mcp",
        Category::Skill => "skill",
        Category::Plugin => "plugin",
        Category::Account => "account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PermissionPattern {
        PermissionPattern::parse(s).unwrap()
    }
    fn inv(s: &str) -> Invocation {
        Invocation::parse(s).unwrap()
    }

    #[test]
    fn parse_errors_are_precise() {
        assert_eq!(
            PermissionPattern::parse("").unwrap_err(),
            PatternError::Empty
        );
        assert_eq!(
            PermissionPattern::parse("bash(git:*").unwrap_err(),
            PatternError::Unclosed { column: 5 }
        );
        assert_eq!(
            PermissionPattern::parse("read(/etc/*)").unwrap_err(),
            PatternError::FilterNotSupported {
                tool: "read".into()
            }
        );
        assert_eq!(
            PermissionPattern::parse("bash(git status)").unwrap_err(),
            PatternError::BashFilter {
                filter: "git status".into()
            }
        );
        assert_eq!(
            PermissionPattern::parse("skill(mine:*)").unwrap_err(),
            PatternError::SkillFilter {
                filter: "mine:*".into()
            }
        );
        assert_eq!(
            PermissionPattern::parse("mcp()").unwrap_err(),
            PatternError::EmptyFilter { tool: "mcp".into() }
        );
        assert_eq!(
            PermissionPattern::parse("sql-execute").unwrap_err(),
            PatternError::InvalidName { column: 4, ch: '-' }
        );
        assert!(matches!(
            PermissionPattern::parse("mcp(https://[x])").unwrap_err(),
            PatternError::Glob(_)
        ));
    }

    #[test]
    fn bash_first_token() {
        let git = p("bash(git:*)");
        assert!(git.matches(&inv("bash(git status --short)")));
        assert!(git.matches(&inv("BASH(GIT log)")));
        assert!(!git.matches(&inv("bash(gitk)")));
        assert!(!git.matches(&inv("bash(rm -rf /)")));
        assert!(!git.matches(&inv("bash")));
        assert!(p("bash").matches(&inv("bash(rm -rf /)")));
        assert!(p("bash(rm)").matches(&inv("bash(rm -rf /)")));
    }

    #[test]
    fn other_kinds() {
        assert!(p("mcp(https://*.acme.com/*)").matches(&inv("mcp(https://tools.acme.com/sse)")));
        assert!(p("mcp").matches(&inv("mcp(https://evil.example)")));
        assert!(p("skill(bundled:*)").matches(&inv("skill(bundled:sql-review)")));
        assert!(!p("skill(bundled:*)").matches(&inv("skill(user:sql-review)")));
        assert!(p("account(acme-*)").matches(&inv("account(ACME-PROD_eu)")));
        assert!(
            p("account(acme-prod)")
                .matches(&inv("account(https://acme-prod.snowflakecomputing.com)"))
        );
        assert!(p("*").matches(&inv("write")));
        assert!(!p("*").matches(&inv("mcp(https://x)")));
        assert!(p("sql_execute").matches(&inv("SQL_EXECUTE")));
        assert!(!p("sql_execute").matches(&inv("snowflake_sql_execute")));
    }

    #[test]
    fn invocation_parsing() {
        assert_eq!(
            inv("bash(echo (hi))"),
            Invocation::new("bash", Some("echo (hi)"))
        );
        assert_eq!(Invocation::parse("bash(x"), Err(InvocationError::Unclosed));
        assert_eq!(
            Invocation::parse("bash()"),
            Err(InvocationError::EmptyArgument("bash".into()))
        );
        assert_eq!(Invocation::parse("(x)"), Err(InvocationError::MissingTool));
        assert_eq!(inv("bash(git status)").to_string(), "bash(git status)");
    }
}
