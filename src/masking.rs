//! Masking of sensitive values. A rule file marks fields such as tax IDs and bank accounts
//! `sensitive = true`; a caller without the `sensitive` role sees their values with every
//! character but the last four replaced by `•` (`•••••6789`), enough to tell two apart at a
//! glance, not enough to use one. Pure functions over JSON values and the domain's rules:
//! the API applies them to every answer (`api::masked`), the exports to every line.
//!
//! Masking is only ever applied to what leaves the API. Matching, agreement markers and
//! everything stored work on the real values.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::matching::FieldEvidence;
use crate::rules::Domain;

/// The character that stands for a hidden one.
pub const MASK_CHAR: char = '•';

/// How many trailing characters a masked value keeps.
const KEPT: usize = 4;

/// `text` masked: every character but the last four becomes `•`; a text of four characters
/// or fewer becomes `••••`, so a short value is not shown whole.
pub fn mask(text: &str) -> String {
    let count = text.chars().count();
    if count <= KEPT {
        return std::iter::repeat_n(MASK_CHAR, KEPT).collect();
    }
    std::iter::repeat_n(MASK_CHAR, count - KEPT)
        .chain(text.chars().skip(count - KEPT))
        .collect()
}

/// What a reason stands for when it is about a sensitive field (a rejection names the value
/// it refused).
pub const WITHHELD: &str = "value withheld (sensitive field)";

/// A reason line of `field: message` parts joined by `; ` (a rejected row's, as the rejects
/// file and the preview write it), with the message of each part about a field `mask`
/// covers replaced by [`WITHHELD`].
pub fn mask_reason(reason: &str, mask: &Mask) -> String {
    if mask.is_empty() {
        return reason.to_owned();
    }
    reason
        .split("; ")
        .map(|part| match part.split_once(": ") {
            Some((field, _)) if mask.covers(field) => format!("{field}: {WITHHELD}"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A JSON value masked: a string or number becomes a masked string; null and booleans (no
/// value, or an agreement marker) stay; arrays and objects are masked leaf by leaf.
pub fn mask_json(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(mask(text)),
        Value::Number(n) => Value::String(mask(&n.to_string())),
        Value::Array(items) => Value::Array(items.iter().map(mask_json).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), mask_json(v)))
                .collect(),
        ),
        Value::Null | Value::Bool(_) => value.clone(),
    }
}

/// The members of an object that hold a value of the field its `field` member names: an
/// override (`{"field", "value"}`), a comparison's evidence (`left`, `right`), a queue row's
/// key field (`golden`, `other`).
const VALUE_SLOTS: [&str; 5] = ["value", "left", "right", "golden", "other"];

/// What one domain masks for a caller without the grant: its sensitive fields, and the
/// comparisons that read one (an explanation names a comparison, which may be named apart
/// from its field). Empty for a caller with the grant, or a domain with no sensitive field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mask {
    names: BTreeSet<String>,
}

impl Mask {
    /// Masks nothing: for a caller with the grant.
    pub fn none() -> Self {
        Self::default()
    }

    /// What `domain` masks.
    pub fn of(domain: &Domain) -> Self {
        let mut names: BTreeSet<String> = domain
            .fields
            .iter()
            .filter(|f| f.sensitive)
            .map(|f| f.name.clone())
            .collect();
        if let Some(rules) = &domain.matching {
            let reading_sensitive = rules
                .comparisons
                .iter()
                .filter(|c| c.fields.iter().any(|f| names.contains(f)))
                .map(|c| c.name.clone())
                .collect::<Vec<_>>();
            names.extend(reading_sensitive);
        }
        Self { names }
    }

