//! Preference values and the checks that keep them representable in XML plists.

use crate::MacosError;

/// One value of Cortex Code's preference domain or of the agent's domain.
///
/// Only the shapes the two domains use exist here, so every value maps to exactly
/// one plist type and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefValue {
    /// `<true/>` / `<false/>`.
    Bool(bool),
    /// `<string>`; base64 and JSON payloads are strings too, never `<data>`.
    String(String),
    /// `<array>` of `<string>`.
    StringList(Vec<String>),
    /// `<integer>`.
    Integer(i64),
}

impl PrefValue {
    /// The plist type name, for error messages and the Jamf schema.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::Bool(_) => "a boolean",
            Self::String(_) => "a string",
            Self::StringList(_) => "a list of strings",
            Self::Integer(_) => "an integer",
        }
    }

    /// Refuse text an XML plist would reject or alter; `field` names the value in errors.
    pub(crate) fn check_representable(&self, field: &str) -> Result<(), MacosError> {
        match self {
            Self::Bool(_) | Self::Integer(_) => Ok(()),
            Self::String(s) => check_text(field, s),
            Self::StringList(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, s)| check_text(&format!("{field}[{i}]"), s)),
        }
    }

    pub(crate) fn to_plist(&self) -> plist::Value {
        match self {
            Self::Bool(b) => plist::Value::Boolean(*b),
            Self::String(s) => plist::Value::String(s.clone()),
            Self::StringList(items) => {
                plist::Value::Array(items.iter().cloned().map(plist::Value::String).collect())
            }
            Self::Integer(i) => plist::Value::Integer((*i).into()),
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Bool(b) => (*b).into(),
            Self::String(s) => s.as_str().into(),
            Self::StringList(items) => items.clone().into(),
            Self::Integer(i) => (*i).into(),
        }
    }
}

/// Accept only characters an XML 1.0 plist stores and reads back unchanged.
///
/// Tab and line feed pass; carriage return is refused because XML end-of-line
/// handling turns it into a line feed on read; other C0 controls and the
/// non-characters U+FFFE/U+FFFF are not XML characters at all.
pub(crate) fn check_text(field: &str, text: &str) -> Result<(), MacosError> {
    match text.chars().enumerate().find(|&(_, c)| !is_plist_char(c)) {
        None => Ok(()),
        Some((index, c)) => Err(MacosError::Unrepresentable {
            field: field.to_owned(),
            character: format!("U+{:04X}", u32::from(c)),
            index,
        }),
    }
}

fn is_plist_char(c: char) -> bool {
    matches!(c, '\t' | '\n') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_tab_newline_and_non_ascii() {
        assert!(check_text("f", "a\tb\nc é 日本 😀 \u{85}").is_ok());
    }

    #[test]
    fn refuses_controls_with_position() {
        for (text, ch, at) in [
            ("ab\u{1}", "U+0001", 2),
            ("\u{0}", "U+0000", 0),
            ("x\ry", "U+000D", 1),
            ("é\u{1b}[0m", "U+001B", 1),
            ("\u{FFFE}", "U+FFFE", 0),
            ("\u{FFFF}", "U+FFFF", 0),
        ] {
            match check_text("field", text) {
                Err(MacosError::Unrepresentable {
                    field,
                    character,
                    index,
                }) => {
                    assert_eq!(field, "field");
                    assert_eq!(character, ch);
                    assert_eq!(index, at);
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn list_errors_name_the_element() {
        let v = PrefValue::StringList(vec!["ok".into(), "bad\u{7}".into()]);
        let err = v.check_representable("d/K").unwrap_err();
        assert!(err.to_string().starts_with("d/K[1] holds U+0007"), "{err}");
    }
}
