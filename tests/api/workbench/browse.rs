//! Browsing golden records without `q`: field filters compared after standardization, member
//! count, source system and update time; sort and cursor paging; and the export.

use std::time::Duration;

use golden::auth::Role;
use serde_json::{Value, json};

use super::ingest;
use crate::helpers::{TestApp, spawn_with_clock};

fn ids(page: &Value) -> Vec<String> {
    page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["golden_id"].as_str().unwrap().to_owned())
        .collect()
}

fn list(app: &TestApp, query: &str) -> Value {
    // Filters on the tax ID too, a sensitive field.
    let reader = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let (status, page) = app.get(&format!("/v1/vendor/golden?{query}"), Some(&reader));
    assert_eq!(status, 200, "{query}: {page}");
    page
}

/// Four golden records, created a minute apart: Acme (Denver), Beta (Denver), Gamma
/// (Boulder) and Delta, which two systems share. Their IDs in that order, and the time
/// between Beta's and Gamma's creation.
fn four(app: &TestApp, clock: &golden::clock::ManualClock) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut between = String::new();
    for (system, id, attributes) in [
        (
            "sap",
            "1",
            json!({"name": "Acme Hospital Laundry", "city": "DENVER"}),
        ),
        (
            "oracle",
            "2",
            json!({"name": "Beta Orthopedic Devices", "city": "Denver"}),
        ),
        (
            "sap",
            "3",
            json!({"name": "Gamma Sterile Wraps", "city": "Boulder"}),
        ),
        (
            "sap",
            "4",
            json!({"name": "Delta Medical Supply, Inc.", "tax_id": "12-3456789"}),
        ),
    ] {
        clock.advance(Duration::from_secs(60));
        if id == "3" {
            between = clock.now().to_rfc3339();
            clock.advance(Duration::from_secs(60));
        }
        let result = ingest(app, system, id, attributes);
        ids.push(result["golden_id"].as_str().unwrap().to_owned());
    }
    clock.advance(Duration::from_secs(60));
    let linked = ingest(
        app,
        "oracle",
        "5",
        json!({"name": "DELTA MEDICAL SUPPLY INC", "tax_id": "123456789"}),
    );
    assert_eq!(linked["decision"], "auto_linked", "{linked}");
    (ids, between)
}

#[test]
fn golden_records_are_listed_filtered_sorted_and_paged() {
    let (app, clock) = spawn_with_clock();
    let (g, between) = four(&app, &clock);

    let all = list(&app, "");
    assert_eq!(
        ids(&all),
        [g[3].as_str(), g[2].as_str(), g[1].as_str(), g[0].as_str()],
        "newest update first: {all}"
    );
    assert!(all["next_cursor"].is_null());
    assert_eq!(all["records"][0]["member_count"], 2);
    assert_eq!(all["records"][3]["fields"]["name"], "Acme Hospital Laundry");
    assert_eq!(ids(&list(&app, "sort=created_asc")), g);

    // Field values compare after standardization; other filters narrow too.
    assert_eq!(
        ids(&list(&app, "field.city=denver&sort=created_asc")),
        [g[0].as_str(), g[1].as_str()]
    );
    assert_eq!(
        ids(&list(
            &app,
            "field.city=Denver&field.name=beta%20orthopedic%20devices"
        )),
        [g[1].as_str()]
    );
    assert_eq!(ids(&list(&app, "field.tax_id=123456789")), [g[3].as_str()]);
    assert_eq!(ids(&list(&app, "min_members=2")), [g[3].as_str()]);
    assert_eq!(ids(&list(&app, "max_members=1&sort=created_asc")), &g[..3]);
    assert_eq!(
        ids(&list(&app, "source_system=oracle&sort=created_asc")),
        [g[1].as_str(), g[3].as_str()]
    );
    let after = format!(
        "updated_after={}&sort=created_asc",
        between.replace('+', "%2B")
    );
    assert_eq!(ids(&list(&app, &after)), [g[2].as_str(), g[3].as_str()]);
    let before = format!("updated_before={}", between.replace('+', "%2B"));
    assert_eq!(ids(&list(&app, &before)).len(), 2);

    // Cursor paging walks every record once, in order.
    let mut seen = Vec::new();
    let mut query = "limit=1&sort=created_asc".to_owned();
    loop {
        let page = list(&app, &query);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=1&sort=created_asc&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, g);

    // With q it still searches.
    let found = list(&app, "q=gamma%20sterile");
    assert_eq!(found["results"][0]["golden_id"], g[2].as_str(), "{found}");
}

