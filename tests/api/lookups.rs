use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use diesel::prelude::*;
use golden::auth::Role;
use golden::store::Store;
use golden::store::schema::golden_records;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_with_clock, vendor};

/// A made-up company name for `n`: distinct words, so generated vendors do not match.
fn company(n: usize) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu", "gra", "den", "fol", "hix",
        "jup", "qua", "wen", "yor", "bel", "cet",
    ];
    let word = |k: usize| {
        let s = |i: usize| SYLLABLES[(k / 20usize.pow(i as u32)) % 20];
        format!("{}{}{}", s(0), s(1), s(2))
    };
    format!("{} {} Supply", word(n), word(n * 7 + 3))
}

/// Ingests `count` unrelated vendors of system `erp` (IDs `E0`..) and returns their golden IDs.
fn ingest_vendors(app: &TestApp, count: usize) -> Vec<String> {
    let token = app.token(&[Role::Ingest], &["erp"]);
    let mut golden_ids = Vec::with_capacity(count);
    let ids: Vec<usize> = (0..count).collect();
    for batch in ids.chunks(500) {
        let records: Vec<Value> = batch
            .iter()
            .map(|&i| {
                vendor(
                    "erp",
                    &format!("E{i}"),
                    json!({"name": company(i), "tax_id": format!("{:09}", 100_000_000 + i * 7919)}),
                )
            })
            .collect();
        let (status, body) = app.post("/v1/vendor/records", Some(&token), &json!(records));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["summary"]["rejected"], 0, "{body}");
        golden_ids.extend(
            body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["golden_id"].as_str().unwrap().to_owned()),
        );
    }
    golden_ids
}

fn key(system: &str, id: &str) -> Value {
    json!({"source_system": system, "source_id": id})
}

/// A GET whose body is not JSON: status, content type, text.
fn get_text(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let response = ureq::get(&format!("{}{}", app.base, path))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let content_type = response.header("Content-Type").unwrap_or("").to_owned();
    (
        response.status(),
        content_type,
        response.into_string().unwrap(),
    )
}

#[test]
fn a_thousand_keys_are_looked_up_in_one_call_and_exported_as_a_stream() {
    let app = spawn_app();
    let golden_ids = ingest_vendors(&app, 1_000);
    let reader = app.token(&[Role::Reader], &[]);

    let mut keys: Vec<Value> = (0..1_000).map(|i| key("erp", &format!("E{i}"))).collect();
    keys.insert(10, key("erp", "missing"));
    keys.insert(500, key("other", "E1"));
    let (status, body) = app.post(
        "/v1/crosswalk/vendor/lookup",
        Some(&reader),
        &json!({"keys": keys}),
    );
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1_002);
    assert_eq!(
        results[10],
        json!({"source_system": "erp", "source_id": "missing", "found": false})
    );
    assert_eq!(results[500]["found"], false);
    let found: Vec<&Value> = results.iter().filter(|r| r["found"] == true).collect();
    assert_eq!(found.len(), 1_000);
    for (i, result) in found.iter().enumerate() {
        assert_eq!(result["source_id"], format!("E{i}"));
        assert_eq!(result["golden_id"], golden_ids[i].as_str());
        assert_eq!(result["record_status"], "active");
    }

    let (status, content_type, csv) =
        get_text(&app, "/v1/crosswalk/vendor/export?format=csv", &reader);
    assert_eq!((status, content_type.as_str()), (200, "text/csv"));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("source_system,source_id,golden_id,record_status")
    );
    assert_eq!(lines.count(), 1_000);
    let (status, content_type, ndjson) = get_text(&app, "/v1/crosswalk/vendor/export", &reader);
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/x-ndjson")
    );
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1_000);
    assert_eq!(rows[999]["golden_id"], golden_ids[999].as_str());
}

