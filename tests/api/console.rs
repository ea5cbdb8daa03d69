//! The steward console: its static files at `/ui` (no token needed for the shell), and the
//! read-only endpoints it calls, `/v1/domains` and `/v1/stats`.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_with_clock, vendor};

fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> ureq::Response {
    let mut request = ureq::get(&format!("{}{path}", app.base));
    if let Some(etag) = etag {
        request = request.set("If-None-Match", etag);
    }
    match request.call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("transport error: {e}"),
    }
}

#[test]
fn the_console_shell_and_assets_are_served_without_a_token() {
    let app = spawn_app();
    for path in [
        "/ui",
        "/ui/",
        "/ui/proposals/12",
        "/ui/golden/vendor/V00000001",
        "/ui/browse/vendor",
    ] {
        let response = fetch(&app, path, None);
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.content_type(), "text/html", "{path}");
        let csp = response
            .header("Content-Security-Policy")
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let body = response.into_string().unwrap();
        assert!(
            body.contains(r#"<script type="module" src="/ui/assets/app.js">"#),
            "{path}: {body}"
        );
    }
    for (asset, content_type) in [
        ("app.js", "text/javascript"),
        ("proposal.js", "text/javascript"),
        ("style.css", "text/css"),
    ] {
        let response = fetch(&app, &format!("/ui/assets/{asset}"), None);
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(response.content_type(), content_type, "{asset}");
        assert_eq!(response.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(response.header("Cache-Control"), Some("no-cache"));
    }
    let missing = fetch(&app, "/ui/assets/nothing.js", None);
    assert_eq!(missing.status(), 404);
    let body: Value = serde_json::from_str(&missing.into_string().unwrap()).unwrap();
    assert_eq!(body["error"], "not_found");
}

/// Every module the console imports, from `app.js` on, is served: a new page's module that
/// is not embedded would leave the whole console blank.
#[test]
fn every_module_the_console_imports_is_served() {
    let app = spawn_app();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec!["app.js".to_owned()];
    while let Some(module) = todo.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        let response = fetch(&app, &format!("/ui/assets/{module}"), None);
        assert_eq!(response.status(), 200, "{module}");
        let body = response.into_string().unwrap();
        for line in body.lines().filter(|l| l.starts_with("import ")) {
            let (_, target) = line
                .split_once("from './")
                .unwrap_or_else(|| panic!("{line}"));
            todo.push(target.split('\'').next().unwrap().to_owned());
        }
    }
    for module in ["browse.js", "queue.js", "proposal.js", "dom.js", "api.js"] {
        assert!(seen.contains(module), "{module} not reached: {seen:?}");
    }
}

#[test]
fn an_unchanged_asset_answers_304_to_its_etag() {
    let app = spawn_app();
    let first = fetch(&app, "/ui/assets/app.js", None);
    let etag = first.header("ETag").unwrap().to_owned();
    let again = fetch(&app, "/ui/assets/app.js", Some(&etag));
    assert_eq!(again.status(), 304);
    assert_eq!(again.into_string().unwrap(), "");
    let stale = fetch(&app, "/ui/assets/app.js", Some("\"something-else\""));
    assert_eq!(stale.status(), 200);
}

#[test]
fn domains_lists_the_rule_files_for_readers() {
    let app = spawn_app();
    assert_eq!(app.get("/v1/domains", None).0, 401);
    let ingest = app.token(&[Role::Ingest], &["sap"]);
    assert_eq!(app.get("/v1/domains", Some(&ingest)).0, 403);
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.get("/v1/domains", Some(&reader));
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cost_center", "item", "location", "vendor"]);
    let vendor = &body["domains"][3];
    assert_eq!(vendor["id_prefix"], "V");
    let name = &vendor["fields"][0];
    assert_eq!(
        (&name["name"], &name["type"], &name["required"]),
        (&json!("name"), &json!("org_name"), &json!(true))
    );
}

fn ingest(app: &TestApp, system: &str, id: &str, attributes: Value) -> String {
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor(system, id, attributes),
    );
    assert_eq!(status, 200, "{body}");
    body["results"][0]["decision"].as_str().unwrap().to_owned()
}

fn source<'a>(stats: &'a Value, system: &str) -> &'a Value {
    stats["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["domain"] == "vendor" && s["source_system"] == system)
        .unwrap_or_else(|| panic!("no row for {system}: {stats}"))
}

