//! Features derived from raw values that matching needs besides the standardized fields.

use serde_json::{Map, Value};

use super::Standardized;
use crate::normalize::model_number;
use crate::rules::Domain;
use crate::rules::matching::{KeyKind, Method};

/// The key under which a field's model-number tokens are kept.
pub fn model_key(field: &str) -> String {
    format!("{field}#model")
}

/// Adds the derived features the domain's rules use: model-number tokens of each field that a
/// `model_number` comparison or candidate key names, taken from the raw text (standardizing
/// would split "PS-LX350H" apart).
pub fn derive(domain: &Domain, attributes: &Map<String, Value>, standardized: &mut Standardized) {
    let Some(rules) = &domain.matching else {
        return;
    };
    let compared = rules
        .comparisons
        .iter()
        .filter(|c| c.method == Method::ModelNumber)
        .flat_map(|c| c.fields.iter());
    let keyed = rules
        .candidates
        .iter()
        .filter(|k| k.kind == KeyKind::ModelNumbers)
        .map(|k| &k.field);
    for field in compared.chain(keyed) {
        let key = model_key(field);
        if standardized.contains_key(&key) {
            continue;
        }
        if let Some(Value::String(raw)) = attributes.get(field) {
            let tokens = model_number::extract(raw);
            if !tokens.is_empty() {
                standardized.insert(key, tokens.join(" "));
            }
        }
    }
}
