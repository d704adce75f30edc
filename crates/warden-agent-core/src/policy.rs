//! A policy that has passed verification, and where it came from.

use warden_bundle::Statement;

use crate::report::PolicyInfo;

/// A bundle statement whose signatures, window, serial and trust-root version were
/// verified. Only verification code constructs one from bytes; tests build them
/// directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPolicy {
    pub statement: Statement,
    /// Where the bundle was found, as reported to the MDM.
    pub source: String,
}

impl VerifiedPolicy {
    /// The policy part of a report.
    pub fn info(&self) -> PolicyInfo {
        PolicyInfo {
            id: self.statement.profile_id.clone(),
            serial: self.statement.serial,
            source: self.source.clone(),
            expires: self.statement.expires.to_string(),
        }
    }
}
