//! Queue rows say what each proposal is about: both sides' display names and key fields,
//! each marked as agreeing or not after standardization.

use golden::auth::Role;
use serde_json::{Value, json};

use super::{ingest, proposal, queue};
use crate::helpers::spawn_app;

fn marker(summary: &Value, field: &str) -> Value {
    summary["key_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["field"] == field)
        .map(|k| k["agree"].clone())
        .unwrap_or_else(|| panic!("no key field {field}: {summary}"))
}

#[test]
fn queue_rows_carry_both_sides_key_fields_with_agreement() {
    let app = spawn_app();
    ingest(
        &app,
        "sap",
        "1",
        json!({"name": "Contoso Surgical", "city": "DALLAS"}),
    );
    let pending = ingest(
        &app,
        "oracle",
        "9",
        json!({"name": "Contoso Surgical LLC", "city": "Dallas", "tax_id": "12-3456789"}),
    );
    assert_eq!(pending["decision"], "proposed", "{pending}");

    let rows = queue(&app, "");
    assert_eq!(rows.len(), 1);
    let summary = &rows[0]["summary"];
    assert_eq!(summary["golden_name"], "Contoso Surgical LLC", "{summary}");
    assert_eq!(summary["other_name"], "Contoso Surgical", "{summary}");
    let fields: Vec<&str> = summary["key_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "tax_id", "city"]);
    assert_eq!(
        marker(summary, "city"),
        true,
        "DALLAS and Dallas agree: {summary}"
    );
    assert_eq!(
        marker(summary, "tax_id"),
        Value::Null,
        "one side has none: {summary}"
    );
    let tax = &summary["key_fields"][1];
    // A steward without the sensitive role sees the tax ID masked (see masking.rs).
    assert_eq!(tax["golden"], "••••••6789");
    assert!(tax["other"].is_null());

    // The proposal read alone carries the same summary, and every field's agreement after
    // standardization, which the console marks instead of comparing the raw text.
    let id = rows[0]["id"].as_i64().unwrap();
    let detail = proposal(&app, id);
    assert_eq!(detail["summary"], *summary);
    let agree = &detail["fields_agree"];
    assert_eq!(agree["city"], true, "{agree}");
    assert_eq!(
        agree["name"], true,
        "the legal form is not a difference: {agree}"
    );
    assert_eq!(agree["tax_id"], Value::Null, "{agree}");
    assert!(agree.get("gln").is_none(), "neither side has one: {agree}");

    // A domain's key fields come from its rule file.
    let reader = app.token(&[Role::Reader], &[]);
    let (status, domains) = app.get("/v1/domains", Some(&reader));
    assert_eq!(status, 200);
    let item = domains["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "item")
        .cloned()
        .unwrap_or_else(|| panic!("{domains}"));
    assert_eq!(
        item["key_fields"],
        json!(["description", "manufacturer_part_number", "gtin"])
    );
}
