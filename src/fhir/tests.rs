use crate::masking::Mask;
use std::collections::BTreeMap;
use std::path::Path;

use chrono::TimeZone;
use serde_json::{Value, json};

use super::*;
use crate::rules::parse_domain;

fn domain(file: &str, text: &str) -> Domain {
    parse_domain(Path::new(file), text).unwrap()
}

/// A caller who sees every field.
static NO_MASK: std::sync::LazyLock<Mask> = std::sync::LazyLock::new(Mask::none);

fn vendor() -> Domain {
    domain(
        "vendor.toml",
        include_str!("../../matching-rules/vendor.toml"),
    )
}

fn location() -> Domain {
    domain(
        "location.toml",
        include_str!("../../matching-rules/location.toml"),
    )
}

fn fields(value: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(value).unwrap()
}

fn record<'a>(
    id: &'a str,
    fields: FieldValues<'a>,
    members: &'a [MemberKey<'a>],
    merged: &'a [String],
) -> GoldenRecord<'a> {
    GoldenRecord {
        golden_id: id,
        active: true,
        version: 3,
        updated_at: Utc.with_ymd_and_hms(2026, 12, 24, 9, 30, 0).unwrap(),
        fields,
        members,
        merged_ids: merged,
        parent: None,
    }
}

const MEMBERS: [MemberKey<'static>; 2] = [
    MemberKey {
        source_system: "sap",
        source_id: "100234",
        active: true,
    },
    MemberKey {
        source_system: "oracle",
        source_id: "V-77",
        active: false,
    },
];

