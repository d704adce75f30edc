//! Timestamps: RFC 3339 in UTC (`2026-03-01T00:00:00Z`) on the wire, and the clock
//! allowances verification uses.

use jiff::{SignedDuration, Timestamp};

/// How far ahead of the local clock a bundle's `not_before` may be and still be
/// accepted: five minutes, enough for ordinary clock drift between the CI runner that
/// signs and the endpoint that verifies. Expiry gets no allowance.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_secs(5 * 60);

/// A trust root with less than this left draws a warning (60 days).
pub const TRUST_ROOT_WARN_BEFORE: SignedDuration = SignedDuration::from_hours(60 * 24);

/// A bundle with less than this left draws a warning (7 days).
pub const BUNDLE_WARN_BEFORE: SignedDuration = SignedDuration::from_hours(7 * 24);

/// A timestamp that is not RFC 3339 UTC.
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 UTC timestamp like `2026-03-01T00:00:00Z`")]
pub struct TimeError {
    text: String,
}

/// Parse an RFC 3339 timestamp that ends in `Z`. Offsets are refused so that every
/// signed time reads the same everywhere.
pub fn parse_utc(text: &str) -> Result<Timestamp, TimeError> {
    let err = || TimeError {
        text: text.to_owned(),
    };
    if !text.ends_with('Z') {
        return Err(err());
    }
    text.parse::<Timestamp>().map_err(|_| err())
}

/// Whole days from `now` until `then` (negative when `then` has passed).
pub fn days_until(now: Timestamp, then: Timestamp) -> i64 {
    then.as_second().saturating_sub(now.as_second()) / 86_400
}

/// Serde adapter for `Timestamp` fields as RFC 3339 UTC text.
pub(crate) mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(ts)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_utc(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_utc_is_accepted() {
        let ts = parse_utc("2026-03-01T00:00:00Z").unwrap();
        assert_eq!(ts.to_string(), "2026-03-01T00:00:00Z");
        assert!(parse_utc("2026-03-01T01:00:00+01:00").is_err());
        assert!(parse_utc("2026-03-01").is_err());
        assert!(parse_utc("yesterdayZ").is_err());
    }

    #[test]
    fn days_until_counts_whole_days() {
        let now = parse_utc("2026-03-01T00:00:00Z").unwrap();
        assert_eq!(
            days_until(now, parse_utc("2026-03-08T12:00:00Z").unwrap()),
            7
        );
        assert_eq!(
            days_until(now, parse_utc("2026-02-27T00:00:00Z").unwrap()),
            -2
        );
    }
}
