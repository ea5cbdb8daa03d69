//! The single-key crosswalk answers from memory: after every kind of change it must say what
//! the database says (the record view and the reverse lookup read the database), and a
//! restart, which loads the cache afresh, must answer the same.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, vendor};

const KEYS: [(&str, &str); 4] = [("sap", "1"), ("oracle", "1"), ("sap", "2"), ("ariba", "7")];

fn ingest(app: &TestApp, record: Value) -> String {
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "ariba"]);
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &record);
    assert_eq!(status, 200, "{body}");
    body["results"][0]["golden_id"].as_str().unwrap().to_owned()
}

fn version(app: &TestApp, golden_id: &str) -> i64 {
    let reader = app.token(&[Role::Reader], &[]);
    let (status, view) = app.get(&format!("/v1/vendor/golden/{golden_id}"), Some(&reader));
    assert_eq!(status, 200, "{view}");
    view["version"].as_i64().unwrap()
}

/// Every key's crosswalk answer, checked against the database's view of it.
fn answers(app: &TestApp) -> Vec<Value> {
    let reader = app.token(&[Role::Reader], &[]);
    let mut out = Vec::new();
    for (system, id) in KEYS {
        let (status, entry) = app.get(
            &format!("/v1/crosswalk/vendor/{system}/{id}"),
            Some(&reader),
        );
        let (record_status, record) =
            app.get(&format!("/v1/vendor/records/{system}/{id}"), Some(&reader));
        assert_eq!(status, record_status, "{system}/{id}: {entry}");
        if status == 404 {
            out.push(entry["error"].clone());
            continue;
        }
        let golden_id = record["golden_id"].as_str().unwrap();
        let (_, reverse) = app.get(
            &format!("/v1/crosswalk/vendor?golden_id={golden_id}"),
            Some(&reader),
        );
        let expected = json!({
            "domain": "vendor", "source_system": system, "source_id": id,
            "golden_id": golden_id, "record_status": record["status"],
            "members": reverse["members"],
        });
        assert_eq!(entry, expected, "{system}/{id}");
        out.push(entry);
    }
    out
}

#[test]
fn the_cached_crosswalk_says_what_the_database_says_after_every_change() {
    let app = spawn_app();
    let steward = app.token(&[Role::Steward], &[]);
    let acme = json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789"});
    assert_eq!(answers(&app)[0], "not_found");

    let g1 = ingest(&app, vendor("sap", "1", acme.clone()));
    assert_eq!(ingest(&app, vendor("oracle", "1", acme)), g1);
    let g2 = ingest(
        &app,
        vendor("sap", "2", json!({"name": "Baxter Healthcare"})),
    );
    answers(&app);

    // A merge by hand moves sap/2 under g1 and retires g2.
    let body = json!({"other_golden_id": g2, "version": version(&app, &g1),
                      "other_version": version(&app, &g2)});
    let (status, merged) = app.post(
        &format!("/v1/vendor/golden/{g1}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    assert_eq!(answers(&app)[2]["members"].as_array().unwrap().len(), 3);

    // A split moves oracle/1 out into a new golden record.
    let body = json!({"records": [{"source_system": "oracle", "source_id": "1"}],
                      "version": version(&app, &g1)});
    let (status, split) = app.post(
        &format!("/v1/vendor/golden/{g1}/split"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{split}");
    let after_split = answers(&app);
    assert_ne!(after_split[1]["golden_id"], g1.as_str());

    // A retirement changes the record's status, and a new record appears.
    let sap = app.token(&[Role::Ingest], &["sap"]);
    let (status, body) = app.delete("/v1/vendor/records/sap/2", Some(&sap));
    assert_eq!(status, 200, "{body}");
    ingest(
        &app,
        vendor("ariba", "7", json!({"name": "Contoso Surgical"})),
    );
    let before = answers(&app);
    assert_eq!(before[2]["record_status"], "retired");

    // A restart loads the cache from the database: the same answers.
    let app = app.restart();
    assert_eq!(answers(&app), before);
}
