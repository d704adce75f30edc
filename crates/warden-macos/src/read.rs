//! Reading the agent's domain back from a managed-preferences file.
//!
//! macOS writes forced preferences to `/Library/Managed Preferences/<domain>.plist`
//! (XML or binary) and may add bookkeeping keys such as `PayloadUUID` or
//! `_manualProfile`; only the two keys Warden writes are read, everything else is
//! ignored. The bytes come from the caller, so this stays free of I/O. The file is
//! read within [`Limits::MANAGED_PREFERENCES`] (see [`crate::bounded`]).

use crate::bounded::{BoundedError, Limits, read_bounded};
use crate::{POLICY_BUNDLE_KEY, POLICY_SERIAL_KEY};

/// What the agent's preference domain delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPreferences {
    /// The signed bundle (DSSE JSON bytes), still to be verified.
    pub bundle: Vec<u8>,
    /// The serial the MDM delivered alongside it; the verified bundle is authoritative.
    pub serial: u64,
}

/// Why a managed-preferences file does not yield [`AgentPreferences`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreferencesError {
    /// Not a readable property list, or one beyond the reading limits.
    #[error("{0}")]
    Parse(#[from] BoundedError),
    /// The document's root is not a dictionary.
    #[error("the property list's root is not a dictionary")]
    NotADictionary,
    /// A required key is absent.
    #[error("`{key}` is missing")]
    Missing {
        /// The absent key.
        key: &'static str,
    },
    /// A key holds the wrong type or an out-of-range value.
    #[error("`{key}` must be {expected}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What it must hold.
        expected: &'static str,
    },
}

/// Extract the bundle and serial from the bytes of the agent domain's plist.
pub fn parse_agent_preferences(bytes: &[u8]) -> Result<AgentPreferences, PreferencesError> {
    let root = read_bounded(bytes, &Limits::MANAGED_PREFERENCES)?;
    let dict = root
        .as_dictionary()
        .ok_or(PreferencesError::NotADictionary)?;
    let get = |key: &'static str| dict.get(key).ok_or(PreferencesError::Missing { key });
    let bundle = get(POLICY_BUNDLE_KEY)?
        .as_string()
        .ok_or(PreferencesError::Invalid {
            key: POLICY_BUNDLE_KEY,
            expected: "a string",
        })?;
    let serial = get(POLICY_SERIAL_KEY)?
        .as_signed_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(PreferencesError::Invalid {
            key: POLICY_SERIAL_KEY,
            expected: "a non-negative integer",
        })?;
    Ok(AgentPreferences {
        bundle: bundle.as_bytes().to_vec(),
        serial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(body: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n{body}\n</plist>\n"
        )
        .into_bytes()
    }

    #[test]
    fn ignores_bookkeeping_keys() {
        let bytes = xml(
            "<dict><key>PayloadUUID</key><string>X</string><key>_manualProfile</key><true/>\
             <key>PolicyBundle</key><string>{\"a\":1}</string><key>PolicySerial</key><integer>7</integer></dict>",
        );
        let prefs = parse_agent_preferences(&bytes).unwrap();
        assert_eq!(prefs.bundle, br#"{"a":1}"#);
        assert_eq!(prefs.serial, 7);
    }

    #[test]
    fn refuses_missing_and_mistyped_keys() {
        let missing = xml("<dict><key>PolicySerial</key><integer>1</integer></dict>");
        assert!(matches!(
            parse_agent_preferences(&missing),
            Err(PreferencesError::Missing {
                key: "PolicyBundle"
            })
        ));
        let negative = xml(
            "<dict><key>PolicyBundle</key><string>x</string><key>PolicySerial</key><integer>-1</integer></dict>",
        );
        assert!(matches!(
            parse_agent_preferences(&negative),
            Err(PreferencesError::Invalid {
                key: "PolicySerial",
                ..
            })
        ));
        let array = xml("<array/>");
        assert!(matches!(
            parse_agent_preferences(&array),
            Err(PreferencesError::NotADictionary)
        ));
        assert!(matches!(
            parse_agent_preferences(b"<plist><dict>"),
            Err(PreferencesError::Parse(_))
        ));
    }
}
