//! The profile's JSON Schema: generated from the Rust types, committed under
//! `schemas/`, and used to validate every profile before it is deserialized, so that
//! every structural problem is reported at once with its position.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use warden_diag::Finding;

use crate::codes::Code;
use crate::model::Profile;
use crate::source::Document;

/// The `$id` of the generated schema.
pub const PROFILE_SCHEMA_ID: &str = "https://warden-policy.github.io/schemas/profile.schema.json";

/// Generate the profile JSON Schema (draft 2020-12).
pub fn profile_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Profile>();
    let mut value = serde_json::to_value(schema).expect("schema serializes");
    strip_null(&mut value);
    if let Value::Object(map) = &mut value {
        map.insert("$id".into(), Value::String(PROFILE_SCHEMA_ID.into()));
    }
    value
}

/// The schema as committed: pretty JSON with a final newline.
pub fn profile_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&profile_schema()).expect("schema serializes");
    s.push('\n');
    s
}

/// Optional fields are `Option`s in Rust, but `null` is not a value a profile may
/// hold (TOML has none and plists cannot carry it): drop `null` from the schema.
fn strip_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(branches)) = map.get_mut(key) {
                    branches.retain(|b| b.get("type") != Some(&Value::String("null".into())));
                    if branches.len() == 1 {
                        let only = branches.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            for value in map.values_mut() {
                strip_null(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

static VALIDATOR: OnceLock<(Value, jsonschema::Validator)> = OnceLock::new();

/// The schema and its validator, built on first use: generating the schema, checking
/// it against the draft 2020-12 meta-schema and compiling it take milliseconds.
fn validator() -> &'static (Value, jsonschema::Validator) {
    VALIDATOR.get_or_init(|| {
        let schema = profile_schema();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .expect("the generated profile schema is valid");
        (schema, validator)
    })
}

/// Build the validator now, if no thread has, so that loading many files can read
/// ahead on other threads meanwhile.
pub fn prepare() {
    validator();
}

/// Whether the validator is built: [`validate`] would not wait for it.
pub fn is_prepared() -> bool {
    VALIDATOR.get().is_some()
}

/// The result of schema validation.
#[derive(Debug, Default)]
pub struct SchemaCheck {
    /// One finding per problem.
    pub findings: Vec<Finding>,
    /// The document with every offending value replaced by a well-typed placeholder
    /// (unknown keys removed, missing keys added), so that the semantic lints can still
    /// run over everything else in the same pass. `None` when nothing needed repair:
    /// the document itself is the one to read.
    pub repaired: Option<Value>,
    /// Pointers of the placeholders; lints ignore findings under them.
    pub placeholders: Vec<String>,
}

/// Validate a parsed document against the profile schema; one finding per problem.
pub fn validate(doc: &Document) -> SchemaCheck {
    let (schema, validator) = validator();
    // Most documents are valid: asking first is cheaper than collecting no errors, and
    // spares copying the document for repairs.
    if validator.is_valid(&doc.value) {
        return SchemaCheck::default();
    }
    let mut findings = Vec::new();
    let mut repaired = doc.value.clone();
    let mut placeholders = Vec::new();
    for error in validator.iter_errors(&doc.value) {
        let pointer = error.instance_path().as_str().to_owned();
        repair(
            schema,
            &mut repaired,
            &mut placeholders,
            &pointer,
            error.kind(),
        );
        let path = dotted(&pointer);
        let at = if path.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{path}`")
        };
        let finding = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = known_keys(schema, &pointer);
                for key in unexpected {
                    let mut f = Finding::new(
                        Code::UnknownKey,
                        Code::UnknownKey.severity(),
                        format!("unknown key `{key}` in {at}"),
                    )
                    .at(doc.locate_key(&pointer, key));
                    f.help = Some(match suggest(key, &known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if known.is_empty() => "remove it".to_owned(),
                        None => format!("expected one of: {}", known.join(", ")),
                    });
                    findings.push(f);
                }
                continue;
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                Finding::new(
                    Code::MissingKey,
                    Code::MissingKey.severity(),
                    format!("missing required key `{name}` in {at}"),
                )
                .at(doc.locate(&pointer, true))
                .help(format!("add `{name}`"))
            }
            ValidationErrorKind::Type { .. } => Finding::new(
                Code::WrongType,
                Code::WrongType.severity(),
                format!("wrong type at {at}: {}", error.masked()),
            )
            .at(doc.locate(&pointer, false)),
            ValidationErrorKind::Enum { options } => Finding::new(
                Code::InvalidValue,
                Code::InvalidValue.severity(),
                format!("invalid value at {at}: {}", error.masked()),
            )
            .at(doc.locate(&pointer, false))
            .help(format!("use one of {options}")),
            ValidationErrorKind::Pattern { .. }
            | ValidationErrorKind::Minimum { .. }
            | ValidationErrorKind::Maximum { .. }
            | ValidationErrorKind::MinLength { .. }
            | ValidationErrorKind::MaxLength { .. }
            | ValidationErrorKind::Constant { .. } => Finding::new(
                Code::InvalidValue,
                Code::InvalidValue.severity(),
                format!("invalid value at {at}: {}", error.masked()),
            )
            .at(doc.locate(&pointer, false)),
            _ => Finding::new(
                Code::SchemaViolation,
                Code::SchemaViolation.severity(),
                format!("{at}: {}", error.masked()),
            )
            .at(doc.locate(&pointer, false)),
        };
        findings.push(finding);
    }
    SchemaCheck {
        findings,
        repaired: Some(repaired),
        placeholders,
    }
}

/// Make the value at `pointer` satisfy the schema well enough to deserialize.
fn repair(
    schema: &Value,
    doc: &mut Value,
    placeholders: &mut Vec<String>,
    pointer: &str,
    kind: &ValidationErrorKind,
) {
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            if let Some(Value::Object(map)) = doc.pointer_mut(pointer) {
                for key in unexpected {
                    map.remove(key);
                }
            }
        }
        ValidationErrorKind::Required { property } => {
            let Some(name) = property.as_str() else {
                return;
            };
            let child = format!("{pointer}/{}", crate::source::escape_pointer(name));
            let fill = schema_at(schema, &child).map(|n| placeholder(schema, n, 0));
            if let (Some(Value::Object(map)), Some(fill)) = (doc.pointer_mut(pointer), fill) {
                map.insert(name.to_owned(), fill);
                placeholders.push(child);
            }
        }
        ValidationErrorKind::Type { .. }
        | ValidationErrorKind::Enum { .. }
        | ValidationErrorKind::AnyOf { .. }
        | ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::Constant { .. } => {
            let fill = schema_at(schema, pointer).map(|n| placeholder(schema, n, 0));
            if let (Some(slot), Some(fill)) = (doc.pointer_mut(pointer), fill) {
                *slot = fill;
                placeholders.push(pointer.to_owned());
            }
        }
        // Range, length and pattern problems leave a value of the right type.
        _ => {}
    }
}

/// The schema node describing the value at `pointer`.
fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = resolve(root, root);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = resolve(root, first_branch(root, node));
        node = if let Some(p) = node.get("properties").and_then(|p| p.get(&token)) {
            p
        } else if let (Some(items), true) = (node.get("items"), token.parse::<usize>().is_ok()) {
            items
        } else {
            node.get("additionalProperties").filter(|a| a.is_object())?
        };
    }
    Some(resolve(root, node))
}

fn first_branch<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = node
            .get(key)
            .and_then(Value::as_array)
            .and_then(|b| b.first())
        {
            return resolve(root, first);
        }
    }
    node
}

/// A value of the type `node` describes, with its required keys filled in.
fn placeholder(root: &Value, node: &Value, depth: usize) -> Value {
    let node = first_branch(root, resolve(root, node));
    if let Some(first) = node
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(c) = node.get("const") {
        return c.clone();
    }
    let ty = match node.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or("null"),
        _ => "null",
    };
    match ty {
        "string" => Value::String(String::new()),
        "integer" | "number" => node.get("minimum").cloned().unwrap_or(Value::from(0)),
        "boolean" => Value::Bool(false),
        "array" => Value::Array(Vec::new()),
        "object" => {
            let mut map = serde_json::Map::new();
            if depth < 8 {
                for name in node
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(name) = name.as_str() else { continue };
                    if let Some(prop) = node.get("properties").and_then(|p| p.get(name)) {
                        map.insert(name.to_owned(), placeholder(root, prop, depth + 1));
                    }
                }
            }
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

/// `/accounts/allow/0` → `accounts.allow[0]`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    out
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

/// The property names the schema defines for the object at `pointer`.
fn known_keys(root: &Value, pointer: &str) -> Vec<String> {
    let mut nodes = vec![resolve(root, root)];
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for node in nodes {
            let node = resolve(root, node);
            let mut candidates = vec![node];
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(Value::Array(bs)) = node.get(key) {
                    candidates.extend(bs.iter().map(|b| resolve(root, b)));
                }
            }
            for c in candidates {
                if let Some(p) = c.get("properties").and_then(|p| p.get(&token)) {
                    next.push(p);
                } else if let Some(items) =
                    c.get("items").filter(|_| token.parse::<usize>().is_ok())
                {
                    next.push(items);
                } else if let Some(ap) = c.get("additionalProperties").filter(|a| a.is_object()) {
                    next.push(ap);
                }
            }
        }
        nodes = next;
    }
    let mut keys: Vec<String> = nodes
        .into_iter()
        .flat_map(|n| {
            let n = resolve(root, n);
            n.get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The closest known key, if it is close enough to be a plausible typo.
pub fn suggest(key: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&key.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let known = vec!["allow".to_owned(), "deny".to_owned()];
        assert_eq!(suggest("alow", &known).as_deref(), Some("allow"));
        assert_eq!(suggest("zzz", &known), None);
    }

    #[test]
    fn dotted_paths_read_like_toml() {
        assert_eq!(dotted("/accounts/allow/0"), "accounts.allow[0]");
        assert_eq!(dotted(""), "");
    }

    #[test]
    fn schema_has_no_nulls() {
        let text = profile_schema_text();
        assert!(!text.contains("\"null\""), "{text}");
    }
}
