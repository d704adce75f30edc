//! The endpoint agent's logic, separate from the thin `warden-agent` binary.
//!
//! Two privilege levels, never mixed: system mode (root / SYSTEM) keeps Cortex
//! Code's managed settings exactly as signed and never touches user homes; user
//! mode (the logged-in user) audits and repairs the user's Snowflake connection
//! files. Both end in a [`report::Report`] with a documented exit code.
#![deny(unsafe_code)]

pub mod acl;
pub mod drift;
pub mod fsutil;
pub mod lock;
pub mod ownership;
pub mod paths;
pub mod policy;
pub mod report;
pub mod settings_file;
pub mod source;
pub mod state;
pub mod system;
pub mod trust;
pub mod user;
pub mod user_result;
