//! Checking an incoming record against its domain and standardizing its declared fields.
//! Pure: the same input always gives the same [`ValidRecord`] or the same errors.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{FieldError, RecordInput};
use crate::normalize::{self, Context, FieldType};
use crate::rules::Domain;

/// Longest accepted source system name and source ID.
const MAX_SOURCE_SYSTEM: usize = 100;
const MAX_SOURCE_ID: usize = 256;

/// A record that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRecord {
    pub source_system: String,
    pub source_id: String,
    /// The attributes as received (declared fields and extras alike).
    pub attributes: Map<String, Value>,
    /// Standardized values of the declared fields that have one.
    pub standardized: BTreeMap<String, String>,
    /// Optional fields whose value could not be standardized: kept as sent in `attributes`,
    /// left out of `standardized` (so out of matching), and reported to the sender.
    pub warnings: Vec<FieldError>,
    /// Hash of the canonical attributes: an identical re-send has the same hash.
    pub content_hash: String,
    /// The stored texts of `attributes` (canonical) and `standardized`, written when the
    /// record is validated (in parallel for a batch) rather than inside the write transaction.
    attributes_text: String,
    standardized_text: String,
}

impl ValidRecord {
    /// The attributes as stored: canonical JSON.
    pub fn attributes_json(&self) -> &str {
        &self.attributes_text
    }

    /// The standardized values as stored.
    pub fn standardized_json(&self) -> &str {
        &self.standardized_text
    }
}

/// Parses one element of an ingest request into a [`RecordInput`].
pub fn parse_input(value: Value) -> Result<RecordInput, Vec<FieldError>> {
    if !value.is_object() {
        return Err(vec![FieldError::new(
            "record",
            "each record must be a JSON object with source_system, source_id and attributes",
        )]);
    }
    serde_json::from_value(value).map_err(|e| vec![FieldError::new("record", e.to_string())])
}

/// Why a record was not accepted: the errors that reject it, and the warnings it would have
/// been accepted with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rejection {
    pub errors: Vec<FieldError>,
    pub warnings: Vec<FieldError>,
}

impl From<Vec<FieldError>> for Rejection {
    fn from(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            warnings: Vec::new(),
        }
    }
}

/// Validates `input` against `domain`, collecting every problem rather than stopping at the
/// first. A required field that is missing or cannot be standardized rejects the record, and
/// so does an identifier whose check digit fails; any other optional field that cannot be
/// standardized is kept as sent, left out of matching, and reported as a warning.
pub fn validate(domain: &Domain, input: RecordInput) -> Result<ValidRecord, Rejection> {
    let checks = check_fields(domain, &input.attributes);
    validate_checked(domain, input, checks)
}

/// [`validate`] with the field checks already made (by [`check_fields`] on the same
/// attributes), for a caller that looks at them too.
pub fn validate_checked(
    domain: &Domain,
    input: RecordInput,
    checks: Vec<FieldCheck>,
) -> Result<ValidRecord, Rejection> {
    let mut errors = Vec::new();
    let source_system = input.source_system.trim().to_owned();
    if let Err(message) = check_source_system(&source_system) {
        errors.push(FieldError::new("source_system", message));
    }
    let source_id = input.source_id.trim().to_owned();
    if let Err(message) = check_source_id(&source_id) {
        errors.push(FieldError::new("source_id", message));
    }

    let mut standardized = BTreeMap::new();
    let mut warnings = Vec::new();
    for (field, check) in domain.fields.iter().zip(checks) {
        let problem = |message: String| FieldError::new(&field.name, message);
        match check {
            FieldCheck::NotText(message) if field.required => errors.push(problem(message)),
            FieldCheck::NotText(message) => warnings.push(problem(not_compared(&message))),
            FieldCheck::Missing if field.required => errors.push(problem("is required".into())),
            FieldCheck::Missing => {}
            FieldCheck::NoContent(text) if field.required => {
                errors.push(problem(format!("{text:?} has no usable content")));
            }
            FieldCheck::NoContent(_) => {}
            FieldCheck::Standardized { value, .. } => {
                standardized.insert(field.name.clone(), value);
            }
            FieldCheck::Failed { error, .. } if field.required || error.rejects_record() => {
                errors.push(problem(error.to_string()))
            }
            FieldCheck::Failed { error, .. } => {
                warnings.push(problem(not_compared(&error.to_string())))
            }
        }
    }
    if !errors.is_empty() {
        return Err(Rejection { errors, warnings });
    }
    crate::matching::features::derive(domain, &source_system, &input.attributes, &mut standardized);
    let attributes_text = canonical_json(&Value::Object(input.attributes.clone()));
    let standardized_text = serde_json::to_string(&standardized).unwrap_or_else(|_| "{}".into());
    Ok(ValidRecord {
        source_system,
        source_id,
        attributes: input.attributes,
        standardized,
        warnings,
        content_hash: hash(&attributes_text),
        attributes_text,
        standardized_text,
    })
}

