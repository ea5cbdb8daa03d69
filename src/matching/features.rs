//! Features derived from raw values that matching needs besides the standardized fields.

use serde_json::{Map, Value};

use super::{SOURCE_SYSTEM, Standardized};
use crate::normalize::model_number;
use crate::rules::Domain;
use crate::rules::matching::{KeyKind, Method};

/// The key under which a field's model-number tokens are kept.
pub fn model_key(field: &str) -> String {
    format!("{field}#model")
}

/// The key under which a field's pack sizes are kept.
pub fn pack_key(field: &str) -> String {
    format!("{field}#pack")
}

/// The key a derived-feature method reads for `field`, if the method reads one.
pub fn derived_key(method: Method, field: &str) -> Option<String> {
    match method {
        Method::ModelNumber => Some(model_key(field)),
        Method::PackSize => Some(pack_key(field)),
        _ => None,
    }
}

/// Adds the derived features the domain's rules use, taken from the raw text (standardizing
/// would split "PS-LX350H" and "100/BX" apart): the model-number tokens of each field that a
/// `model_number` comparison names, the pack sizes of each field that a `pack_size`
/// comparison names, and both for each field that a `model_numbers` candidate key names;
/// the source system when a comparison is scoped to one.
pub fn derive(
    domain: &Domain,
    source_system: &str,
    attributes: &Map<String, Value>,
    standardized: &mut Standardized,
) {
    let Some(rules) = &domain.matching else {
        return;
    };
    if rules.comparisons.iter().any(|c| c.within_source) {
        standardized.insert(SOURCE_SYSTEM.to_owned(), source_system.to_owned());
    }
    let compared = rules.comparisons.iter().flat_map(|c| {
        c.fields
            .iter()
            .filter_map(move |f| derived_key(c.method, f).map(|key| (key, f, c.method)))
    });
    let keyed = rules
        .candidates
        .iter()
        .filter(|k| k.kind == KeyKind::ModelNumbers)
        .flat_map(|k| {
            [
                (model_key(&k.field), &k.field, Method::ModelNumber),
                (pack_key(&k.field), &k.field, Method::PackSize),
            ]
        });
    for (key, field, method) in compared.chain(keyed) {
        if standardized.contains_key(&key) {
            continue;
        }
        if let Some(Value::String(raw)) = attributes.get(field) {
            let tokens = match method {
                Method::PackSize => model_number::pack_sizes(raw),
                _ => model_number::extract(raw),
            };
            if !tokens.is_empty() {
                standardized.insert(key, tokens.join(" "));
            }
        }
    }
}
