use golden::auth::Role;
use golden::config::DatabaseUrl;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, vendor};

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results array")
}

#[test]
fn a_vendor_from_two_systems_is_readable_and_survives_a_restart() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    let oracle = app.token(&[Role::Ingest], &["oracle"]);
    let reader = app.token(&[Role::Reader], &[]);

    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&sap),
        &vendor(
            "sap",
            "100234",
            json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789", "city": "Chicago"}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(results(&body)[0]["decision"], "new");
    let sap_golden = results(&body)[0]["golden_id"].as_str().unwrap().to_owned();
    assert!(sap_golden.starts_with('V'), "{sap_golden}");

    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&oracle),
        &json!([vendor(
            "oracle",
            "V-77",
            json!({"name": "ACME MEDICAL SUPPLY INC", "tax_id": "123456789"})
        )]),
    );
    assert_eq!(status, 200, "{body}");
    // Same tax ID and name: the second system's record joins the first one's golden record.
    assert_eq!(results(&body)[0]["decision"], "auto_linked", "{body}");
    let oracle_golden = results(&body)[0]["golden_id"].as_str().unwrap().to_owned();
    assert_eq!(oracle_golden, sap_golden);

    let (status, record) = app.get("/v1/vendor/records/sap/100234", Some(&reader));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["attributes"]["name"], "Acme Medical Supply, Inc.");
    assert_eq!(record["history"].as_array().unwrap().len(), 1);
    assert_eq!(record["golden_id"], sap_golden.as_str());

    for (system, id, golden) in [
        ("sap", "100234", &sap_golden),
        ("oracle", "V-77", &oracle_golden),
    ] {
        let (status, entry) = app.get(
            &format!("/v1/crosswalk/vendor/{system}/{id}"),
            Some(&reader),
        );
        assert_eq!(status, 200, "{entry}");
        assert_eq!(entry["golden_id"], golden.as_str());
        let members: Vec<&str> = entry["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["source_id"].as_str().unwrap())
            .collect();
        assert_eq!(members, ["100234", "V-77"]);
    }

    let app = app.restart();
    // Reads the tax ID as it was sent: the sensitive role unmasks it.
    let reader = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let (status, entry) = app.get("/v1/crosswalk/vendor/oracle/V-77", Some(&reader));
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["golden_id"], oracle_golden.as_str());
    let (status, record) = app.get("/v1/vendor/records/sap/100234", Some(&reader));
    assert_eq!(status, 200);
    assert_eq!(record["attributes"]["tax_id"], "12-3456789");
    let (status, golden) = app.get(&format!("/v1/vendor/golden/{sap_golden}"), Some(&reader));
    assert_eq!(status, 200, "{golden}");
    // The most recent non-empty value survives, and lineage says where each came from.
    assert_eq!(golden["fields"]["name"], "ACME MEDICAL SUPPLY INC");
    assert_eq!(golden["lineage"]["name"]["source_system"], "oracle");
    assert_eq!(golden["fields"]["city"], "Chicago");
    assert_eq!(golden["lineage"]["city"]["source_system"], "sap");
    assert_eq!(golden["members"].as_array().unwrap().len(), 2);
}

#[test]
fn a_batch_with_one_invalid_record_stores_the_valid_ones() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let batch = json!([
        vendor("erp", "1", json!({"name": "Baxter Healthcare Corp", "country": "USA"})),
        vendor("erp", "2", json!({"city": "Deerfield", "email": "not-an-email"})),
        vendor("erp", "3", json!({"name": "Cardinal Health"})),
        {"source_system": "erp"},
    ]);
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &batch);
    assert_eq!(status, 200, "{body}");
    let results = results(&body);
    let decisions: Vec<&str> = results
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["new", "rejected", "new", "rejected"]);
    let fields: Vec<&str> = results[1]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name"], "{body}");
    // An optional value that does not standardize never rejects: it comes as a warning.
    assert_eq!(results[1]["warnings"][0]["field"], "email", "{body}");
    assert!(
        results[3]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("source_id")
    );
    assert_eq!(body["summary"]["rejected"], 2);

    let admin = app.admin();
    assert_eq!(app.get("/v1/vendor/records/erp/1", Some(&admin)).0, 200);
    assert_eq!(app.get("/v1/vendor/records/erp/3", Some(&admin)).0, 200);
    assert_eq!(app.get("/v1/vendor/records/erp/2", Some(&admin)).0, 404);
}

#[test]
fn a_single_invalid_record_answers_422_with_its_field() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let (status, body) = app.post(
        "/v1/item/records",
        Some(&token),
        &vendor(
            "erp",
            "SKU-1",
            json!({"description": "Glove, nitrile, M", "gtin": "00012345678906"}),
        ),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["results"][0]["errors"][0]["field"], "gtin");
}

