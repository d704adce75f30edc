//! Jamf Pro custom JSON schema ("Application & Custom Settings → External
//! Applications → Custom Schema") for Cortex Code's domain.
//!
//! Jamf's form builder reads a top-level `title`, `description` and
//! `properties`; each property has `type`, `title`, `description`,
//! `property_order` and, for lists, `items`. Keys the profile sets carry the
//! compiled value as `default`, so a form opened in Jamf starts from the
//! reviewed policy.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::cortex::{CORTEX_KEYS, Kind};
use crate::{COCO_DOMAIN, MacosError, PrefValue};

/// Gap between `property_order` values, leaving room to insert keys later.
const ORDER_STEP: usize = 5;

/// The schema as pretty-printed JSON ending in a newline.
pub(crate) fn schema(values: &BTreeMap<String, PrefValue>) -> Result<Vec<u8>, MacosError> {
    let mut properties = Map::new();
    for (i, key) in CORTEX_KEYS.iter().enumerate() {
        let mut prop = Map::new();
        let ty = match key.kind {
            Kind::Bool => "boolean",
            Kind::TextList => "array",
            Kind::Text | Kind::JsonObject | Kind::Base64Json => "string",
        };
        prop.insert("type".into(), ty.into());
        prop.insert("title".into(), key.title.into());
        prop.insert("description".into(), key.description.into());
        prop.insert("property_order".into(), ((i + 1) * ORDER_STEP).into());
        match key.kind {
            Kind::TextList => {
                prop.insert(
                    "items".into(),
                    json!({ "type": "string", "title": "Value" }),
                );
            }
            Kind::Base64Json => {
                prop.insert("pattern".into(), "^[A-Za-z0-9+/]*={0,2}$".into());
            }
            Kind::Bool | Kind::Text | Kind::JsonObject => {}
        }
        prop.insert(
            "options".into(),
            json!({ "infoText": format!("Key: {}", key.name) }),
        );
        if let Some(value) = values.get(key.name) {
            prop.insert("default".into(), value.to_json());
        }
        properties.insert(key.name.into(), Value::Object(prop));
    }
    let doc = json!({
        "title": format!("Snowflake Cortex Code ({COCO_DOMAIN})"),
        "description": "Cortex Code account, authentication and version controls, and the embedded managed settings. Compiled by Warden from a reviewed policy profile; values edited here are reported as drift by the Warden agent.",
        "properties": properties,
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_key_has_a_property_in_order() {
        let bytes = schema(&BTreeMap::new()).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let props = doc["properties"].as_object().unwrap();
        let names: Vec<_> = props.keys().map(String::as_str).collect();
        let expected: Vec<_> = CORTEX_KEYS.iter().map(|k| k.name).collect();
        assert_eq!(names, expected);
        let orders: Vec<_> = props
            .values()
            .map(|p| p["property_order"].as_u64().unwrap())
            .collect();
        assert!(orders.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(props["CortexAllowedAccounts"]["items"]["type"], "string");
        assert!(props["CortexEnabled"].get("default").is_none());
    }

    #[test]
    fn set_keys_become_defaults() {
        let values = BTreeMap::from([
            ("CortexEnabled".to_owned(), PrefValue::Bool(true)),
            (
                "CortexAllowedAccounts".to_owned(),
                PrefValue::StringList(vec!["acme-*".into()]),
            ),
        ]);
        let doc: Value = serde_json::from_slice(&schema(&values).unwrap()).unwrap();
        assert_eq!(doc["properties"]["CortexEnabled"]["default"], true);
        assert_eq!(
            doc["properties"]["CortexAllowedAccounts"]["default"],
            json!(["acme-*"])
        );
    }
}
