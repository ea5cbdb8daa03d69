//! Stewardship end to end: proposals decided, golden records merged, split and overridden,
//! every step checked through the crosswalk, the golden record and the change feed.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_with_clock, vendor};

fn ingest(app: &TestApp, record: Value) -> Value {
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "ariba"]);
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &record);
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

fn golden_of(app: &TestApp, system: &str, id: &str) -> String {
    let reader = app.token(&[Role::Reader], &[]);
    let (status, entry) = app.get(
        &format!("/v1/crosswalk/vendor/{system}/{id}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{entry}");
    entry["golden_id"].as_str().unwrap().to_owned()
}

fn golden(app: &TestApp, id: &str) -> Value {
    let reader = app.token(&[Role::Reader], &[]);
    let (status, view) = app.get(&format!("/v1/vendor/golden/{id}"), Some(&reader));
    assert_eq!(status, 200, "{view}");
    view
}

fn open_proposals(app: &TestApp) -> Vec<Value> {
    let steward = app.token(&[Role::Steward], &[]);
    let (status, page) = app.get("/v1/vendor/proposals?status=open&limit=500", Some(&steward));
    assert_eq!(status, 200, "{page}");
    page["proposals"].as_array().unwrap().clone()
}

fn proposal_between(app: &TestApp, a: &str, b: &str) -> Option<Value> {
    open_proposals(app).into_iter().find(|p| {
        (p["golden_id"] == a && p["other_golden_id"] == b)
            || (p["golden_id"] == b && p["other_golden_id"] == a)
    })
}

fn version(view: &Value) -> i64 {
    view["version"].as_i64().unwrap()
}

fn acme(system: &str, id: &str, name: &str, phone: &str) -> Value {
    vendor(
        system,
        id,
        json!({"name": name, "city": "Chicago", "phone": phone}),
    )
}

/// Golden records b (sap 2) and c (sap 3), and p (oracle 9), whose record is proposed against
/// b's; their IDs.
fn contoso_pending_against_b(app: &TestApp) -> [String; 3] {
    let b = ingest(app, vendor("sap", "2", json!({"name": "Contoso Surgical"})));
    let c = ingest(app, vendor("sap", "3", json!({"name": "Fabrikam Linen"})));
    let pending = ingest(
        app,
        vendor("oracle", "9", json!({"name": "Contoso Surgical LLC"})),
    );
    assert_eq!(pending["decision"], "proposed", "{pending}");
    let ids = [b, c, pending].map(|v| v["golden_id"].as_str().unwrap().to_owned());
    assert!(proposal_between(app, &ids[0], &ids[2]).is_some());
    ids
}

#[test]
fn the_whole_stewardship_story_replays_from_the_feed() {
    let (app, clock) = spawn_with_clock();
    let steward = app.token(&[Role::Steward], &[]);

    // Two sources send a near-duplicate vendor: a proposal opens with its explanation.
    let first = ingest(&app, acme("sap", "1", "Acme Medical Supply Inc", ""));
    let second = ingest(&app, acme("oracle", "A1", "ACME MEDICAL SUPPLY", ""));
    assert_eq!(first["decision"], "new");
    assert_eq!(second["decision"], "proposed", "{second}");
    let (g1, g2) = (
        first["golden_id"].as_str().unwrap().to_owned(),
        second["golden_id"].as_str().unwrap().to_owned(),
    );
    let proposal = proposal_between(&app, &g1, &g2).expect("a proposal pairs the two");
    let pid = proposal["id"].as_i64().unwrap();
    let (status, detail) = app.get(&format!("/v1/proposals/{pid}"), Some(&steward));
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["golden"]["golden_id"], g2.as_str());
    assert_eq!(detail["other"]["golden_id"], g1.as_str());
    assert_eq!(detail["other"]["fields"]["name"], "Acme Medical Supply Inc");
    assert!(
        !detail["explanation"]["evidence"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A decision based on a stale view of either record is refused.
    let stale = json!({"golden_version": version(&golden(&app, &g2)) + 1});
    let (status, body) = app.post(
        &format!("/v1/proposals/{pid}/approve"),
        Some(&steward),
        &stale,
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");

    clock.advance(std::time::Duration::from_secs(1));
    let before_merge = clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    clock.advance(std::time::Duration::from_secs(1));

    // The steward approves: both source IDs resolve to the first golden ID, the other
    // redirects to it.
    let (status, decided) = app.post(
        &format!("/v1/proposals/{pid}/approve"),
        Some(&steward),
        &json!({"comment": "same supplier"}),
    );
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], "tester");
    assert_eq!(decided["comment"], "same supplier");
    assert_eq!(golden_of(&app, "sap", "1"), g1);
    assert_eq!(golden_of(&app, "oracle", "A1"), g1);
    let redirected = golden(&app, &g2);
    assert_eq!(redirected["golden_id"], g1.as_str());
    assert_eq!(redirected["redirected_from"], g2.as_str());
    assert_eq!(redirected["members"].as_array().unwrap().len(), 2);
    let (status, _) = app.post(
        &format!("/v1/proposals/{pid}/reject"),
        Some(&steward),
        &json!({}),
    );
    assert_eq!(status, 409, "a decided proposal stays decided");

    // Point in time: before the merge, the Oracle record had its own golden record.
    let reader = app.token(&[Role::Reader], &[]);
    let as_of = before_merge.replace('+', "%2B");
    let (status, past) = app.get(
        &format!("/v1/crosswalk/vendor/oracle/A1?as_of={as_of}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["golden_id"], g2.as_str());
    let (status, past) = app.get(
        &format!("/v1/vendor/golden/{g2}?as_of={as_of}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["golden_id"], g2.as_str());
    assert_eq!(past["status"], "active");
    assert!(past["redirected_from"].is_null(), "{past}");
    assert_eq!(past["members"].as_array().unwrap().len(), 1);
    let (status, _) = app.get(
        &format!("/v1/vendor/golden/{g2}?as_of=yesterday"),
        Some(&reader),
    );
    assert_eq!(status, 400);

    // The approval is audited with who, why, before and after.
    let (status, audit) = app.get(&format!("/v1/audit?entity_id={pid}"), Some(&steward));
    assert_eq!(status, 200, "{audit}");
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "approve_proposal");
    assert_eq!(entry["actor"], "tester");
    assert_eq!(entry["reason"], "same supplier");
    assert_eq!(entry["before"]["golden"]["golden_id"], g2.as_str());
    assert_eq!(entry["after"]["members"].as_array().unwrap().len(), 2);
    assert!(entry["request_id"].is_string());

    // A split undoes it, into a new golden ID (IDs are never reused); a stale version is 409.
    let merged = golden(&app, &g1);
    let split = json!({"records": [{"source_system": "oracle", "source_id": "A1"}],
                       "version": version(&merged) - 1, "comment": "different branch"});
    let split_path = format!("/v1/vendor/golden/{g1}/split");
    let (status, body) = app.post(&split_path, Some(&steward), &split);
    assert_eq!(status, 409, "{body}");
    let split = json!({"records": [{"source_system": "oracle", "source_id": "A1"}],
                       "version": version(&merged), "comment": "different branch"});
    let (status, result) = app.post(&split_path, Some(&steward), &split);
    assert_eq!(status, 200, "{result}");
    let g3 = result["split_into"]["golden_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(g3 != g1 && g3 != g2, "{g3} is a new ID");
    assert_eq!(golden_of(&app, "oracle", "A1"), g3);
    assert_eq!(golden_of(&app, "sap", "1"), g1);
    assert_eq!(result["golden"]["members"].as_array().unwrap().len(), 1);
    assert_eq!(
        golden(&app, &g2)["golden_id"],
        g1.as_str(),
        "still redirects"
    );

    // The golden record's own trail: the decision on its proposal and its split, newest first.
    let (status, trail) = app.get(&format!("/v1/audit?golden_id={g1}"), Some(&steward));
    assert_eq!(status, 200, "{trail}");
    let actions: Vec<(&str, &str)> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["entity_id"].as_str().unwrap(),
            )
        })
        .collect();
    let pid_text = pid.to_string();
    assert_eq!(
        actions,
        [
            ("split", g1.as_str()),
            ("approve_proposal", pid_text.as_str())
        ],
        "{trail}"
    );
    let (_, trail) = app.get(&format!("/v1/audit?golden_id={g3}"), Some(&steward));
    assert_eq!(trail["entries"].as_array().unwrap().len(), 0, "{trail}");

    // A split remembers that the records differ: an update doesn't bring them back together.
    let updated = ingest(
        &app,
        acme("oracle", "A1", "ACME MEDICAL SUPPLY", "312-555-0100"),
    );
    assert_eq!(updated["golden_id"], g3.as_str(), "{updated}");
    assert!(proposal_between(&app, &g1, &g3).is_none());

    // A third source's near duplicate is proposed against the first; a reject is remembered
    // and never proposed again, even when the record changes and is matched anew.
    let third = ingest(
        &app,
        acme("ariba", "X9", "Acme Medical Supply Incorporated", ""),
    );
    assert_eq!(third["decision"], "proposed", "{third}");
    let g4 = third["golden_id"].as_str().unwrap().to_owned();
    let rejected = proposal_between(&app, &g1, &g4).expect("proposed against the first");
    let rid = rejected["id"].as_i64().unwrap();
    let (status, body) = app.post(
        &format!("/v1/proposals/{rid}/reject"),
        Some(&steward),
        &json!({"comment": "a different company"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "rejected");
    let resent = ingest(
        &app,
        acme("ariba", "X9", "Acme Medical Supply Inc.", "312-555-0199"),
    );
    assert_eq!(resent["golden_id"], g4.as_str(), "{resent}");
    assert!(
        proposal_between(&app, &g1, &g4).is_none(),
        "a rejected pair is never proposed again"
    );

    // The change feed replays every step, in order, with no gap.
    let (status, feed) = app.get("/v1/events?after=0&limit=1000", Some(&reader));
    assert_eq!(status, 200, "{feed}");
    let events = feed["events"].as_array().unwrap();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(
            event["seq"].as_i64().unwrap(),
            i as i64 + 1,
            "no gap at {event}"
        );
    }
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            let status = e["data"]["status"].as_str().unwrap_or_default();
            match e["kind"].as_str().unwrap() {
                "proposal.decided" => format!("proposal.decided:{status}"),
                kind => kind.to_owned(),
            }
        })
        .collect();
    let story = [
        "proposal.opened",
        "proposal.decided:approved",
        "golden.merged",
        "golden.split",
        "record.updated",
        "proposal.opened",
        "proposal.decided:rejected",
        "record.updated",
    ];
    let mut at = 0;
    for step in story {
        let found = kinds[at..].iter().position(|k| k == step);
        at += found.unwrap_or_else(|| panic!("{step} missing after event {at}: {kinds:?}")) + 1;
    }
    let merge = events
        .iter()
        .find(|e| e["kind"] == "golden.merged")
        .unwrap();
    assert_eq!(merge["data"]["golden_id"], g1.as_str());
    assert_eq!(merge["data"]["merged_golden_id"], g2.as_str());
    let split = events.iter().find(|e| e["kind"] == "golden.split").unwrap();
    assert_eq!(split["data"]["new_golden_id"], g3.as_str());
}

#[test]
fn a_merge_by_hand_redirects_through_chains_and_carries_open_proposals() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let a = ingest(
        &app,
        vendor("sap", "1", json!({"name": "Northwind Traders"})),
    );
    let ga = a["golden_id"].as_str().unwrap().to_owned();
    let [gb, gc, gp] = contoso_pending_against_b(&app);

    // b merges into a: b's open proposal is superseded and re-opened against a.
    let body = json!({"other_golden_id": gb, "version": version(&golden(&app, &ga))});
    let (status, merged) = app.post(
        &format!("/v1/vendor/golden/{ga}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["members"].as_array().unwrap().len(), 2);
    assert!(proposal_between(&app, &gb, &gp).is_none());
    let carried = proposal_between(&app, &ga, &gp).expect("re-opened against the survivor");
    assert!(carried["explanation"]["evidence"].is_array());

    // a merges into c: b now redirects (in one step) to c.
    let body = json!({"other_golden_id": ga, "version": version(&golden(&app, &gc)),
                      "other_version": version(&golden(&app, &ga))});
    let (status, _) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200);
    for retired in [&ga, &gb] {
        let view = golden(&app, retired);
        assert_eq!(view["golden_id"], gc.as_str());
        assert_eq!(view["redirected_from"], retired.as_str());
    }
    assert_eq!(golden_of(&app, "sap", "2"), gc);

    // Acting on a retired ID, merging a record with itself, or an unknown ID are refused.
    let body = json!({"other_golden_id": gp, "version": 1});
    let (status, _) = app.post(
        &format!("/v1/vendor/golden/{ga}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 409);
    let body = json!({"other_golden_id": gc, "version": 1});
    let (status, _) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 422);
    let body = json!({"other_golden_id": "V99999999", "version": 1});
    let (status, _) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 404);

    // Readers and ingesters may not curate; the refusal is a 403.
    let reader = app.token(&[Role::Reader], &[]);
    let body = json!({"other_golden_id": gp, "version": 1});
    let (status, _) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&reader),
        &body,
    );
    assert_eq!(status, 403);
}