#[test]
fn resends_are_unchanged_and_changes_add_versions() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let first = vendor(
        "erp",
        "7",
        json!({"name": "Owens & Minor", "city": "Mechanicsville"}),
    );
    let (_, body) = app.post("/v1/vendor/records", Some(&token), &first);
    let golden_id = body["results"][0]["golden_id"].clone();

    let reordered = vendor(
        "erp",
        "7",
        json!({"city": "Mechanicsville", "name": "Owens & Minor"}),
    );
    let (_, body) = app.post("/v1/vendor/records", Some(&token), &reordered);
    assert_eq!(body["results"][0]["decision"], "unchanged");
    assert_eq!(body["results"][0]["version"], 1);

    let changed = vendor(
        "erp",
        "7",
        json!({"name": "Owens & Minor Inc", "city": "Richmond"}),
    );
    let (_, body) = app.post("/v1/vendor/records", Some(&token), &changed);
    assert_eq!(body["results"][0]["decision"], "updated");
    assert_eq!(body["results"][0]["version"], 2);
    assert_eq!(body["results"][0]["golden_id"], golden_id);

    let (_, record) = app.get("/v1/vendor/records/erp/7", Some(&token));
    let history = record["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["attributes"]["city"], "Mechanicsville");
    assert_eq!(history[1]["change"], "updated");
    let (_, golden) = app.get(
        &format!("/v1/vendor/golden/{}", golden_id.as_str().unwrap()),
        Some(&app.admin()),
    );
    assert_eq!(golden["fields"]["city"], "Richmond");
    assert_eq!(golden["version"], 2);
}

#[test]
fn delete_retires_the_record_and_keeps_its_history() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("erp", "9", json!({"name": "Medline"})),
    );
    let golden_id = body["results"][0]["golden_id"].as_str().unwrap().to_owned();

    let (status, record) = app.delete("/v1/vendor/records/erp/9", Some(&token));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["status"], "retired");
    assert_eq!(record["history"][1]["change"], "retired");
    // Retiring again changes nothing.
    let (_, again) = app.delete("/v1/vendor/records/erp/9", Some(&token));
    assert_eq!(again["version"], record["version"]);

    let admin = app.admin();
    let (status, entry) = app.get("/v1/crosswalk/vendor/erp/9", Some(&admin));
    assert_eq!(status, 200);
    assert_eq!(entry["record_status"], "retired");
    let (status, golden) = app.get(&format!("/v1/vendor/golden/{golden_id}"), Some(&admin));
    assert_eq!(status, 200);
    assert_eq!(golden["status"], "retired");

    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("erp", "9", json!({"name": "Medline"})),
    );
    assert_eq!(body["results"][0]["decision"], "updated");
    let (_, record) = app.get("/v1/vendor/records/erp/9", Some(&admin));
    assert_eq!(record["status"], "active");
    assert_eq!(record["history"][2]["change"], "restored");
}

#[test]
fn the_change_feed_is_gap_free_and_pages() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    for i in 0..4 {
        let (status, _) = app.post(
            "/v1/location/records",
            Some(&token),
            &vendor(
                "erp",
                &format!("L{i}"),
                json!({"name": format!("Warehouse {i}")}),
            ),
        );
        assert_eq!(status, 200);
    }
    let reader = app.token(&[Role::Reader], &[]);
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = app.get(&format!("/v1/events?after={after}&limit=5"), Some(&reader));
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        if events.is_empty() {
            break;
        }
        seqs.extend(events.iter().map(|e| e["seq"].as_i64().unwrap()));
        after = page["next_after"].as_i64().unwrap();
    }
    // golden.created, record.created, record.linked per record.
    assert_eq!(seqs, (1..=12).collect::<Vec<i64>>());
    let (_, page) = app.get("/v1/events?after=0&limit=3&domain=location", Some(&reader));
    assert_eq!(page["events"][0]["kind"], "golden.created");
    assert_eq!(page["events"][1]["data"]["source_id"], "L0");
    let (status, _) = app.get("/v1/events?domain=nope", Some(&reader));
    assert_eq!(status, 404);
}

#[test]
fn a_batch_linking_three_systems_builds_their_golden_record_once_from_all_three() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "coupa"]);
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &json!([
            vendor("sap", "100234", json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789"})),
            vendor("oracle", "V-77", json!({"name": "ACME MEDICAL SUPPLY INC", "tax_id": "123456789", "city": "Chicago"})),
            vendor("coupa", "C-5", json!({"name": "Acme Medical Supply", "tax_id": "12-3456789", "phone": "312-555-0100"})),
        ]),
    );
    assert_eq!(status, 200, "{body}");
    let decisions: Vec<&str> = results(&body)
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["new", "auto_linked", "auto_linked"], "{body}");
    let golden_id = results(&body)[0]["golden_id"].as_str().unwrap().to_owned();

    let (status, golden) = app.get(&format!("/v1/vendor/golden/{golden_id}"), Some(&reader));
    assert_eq!(status, 200, "{golden}");
    assert_eq!(golden["members"].as_array().unwrap().len(), 3, "{golden}");
    assert_eq!(golden["fields"]["city"], "Chicago");
    assert_eq!(golden["lineage"]["city"]["source_system"], "oracle");
    assert_eq!(golden["lineage"]["phone"]["source_system"], "coupa");
    // Created, then recomputed once for the whole batch.
    assert_eq!(golden["version"], 2, "{golden}");

    let (_, page) = app.get("/v1/events?after=0&limit=100", Some(&reader));
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "golden.updated").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"golden.updated"), "{kinds:?}");
    let updated = &page["events"].as_array().unwrap()[kinds.len() - 1];
    assert_eq!(
        updated["data"]["fields"]["phone"],
        golden["fields"]["phone"]
    );
}