#[test]
fn batch_lookups_refuse_bad_requests_precisely() {
    let app = spawn_app();
    let reader = app.token(&[Role::Reader], &[]);
    let path = "/v1/crosswalk/vendor/lookup";

    let too_many: Vec<Value> = (0..5_001).map(|i| key("erp", &i.to_string())).collect();
    let (status, body) = app.post(path, Some(&reader), &json!({"keys": too_many}));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(body["message"].as_str().unwrap().contains("5000"), "{body}");

    let (status, body) = app.post(path, Some(&reader), &json!({"keys": []}));
    assert_eq!(status, 400, "{body}");

    let (status, body) = app.post(
        path,
        Some(&reader),
        &json!({"keys": [key("erp", "1")], "as_of": "yesterday"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("as_of"),
        "{body}"
    );

    let (status, body) = app.post(path, Some(&reader), &json!({"keys": [], "limit": 3}));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("malformed_json"))
    );
    let (status, body) = app.post_raw(path, &reader, "application/json", b"{\"keys\": [");
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("malformed_json"))
    );

    let (status, body) = app.post(
        "/v1/crosswalk/supplier/lookup",
        Some(&reader),
        &json!({"keys": [key("erp", "1")]}),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("unknown_domain"))
    );
    let ingest = app.token(&[Role::Ingest], &["erp"]);
    let (status, _) = app.post(path, Some(&ingest), &json!({"keys": [key("erp", "1")]}));
    assert_eq!(status, 403);

    let (status, body) = app.get("/v1/crosswalk/vendor/export?format=xml", Some(&reader));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query"))
    );
}

#[test]
fn a_golden_id_lists_its_members_and_a_merged_one_redirects() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    let oracle = app.token(&[Role::Ingest], &["oracle"]);
    let reader = app.token(&[Role::Reader], &[]);
    let acme = json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789"});
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&sap),
        &vendor("sap", "100234", acme.clone()),
    );
    let survivor = body["results"][0]["golden_id"].as_str().unwrap().to_owned();
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&oracle),
        &vendor("oracle", "V-77", acme),
    );
    assert_eq!(body["results"][0]["golden_id"], survivor.as_str(), "{body}");
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&sap),
        &vendor("sap", "200", json!({"name": "Baxter Healthcare"})),
    );
    let merged = body["results"][0]["golden_id"].as_str().unwrap().to_owned();

    let (status, body) = app.get(
        &format!("/v1/crosswalk/vendor?golden_id={survivor}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"golden_id": survivor, "requested_golden_id": survivor, "redirected": false,
               "members": [
                   {"source_system": "sap", "source_id": "100234", "status": "active"},
                   {"source_system": "oracle", "source_id": "V-77", "status": "active"}]})
    );

    // A merge retires the other ID and points it at the survivor.
    let store = Store::open(&app.settings).unwrap();
    diesel::update(golden_records::table.find(&merged))
        .set((
            golden_records::status.eq("merged"),
            golden_records::redirect_to.eq(Some(&survivor)),
        ))
        .execute(&mut *store.conn().unwrap())
        .unwrap();
    let (status, body) = app.get(
        &format!("/v1/crosswalk/vendor?golden_id={merged}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["golden_id"], survivor.as_str());
    assert_eq!(body["requested_golden_id"], merged.as_str());
    assert_eq!(body["redirected"], true);
    assert_eq!(body["members"].as_array().unwrap().len(), 2);

    let (status, body) = app.get("/v1/crosswalk/vendor?golden_id=V99999999", Some(&reader));
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, body) = app.get(
        &format!("/v1/crosswalk/item?golden_id={survivor}"),
        Some(&reader),
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get("/v1/crosswalk/vendor", Some(&reader));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query"))
    );
}

