//! Claims: who has a proposal and until when; the queue filters by claim; deciding another
//! steward's claimed proposal needs `force`; claims lapse on the (test) clock.

use std::time::Duration;

use golden::auth::Role;
use serde_json::json;

use super::{open_three, queue};
use crate::helpers::{TestApp, spawn_with_clock};

fn ids_of(app: &TestApp, extra: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = queue(app, extra)
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn a_claim_shows_who_has_it_filters_the_queue_and_guards_decisions() {
    let (app, clock) = spawn_with_clock();
    let alice = app.token_as("alice", &[Role::Steward], &[]);
    let bob = app.token_as("bob", &[Role::Steward], &[]);
    let ids = open_three(&app);

    let (status, claimed) = app.post(
        &format!("/v1/proposals/{}/claim", ids[0]),
        Some(&alice),
        &json!(null),
    );
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["claim"]["by"], "alice");
    let until =
        chrono::DateTime::parse_from_rfc3339(claimed["claim"]["until"].as_str().unwrap()).unwrap();
    assert_eq!(until, clock.now() + chrono::Duration::minutes(30));

    // The proposal and the queue show who has it; the queue filters by claim.
    let (_, detail) = app.get(&format!("/v1/proposals/{}", ids[0]), Some(&bob));
    assert_eq!(detail["claim"]["by"], "alice", "{detail}");
    let path = |who: &str| format!("/v1/vendor/proposals?claimed_by={who}");
    let (_, mine) = app.get(&path("me"), Some(&alice));
    let mine: Vec<i64> = mine["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine, [ids[0]]);
    let (_, bobs) = app.get(&path("me"), Some(&bob));
    assert_eq!(bobs["total"], 0, "{bobs}");
    assert_eq!(ids_of(&app, "&claimed_by=none"), [ids[1], ids[2]]);
    assert_eq!(ids_of(&app, "&claimed_by=alice"), [ids[0]]);

    // Bob may neither claim nor decide it without force; alone or in bulk.
    let (status, body) = app.post(
        &format!("/v1/proposals/{}/claim", ids[0]),
        Some(&bob),
        &json!({}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "claimed", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("claimed by alice"),
        "{body}"
    );
    let (status, body) = app.post(
        &format!("/v1/proposals/{}/approve", ids[0]),
        Some(&bob),
        &json!({}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("force"),
        "{body}"
    );
    let (_, bulk) = app.post(
        "/v1/proposals/decide",
        Some(&bob),
        &json!([{"id": ids[0], "action": "reject"}]),
    );
    assert_eq!(bulk["results"][0]["status"], 409, "{bulk}");
    assert_eq!(bulk["results"][0]["failure"]["error"], "claimed", "{bulk}");
    let (status, body) = app.post(
        &format!("/v1/proposals/{}/release", ids[0]),
        Some(&bob),
        &json!({}),
    );
    assert_eq!(status, 409, "{body}");

    // Alice decides her own claim; the claim goes with the decision.
    let (status, decided) = app.post(
        &format!("/v1/proposals/{}/reject", ids[0]),
        Some(&alice),
        &json!({}),
    );
    assert_eq!(status, 200, "{decided}");
    assert!(decided["claim"].is_null(), "{decided}");
    let (status, _) = app.post(
        &format!("/v1/proposals/{}/claim", ids[0]),
        Some(&bob),
        &json!({}),
    );
    assert_eq!(status, 409, "a decided proposal cannot be claimed");

    // Bob forces a decision over alice's claim on another one; the audit says so.
    let (status, _) = app.post(
        &format!("/v1/proposals/{}/claim", ids[1]),
        Some(&alice),
        &json!({}),
    );
    assert_eq!(status, 200);
    let (status, body) = app.post(
        &format!("/v1/proposals/{}/approve", ids[1]),
        Some(&bob),
        &json!({"force": true}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decided_by"], "bob");

    // A claim taken over with force is audited with whose it was.
    let (status, _) = app.post(
        &format!("/v1/proposals/{}/claim", ids[2]),
        Some(&alice),
        &json!({}),
    );
    assert_eq!(status, 200);
    let (status, taken) = app.post(
        &format!("/v1/proposals/{}/claim", ids[2]),
        Some(&bob),
        &json!({"force": true}),
    );
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["claim"]["by"], "bob");
    let (_, audit) = app.get(
        &format!("/v1/audit?entity_id={}&action=claim_proposal", ids[2]),
        Some(&bob),
    );
    let entry = &audit["entries"][0];
    assert_eq!(entry["actor"], "bob", "{audit}");
    assert_eq!(entry["reason"], "forced over the claim of alice", "{audit}");
    assert_eq!(entry["before"]["claimed_by"], "alice");
    assert_eq!(entry["after"]["claimed_by"], "bob");

    // Released, it is nobody's; claimed again and left, it lapses after 30 minutes.
    let (status, released) = app.post(
        &format!("/v1/proposals/{}/release", ids[2]),
        Some(&bob),
        &json!(null),
    );
    assert_eq!(status, 200, "{released}");
    assert!(released["claim"].is_null());
    assert_eq!(ids_of(&app, "&claimed_by=none"), [ids[2]]);
    let (status, _) = app.post(
        &format!("/v1/proposals/{}/claim", ids[2]),
        Some(&bob),
        &json!({}),
    );
    assert_eq!(status, 200);
    assert!(ids_of(&app, "&claimed_by=none").is_empty());
    clock.advance(Duration::from_secs(29 * 60));
    let (status, _) = app.post(
        &format!("/v1/proposals/{}/approve", ids[2]),
        Some(&alice),
        &json!({}),
    );
    assert_eq!(status, 409, "still bob's after 29 minutes");
    clock.advance(Duration::from_secs(2 * 60));
    assert_eq!(ids_of(&app, "&claimed_by=none"), [ids[2]]);
    let (_, detail) = app.get(&format!("/v1/proposals/{}", ids[2]), Some(&alice));
    assert!(
        detail["claim"].is_null(),
        "a lapsed claim is no claim: {detail}"
    );
    let (status, body) = app.post(
        &format!("/v1/proposals/{}/approve", ids[2]),
        Some(&alice),
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn claims_need_a_steward_and_an_open_proposal() {
    let (app, _clock) = spawn_with_clock();
    let reader = app.token(&[Role::Reader], &[]);
    let steward = app.token(&[Role::Steward], &[]);
    let (status, _) = app.post("/v1/proposals/1/claim", Some(&reader), &json!({}));
    assert_eq!(status, 403);
    let (status, body) = app.post("/v1/proposals/424242/claim", Some(&steward), &json!({}));
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.post(
        "/v1/proposals/1/release",
        Some(&steward),
        &json!({"forse": true}),
    );
    assert_eq!(status, 400, "{body}");
}