    /// What any of `domains` masks: for a record whose domain is unknown.
    pub fn union<'a>(domains: impl IntoIterator<Item = &'a Domain>) -> Self {
        let names = domains
            .into_iter()
            .flat_map(|d| Self::of(d).names)
            .collect();
        Self { names }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether values of the field (or comparison) `name` are masked.
    pub fn covers(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// `value` masked when it belongs to the field `name`.
    pub fn value(&self, name: &str, value: &mut Value) {
        if self.covers(name) {
            *value = mask_json(value);
        }
    }

    /// A record's fields by name (a golden record's `fields`).
    pub fn fields(&self, fields: &mut BTreeMap<String, Value>) {
        for (name, value) in fields.iter_mut() {
            self.value(name, value);
        }
    }

    /// A JSON object of fields by name (a source record's `attributes` or `standardized`);
    /// anything else is left alone.
    pub fn object(&self, object: &mut Value) {
        if let Value::Object(members) = object {
            for (name, value) in members.iter_mut() {
                self.value(name, value);
            }
        }
    }

    /// The evidence of a comparison: both sides' values of a sensitive comparison. The
    /// similarity and weight were computed on the real values and stay.
    pub fn evidence(&self, evidence: &mut [FieldEvidence]) {
        for item in evidence.iter_mut().filter(|e| self.covers(&e.field)) {
            for side in [&mut item.left, &mut item.right] {
                if let Some(text) = side.as_mut() {
                    *text = mask(text);
                }
            }
        }
    }

    /// Any JSON document about records of the domain (an event's payload, an audit entry's
    /// before and after), whatever its shape: every member named after a sensitive field,
    /// and the value slots of every object whose `field` names one, at any depth. Booleans
    /// are kept, so agreement markers keyed by field stay as they are.
    pub fn tree(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.tree(item)),
            Value::Object(members) => {
                let about_sensitive = members
                    .get("field")
                    .and_then(Value::as_str)
                    .is_some_and(|f| self.covers(f));
                for (key, member) in members.iter_mut() {
                    if self.covers(key) || (about_sensitive && VALUE_SLOTS.contains(&key.as_str()))
                    {
                        *member = mask_json(member);
                    } else {
                        self.tree(member);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vendor() -> std::sync::Arc<Domain> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        let rules = crate::rules::RuleSet::load_dir(&dir).unwrap();
        rules.domain("vendor").unwrap().clone()
    }

    #[test]
    fn a_reason_withholds_only_what_is_about_a_sensitive_field() {
        let mask = Mask::of(&vendor());
        let reason = "tax_id: \"12-34\" is not a tax ID; name: is required";
        assert_eq!(
            mask_reason(reason, &mask),
            format!("tax_id: {WITHHELD}; name: is required")
        );
        assert_eq!(mask_reason(reason, &Mask::none()), reason);
    }

    #[test]
    fn keeps_the_last_four_characters() {
        assert_eq!(mask("12-3456789"), "••••••6789");
        assert_eq!(
            mask("DE89370400440532013000"),
            format!("{}3000", "•".repeat(18))
        );
        // Characters, not bytes: a multi-byte character counts once.
        assert_eq!(mask("ÄÖÜ-12345"), "•••••2345");
    }

    #[test]
    fn short_values_are_hidden_whole() {
        assert_eq!(mask("1234"), "••••");
        assert_eq!(mask("12"), "••••");
        assert_eq!(mask(""), "••••");
    }

    #[test]
    fn numbers_become_masked_strings_and_markers_stay() {
        assert_eq!(mask_json(&json!(123456789)), json!("•••••6789"));
        assert_eq!(mask_json(&json!(true)), json!(true));
        assert_eq!(mask_json(&Value::Null), Value::Null);
        assert_eq!(mask_json(&json!(["123456789"])), json!(["•••••6789"]));
    }

    #[test]
    fn vendor_masks_tax_id_bank_account_and_their_comparison() {
        let mask = Mask::of(&vendor());
        assert!(mask.covers("tax_id"));
        assert!(mask.covers("bank_account"));
        assert!(!mask.covers("name"));
        let mut fields: BTreeMap<String, Value> =
            serde_json::from_value(json!({"name": "Acme", "tax_id": "12-3456789"})).unwrap();
        mask.fields(&mut fields);
        assert_eq!(fields["name"], json!("Acme"));
        assert_eq!(fields["tax_id"], json!("••••••6789"));
    }

    #[test]
    fn evidence_keeps_similarity_and_weight() {
        let mask = Mask::of(&vendor());
        let mut evidence: Vec<FieldEvidence> = serde_json::from_value(json!([
            {"field": "tax_id", "method": "identifier", "left": "123456789",
             "right": "123456780", "similarity": 0.0, "weight": -12.0},
            {"field": "name", "method": "token_set", "left": "ACME", "right": "ACME",
             "similarity": 1.0, "weight": 8.0},
        ]))
        .unwrap();
        mask.evidence(&mut evidence);
        assert_eq!(evidence[0].left.as_deref(), Some("•••••6789"));
        assert_eq!(evidence[0].right.as_deref(), Some("•••••6780"));
        assert_eq!(evidence[0].weight, -12.0);
        assert_eq!(evidence[1].left.as_deref(), Some("ACME"));
    }

    #[test]
    fn tree_finds_values_at_any_depth() {
        let mask = Mask::of(&vendor());
        let mut doc = json!({
            "golden": {"fields": {"name": "Acme", "tax_id": "12-3456789"}},
            "override": {"field": "tax_id", "value": "98-7654321"},
            "other": {"field": "city", "value": "Denver"},
            "key_fields": [{"field": "tax_id", "golden": "12-3456789", "other": null,
                            "agree": null}],
            "fields_agree": {"tax_id": true},
        });
        mask.tree(&mut doc);
        assert_eq!(doc["golden"]["fields"]["tax_id"], json!("••••••6789"));
        assert_eq!(doc["golden"]["fields"]["name"], json!("Acme"));
        assert_eq!(doc["override"]["value"], json!("••••••4321"));
        assert_eq!(doc["other"]["value"], json!("Denver"));
        assert_eq!(doc["key_fields"][0]["golden"], json!("••••••6789"));
        assert_eq!(doc["key_fields"][0]["other"], Value::Null);
        assert_eq!(doc["fields_agree"]["tax_id"], json!(true));
    }

    #[test]
    fn nothing_is_masked_without_sensitive_fields_or_with_the_grant() {
        let mut doc = json!({"tax_id": "12-3456789"});
        Mask::none().tree(&mut doc);
        assert_eq!(doc["tax_id"], json!("12-3456789"));
    }
}
