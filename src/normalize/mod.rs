//! Validation and standardization of raw field values coming from many ERP systems.
//!
//! Every declared field has a [`FieldType`]; [`standardize`] turns a raw value into the form
//! that matching compares, or rejects it with a [`ValueError`] the end user can act on.
//! Everything here is a pure function so matching and rule evaluation stay deterministic.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod address;
pub mod codes;
pub mod country;
pub mod date;
pub mod identifiers;
pub mod locality;
pub mod model_number;
pub mod numeric;
pub mod org_name;
pub mod person_name;
pub mod phone;
mod tables;
pub mod text;
pub mod units;
pub mod web;

pub use identifiers::gs1_check_digit_ok;

/// The version of the standardizers: change it whenever a standardizer's output changes for
/// some input, so stored records are standardized again (`golden restandardize`, or in the
/// background by `golden serve`) and old and new records compare in the same form.
pub const VERSION: &str = "2026-12-07.3";

/// The type of a declared field; picks its validator and standardizer. Deserialized from rule files in snake_case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    OrgName,
    PersonName,
    AddressLine,
    City,
    Region,
    PostalCode,
    Country,
    Phone,
    Email,
    Url,
    TaxId,
    Duns,
    Gtin,
    Gln,
    Unspsc,
    Uom,
    PartNumber,
    Code,
    Text,
    Number,
    Integer,
    Date,
}

impl FieldType {
    /// Every variant, in declaration order, so rule-file validation can list the accepted names.
    pub const ALL: &'static [FieldType] = &[
        FieldType::OrgName,
        FieldType::PersonName,
        FieldType::AddressLine,
        FieldType::City,
        FieldType::Region,
        FieldType::PostalCode,
        FieldType::Country,
        FieldType::Phone,
        FieldType::Email,
        FieldType::Url,
        FieldType::TaxId,
        FieldType::Duns,
        FieldType::Gtin,
        FieldType::Gln,
        FieldType::Unspsc,
        FieldType::Uom,
        FieldType::PartNumber,
        FieldType::Code,
        FieldType::Text,
        FieldType::Number,
        FieldType::Integer,
        FieldType::Date,
    ];

    /// The snake_case name used in rule files (same spelling serde uses).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::OrgName => "org_name",
            FieldType::PersonName => "person_name",
            FieldType::AddressLine => "address_line",
            FieldType::City => "city",
            FieldType::Region => "region",
            FieldType::PostalCode => "postal_code",
            FieldType::Country => "country",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::TaxId => "tax_id",
            FieldType::Duns => "duns",
            FieldType::Gtin => "gtin",
            FieldType::Gln => "gln",
            FieldType::Unspsc => "unspsc",
            FieldType::Uom => "uom",
            FieldType::PartNumber => "part_number",
            FieldType::Code => "code",
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Date => "date",
        }
    }

    /// True for types whose agreement identifies an entity (tax_id, duns, gtin, gln, part_number).
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            FieldType::TaxId
                | FieldType::Duns
                | FieldType::Gtin
                | FieldType::Gln
                | FieldType::PartNumber
        )
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a raw value is not acceptable for its field type (the record is rejected with this message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{kind} check digit does not match")]
    BadCheckDigit { kind: &'static str },
    #[error("{kind} must have {expected} digits")]
    WrongLength {
        kind: &'static str,
        expected: &'static str,
    },
    #[error("{kind} must contain only digits")]
    NotDigits { kind: &'static str },
    #[error("tax ID must contain at least one digit")]
    InvalidTaxId,
    #[error("phone number must have between 7 and 15 digits")]
    InvalidPhone,
    #[error("e-mail address must look like name@example.com")]
    InvalidEmail,
    #[error("website must contain a domain name like example.com")]
    InvalidUrl,
    #[error("country is not a recognized country name or ISO code")]
    UnknownCountry,
    #[error("value is not a number")]
    NotANumber,
    #[error("value is not a whole number")]
    NotAnInteger,
    #[error(
        "date must be a real calendar date written as YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY or DD.MM.YYYY"
    )]
    InvalidDate,
}

impl ValueError {
    /// True when the value is not merely unusable but wrong in a way that must stop the
    /// record, required or not: an identifier whose check digit fails was mistyped, and
    /// storing it would let the typo match another entity.
    pub fn rejects_record(&self) -> bool {
        matches!(self, ValueError::BadCheckDigit { .. })
    }
}

/// What a standardizer may know of the rest of its record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context<'a> {
    /// The record's country as an ISO alpha-2 code, when its domain has a country field and
    /// the value standardized: phone numbers written without a country code are read in it.
    pub country: Option<&'a str>,
}