#[test]
fn bad_listing_parameters_get_a_precise_400() {
    let (app, _clock) = spawn_with_clock();
    let reader = app.token(&[Role::Reader], &[]);
    for (query, says) in [
        (
            "field.colour=red",
            "unknown field \"colour\" in field.colour: vendor declares name",
        ),
        ("colour=red", "unknown query parameter \"colour\""),
        (
            "min_members=-1",
            "min_members must be a non-negative integer",
        ),
        ("limit=501", "limit"),
        ("sort=sideways", "sort \"sideways\" must be one of"),
        ("cursor=nope", "cursor"),
        (
            "updated_after=yesterday",
            "updated_after must be an RFC 3339 timestamp",
        ),
        ("q=acme&field.city=Denver", "cannot be combined with q"),
        ("field.city=a&field.city=b", "given twice"),
    ] {
        let (status, body) = app.get(&format!("/v1/vendor/golden?{query}"), Some(&reader));
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
    let (status, body) = app.get("/v1/vendor/golden/export?field.colour=red", Some(&reader));
    assert_eq!(status, 400, "{body}");
    let (status, _) = app.get("/v1/vendor/golden", None);
    assert_eq!(status, 401);
}

#[test]
fn golden_records_export_as_csv_and_ndjson_with_lineage() {
    let (app, clock) = spawn_with_clock();
    let (g, _) = four(&app, &clock);
    let reader = app.token(&[Role::Reader], &[]);
    let (status, csv) = app.get(
        "/v1/vendor/golden/export?format=csv&field.city=Denver&sort=created_asc",
        Some(&reader),
    );
    assert_eq!(status, 200, "{csv}");
    let csv = csv.as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("golden_id,version,member_count,created_at,updated_at,name,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with(&format!("{},", g[0])), "{csv}");
    assert!(lines[1].contains("Acme Hospital Laundry"), "{csv}");

    let (status, ndjson) = app.get("/v1/vendor/golden/export", Some(&reader));
    assert_eq!(status, 200);
    let records: Vec<Value> = ndjson
        .as_str()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    let delta = records
        .iter()
        .find(|r| r["golden_id"] == g[3].as_str())
        .unwrap();
    assert_eq!(delta["member_count"], 2);
    assert!(delta["lineage"]["name"]["rule"].is_string(), "{delta}");
    assert!(delta["fields"]["tax_id"].is_string(), "{delta}");
}

#[test]
fn paging_walks_records_written_in_the_same_instant_once_in_either_direction() {
    let (app, _clock) = spawn_with_clock();
    let names = [
        "Alpha Linen",
        "Bravo Gauze",
        "Charlie Scrubs",
        "Delta Swabs",
        "Echo Masks",
    ];
    let mut written: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let result = ingest(&app, "sap", &format!("t{i}"), json!({ "name": name }));
            result["golden_id"].as_str().unwrap().to_owned()
        })
        .collect();
    written.sort();
    for (sort, expected) in [
        ("created_asc", written.clone()),
        ("updated_desc", written.iter().rev().cloned().collect()),
    ] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = list(&app, &format!("limit=2&sort={sort}{cursor}"));
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{sort}");
    }
    // A cursor belongs to its order.
    let page = list(&app, "limit=1&sort=created_asc");
    let cursor = page["next_cursor"].as_str().unwrap();
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.get(
        &format!("/v1/vendor/golden?sort=updated_desc&cursor={cursor}"),
        Some(&reader),
    );
    assert_eq!(status, 400, "{body}");
    let (status, csv) = app.get(
        "/v1/vendor/golden/export?format=csv&field.city=Nowhere",
        Some(&reader),
    );
    assert_eq!(status, 200);
    assert_eq!(
        csv.as_str().unwrap().lines().count(),
        1,
        "only the header: {csv}"
    );
}