#[test]
fn a_vendor_is_an_organization_with_every_identifier_address_and_telecom() {
    let domain = vendor();
    let values = fields(json!({
        "name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789", "duns": "12-345-6789",
        "address_line1": "1 Main St", "address_line2": "Suite 4", "city": "Chicago",
        "region": "IL", "postal_code": "60601", "country": "US", "phone": "+1 312 555 0100",
        "email": "ap@acme.example", "website": "https://acme.example", "extra": "ignored",
    }));
    let merged = vec!["V00000009".to_owned()];
    let record = record(
        "V00000001",
        FieldValues::new(&domain, &values, &NO_MASK),
        &MEMBERS,
        &merged,
    );
    let org = resource(ResourceType::Organization, &domain, &record);
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(org["id"], "V00000001");
    assert_eq!(org["active"], true);
    assert_eq!(org["name"], "Acme Medical Supply, Inc.");
    assert_eq!(
        org["meta"],
        json!({"versionId": "3", "lastUpdated": "2026-12-24T09:30:00.000Z"})
    );
    let ids = org["identifier"].as_array().unwrap();
    let pairs: Vec<(String, String, String)> = ids
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or("").to_owned();
            (text("use"), text("system"), text("value"))
        })
        .collect();
    let expected = [
        ("official", "urn:golden:vendor", "V00000001"),
        ("old", "urn:golden:vendor", "V00000009"),
        ("", "urn:oid:2.16.840.1.113883.4.4", "123456789"),
        ("", "urn:oid:1.3.6.1.4.1.519.1", "123456789"),
        ("secondary", "urn:golden:source:sap", "100234"),
        ("old", "urn:golden:source:oracle", "V-77"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(pairs, expected);
    assert_eq!(
        org["address"],
        json!([{"line": ["1 Main St", "Suite 4"], "city": "Chicago", "state": "IL",
                "postalCode": "60601", "country": "US"}])
    );
    let telecom: Vec<&str> = org["telecom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["system"].as_str().unwrap())
        .collect();
    assert_eq!(telecom, ["phone", "email", "url"]);
    assert!(org.get("partOf").is_none() && org.get("status").is_none());
}

#[test]
fn blank_and_missing_fields_leave_their_elements_out() {
    let domain = vendor();
    let values = fields(json!({"name": "Lone Vendor", "city": "  ", "phone": null}));
    let mut record = record(
        "V00000002",
        FieldValues::new(&domain, &values, &NO_MASK),
        &[],
        &[],
    );
    record.active = false;
    let org = resource(ResourceType::Organization, &domain, &record);
    assert_eq!(org["active"], false);
    assert!(org.get("address").is_none(), "{org}");
    assert!(org.get("telecom").is_none(), "{org}");
    assert_eq!(org["identifier"].as_array().unwrap().len(), 1);
}

#[test]
fn a_location_has_status_type_gln_one_address_and_its_parent() {
    let domain = location();
    let values = fields(json!({
        "name": "Mercy Hospital Dock 2", "location_type": "dock", "gln": "0614141000036",
        "city": "Denver", "parent_code": "P-1",
    }));
    let mut record = record(
        "L00000004",
        FieldValues::new(&domain, &values, &NO_MASK),
        &MEMBERS,
        &[],
    );
    record.parent = Some(Parent::Golden("L00000001".into()));
    let loc = resource(ResourceType::Location, &domain, &record);
    assert_eq!(loc["resourceType"], "Location");
    assert_eq!(loc["status"], "active");
    assert_eq!(loc["mode"], "instance");
    assert_eq!(loc["type"], json!([{"text": "dock"}]));
    assert_eq!(loc["address"], json!({"city": "Denver"}));
    assert_eq!(loc["partOf"], json!({"reference": "Location/L00000001"}));
    assert!(loc.get("active").is_none());
    let gln = &loc["identifier"][1];
    assert_eq!(
        gln,
        &json!({"system": GLN_SYSTEM, "value": "0614141000036"})
    );

    record.parent = Some(Parent::Unresolved {
        source_system: "sap".into(),
    });
    record.active = false;
    let loc = resource(ResourceType::Location, &domain, &record);
    assert_eq!(loc["status"], "inactive");
    assert_eq!(
        loc["partOf"],
        json!({"type": "Location",
               "identifier": {"system": "urn:golden:source:sap", "value": "P-1"}})
    );
}

#[test]
fn parent_keys_try_the_lineage_system_first_then_each_active_member() {
    let values = fields(json!({"parent_code": " P-1 "}));
    let lineage: BTreeMap<String, Lineage> = serde_json::from_value(json!({
        "parent_code": {"source_system": "oracle", "source_id": "V-77", "rule": "most_recent"}
    }))
    .unwrap();
    let members = [
        MemberKey {
            source_system: "sap",
            source_id: "1",
            active: true,
        },
        MemberKey {
            source_system: "oracle",
            source_id: "V-77",
            active: true,
        },
        MemberKey {
            source_system: "infor",
            source_id: "9",
            active: false,
        },
    ];
    let keys = parent_keys(&values, &lineage, &members);
    let keys: Vec<(&str, &str)> = keys
        .iter()
        .map(|k| (k.source_system.as_str(), k.source_id.as_str()))
        .collect();
    assert_eq!(keys, [("oracle", "P-1"), ("sap", "P-1")]);
    assert!(parent_keys(&fields(json!({})), &lineage, &members).is_empty());
}

#[test]
fn disclosure_shows_values_and_leaves_out_what_the_caller_may_not_see() {
    let domain = vendor();
    let field = domain.field("tax_id").unwrap();
    let all = Mask::none();
    assert_eq!(
        disclose::disclose(field, &json!(" 12-3456789 "), &all),
        Some("12-3456789".into())
    );
    assert_eq!(disclose::disclose(field, &json!(""), &all), None);
    assert_eq!(
        disclose::disclose(field, &json!(42), &all),
        Some("42".into())
    );
    assert_eq!(disclose::disclose(field, &Value::Null, &all), None);
    // A caller without the sensitive role: the tax ID is left out, the name is not.
    let masked = Mask::of(&domain);
    assert_eq!(
        disclose::disclose(field, &json!("12-3456789"), &masked),
        None
    );
    let name = domain.field("name").unwrap();
    assert_eq!(
        disclose::disclose(name, &json!("Acme"), &masked),
        Some("Acme".into())
    );
}