#[test]
fn survivorship_follows_the_rules_shows_lineage_and_an_override_wins() {
    let app = spawn_app();
    // Overrides the tax ID, a sensitive field.
    let steward = app.token(&[Role::Steward, Role::Sensitive], &[]);
    // Same tax ID: the three auto-link into one golden record.
    let records = [
        ("sap", "1", "Initech Medical", "12-3456789"),
        ("oracle", "2", "Initech Medical Inc", "12-3456789"),
        ("ariba", "3", "INITECH MEDICAL INC", "123456789"),
    ];
    let mut gid = String::new();
    for (system, id, name, tax_id) in records {
        let body = vendor(
            system,
            id,
            json!({"name": name, "tax_id": tax_id,
                                               "city": "Austin", "country": "US"}),
        );
        let result = ingest(&app, body);
        gid = result["golden_id"].as_str().unwrap().to_owned();
    }
    let view = golden(&app, &gid);
    assert_eq!(view["members"].as_array().unwrap().len(), 3, "{view}");
    // name: most recent, spelled as a member writes it in mixed case rather than in the
    // latest member's capitals; tax_id: most frequent (both spellings count as one value).
    assert_eq!(view["fields"]["name"], "Initech Medical Inc");
    assert_eq!(view["lineage"]["name"]["rule"], "most_recent");
    assert_eq!(view["lineage"]["name"]["source_system"], "oracle");
    assert_eq!(view["lineage"]["tax_id"]["rule"], "most_frequent");

    // An override wins and says who set it; a stale version is refused; removing it restores
    // the rule's choice.
    let path = format!("/v1/vendor/golden/{gid}/override");
    let body = json!({"field": "name", "value": "Initech Medical, Inc.",
                      "version": version(&view), "comment": "legal name"});
    let (status, overridden) = app.post(&path, Some(&steward), &body);
    assert_eq!(status, 200, "{overridden}");
    assert_eq!(overridden["fields"]["name"], "Initech Medical, Inc.");
    assert_eq!(overridden["lineage"]["name"]["rule"], "override");
    assert_eq!(overridden["lineage"]["name"]["overridden_by"], "tester");
    let (status, _) = app.post(&path, Some(&steward), &body);
    assert_eq!(status, 409, "the version moved on");

    // A new member doesn't displace the override.
    ingest(
        &app,
        vendor(
            "sap",
            "4",
            json!({"name": "Initech", "tax_id": "12-3456789"}),
        ),
    );
    let current = golden(&app, &gid);
    assert_eq!(current["fields"]["name"], "Initech Medical, Inc.");

    // Bad overrides are precise 4xx.
    let bad = json!({"field": "tax_id", "value": "not a tax id", "version": version(&current)});
    let (status, body) = app.post(&path, Some(&steward), &bad);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"][0]["field"], "tax_id");
    let unknown = json!({"field": "colour", "value": "red", "version": version(&current)});
    assert_eq!(app.post(&path, Some(&steward), &unknown).0, 422);

    let remove = json!({"field": "name", "value": null, "version": version(&current)});
    let (status, restored) = app.post(&path, Some(&steward), &remove);
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["fields"]["name"], "Initech");
    assert_eq!(restored["lineage"]["name"]["rule"], "most_recent");
}

