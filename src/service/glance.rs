//! What a proposal is about at a glance: both golden records' display names and key fields
//! (as the rule file declares them), each marked as agreeing or not after standardization,
//! so a steward can clear most of a queue without opening every proposal, and `DALLAS` and
//! `Dallas` are not shown as a difference.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::browse::comparable;
use crate::normalize::FieldType;
use crate::rules::Domain;

/// One key field of both sides.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeyField {
    pub field: String,
    /// The value on the `golden_id` side (null when it has none).
    pub golden: Option<Value>,
    /// The value on the `other_golden_id` side.
    pub other: Option<Value>,
    /// Whether the two are equal after standardization; null when either side has none.
    pub agree: Option<bool>,
}

/// Both sides of a proposal at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Glance {
    /// The display name (the first key field) of the `golden_id` side.
    pub golden_name: Option<Value>,
    /// The display name of the `other_golden_id` side.
    pub other_name: Option<Value>,
    pub key_fields: Vec<KeyField>,
}

fn present(fields: &BTreeMap<String, Value>, name: &str) -> Option<Value> {
    match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(value) => Some(value.clone()),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether two values are equal after standardization; `None` when either side has none.
fn agreement(field_type: FieldType, a: Option<&Value>, b: Option<&Value>) -> Option<bool> {
    match (a, b) {
        (Some(a), Some(b)) => {
            Some(comparable(field_type, &text(a)) == comparable(field_type, &text(b)))
        }
        _ => None,
    }
}

/// For every declared field either golden record holds, whether both agree after
/// standardization (`None` when only one side has a value): what the console marks as a
/// difference.
pub fn field_agreement(
    domain: &Domain,
    golden: &BTreeMap<String, Value>,
    other: &BTreeMap<String, Value>,
) -> BTreeMap<String, Option<bool>> {
    domain
        .fields
        .iter()
        .filter_map(|def| {
            let (a, b) = (present(golden, &def.name), present(other, &def.name));
            (a.is_some() || b.is_some()).then(|| {
                (
                    def.name.clone(),
                    agreement(def.field_type, a.as_ref(), b.as_ref()),
                )
            })
        })
        .collect()
}

/// The glance of two golden records' fields under `domain`'s key fields.
pub fn glance(
    domain: &Domain,
    golden: &BTreeMap<String, Value>,
    other: &BTreeMap<String, Value>,
) -> Glance {
    let key_fields: Vec<KeyField> = domain
        .key_fields
        .iter()
        .filter_map(|name| domain.field(name))
        .map(|def| {
            let (a, b) = (present(golden, &def.name), present(other, &def.name));
            let agree = agreement(def.field_type, a.as_ref(), b.as_ref());
            KeyField {
                field: def.name.clone(),
                golden: a,
                other: b,
                agree,
            }
        })
        .collect();
    Glance {
        golden_name: key_fields.first().and_then(|k| k.golden.clone()),
        other_name: key_fields.first().and_then(|k| k.other.clone()),
        key_fields,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn key_fields_agree_after_standardization() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        let rules = crate::rules::RuleSet::load_dir(&dir).unwrap();
        let vendor = rules.domain("vendor").unwrap();
        let a = fields(json!({"name": "Acme Medical", "city": "DALLAS", "tax_id": "12-3456789"}));
        let b = fields(json!({"name": "Apex Medical", "city": "Dallas"}));
        let seen = glance(vendor, &a, &b);
        assert_eq!(seen.golden_name, Some(json!("Acme Medical")));
        assert_eq!(seen.other_name, Some(json!("Apex Medical")));
        let agree: Vec<(&str, Option<bool>)> = seen
            .key_fields
            .iter()
            .map(|k| (k.field.as_str(), k.agree))
            .collect();
        assert_eq!(
            agree,
            [
                ("name", Some(false)),
                ("tax_id", None),
                ("city", Some(true))
            ]
        );
    }
}