/// What became of one declared field's value: the single place that runs the standardizers
/// over a record, shared by validation and by profiling a file.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldCheck {
    /// No value (absent, null or blank).
    Missing,
    /// A list or an object where a text was expected.
    NotText(String),
    /// A value that standardizes to nothing (only punctuation, say).
    NoContent(String),
    Standardized {
        text: String,
        value: String,
    },
    Failed {
        text: String,
        error: normalize::ValueError,
    },
}

/// Runs each declared field of `domain` (in declaration order) through its standardizer.
pub fn check_fields(domain: &Domain, attributes: &Map<String, Value>) -> Vec<FieldCheck> {
    let country = record_country(domain, attributes);
    let context = Context {
        country: country.as_deref(),
    };
    domain
        .fields
        .iter()
        .map(|field| match field_text(attributes.get(&field.name)) {
            Err(message) => FieldCheck::NotText(message),
            Ok(None) => FieldCheck::Missing,
            Ok(Some(text)) => match normalize::standardize_in(field.field_type, &text, &context) {
                Ok(value) if value.is_empty() => FieldCheck::NoContent(text),
                Ok(value) => FieldCheck::Standardized { text, value },
                Err(error) => FieldCheck::Failed { text, error },
            },
        })
        .collect()
}

/// The record's country (ISO alpha-2) for the standardizers that read values in it: the first
/// field of type `country` whose value is a known country.
fn record_country(domain: &Domain, attributes: &Map<String, Value>) -> Option<String> {
    domain
        .fields
        .iter()
        .filter(|f| f.field_type == FieldType::Country)
        .find_map(|f| {
            let text = field_text(attributes.get(&f.name)).ok()??;
            normalize::country::to_alpha2(&text).map(str::to_owned)
        })
}

/// The warning for an optional value that could not be standardized.
fn not_compared(problem: &str) -> String {
    format!("{problem}; the value is kept as sent but not used for matching")
}