#[test]
fn a_split_takes_along_the_open_proposals_its_records_opened() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let [gb, gc, gp] = contoso_pending_against_b(&app);

    // A steward wrongly puts the pending record with c: its proposal follows it there.
    let body = json!({"other_golden_id": gp, "version": version(&golden(&app, &gc))});
    let (status, merged) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    assert!(proposal_between(&app, &gc, &gb).is_some());

    // Split out again, the record takes its proposal along; c keeps none.
    let split = json!({"records": [{"source_system": "oracle", "source_id": "9"}],
                       "version": version(&golden(&app, &gc))});
    let (status, result) = app.post(
        &format!("/v1/vendor/golden/{gc}/split"),
        Some(&steward),
        &split,
    );
    assert_eq!(status, 200, "{result}");
    let gn = result["split_into"]["golden_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        proposal_between(&app, &gc, &gb).is_none(),
        "{:?}",
        open_proposals(&app)
    );
    let moved = proposal_between(&app, &gn, &gb).expect("re-opened with the split record");
    assert_eq!(moved["golden_id"], gn.as_str(), "{moved}");
    assert_eq!(moved["record"]["source_id"], "9", "{moved}");
    assert!(moved["explanation"]["evidence"].is_array());
    assert_eq!(open_proposals(&app).len(), 1);
}