#[test]
fn as_of_answers_from_the_membership_history() {
    let (app, clock) = spawn_with_clock();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    let oracle = app.token(&[Role::Ingest], &["oracle"]);
    let reader = app.token(&[Role::Reader], &[]);
    let acme = json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789"});
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&sap),
        &vendor("sap", "100234", acme.clone()),
    );
    let golden_id = body["results"][0]["golden_id"].as_str().unwrap().to_owned();
    clock.advance(Duration::from_secs(1));
    let before = clock.now().to_rfc3339_opts(SecondsFormat::Micros, true);
    clock.advance(Duration::from_secs(1));
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&oracle),
        &vendor("oracle", "V-77", acme),
    );
    assert_eq!(body["results"][0]["decision"], "auto_linked", "{body}");

    let (status, entry) = app.get(
        &format!("/v1/crosswalk/vendor/sap/100234?as_of={before}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["golden_id"], golden_id.as_str());
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(entry["as_of"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&before).unwrap()
    );
    // Only the members of that moment.
    assert_eq!(entry["members"].as_array().unwrap().len(), 1, "{entry}");
    let (_, now) = app.get("/v1/crosswalk/vendor/sap/100234", Some(&reader));
    assert_eq!(now["members"].as_array().unwrap().len(), 2);
    assert!(now.get("as_of").is_none());

    let (status, body) = app.get(
        &format!("/v1/crosswalk/vendor/oracle/V-77?as_of={before}"),
        Some(&reader),
    );
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, _) = app.get("/v1/crosswalk/vendor/oracle/V-77", Some(&reader));
    assert_eq!(status, 200);

    let (status, body) = app.post(
        "/v1/crosswalk/vendor/lookup",
        Some(&reader),
        &json!({"keys": [key("oracle", "V-77"), key("sap", "100234")], "as_of": before}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["found"], false);
    assert_eq!(body["results"][1]["golden_id"], golden_id.as_str());
    assert!(body["as_of"].is_string());

    let (status, body) = app.get(
        "/v1/crosswalk/vendor/sap/100234?as_of=2026-13-01",
        Some(&reader),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("as_of"),
        "{body}"
    );
}

fn last_seq(app: &TestApp, token: &str) -> i64 {
    let (status, body) = app.get("/v1/events?after=0&limit=1000", Some(token));
    assert_eq!(status, 200, "{body}");
    body["next_after"].as_i64().unwrap()
}

#[test]
fn a_waiting_feed_request_answers_as_soon_as_an_event_commits() {
    let app = spawn_app();
    let ingest = app.token(&[Role::Ingest], &["erp"]);
    let reader = app.token(&[Role::Reader], &[]);
    let after = last_seq(&app, &reader);

    let started = Instant::now();
    let (status, body) = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            let record = vendor("erp", "1", json!({"name": "Cardinal Health"}));
            assert_eq!(
                app.post("/v1/vendor/records", Some(&ingest), &record).0,
                200
            );
        });
        app.get(&format!("/v1/events?after={after}&wait=5"), Some(&reader))
    });
    let elapsed = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(!body["events"].as_array().unwrap().is_empty(), "{body}");
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );

    // Nothing happens: an empty answer once the wait is over.
    let after = body["next_after"].as_i64().unwrap();
    let started = Instant::now();
    let (status, body) = app.get(&format!("/v1/events?after={after}&wait=1"), Some(&reader));
    let elapsed = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(body["events"], json!([]));
    assert_eq!(body["next_after"], after);
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );

    for wait in ["61", "-1"] {
        let (status, body) = app.get(&format!("/v1/events?wait={wait}"), Some(&reader));
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_query"))
        );
    }
}