fn check_source_system(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is required".into());
    }
    if value.len() > MAX_SOURCE_SYSTEM {
        return Err(format!("is longer than {MAX_SOURCE_SYSTEM} characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
    {
        return Err("may hold only letters, digits, '_', '-', '.' and ':'".into());
    }
    Ok(())
}

fn check_source_id(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is required".into());
    }
    if value.len() > MAX_SOURCE_ID {
        return Err(format!("is longer than {MAX_SOURCE_ID} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("may not hold control characters".into());
    }
    Ok(())
}

/// The text of a declared field's value: strings, numbers and booleans are accepted; null and
/// blank strings mean "no value".
fn field_text(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Array(_) | Value::Object(_)) => {
            Err("must be a text, number or boolean, not a list or object".into())
        }
    }
}

/// JSON with object keys sorted at every level, so equal content always hashes alike.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_domain;
    use serde_json::json;
    use std::path::Path;

    fn vendor() -> Domain {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules/vendor.toml"),
        )
        .unwrap();
        parse_domain(Path::new("vendor.toml"), &text).unwrap()
    }

    fn input(value: Value) -> RecordInput {
        parse_input(value).unwrap()
    }

    fn accepted(value: Value) -> ValidRecord {
        validate(&vendor(), input(value)).unwrap()
    }

    #[test]
    fn a_good_vendor_is_standardized_and_keeps_extras() {
        let record = validate(
            &vendor(),
            input(json!({"source_system": "erp", "source_id": " 42 ",
                "attributes": {"name": "Acme", "payment_terms": "NET30", "phone": null}})),
        )
        .unwrap();
        assert_eq!(record.source_id, "42");
        assert!(record.standardized.contains_key("name"));
        assert!(!record.standardized.contains_key("phone"));
        assert_eq!(record.attributes["payment_terms"], "NET30");
    }

    #[test]
    fn missing_required_field_is_named() {
        let errors = validate(
            &vendor(),
            input(json!({"source_system": "erp", "source_id": "1", "attributes": {"city": "X"}})),
        )
        .unwrap_err();
        assert_eq!(errors.errors, vec![FieldError::new("name", "is required")]);
    }

    #[test]
    fn envelope_errors_are_collected_together() {
        let errors = validate(
            &vendor(),
            input(json!({"source_system": "bad system", "source_id": "",
                "attributes": {"name": ["x"]}})),
        )
        .unwrap_err()
        .errors;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["source_system", "source_id", "name"]);
    }

    #[test]
    fn malformed_envelope_is_a_record_error() {
        assert!(parse_input(json!([1])).is_err());
        let errors = parse_input(json!({"source_system": "a"})).unwrap_err();
        assert!(errors[0].message.contains("source_id"), "{errors:?}");
    }

    #[test]
    fn hash_ignores_key_order() {
        let a = validate(
            &vendor(),
            input(json!({"source_system": "s", "source_id": "1",
                "attributes": {"name": "A", "city": "B"}})),
        )
        .unwrap();
        let b = validate(
            &vendor(),
            input(json!({"source_system": "s", "source_id": "1",
                "attributes": {"city": "B", "name": "A"}})),
        )
        .unwrap();
        assert_eq!(a.content_hash, b.content_hash);
    }

    fn fields(problems: &[FieldError]) -> Vec<&str> {
        problems.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn optional_values_that_do_not_standardize_are_warnings() {
        let record = accepted(json!({"source_system": "erp", "source_id": "1",
            "attributes": {"name": "Kumasi Timber Ltd", "country": "Gold Coast Colony",
                "phone": "n/a", "email": "accounts at kumasi", "website": "none",
                "duns": "12345", "tax_id": "---", "city": ["Kumasi"]}}));
        assert_eq!(
            fields(&record.warnings),
            [
                "tax_id", "duns", "city", "country", "phone", "email", "website"
            ]
        );
        assert!(
            record.warnings[3]
                .message
                .starts_with("country is not a recognized country name or ISO code;"),
            "{:?}",
            record.warnings
        );
        assert!(record.warnings[3].message.contains("not used for matching"));
        let compared: Vec<&str> = record.standardized.keys().map(String::as_str).collect();
        assert_eq!(compared, ["name"]);
        assert_eq!(record.attributes["country"], "Gold Coast Colony");
    }

    #[test]
    fn a_required_value_that_does_not_standardize_rejects() {
        let mut domain = vendor();
        for field in &mut domain.fields {
            field.required = field.name == "country";
        }
        let rejection = validate(
            &domain,
            input(json!({"source_system": "erp", "source_id": "1",
                "attributes": {"country": "Atlantis", "phone": "n/a"}})),
        )
        .unwrap_err();
        assert_eq!(fields(&rejection.errors), ["country"]);
        assert_eq!(fields(&rejection.warnings), ["phone"]);
    }

    #[test]
    fn a_failing_check_digit_rejects_even_an_optional_identifier() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules/item.toml"),
        )
        .unwrap();
        let item = parse_domain(Path::new("item.toml"), &text).unwrap();
        assert!(!item.field("gtin").unwrap().required);
        let rejection = validate(
            &item,
            input(json!({"source_system": "erp", "source_id": "1",
                "attributes": {"description": "Glove", "gtin": "036000291453"}})),
        )
        .unwrap_err();
        assert_eq!(
            rejection.errors,
            [FieldError::new("gtin", "GTIN check digit does not match")]
        );
    }

    #[test]
    fn phones_are_read_in_the_records_country() {
        let phone = |country: &str, phone: &str| {
            accepted(json!({"source_system": "erp", "source_id": "1",
                "attributes": {"name": "Acme", "country": country, "phone": phone}}))
            .standardized
            .get("phone")
            .cloned()
        };
        let london = Some("+442079460958".to_owned());
        assert_eq!(phone("GB", "020 7946 0958"), london);
        assert_eq!(phone("United Kingdom", "020 7946 0958"), london);
        assert_eq!(phone("", "+44 20 7946 0958"), london);
        assert_eq!(phone("USA", "+44 (0)20 7946 0958"), london);
        assert_eq!(phone("", "(312) 555-0100"), Some("+13125550100".into()));
        assert_eq!(
            phone("Atlantis", "312-555-0100 x12"),
            Some("+13125550100".into())
        );
        assert_eq!(phone("Deutschland", "089 63600"), Some("+498963600".into()));
    }
}
