//! Lint exceptions: `[[exceptions]] code, reason, expires, path` in a profile.
//!
//! An active exception marks each matching finding of its file as suppressed (still
//! reported, no longer counted). One without a reason or without a valid expiry is an
//! error and suppresses nothing; an expired one suppresses nothing and says so. Dates
//! are compared as UTC calendar days: an exception holds through its `expires` day.

use warden_diag::{Finding, Location, Suppression};

use crate::Code;
use crate::model::LintException;

/// An exception of the loaded file and where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) exception: LintException,
    pub(crate) file: String,
    pub(crate) at: Location,
}

/// `YYYY-MM-DD` with a real month and day, else `None`.
fn valid_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, Howard Hinnant's algorithm).
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn matches(e: &LintException, file: &str, f: &Finding) -> bool {
    if f.code != e.code || f.location.file.as_deref() != Some(file) {
        return false;
    }
    match &e.path {
        None => true,
        Some(p) => {
            let ptr = f.location.pointer.as_deref().unwrap_or("");
            let p = p.trim_end_matches('/');
            ptr == p || ptr.starts_with(&format!("{p}/"))
        }
    }
}

/// Applies the exceptions to `findings` as of `today` (`YYYY-MM-DD`).
pub(crate) fn apply(findings: &mut Vec<Finding>, pending: &[Pending], today: &str) {
    let mut extra = Vec::new();
    for p in pending {
        let e = &p.exception;
        let reason = e.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let Some(reason) = reason else {
            extra.push(
                Finding::new(
                    Code::ExceptionWithoutReason,
                    Code::ExceptionWithoutReason.severity(),
                    format!(
                        "the exception for `{}` gives no reason, so it suppresses nothing",
                        e.code
                    ),
                )
                .at(p.at.clone())
                .help("say why the finding is accepted: `reason = \"…\"`"),
            );
            continue;
        };
        let Some(expires) = e.expires.as_deref().filter(|d| valid_date(d).is_some()) else {
            extra.push(
                Finding::new(
                    Code::ExceptionInvalidExpiry,
                    Code::ExceptionInvalidExpiry.severity(),
                    match &e.expires {
                        None => format!("the exception for `{}` has no expiry, so it suppresses nothing", e.code),
                        Some(d) => format!("the exception for `{}` expires on `{d}`, which is not a YYYY-MM-DD date; it suppresses nothing", e.code),
                    },
                )
                .at(p.at.clone())
                .help("add `expires = \"YYYY-MM-DD\"`, the last day the exception holds"),
            );
            continue;
        };
        // ISO dates of equal length compare as the days they name.
        if expires < today {
            let hits = findings.iter().filter(|f| matches(e, &p.file, f)).count();
            extra.push(
                Finding::new(
                    Code::ExceptionExpired,
                    Code::ExceptionExpired.severity(),
                    format!(
                        "the exception for `{}` expired on {expires} ({reason}); {hits} finding(s) it suppressed are reported again",
                        e.code
                    ),
                )
                .at(p.at.clone())
                .help("fix the finding, or renew the exception with a new `expires` after review"),
            );
            continue;
        }
        for f in findings.iter_mut().filter(|f| matches(e, &p.file, f)) {
            f.suppressed = Some(Suppression {
                reason: reason.to_owned(),
                expires: expires.to_owned(),
            });
        }
    }
    findings.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_days() {
        assert!(valid_date("2024-02-29").is_some());
        assert!(valid_date("2023-02-29").is_none());
        assert!(valid_date("2026-13-01").is_none());
        assert!(valid_date("2026-1-01").is_none());
        assert!(valid_date("26-01-01xx").is_none());
        let t = today_utc();
        assert!(valid_date(&t).is_some(), "{t}");
        assert!(t.as_str() > "2025-01-01");
    }
}