#[test]
fn a_domain_filtered_wait_ignores_other_domains() {
    let app = spawn_app();
    let ingest = app.token(&[Role::Ingest], &["erp"]);
    let reader = app.token(&[Role::Reader], &[]);
    let after = last_seq(&app, &reader);

    let started = Instant::now();
    let (status, body) = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            let record = vendor("erp", "1", json!({"name": "Cardinal Health"}));
            assert_eq!(
                app.post("/v1/vendor/records", Some(&ingest), &record).0,
                200
            );
            std::thread::sleep(Duration::from_millis(1_200));
            let record = vendor("erp", "L1", json!({"name": "Dock 4"}));
            assert_eq!(
                app.post("/v1/location/records", Some(&ingest), &record).0,
                200
            );
        });
        app.get(
            &format!("/v1/events?after={after}&domain=location&wait=10"),
            Some(&reader),
        )
    });
    let elapsed = started.elapsed();
    assert_eq!(status, 200, "{body}");
    let events = body["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["domain"] == "location"), "{body}");
    assert!(
        elapsed >= Duration::from_millis(1_500) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}

#[test]
fn stewards_list_the_audit_log_and_readers_may_not() {
    let app = spawn_app();
    let reader = app.token(&[Role::Reader], &[]);
    let steward = app.token(&[Role::Steward], &[]);
    for _ in 0..3 {
        let (status, _) = app.get("/v1/vendor/proposals", Some(&reader));
        assert_eq!(status, 403);
    }

    let (status, body) = app.get("/v1/audit?actor=tester", Some(&steward));
    assert_eq!(status, 200, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{body}");
    let entry = &entries[0];
    assert_eq!(entry["action"], "list_proposals");
    assert_eq!(entry["outcome"], "denied");
    assert_eq!(entry["domain"], "vendor");
    assert_eq!(entry["entity_type"], "proposal");
    assert!(entry["reason"].as_str().unwrap().contains("steward"));
    assert!(entry["request_id"].is_string());
    assert_eq!(
        (&entry["before"], &entry["after"]),
        (&Value::Null, &Value::Null)
    );
    assert!(entries[0]["id"].as_i64() > entries[1]["id"].as_i64());
    assert_eq!(body["next_before"], Value::Null);

    let (status, body) = app.get("/v1/audit", Some(&reader));
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let (_, body) = app.get("/v1/audit?action=read_audit", Some(&app.admin()));
    assert_eq!(body["entries"].as_array().unwrap().len(), 1, "{body}");

    // Pages, newest first.
    let (_, first) = app.get("/v1/audit?action=list_proposals&limit=2", Some(&steward));
    assert_eq!(first["entries"].as_array().unwrap().len(), 2);
    let before = first["next_before"].as_i64().unwrap();
    let (_, second) = app.get(
        &format!("/v1/audit?action=list_proposals&limit=2&before={before}"),
        Some(&steward),
    );
    assert_eq!(second["entries"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_before"], Value::Null);
    assert!(second["entries"][0]["id"].as_i64().unwrap() < before);

    for limit in ["0", "501"] {
        let (status, _) = app.get(&format!("/v1/audit?limit={limit}"), Some(&steward));
        assert_eq!(status, 400);
    }
}

#[test]
fn csv_exports_neutralize_formula_cells_and_json_exports_do_not() {
    let app = spawn_app();
    let erp = app.token(&[Role::Ingest], &["erp"]);
    let reader = app.token(&[Role::Reader], &[]);
    let ids = [
        "=HYPERLINK(\"http://evil.example\",\"open\")",
        "+1",
        "-1+2",
        "@SUM(A1)",
        "=cmd|' /C calc'!A0",
        "plain-1",
    ];
    for (n, id) in ids.iter().enumerate() {
        let record = vendor("erp", id, json!({"name": format!("Vendor Number {n} Inc")}));
        let (status, body) = app.post("/v1/vendor/records", Some(&erp), &record);
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, csv) = get_text(&app, "/v1/crosswalk/vendor/export?format=csv", &reader);
    assert_eq!(status, 200);
    let mut reader_csv = csv::Reader::from_reader(csv.as_bytes());
    let exported: Vec<String> = reader_csv
        .records()
        .map(|r| r.unwrap()[1].to_owned())
        .collect();
    assert_eq!(exported.len(), ids.len());
    for id in &ids[..5] {
        assert!(exported.contains(&format!("'{id}")), "{id:?}: {exported:?}");
    }
    assert!(exported.contains(&"plain-1".to_owned()), "{exported:?}");

    let (_, _, ndjson) = get_text(&app, "/v1/crosswalk/vendor/export", &reader);
    let exported: Vec<String> = ndjson
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["source_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for id in ids {
        assert!(exported.contains(&id.to_owned()), "{id:?}: {exported:?}");
    }

    // The command line export writes the same safe cells.
    let output = app.cli(&["export", "crosswalk", "--domain", "vendor"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")\""),
        "{text}"
    );
}
