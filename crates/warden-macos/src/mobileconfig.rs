//! The configuration profile: one MCX `Forced` payload per preference domain.
//!
//! macOS replaces an installed profile when a new one has the same top-level
//! `PayloadIdentifier`, and updates inner payloads in place when identifier and
//! UUID both match. Identifiers therefore depend only on the profile id, and
//! UUIDs are UUID v5 of [`PAYLOAD_UUID_NAMESPACE`] and the identifier: a new
//! serial replaces the old profile, two profile ids never collide, and an
//! unchanged policy rebuilds to identical bytes.

use std::collections::BTreeMap;

use plist::Value;
use uuid::Uuid;

use crate::PrefValue;
use crate::render::sorted_dict;

/// Namespace of every `PayloadUUID` Warden derives. Changing it would make every
/// deployed profile stack instead of being replaced, so it never changes.
pub const PAYLOAD_UUID_NAMESPACE: Uuid = Uuid::from_u128(0x76040438_5ace_4611_a8e0_cec22573ef85);

/// Prefix of the top-level `PayloadIdentifier`; the profile id follows it.
pub const IDENTIFIER_PREFIX: &str = "com.warden.policy";

/// The top-level `PayloadIdentifier` for a profile id.
pub fn profile_identifier(profile_id: &str) -> String {
    format!("{IDENTIFIER_PREFIX}.{profile_id}")
}

/// The `PayloadIdentifier` of the payload that carries `domain`.
pub fn domain_payload_identifier(profile_id: &str, domain: &str) -> String {
    format!("{}.{domain}", profile_identifier(profile_id))
}

/// The `PayloadUUID` for a payload identifier, upper-case as Apple's tools write it.
pub fn payload_uuid(identifier: &str) -> String {
    Uuid::new_v5(&PAYLOAD_UUID_NAMESPACE, identifier.as_bytes())
        .hyphenated()
        .encode_upper(&mut Uuid::encode_buffer())
        .to_owned()
}

/// Top-level texts shown by MDM consoles and System Settings.
pub(crate) struct ProfileText<'a> {
    pub(crate) profile_id: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) organization: Option<&'a str>,
    pub(crate) description: Option<&'a str>,
}

/// The `mcx_preference_settings` dictionary of one domain, keys sorted.
pub(crate) fn settings(keys: &BTreeMap<String, PrefValue>) -> BTreeMap<String, Value> {
    keys.iter()
        .map(|(k, v)| (k.clone(), v.to_plist()))
        .collect()
}

/// The whole profile as a plist value; `domains` are (domain, settings) pairs.
pub(crate) fn profile(
    text: &ProfileText<'_>,
    domains: &[(&str, &BTreeMap<String, Value>)],
) -> Value {
    let payloads = domains
        .iter()
        .map(|(domain, keys)| mcx_payload(text, domain, keys))
        .collect();
    let identifier = profile_identifier(text.profile_id);
    let mut top = vec![
        ("PayloadContent", Value::Array(payloads)),
        (
            "PayloadDisplayName",
            Value::String(text.display_name.to_owned()),
        ),
        ("PayloadRemovalDisallowed", Value::Boolean(true)),
        ("PayloadScope", Value::String("System".to_owned())),
        ("PayloadType", Value::String("Configuration".to_owned())),
        ("PayloadUUID", Value::String(payload_uuid(&identifier))),
        ("PayloadIdentifier", Value::String(identifier)),
        ("PayloadVersion", Value::Integer(1.into())),
        // 5: macOS (Apple's TopLevel.yaml); other platforms refuse to install it.
        ("TargetDeviceType", Value::Integer(5.into())),
    ];
    if let Some(org) = text.organization {
        top.push(("PayloadOrganization", Value::String(org.to_owned())));
    }
    if let Some(desc) = text.description {
        top.push(("PayloadDescription", Value::String(desc.to_owned())));
    }
    sorted_dict(top)
}

fn mcx_payload(text: &ProfileText<'_>, domain: &str, keys: &BTreeMap<String, Value>) -> Value {
    let identifier = domain_payload_identifier(text.profile_id, domain);
    let forced = sorted_dict([(
        "mcx_preference_settings",
        sorted_dict(keys.iter().map(|(k, v)| (k.clone(), v.clone()))),
    )]);
    let content = sorted_dict([(
        domain,
        sorted_dict([("Forced", Value::Array(vec![forced]))]),
    )]);
    let mut payload = vec![
        ("PayloadContent", content),
        (
            "PayloadDisplayName",
            Value::String(format!("Managed preferences: {domain}")),
        ),
        (
            "PayloadType",
            Value::String("com.apple.ManagedClient.preferences".to_owned()),
        ),
        ("PayloadUUID", Value::String(payload_uuid(&identifier))),
        ("PayloadIdentifier", Value::String(identifier)),
        ("PayloadVersion", Value::Integer(1.into())),
    ];
    if let Some(org) = text.organization {
        payload.push(("PayloadOrganization", Value::String(org.to_owned())));
    }
    sorted_dict(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_v5_of_the_namespace_and_upper_case() {
        let u = payload_uuid("com.warden.policy.acme");
        let parsed = Uuid::parse_str(&u).unwrap();
        assert_eq!(parsed.get_version_num(), 5);
        assert_eq!(
            parsed,
            Uuid::new_v5(&PAYLOAD_UUID_NAMESPACE, b"com.warden.policy.acme")
        );
        assert_eq!(u, u.to_uppercase());
    }

    #[test]
    fn identifiers_depend_on_the_profile_id_only() {
        assert_eq!(profile_identifier("acme"), "com.warden.policy.acme");
        assert_eq!(
            domain_payload_identifier("acme", "com.snowflake.coco"),
            "com.warden.policy.acme.com.snowflake.coco"
        );
        assert_ne!(
            payload_uuid("com.warden.policy.a"),
            payload_uuid("com.warden.policy.b")
        );
    }
}
