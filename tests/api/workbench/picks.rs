//! A merge may carry the steward's choice of values: each pick becomes an override of the
//! merged record, whose lineage says who chose it, when and why.

use golden::auth::Role;
use serde_json::{Value, json};

use super::{ingest, queue};
use crate::helpers::spawn_app;

#[test]
fn an_approval_with_field_picks_overrides_the_merged_record_with_lineage() {
    let app = spawn_app();
    let steward = app.token_as("erin", &[Role::Steward], &[]);
    ingest(
        &app,
        "sap",
        "1",
        json!({"name": "Contoso Surgical", "city": "Denver"}),
    );
    let pending = ingest(
        &app,
        "oracle",
        "9",
        json!({"name": "Contoso Surgical LLC", "city": "Aurora"}),
    );
    assert_eq!(pending["decision"], "proposed", "{pending}");
    let id = queue(&app, "")[0]["id"].as_i64().unwrap();
    let approve = format!("/v1/proposals/{id}/approve");

    // Picks are checked before anything changes: a field the domain lacks, a value its type
    // refuses, and picks on a rejection are each a 422.
    for (body, why) in [
        (json!({"picks": {"colour": "red"}}), "an undeclared field"),
        (json!({"picks": {"city": null}}), "a pick without a value"),
    ] {
        let (status, answer) = app.post(&approve, Some(&steward), &body);
        assert_eq!(status, 422, "{why}: {answer}");
    }
    let (status, answer) = app.post(
        &format!("/v1/proposals/{id}/reject"),
        Some(&steward),
        &json!({"picks": {"city": "Denver"}}),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(queue(&app, "").len(), 1, "the proposal is still open");

    let (status, decided) = app.post(
        &approve,
        Some(&steward),
        &json!({"comment": "Denver is the remit-to site", "picks": {"city": "Denver"}}),
    );
    assert_eq!(status, 200, "{decided}");
    let survivor = decided["golden_id"].as_str().unwrap();
    let reader = app.token(&[Role::Reader], &[]);
    let (status, golden) = app.get(&format!("/v1/vendor/golden/{survivor}"), Some(&reader));
    assert_eq!(status, 200, "{golden}");
    assert_eq!(golden["fields"]["city"], "Denver", "{golden}");
    let lineage = &golden["lineage"]["city"];
    assert_eq!(lineage["rule"], "override", "{lineage}");
    assert_eq!(lineage["overridden_by"], "erin", "{lineage}");
    assert_eq!(
        lineage["comment"], "Denver is the remit-to site",
        "{lineage}"
    );
    assert!(lineage["overridden_at"].is_string(), "{lineage}");
    // Fields nobody picked still come from survivorship.
    assert_ne!(golden["lineage"]["name"]["rule"], Value::from("override"));
}
