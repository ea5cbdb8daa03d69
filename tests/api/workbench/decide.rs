//! `POST /v1/proposals/decide`: one result per decision; a stale one fails alone.

use golden::auth::Role;
use serde_json::{Value, json};

use super::{open_three, proposal};
use crate::helpers::spawn_app;

#[test]
fn a_bulk_decision_answers_per_item_and_a_stale_one_fails_alone() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let ids = open_three(&app);
    let stale = proposal(&app, ids[2])["golden"]["version"]
        .as_i64()
        .unwrap()
        + 1;
    let decisions = json!([
        {"id": ids[0], "action": "approve", "comment": "same supplier"},
        {"id": ids[1], "action": "reject"},
        {"id": ids[2], "action": "approve", "golden_version": stale},
        {"id": 999_999, "action": "reject"},
    ]);
    let (status, body) = app.post("/v1/proposals/decide", Some(&steward), &decisions);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decided"], 2, "{body}");
    assert_eq!(body["failed"], 2, "{body}");
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<i64> = results
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 409, 404], "{body}");
    assert_eq!(results[0]["proposal"]["status"], "approved");
    assert_eq!(results[0]["proposal"]["comment"], "same supplier");
    assert_eq!(results[1]["proposal"]["status"], "rejected");
    assert_eq!(results[2]["failure"]["error"], "conflict");
    assert!(results[2]["proposal"].is_null());
    assert_eq!(results[3]["failure"]["error"], "not_found");

    // The stale one is still open; the decided ones stay decided and are audited.
    assert_eq!(proposal(&app, ids[2])["status"], "open");
    let again = json!([{"id": ids[0], "action": "reject"}]);
    let (status, body) = app.post("/v1/proposals/decide", Some(&steward), &again);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], 409, "{body}");
    for (id, action) in [(ids[0], "approve_proposal"), (ids[1], "reject_proposal")] {
        let (_, audit) = app.get(&format!("/v1/audit?entity_id={id}"), Some(&steward));
        let actions: Vec<&Value> = audit["entries"].as_array().unwrap().iter().collect();
        assert!(actions.iter().any(|e| e["action"] == action), "{audit}");
    }
}

#[test]
fn a_bulk_decision_is_refused_whole_when_empty_too_long_malformed_or_unauthorized() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let (status, body) = app.post("/v1/proposals/decide", Some(&steward), &json!([]));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("1 to 100"),
        "{body}"
    );
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"id": i, "action": "approve"}))
        .collect();
    let (status, body) = app.post("/v1/proposals/decide", Some(&steward), &json!(many));
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.post(
        "/v1/proposals/decide",
        Some(&steward),
        &json!([{"id": 1, "action": "maybe"}]),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "malformed_json");
    let reader = app.token(&[Role::Reader], &[]);
    let (status, _) = app.post("/v1/proposals/decide", Some(&reader), &json!([]));
    assert_eq!(status, 403);
}
