//! A resource's identifiers: the golden ID, the IDs merged into it, the standard identifiers
//! its fields hold (GLN, tax ID, DUNS), and every crosswalk entry, each source system under a
//! system URI of its own so a consumer can find "our ID in SAP" without knowing Golden.

use serde_json::{Value, json};

use super::{GoldenRecord, ResourceType};
use crate::normalize::{FieldType, standardize};
use crate::rules::Domain;

/// GS1 Global Location Number.
pub const GLN_SYSTEM: &str = "urn:oid:1.3.160";
/// The US Internal Revenue Service's employer identification number (EIN, a TIN).
const US_EIN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.4.4";
/// Dun & Bradstreet's D-U-N-S number.
const DUNS_SYSTEM: &str = "urn:oid:1.3.6.1.4.1.519.1";
/// HL7's identifier type codes (v2 table 0203).
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// The system of the golden IDs of `domain`: `urn:golden:vendor`.
pub fn golden_system(domain: &str) -> String {
    format!("urn:golden:{}", uri_segment(domain))
}

/// The system of a source system's record IDs: `urn:golden:source:sap`.
pub fn source_system_uri(source_system: &str) -> String {
    format!("urn:golden:source:{}", uri_segment(source_system))
}

/// `text` with everything but unreserved URI characters percent-encoded, so a source system
/// named with spaces or slashes still gives a valid URI.
fn uri_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Every identifier of `record`, the golden ID first.
pub(super) fn identifiers(
    kind: ResourceType,
    domain: &Domain,
    record: &GoldenRecord<'_>,
) -> Vec<Value> {
    let system = golden_system(&domain.name);
    let mut out = vec![json!({"use": "official", "system": system, "value": record.golden_id})];
    out.extend(
        record
            .merged_ids
            .iter()
            .map(|id| json!({"use": "old", "system": system, "value": id})),
    );
    for (field_type, text) in standard_identifiers(record) {
        if let Some(identifier) = standard_identifier(kind, field_type, &text) {
            out.push(identifier);
        }
    }
    out.extend(record.members.iter().map(|member| {
        json!({
            "use": if member.active { "secondary" } else { "old" },
            "system": source_system_uri(member.source_system),
            "value": member.source_id,
        })
    }));
    out
}

/// The disclosed values of the identifier-typed fields, in declaration order.
fn standard_identifiers(record: &GoldenRecord<'_>) -> Vec<(FieldType, String)> {
    [FieldType::Gln, FieldType::TaxId, FieldType::Duns]
        .into_iter()
        .flat_map(|field_type| {
            record
                .fields
                .of_type(field_type)
                .into_iter()
                .map(move |(_, text)| (field_type, text))
        })
        .collect()
}

/// One standard identifier, in its canonical spelling when it has one (`12-3456789` is the
/// EIN `123456789`). A tax ID that is not a US EIN (nine digits) carries its type but no
/// system: no registry names the tax authority of every country. A GLN belongs on locations
/// (and on an organization that has one); DUNS and tax IDs on organizations.
fn standard_identifier(kind: ResourceType, field_type: FieldType, text: &str) -> Option<Value> {
    let canonical = standardize(field_type, text)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| text.to_owned());
    match field_type {
        FieldType::Gln => Some(json!({"system": GLN_SYSTEM, "value": canonical})),
        FieldType::Duns if kind == ResourceType::Organization => Some(json!({
            "system": DUNS_SYSTEM,
            "value": canonical,
        })),
        FieldType::TaxId if kind == ResourceType::Organization => {
            let tax = json!({"coding": [{"system": V2_0203, "code": "TAX"}], "text": "Tax ID"});
            let us_ein = canonical.len() == 9 && canonical.bytes().all(|b| b.is_ascii_digit());
            Some(if us_ein {
                json!({"type": tax, "system": US_EIN_SYSTEM, "value": canonical})
            } else {
                json!({"type": tax, "value": canonical})
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_uris_escape_what_a_uri_cannot_hold() {
        assert_eq!(source_system_uri("sap"), "urn:golden:source:sap");
        assert_eq!(
            source_system_uri("Oracle EBS/EU"),
            "urn:golden:source:Oracle%20EBS%2FEU"
        );
        assert_eq!(golden_system("cost_center"), "urn:golden:cost_center");
    }

    #[test]
    fn tax_ids_are_canonical_and_only_an_ein_gets_the_irs_system() {
        let ein = standard_identifier(ResourceType::Organization, FieldType::TaxId, "12-3456789");
        let ein = ein.unwrap();
        assert_eq!(ein["system"], US_EIN_SYSTEM);
        assert_eq!(ein["value"], "123456789");
        assert_eq!(ein["type"]["coding"][0]["code"], "TAX");
        let vat = standard_identifier(ResourceType::Organization, FieldType::TaxId, "nl.8528.56");
        let vat = vat.unwrap();
        assert!(vat.get("system").is_none());
        assert_eq!(vat["value"], "NL852856");
        assert!(standard_identifier(ResourceType::Location, FieldType::TaxId, "1").is_none());
    }

    #[test]
    fn duns_is_cut_to_nine_digits() {
        let duns = standard_identifier(ResourceType::Organization, FieldType::Duns, "12-345-6789");
        assert_eq!(
            duns.unwrap(),
            json!({"system": DUNS_SYSTEM, "value": "123456789"})
        );
    }
}
