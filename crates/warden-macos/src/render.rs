//! Byte-exact XML property list output.
//!
//! The `plist` crate writes dictionaries in insertion order with tab
//! indentation; every dictionary here is built from sorted keys, so the bytes
//! depend only on the input, on every OS.

use std::collections::BTreeMap;

use plist::{Dictionary, Value, XmlWriteOptions};

use crate::MacosError;

/// A dictionary whose keys are in byte order, whatever order they were given in.
pub(crate) fn sorted_dict<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
    let sorted: BTreeMap<String, Value> = entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
    let mut dict = Dictionary::new();
    for (k, v) in sorted {
        dict.insert(k, v);
    }
    Value::Dictionary(dict)
}

/// A complete XML plist document (prologue, DOCTYPE, `<plist>`), ending in a newline.
pub(crate) fn document(value: &Value) -> Result<Vec<u8>, MacosError> {
    let mut out = Vec::new();
    value.to_writer_xml(&mut out)?;
    out.push(b'\n');
    Ok(out)
}

/// `<key>`/value pairs with no `<plist>` or `<dict>` around them: the form
/// Intune's "Preference file" profile takes. Entries are written in the given order.
pub(crate) fn fragment(entries: &BTreeMap<String, Value>) -> Result<Vec<u8>, MacosError> {
    let options = XmlWriteOptions::default().root_element(false);
    let mut out = Vec::new();
    for (key, value) in entries {
        out.extend_from_slice(b"<key>");
        out.extend_from_slice(escape(key).as_bytes());
        out.extend_from_slice(b"</key>\n");
        value.to_writer_xml_with_options(&mut out, &options)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Escape the three characters XML text content cannot hold literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_keys_are_sorted_regardless_of_input_order() {
        let a = sorted_dict([("b", Value::Boolean(true)), ("a", Value::Integer(1.into()))]);
        let b = sorted_dict([("a", Value::Integer(1.into())), ("b", Value::Boolean(true))]);
        let (a, b) = (document(&a).unwrap(), document(&b).unwrap());
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert!(text.find("<key>a</key>").unwrap() < text.find("<key>b</key>").unwrap());
        assert!(text.ends_with("</plist>\n"));
    }

    #[test]
    fn fragment_has_no_wrapper_and_escapes_text() {
        let entries = BTreeMap::from([
            ("A&B".to_owned(), Value::String("x < y".into())),
            (
                "L".to_owned(),
                Value::Array(vec![Value::String("1".into()), Value::String("2".into())]),
            ),
        ]);
        let text = String::from_utf8(fragment(&entries).unwrap()).unwrap();
        assert_eq!(
            text,
            "<key>A&amp;B</key>\n<string>x &lt; y</string>\n<key>L</key>\n<array>\n\t<string>1</string>\n\t<string>2</string>\n</array>\n"
        );
    }
}
