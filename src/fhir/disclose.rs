//! The one door through which a golden record's field values enter a FHIR resource.
//!
//! Every value a resource carries that comes from a declared field (name, address, telecom,
//! GLN, tax ID, DUNS, the parent code of an unresolved `partOf`) is read through
//! [`FieldValues::text`], which calls [`disclose`]. Masking of fields a rule file marks
//! `sensitive` belongs in [`disclose`] and nowhere else: give it the caller's grant and every
//! FHIR route and export follows.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::masking::Mask;
use crate::normalize::FieldType;
use crate::rules::{Domain, FieldDef};

/// The text of one field value as a FHIR resource may show it; `None` for a value that is
/// absent, null or blank, and for a `sensitive` field the caller may not see (`mask` covers
/// it). Such a value is left out rather than masked: a FHIR identifier or telecom is read by
/// systems, which would take a masked value for a real one.
pub fn disclose(field: &FieldDef, value: &Value, mask: &Mask) -> Option<String> {
    if mask.covers(&field.name) {
        return None;
    }
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.trim().to_owned(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// A golden record's surviving field values, read only through [`disclose`].
#[derive(Debug, Clone, Copy)]
pub struct FieldValues<'a> {
    domain: &'a Domain,
    values: &'a BTreeMap<String, Value>,
    mask: &'a Mask,
}

impl<'a> FieldValues<'a> {
    pub fn new(domain: &'a Domain, values: &'a BTreeMap<String, Value>, mask: &'a Mask) -> Self {
        Self {
            domain,
            values,
            mask,
        }
    }

    /// The disclosed text of the declared field `name`.
    pub fn named(&self, name: &str) -> Option<String> {
        self.domain.field(name).and_then(|field| self.text(field))
    }

    /// The disclosed text of `field`.
    pub fn text(&self, field: &FieldDef) -> Option<String> {
        self.values
            .get(&field.name)
            .and_then(|value| disclose(field, value, self.mask))
    }

    /// Every declared field of `field_type` that has a value, in declaration order, with its
    /// disclosed text.
    pub fn of_type(&self, field_type: FieldType) -> Vec<(&'a FieldDef, String)> {
        self.domain
            .fields
            .iter()
            .filter(|field| field.field_type == field_type)
            .filter_map(|field| self.text(field).map(|text| (field, text)))
            .collect()
    }

    /// The first value of a field of `field_type`.
    pub fn first_of_type(&self, field_type: FieldType) -> Option<String> {
        self.of_type(field_type)
            .into_iter()
            .next()
            .map(|(_, text)| text)
    }
}