/// Batches prepare their matching before they take the write lock, so a batch may be
/// prepared while another one commits: it must still find the records the other one stored.
#[test]
fn batches_sent_at_once_find_each_others_records() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let batch = |system: &str, round: usize| -> Value {
        (0..24)
            .map(|i| {
                vendor(
                    system,
                    &format!("R{round}-{i}"),
                    json!({
                        "name": format!("Harbor Medical Supply {round} {}", i * 7919),
                        "tax_id": format!("{:09}", 100_000_000 + round * 1_000 + i),
                        "city": "Boston",
                    }),
                )
            })
            .collect::<Vec<_>>()
            .into()
    };
    for round in 0..4 {
        let (sap, oracle) = std::thread::scope(|scope| {
            let sap =
                scope.spawn(|| app.post("/v1/vendor/records", Some(&token), &batch("sap", round)));
            let oracle = scope
                .spawn(|| app.post("/v1/vendor/records", Some(&token), &batch("oracle", round)));
            (sap.join().unwrap(), oracle.join().unwrap())
        });
        assert_eq!(sap.0, 200, "{}", sap.1);
        assert_eq!(oracle.0, 200, "{}", oracle.1);
        for (a, b) in results(&sap.1).iter().zip(results(&oracle.1)) {
            // Whichever batch committed second linked each record to its twin.
            assert_eq!(a["golden_id"], b["golden_id"], "{a} {b}");
            let decisions = [a["decision"].as_str(), b["decision"].as_str()];
            assert!(decisions.contains(&Some("new")), "{a} {b}");
            assert!(decisions.contains(&Some("auto_linked")), "{a} {b}");
        }
    }
}

/// A counter of `/metrics`, by its name and labels as printed there.
fn metric(app: &crate::helpers::TestApp, series: &str) -> f64 {
    let text = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Single-record requests that arrive while another write is in progress are written together
/// in one transaction (on SQLite): each still gets its own answer, and a record finds its twin
/// whether the twin was written before it or in the same transaction.
#[test]
fn single_records_sent_at_once_are_written_together_and_find_each_other() {
    const ENTITIES: usize = 24;
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let record = |system: &str, i: usize| {
        vendor(
            system,
            &format!("{system}-{i}"),
            json!({
                "name": format!("Lakeside Surgical Supply {}", i * 7919),
                "tax_id": format!("{:09}", 300_000_000 + i),
                "city": "Denver",
            }),
        )
    };
    // Four clients: two send the sap records, two the oracle twins, all at once.
    let answers: Vec<(String, usize, u16, Value)> = std::thread::scope(|scope| {
        let clients: Vec<_> = [("sap", 0), ("sap", 1), ("oracle", 0), ("oracle", 1)]
            .into_iter()
            .map(|(system, half)| {
                let (app, token, record) = (&app, &token, &record);
                scope.spawn(move || {
                    (0..ENTITIES)
                        .filter(|i| i % 2 == half)
                        .map(|i| {
                            let (status, body) =
                                app.post("/v1/vendor/records", Some(token), &record(system, i));
                            (system.to_owned(), i, status, body)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    let mut goldens = std::collections::HashMap::new();
    for (system, i, status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        let result = &results(body)[0];
        assert_eq!(result["source_id"], format!("{system}-{i}"), "{body}");
        goldens
            .entry(*i)
            .or_insert_with(Vec::new)
            .push((result["golden_id"].clone(), result["decision"].clone()));
    }
    assert_eq!(goldens.len(), ENTITIES);
    for (i, pair) in &goldens {
        assert_eq!(pair.len(), 2, "entity {i}: {pair:?}");
        assert_eq!(
            pair[0].0, pair[1].0,
            "entity {i} has two golden records: {pair:?}"
        );
        let mut decisions = [pair[0].1.as_str(), pair[1].1.as_str()];
        decisions.sort();
        assert_eq!(decisions, [Some("auto_linked"), Some("new")], "entity {i}");
    }
    let requests = metric(
        &app,
        r#"golden_ingest_writes_total{counted="requests",domain="vendor"}"#,
    );
    let transactions = metric(
        &app,
        r#"golden_ingest_writes_total{counted="transactions",domain="vendor"}"#,
    );
    assert_eq!(requests, (2 * ENTITIES) as f64);
    if matches!(app.settings.database, DatabaseUrl::Postgres(_)) {
        // There a request waits behind another in the database, in its own transaction.
        assert_eq!(transactions, requests);
    } else {
        assert!(
            transactions < requests,
            "no two of {requests} concurrent requests were written together ({transactions} transactions)"
        );
    }
}