/// Validate and standardize one raw value with no knowledge of the rest of its record; see
/// [`standardize_in`].
pub fn standardize(field_type: FieldType, raw: &str) -> Result<String, ValueError> {
    standardize_in(field_type, raw, &Context::default())
}

/// Validate and standardize one raw value of a record described by `context`. Returns the
/// standardized form used for matching (may be empty string if the value standardizes to
/// nothing, e.g. an org name of only punctuation). Err when the value is malformed for its type.
pub fn standardize_in(
    field_type: FieldType,
    raw: &str,
    context: &Context<'_>,
) -> Result<String, ValueError> {
    // A blank cell means "no value", never "bad value", whatever the type.
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    Ok(match field_type {
        FieldType::OrgName => org_name::standardize(raw),
        FieldType::PersonName => person_name::standardize(raw),
        FieldType::AddressLine => address::standardize(raw),
        FieldType::City => locality::standardize_city(raw),
        FieldType::Region => locality::standardize_region(raw),
        FieldType::PostalCode => locality::standardize_postal_code(raw),
        FieldType::Country => country::standardize(raw)?,
        FieldType::Phone => phone::standardize(raw, context.country)?,
        FieldType::Email => web::standardize_email(raw)?,
        FieldType::Url => web::standardize_url(raw)?,
        FieldType::TaxId => identifiers::standardize_tax_id(raw)?,
        FieldType::Duns => identifiers::standardize_duns(raw)?,
        FieldType::Gtin => identifiers::standardize_gtin(raw)?,
        FieldType::Gln => identifiers::standardize_gln(raw)?,
        FieldType::Unspsc => identifiers::standardize_unspsc(raw)?,
        FieldType::Uom => units::standardize(raw),
        FieldType::PartNumber => codes::standardize_part_number(raw),
        FieldType::Code => codes::standardize_code(raw),
        FieldType::Text => text::fold(raw),
        FieldType::Number => numeric::standardize_number(raw)?,
        FieldType::Integer => numeric::standardize_integer(raw)?,
        FieldType::Date => date::standardize(raw)?,
    })
}

/// Tokens of a standardized value for candidate search / token comparisons (split on spaces).
pub fn tokens(standardized: &str) -> Vec<&str> {
    standardized.split(' ').filter(|t| !t.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_empty_for_every_type() {
        for &ft in FieldType::ALL {
            assert_eq!(standardize(ft, "   \t"), Ok(String::new()), "{ft}");
            assert_eq!(standardize(ft, ""), Ok(String::new()), "{ft}");
        }
    }

    #[test]
    fn as_str_matches_serde_names() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        assert_eq!(FieldType::ALL.len(), 22);
        for &ft in FieldType::ALL {
            let de: StrDeserializer<'_, Error> = ft.as_str().into_deserializer();
            assert_eq!(FieldType::deserialize(de), Ok(ft));
        }
    }

    #[test]
    fn identifiers_flagged() {
        let ids: Vec<_> = FieldType::ALL
            .iter()
            .filter(|ft| ft.is_identifier())
            .map(|ft| ft.as_str())
            .collect();
        assert_eq!(ids, ["tax_id", "duns", "gtin", "gln", "part_number"]);
    }

    #[test]
    fn dispatch_examples() {
        assert_eq!(
            standardize(FieldType::OrgName, "Acme, Inc.").as_deref(),
            Ok("acme")
        );
        assert_eq!(
            standardize(FieldType::Country, "U.S.A.").as_deref(),
            Ok("US")
        );
        assert_eq!(
            standardize(FieldType::Gtin, "036000291452").as_deref(),
            Ok("00036000291452")
        );
        assert_eq!(
            standardize(FieldType::Gtin, "036000291453"),
            Err(ValueError::BadCheckDigit { kind: "GTIN" })
        );
        assert_eq!(
            standardize(FieldType::Text, "Café  Müller!").as_deref(),
            Ok("cafe muller")
        );
        assert_eq!(
            standardize(FieldType::Country, "Atlantis"),
            Err(ValueError::UnknownCountry)
        );
    }

    #[test]
    fn error_messages_are_plain_english() {
        let e = ValueError::BadCheckDigit { kind: "GTIN" };
        assert_eq!(e.to_string(), "GTIN check digit does not match");
        let e = ValueError::WrongLength {
            kind: "DUNS number",
            expected: "9",
        };
        assert_eq!(e.to_string(), "DUNS number must have 9 digits");
    }

    #[test]
    fn tokens_split_on_spaces() {
        assert_eq!(tokens("home  depot "), ["home", "depot"]);
        assert!(tokens("").is_empty());
    }
}
