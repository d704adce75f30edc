//! Why a macOS artifact could not be produced.

/// A value the macOS formats cannot carry faithfully. Every variant names the
/// offending field so the admin can fix the profile; nothing is dropped silently.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MacosError {
    /// The profile id names files and payload identifiers, so it is kept to the
    /// profile schema's alphabet.
    #[error(
        "profile id `{id}` must be 1 to 63 lower-case letters, digits and `-`, starting with a letter or digit"
    )]
    InvalidProfileId {
        /// The rejected id.
        id: String,
    },
    /// XML property lists cannot hold most C0 control characters, and XML readers
    /// turn a carriage return into a line feed, so such text would not survive.
    #[error(
        "{field} holds {character} at character {index}, which an XML property list cannot carry"
    )]
    Unrepresentable {
        /// Where the text sits, e.g. `com.snowflake.coco/CortexAllowedAccounts[1]`.
        field: String,
        /// The character as `U+XXXX`.
        character: String,
        /// Zero-based character index inside the text.
        index: usize,
    },
    /// Cortex Code ignores keys it does not know; an unknown key is almost always
    /// a misspelling that would leave a control silently unset.
    #[error("`{key}` is not a Cortex Code preference key")]
    UnknownCortexKey {
        /// The rejected key.
        key: String,
    },
    /// A known key with a value of the wrong plist type.
    #[error("`{key}` must be {expected}, not {found}")]
    CortexKeyType {
        /// The key.
        key: String,
        /// The type Cortex Code reads.
        expected: &'static str,
        /// The type given.
        found: &'static str,
    },
    /// A key whose string content must itself parse (JSON or base64); Cortex Code
    /// denies connections when it cannot read it.
    #[error("`{key}` is malformed: {reason}")]
    MalformedValue {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Cortex Code denies connections when the embedded settings exceed its limit.
    #[error("`{key}` is {len} bytes; Cortex Code refuses values above {limit} bytes")]
    ValueTooLarge {
        /// The key.
        key: String,
        /// Length of the value in bytes.
        len: usize,
        /// The largest accepted length.
        limit: usize,
    },
    /// The bundle travels as a plist `<string>`, so it must be UTF-8 text.
    #[error("the signed bundle is not UTF-8 text")]
    BundleNotUtf8,
    /// CFPreferences reads integers as signed 64-bit numbers.
    #[error("serial {serial} is larger than the largest macOS preference integer ({max})", max = i64::MAX)]
    SerialOutOfRange {
        /// The rejected serial.
        serial: u64,
    },
    /// Serialising a checked value failed; indicates a bug, not bad input.
    #[error("writing a property list failed: {0}")]
    Plist(#[from] plist::Error),
    /// Serialising the Jamf schema failed; indicates a bug, not bad input.
    #[error("writing the Jamf schema failed: {0}")]
    Json(#[from] serde_json::Error),
}