fn backlog<'a>(stats: &'a Value, domain: &str) -> &'a Value {
    stats["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == domain)
        .unwrap_or_else(|| panic!("no row for {domain}: {stats}"))
}

#[test]
fn stats_count_the_backlog_and_how_each_source_was_decided() {
    let (app, clock) = spawn_with_clock();
    let reader = app.token(&[Role::Reader], &[]);
    let (status, empty) = app.get("/v1/stats", Some(&reader));
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["sources"], json!([]));
    assert_eq!(backlog(&empty, "vendor")["open_proposals"], 0);
    assert_eq!(
        backlog(&empty, "vendor")["oldest_open_age_seconds"],
        Value::Null
    );

    let acme = json!({"name": "Acme Medical Supply Inc", "city": "Chicago"});
    assert_eq!(ingest(&app, "sap", "1", acme), "new");
    let acme = json!({"name": "ACME MEDICAL SUPPLY", "city": "Chicago"});
    assert_eq!(ingest(&app, "oracle", "A1", acme), "proposed");
    let contoso = json!({"name": "Contoso Lab Products, Inc.", "tax_id": "12-3456789"});
    assert_eq!(ingest(&app, "sap", "3", contoso), "new");
    let contoso = json!({"name": "CONTOSO LAB PRODUCTS INC", "tax_id": "123456789"});
    assert_eq!(ingest(&app, "oracle", "C3", contoso), "auto_linked");
    // An hour and a half passes.
    clock.advance(std::time::Duration::from_secs(90 * 60));

    let (status, stats) = app.get("/v1/stats", Some(&reader));
    assert_eq!(status, 200, "{stats}");
    let oracle = source(&stats, "oracle");
    assert_eq!(
        (
            &oracle["records"],
            &oracle["auto_linked"],
            &oracle["sent_to_review"]
        ),
        (&json!(2), &json!(1), &json!(1))
    );
    assert_eq!(oracle["auto_link_rate"], 0.5);
    assert_eq!(oracle["review_rate"], 0.5);
    let sap = source(&stats, "sap");
    assert_eq!(
        (&sap["records"], &sap["auto_linked"], &sap["sent_to_review"]),
        (&json!(2), &json!(0), &json!(0))
    );
    let vendors = backlog(&stats, "vendor");
    assert_eq!(vendors["open_proposals"], 1);
    assert_eq!(vendors["oldest_open_age_seconds"], 90 * 60);
    assert!(vendors["oldest_open_at"].is_string());
    assert_eq!(backlog(&stats, "item")["open_proposals"], 0);
    // The queue's age filters measure against the same clock.
    let steward = app.token(&[Role::Steward], &[]);
    for (filter, total) in [("min_age=1h", 1), ("max_age=1h", 0), ("max_age=2h", 1)] {
        let (status, page) = app.get(&format!("/v1/vendor/proposals?{filter}"), Some(&steward));
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], total, "{filter}: {page}");
    }

    // Approving empties the backlog; a steward's merge is not an auto-link, and the record
    // still counts as sent to review.
    let steward = app.token(&[Role::Steward], &[]);
    let (_, queue) = app.get("/v1/vendor/proposals", Some(&steward));
    let id = queue["proposals"][0]["id"].as_i64().unwrap();
    assert_eq!(
        queue["proposals"][0]["record"],
        json!({"source_system": "oracle", "source_id": "A1", "status": "active"}),
        "the queue names the record that opened the proposal"
    );
    let (status, decided) = app.post(
        &format!("/v1/proposals/{id}/approve"),
        Some(&steward),
        &json!({}),
    );
    assert_eq!(status, 200, "{decided}");
    let (_, stats) = app.get("/v1/stats", Some(&steward));
    assert_eq!(backlog(&stats, "vendor")["open_proposals"], 0);
    let oracle = source(&stats, "oracle");
    assert_eq!(
        (&oracle["auto_linked"], &oracle["sent_to_review"]),
        (&json!(1), &json!(1))
    );
}

#[test]
fn stats_need_a_reading_role() {
    let app = spawn_app();
    assert_eq!(app.get("/v1/stats", None).0, 401);
    let ingest = app.token(&[Role::Ingest], &["sap"]);
    let (status, body) = app.get("/v1/stats", Some(&ingest));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
}
