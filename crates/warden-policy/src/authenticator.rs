//! The authenticator a Snowflake client will actually use for a connection, computed the way
//! snowflake-connector-python 4.x does it (the version Snowflake CLI pins).

use std::fmt;

use serde::{Serialize, Serializer};

/// An authenticator value, in the connector's canonical upper-case spelling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authenticator {
    /// `SNOWFLAKE`: password (the default).
    Snowflake,
    /// `EXTERNALBROWSER`: browser SSO.
    ExternalBrowser,
    /// `SNOWFLAKE_JWT`: key pair.
    SnowflakeJwt,
    /// `OAUTH`: a token supplied by the caller.
    OAuth,
    /// `OAUTH_AUTHORIZATION_CODE`
    OAuthAuthorizationCode,
    /// `OAUTH_CLIENT_CREDENTIALS`
    OAuthClientCredentials,
    /// `USERNAME_PASSWORD_MFA`
    UsernamePasswordMfa,
    /// `PROGRAMMATIC_ACCESS_TOKEN`
    ProgrammaticAccessToken,
    /// `WORKLOAD_IDENTITY`
    WorkloadIdentity,
    /// `PAT_WITH_EXTERNAL_SESSION`
    PatWithExternalSession,
    /// Native Okta: an `https://` URL, kept exactly as written.
    NativeOkta(String),
    /// A value the connector rejects with "Unknown authenticator", kept as written.
    Unknown(String),
}

const KNOWN: [(&str, Authenticator); 10] = [
    ("SNOWFLAKE", Authenticator::Snowflake),
    ("EXTERNALBROWSER", Authenticator::ExternalBrowser),
    ("SNOWFLAKE_JWT", Authenticator::SnowflakeJwt),
    ("OAUTH", Authenticator::OAuth),
    (
        "OAUTH_AUTHORIZATION_CODE",
        Authenticator::OAuthAuthorizationCode,
    ),
    (
        "OAUTH_CLIENT_CREDENTIALS",
        Authenticator::OAuthClientCredentials,
    ),
    ("USERNAME_PASSWORD_MFA", Authenticator::UsernamePasswordMfa),
    (
        "PROGRAMMATIC_ACCESS_TOKEN",
        Authenticator::ProgrammaticAccessToken,
    ),
    ("WORKLOAD_IDENTITY", Authenticator::WorkloadIdentity),
    (
        "PAT_WITH_EXTERNAL_SESSION",
        Authenticator::PatWithExternalSession,
    ),
];

impl Authenticator {
    /// Every name the connector accepts (besides `https://` Okta URLs).
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|(n, _)| *n)
    }

    /// Parses a configured value case-insensitively. An empty or blank value means the
    /// default, as the key being absent does. `SNOWFLAKE_PASSWORD`, which only the 5.x preview
    /// connector accepts, is [`Authenticator::Unknown`]: the 4.x connector rejects it.
    pub fn parse(value: &str) -> Self {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Self::Snowflake;
        }
        if trimmed
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        {
            return Self::NativeOkta(trimmed.to_owned());
        }
        KNOWN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(trimmed))
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| Self::Unknown(value.to_owned()))
    }

    /// The canonical spelling: upper-case name, or the Okta URL / unknown value as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NativeOkta(s) | Self::Unknown(s) => s,
            known => KNOWN
                .iter()
                .find(|(_, a)| a == known)
                .map_or("", |(n, _)| n),
        }
    }

    /// True if a policy method name (case-insensitive) designates this authenticator.
    pub fn is_named(&self, method: &str) -> bool {
        !matches!(self, Self::Unknown(_)) && self.as_str().eq_ignore_ascii_case(method.trim())
    }

    /// True if a policy may name `method`: a known name or an `https://` Okta URL.
    pub fn is_valid_method_name(method: &str) -> bool {
        !matches!(Self::parse(method), Self::Unknown(_)) && !method.trim().is_empty()
    }
}

impl fmt::Display for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Authenticator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which input decided the effective authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectiveSource {
    /// No `authenticator` key: the connector's default, `SNOWFLAKE`.
    Default,
    /// The configured `authenticator` value.
    Configured,
    /// A private key was configured, which forces `SNOWFLAKE_JWT` whatever the file says.
    PrivateKey,
}

/// Computes the authenticator a client uses. `has_private_key` is true when
/// `private_key_file`, `private_key_path` (snow's alias) or `private_key_raw` is set.
pub fn effective(
    configured: Option<&str>,
    has_private_key: bool,
) -> (Authenticator, EffectiveSource) {
    if has_private_key {
        return (Authenticator::SnowflakeJwt, EffectiveSource::PrivateKey);
    }
    match configured {
        Some(v) if !v.trim().is_empty() => (Authenticator::parse(v), EffectiveSource::Configured),
        _ => (Authenticator::Snowflake, EffectiveSource::Default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_cases() {
        assert_eq!(
            Authenticator::parse("externalbrowser"),
            Authenticator::ExternalBrowser
        );
        assert_eq!(
            Authenticator::parse("Snowflake_JWT"),
            Authenticator::SnowflakeJwt
        );
        assert_eq!(Authenticator::parse(""), Authenticator::Snowflake);
        assert_eq!(
            Authenticator::parse("https://acme.okta.com"),
            Authenticator::NativeOkta("https://acme.okta.com".into())
        );
        assert_eq!(
            Authenticator::parse("okta"),
            Authenticator::Unknown("okta".into())
        );
        assert_eq!(
            Authenticator::parse("SNOWFLAKE_PASSWORD"),
            Authenticator::Unknown("SNOWFLAKE_PASSWORD".into())
        );
    }

    #[test]
    fn canonical_names_round_trip() {
        for name in Authenticator::known_names() {
            assert_eq!(Authenticator::parse(&name.to_lowercase()).as_str(), name);
        }
    }

    #[test]
    fn effective_rules() {
        assert_eq!(
            effective(None, false),
            (Authenticator::Snowflake, EffectiveSource::Default)
        );
        assert_eq!(
            effective(Some("externalbrowser"), true),
            (Authenticator::SnowflakeJwt, EffectiveSource::PrivateKey)
        );
        assert_eq!(
            effective(Some("oauth"), false),
            (Authenticator::OAuth, EffectiveSource::Configured)
        );
    }

    #[test]
    fn method_names() {
        assert!(Authenticator::ExternalBrowser.is_named("externalBrowser"));
        assert!(!Authenticator::Unknown("x".into()).is_named("x"));
        assert!(Authenticator::is_valid_method_name(
            "PROGRAMMATIC_ACCESS_TOKEN"
        ));
        assert!(!Authenticator::is_valid_method_name("PASSWORD"));
    }
}
