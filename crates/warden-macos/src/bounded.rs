//! Reading an untrusted property list within fixed limits, before any value is built.
//!
//! A binary property list names its objects by index, so collections may share
//! references: a few hundred bytes of arrays that each point twice at the next one
//! describe gigabytes once expanded. An XML property list may nest deeper than any
//! stack can hold. [`read_bounded`] first walks the document's event stream
//! ([`plist::stream::Reader`], which decodes one object at a time and keeps its own
//! explicit stack, for binary, XML and ASCII alike) counting what the document would
//! expand to, and refuses it as soon as one [`Limits`] bound is crossed. Only a
//! document within every bound is then built into a [`plist::Value`], so neither the
//! memory nor the nesting of a built value can exceed the limits.

use std::io::Cursor;

use plist::Value;
use plist::stream::{Event, Reader};

/// Bounds on what a property list may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays and dictionaries (the root collection is level 1).
    pub max_depth: usize,
    /// Most values (collections, keys and scalars), counting every use of a shared
    /// reference.
    pub max_values: usize,
    /// Most bytes of string and data content, counting every use of a shared
    /// reference.
    pub max_content_bytes: usize,
}

impl Limits {
    /// What the agent accepts from a managed-preferences file: Warden's and Cortex
    /// Code's domains are flat dictionaries of scalars and string lists, and the
    /// largest value is the signed bundle (at most 1 MiB).
    pub const MANAGED_PREFERENCES: Self = Self {
        max_depth: 32,
        max_values: 65_536,
        max_content_bytes: 8 << 20,
    };
}

/// Why [`read_bounded`] refused a document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoundedError {
    /// Neither a readable binary, XML nor ASCII property list.
    #[error("not a property list: {0}")]
    Parse(#[from] plist::Error),
    /// Collections nest deeper than the limit.
    #[error("the property list nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// More values than the limit once shared references are expanded.
    #[error("the property list holds more than {max} values once shared references are expanded")]
    TooManyValues {
        /// The limit.
        max: usize,
    },
    /// More string and data bytes than the limit once shared references are expanded.
    #[error(
        "the property list holds more than {max} bytes of strings and data once shared references are expanded"
    )]
    TooMuchContent {
        /// The limit.
        max: usize,
    },
}

/// Refuse `bytes` unless the document stays within `limits`; nothing is built.
pub fn check_limits(bytes: &[u8], limits: &Limits) -> Result<(), BoundedError> {
    let mut depth = 0usize;
    let mut values = 0usize;
    let mut content = 0usize;
    for event in Reader::new(Cursor::new(bytes)) {
        let event = event?;
        let (added, size) = match &event {
            Event::StartArray(len) | Event::StartDictionary(len) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(BoundedError::TooDeep {
                        max: limits.max_depth,
                    });
                }
                // A binary collection announces its length: refuse before reading it.
                let children = len.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
                let children = if matches!(event, Event::StartDictionary(_)) {
                    children.saturating_mul(2)
                } else {
                    children
                };
                if values.saturating_add(1).saturating_add(children) > limits.max_values {
                    return Err(BoundedError::TooManyValues {
                        max: limits.max_values,
                    });
                }
                (1, 0)
            }
            Event::EndCollection => {
                depth = depth.saturating_sub(1);
                (0, 0)
            }
            Event::String(s) => (1, s.len()),
            Event::Data(d) => (1, d.len()),
            _ => (1, 0),
        };
        values += added;
        content = content.saturating_add(size);
        if values > limits.max_values {
            return Err(BoundedError::TooManyValues {
                max: limits.max_values,
            });
        }
        if content > limits.max_content_bytes {
            return Err(BoundedError::TooMuchContent {
                max: limits.max_content_bytes,
            });
        }
    }
    Ok(())
}

/// Parse `bytes` (binary, XML or ASCII) into a value, refusing a document that
/// crosses one of `limits` before any value is built.
pub fn read_bounded(bytes: &[u8], limits: &Limits) -> Result<Value, BoundedError> {
    check_limits(bytes, limits)?;
    Ok(Value::from_reader(Cursor::new(bytes))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_depth: 3,
        max_values: 10,
        max_content_bytes: 8,
    };

    fn xml(body: &str) -> Vec<u8> {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">{body}</plist>")
            .into_bytes()
    }

    #[test]
    fn within_limits_the_value_is_built() {
        let v = read_bounded(
            &xml("<dict><key>a</key><array><string>x</string></array></dict>"),
            &SMALL,
        )
        .unwrap();
        assert_eq!(
            v.as_dictionary().unwrap()["a"].as_array().unwrap()[0].as_string(),
            Some("x")
        );
    }

    #[test]
    fn each_limit_is_enforced() {
        let deep = xml("<array><array><array><array/></array></array></array>");
        assert!(matches!(
            read_bounded(&deep, &SMALL),
            Err(BoundedError::TooDeep { max: 3 })
        ));
        let many = xml(&format!("<array>{}</array>", "<true/>".repeat(10)));
        assert!(matches!(
            read_bounded(&many, &SMALL),
            Err(BoundedError::TooManyValues { max: 10 })
        ));
        let long = xml("<array><string>123456789</string></array>");
        assert!(matches!(
            read_bounded(&long, &SMALL),
            Err(BoundedError::TooMuchContent { max: 8 })
        ));
        assert!(matches!(
            read_bounded(b"<plist><dict>", &SMALL),
            Err(BoundedError::Parse(_))
        ));
    }

    #[test]
    fn a_binary_collection_announcing_too_many_children_is_refused_up_front() {
        let mut out = Vec::new();
        Value::Array(vec![Value::Boolean(true); 20])
            .to_writer_binary(&mut out)
            .unwrap();
        assert!(matches!(
            check_limits(&out, &SMALL),
            Err(BoundedError::TooManyValues { max: 10 })
        ));
    }
}
