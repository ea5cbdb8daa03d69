//! FHIR R4 views of golden records: vendors as `Organization`, locations as `Location`.
//!
//! Pure: the service loads a golden record, its members and (for a location) the golden ID of
//! its parent; this module turns them into the resource's JSON. What a resource carries is
//! read from the domain's field *types* (an `address_line` field is an address line, a `phone`
//! a telecom entry), so a rule file that renames or adds such fields needs no change here.
//! Field values pass through [`disclose::disclose`] only, the place where masking applies.

pub mod disclose;
mod identifiers;
mod outcome;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::model::SourceKey;
use crate::normalize::FieldType;
use crate::rules::Domain;
use crate::survivorship::Lineage;
use disclose::FieldValues;
pub use identifiers::{GLN_SYSTEM, golden_system, source_system_uri};
pub use outcome::OperationOutcome;

/// The media type of a FHIR JSON resource.
pub const FHIR_JSON: &str = "application/fhir+json";
/// The media type of a bulk export: one FHIR JSON resource per line.
pub const FHIR_NDJSON: &str = "application/fhir+ndjson";

/// The field of the location domain that names a location's parent by the parent's code in
/// the same source system.
pub const PARENT_FIELD: &str = "parent_code";

/// The field of the location domain that holds the kind of site (ward, dock, warehouse).
const LOCATION_TYPE_FIELD: &str = "location_type";

/// The FHIR resource types Golden exports, each fed by one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// Vendors.
    Organization,
    /// Locations: sites, buildings, wards, docks, rooms.
    Location,
}

impl ResourceType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Location => "Location",
        }
    }

    /// The domain whose golden records become resources of this type.
    pub fn domain(self) -> &'static str {
        match self {
            Self::Organization => "vendor",
            Self::Location => "location",
        }
    }
}

/// A member of a golden record as a FHIR identifier shows it.
#[derive(Debug, Clone)]
pub struct MemberKey<'a> {
    pub source_system: &'a str,
    pub source_id: &'a str,
    /// Whether the source still has the record (a retired one is an `old` identifier).
    pub active: bool,
}

/// Where a location's parent is, as far as the service could resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    /// The parent's code resolved to this golden record (of the location domain).
    Golden(String),
    /// The parent's code names no record Golden holds: the reference carries the code as an
    /// identifier of the source system that uses it.
    Unresolved { source_system: String },
}

/// A golden record and what the service resolved around it: everything one resource needs.
#[derive(Debug, Clone)]
pub struct GoldenRecord<'a> {
    pub golden_id: &'a str,
    /// Active, or retired because no source still has any of its records.
    pub active: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub fields: FieldValues<'a>,
    pub members: &'a [MemberKey<'a>],
    /// Golden IDs that were merged into this one.
    pub merged_ids: &'a [String],
    pub parent: Option<Parent>,
}

/// The resource of `kind` for `record` of `domain`.
pub fn resource(kind: ResourceType, domain: &Domain, record: &GoldenRecord<'_>) -> Value {
    let mut out = Map::new();
    out.insert("resourceType".into(), json!(kind.name()));
    out.insert("id".into(), json!(record.golden_id));
    out.insert(
        "meta".into(),
        json!({
            "versionId": record.version.to_string(),
            "lastUpdated": record.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        }),
    );
    let ids = identifiers::identifiers(kind, domain, record);
    out.insert("identifier".into(), Value::Array(ids));
    let fields = &record.fields;
    match kind {
        ResourceType::Organization => {
            out.insert("active".into(), json!(record.active));
        }
        ResourceType::Location => {
            let status = if record.active { "active" } else { "inactive" };
            out.insert("status".into(), json!(status));
        }
    }
    if let Some(name) = display_name(domain, fields) {
        out.insert("name".into(), json!(name));
    }
    if kind == ResourceType::Location {
        out.insert("mode".into(), json!("instance"));
        if let Some(kind) = fields.named(LOCATION_TYPE_FIELD) {
            out.insert("type".into(), json!([{"text": kind}]));
        }
    }
    let telecom = telecom(fields);
    if !telecom.is_empty() {
        out.insert("telecom".into(), Value::Array(telecom));
    }
    if let Some(address) = address(fields) {
        let address = match kind {
            ResourceType::Organization => json!([address]),
            ResourceType::Location => address,
        };
        out.insert("address".into(), address);
    }
    if kind == ResourceType::Location
        && let Some(part_of) = part_of(fields, record.parent.as_ref())
    {
        out.insert("partOf".into(), part_of);
    }
    Value::Object(out)
}

/// The record's name: the first declared key field (the domain's display name), else its
/// first organization name.
fn display_name(domain: &Domain, fields: &FieldValues<'_>) -> Option<String> {
    domain
        .key_fields
        .first()
        .and_then(|name| fields.named(name))
        .or_else(|| fields.first_of_type(FieldType::OrgName))
}

fn telecom(fields: &FieldValues<'_>) -> Vec<Value> {
    [
        (FieldType::Phone, "phone"),
        (FieldType::Email, "email"),
        (FieldType::Url, "url"),
    ]
    .into_iter()
    .flat_map(|(field_type, system)| {
        fields
            .of_type(field_type)
            .into_iter()
            .map(move |(_, value)| json!({"system": system, "value": value, "use": "work"}))
    })
    .collect()
}

fn address(fields: &FieldValues<'_>) -> Option<Value> {
    let mut address = Map::new();
    let lines: Vec<String> = fields
        .of_type(FieldType::AddressLine)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    if !lines.is_empty() {
        address.insert("line".into(), json!(lines));
    }
    let parts = [
        (FieldType::City, "city"),
        (FieldType::Region, "state"),
        (FieldType::PostalCode, "postalCode"),
        (FieldType::Country, "country"),
    ];
    for (field_type, key) in parts {
        if let Some(value) = fields.first_of_type(field_type) {
            address.insert(key.into(), json!(value));
        }
    }
    (!address.is_empty()).then_some(Value::Object(address))
}

/// `partOf`: a reference to the parent's Location when its code resolved, else a logical
/// reference by the code as the source system knows it.
fn part_of(fields: &FieldValues<'_>, parent: Option<&Parent>) -> Option<Value> {
    match parent? {
        Parent::Golden(id) => Some(json!({"reference": format!("Location/{id}")})),
        Parent::Unresolved { source_system } => {
            let code = fields.named(PARENT_FIELD)?;
            Some(json!({
                "type": "Location",
                "identifier": {"system": source_system_uri(source_system), "value": code},
            }))
        }
    }
}

/// The source keys a location's parent code may name, most likely first: the code in the
/// system its value came from (by lineage), then in each active member's system. Empty when
/// the record has no parent code.
pub fn parent_keys(
    fields: &std::collections::BTreeMap<String, Value>,
    lineage: &std::collections::BTreeMap<String, Lineage>,
    members: &[MemberKey<'_>],
) -> Vec<SourceKey> {
    let Some(code) = fields
        .get(PARENT_FIELD)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|code| !code.is_empty())
    else {
        return Vec::new();
    };
    let from_lineage = lineage
        .get(PARENT_FIELD)
        .and_then(|l| l.source_system.as_deref());
    let mut systems: Vec<&str> = from_lineage.into_iter().collect();
    for member in members.iter().filter(|m| m.active) {
        if !systems.contains(&member.source_system) {
            systems.push(member.source_system);
        }
    }
    systems
        .into_iter()
        .map(|system| SourceKey {
            source_system: system.to_owned(),
            source_id: code.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