#[test]
fn a_decision_without_versions_is_refused_when_a_record_changed_since_the_proposal() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let [gb, _, gp] = contoso_pending_against_b(&app);
    let proposal = proposal_between(&app, &gb, &gp).unwrap();
    let id = proposal["id"].as_i64().unwrap();
    // The proposal carries the versions it was made against.
    let (left, right) = (
        proposal["golden_id"].as_str().unwrap().to_owned(),
        proposal["other_golden_id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(proposal["golden_version"], version(&golden(&app, &left)));
    assert_eq!(proposal["other_version"], version(&golden(&app, &right)));

    // Someone overrides a field of one side meanwhile.
    let body = json!({"field": "city", "value": "Boston", "version": version(&golden(&app, &gb))});
    let (status, changed) = app.post(
        &format!("/v1/vendor/golden/{gb}/override"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{changed}");

    for verdict in ["approve", "reject"] {
        let (status, body) = app.post(
            &format!("/v1/proposals/{id}/{verdict}"),
            Some(&steward),
            &json!({"comment": "looks the same"}),
        );
        assert_eq!(status, 409, "{verdict}: {body}");
        assert_eq!(body["error"], "conflict");
        assert!(
            body["message"].as_str().unwrap().contains("changed since"),
            "{body}"
        );
    }
    // Nothing was merged.
    assert_ne!(golden_of(&app, "sap", "2"), golden_of(&app, "oracle", "9"));

    // Naming the versions now seen is a decision about what the steward saw.
    let body = json!({
        "golden_version": version(&golden(&app, &left)),
        "other_version": version(&golden(&app, &right)),
    });
    let (status, decided) = app.post(
        &format!("/v1/proposals/{id}/approve"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{decided}");
    assert_eq!(golden_of(&app, "sap", "2"), golden_of(&app, "oracle", "9"));
}

#[test]
fn a_re_opened_proposal_carries_the_versions_of_its_new_pair() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let [gb, gc, gp] = contoso_pending_against_b(&app);
    let body = json!({"other_golden_id": gp, "version": version(&golden(&app, &gc))});
    let (status, merged) = app.post(
        &format!("/v1/vendor/golden/{gc}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    let moved = proposal_between(&app, &gc, &gb).expect("re-opened against the survivor");
    let left = moved["golden_id"].as_str().unwrap();
    let right = moved["other_golden_id"].as_str().unwrap();
    assert_eq!(moved["golden_version"], version(&golden(&app, left)));
    assert_eq!(moved["other_version"], version(&golden(&app, right)));
    // Nothing changed since it was re-opened: a decision without versions goes through.
    let id = moved["id"].as_i64().unwrap();
    let (status, body) = app.post(
        &format!("/v1/proposals/{id}/reject"),
        Some(&steward),
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
}
