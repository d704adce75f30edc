//! Policy evaluation for Snowflake Cortex Code, shared by the `warden` CLI and `warden-agent`
//! so that what CI says about a connection is exactly what the laptop does.
//!
//! The crate does no I/O. It holds the resolved [`Policy`] model, case-insensitive [`Glob`]s,
//! account and host normalisation ([`NormalizedAccount`]), the effective
//! [`Authenticator`] of a connection, role rules, Cortex Code permission patterns
//! ([`PermissionPattern`], [`Invocation`]) and their evaluation order. Every decision carries
//! the [`Rule`] that made it.

#![forbid(unsafe_code)]

mod account;
mod authenticator;
mod connection;
mod endpoint;
mod glob;
mod model;
mod permission;
mod rule;
mod validate;

pub use account::{
    AccountError, AccountKind, AccountPattern, NormalizedAccount, Tld, is_placeholder,
};
pub use authenticator::{Authenticator, EffectiveSource, effective as effective_authenticator};
pub use connection::{
    AccountStatus, AccountVerdict, AuthenticatorVerdict, ConnectionParams, ConnectionVerdict,
    HostVerdict, PolicyEvaluator, RoleStatus, RoleVerdict, SecretFinding, SecretKind,
    looks_like_pat,
};
pub use endpoint::{ConnectionTemplate, EndpointModes, RuleMode};
pub use glob::{Containment, Glob, GlobError};
pub use model::{
    AccountPolicy, AuthenticatorPolicy, DefaultMode, PermissionPolicy, Policy, RolePolicy,
};
pub use permission::{
    Category, CompiledPermissions, Decision, Invocation, InvocationError, PatternError,
    PatternProblem, PermissionPattern, PermissionVerdict, category_name,
};
pub use rule::{Rule, RuleId};
pub use validate::{PolicyProblem, ProblemKind};
