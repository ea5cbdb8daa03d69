//! Operations endpoints: metrics, readiness, and the request ID on every error.

use golden::auth::Role;
use serde_json::json;

use crate::helpers::{TestApp, read, spawn_app, spawn_with, vendor};

fn metrics(app: &TestApp) -> String {
    let response = ureq::get(&format!("{}/metrics", app.base)).call().unwrap();
    assert!(
        response.content_type().starts_with("text/plain"),
        "{}",
        response.content_type()
    );
    response.into_string().unwrap()
}

/// The value of the sample whose name and labels start with `prefix`, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn crosswalk_lookups_count_where_they_were_answered_from() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("sap", "1", json!({"name": "Acme Medical Supply"})),
    );
    assert_eq!(status, 200, "{body}");
    let reader = app.token(&[Role::Reader], &[]);
    let cache = r#"golden_crosswalk_lookups_total{answered_from="cache"}"#;
    let database = r#"golden_crosswalk_lookups_total{answered_from="database"}"#;
    let before = metrics(&app);
    let (status, _) = app.get("/v1/crosswalk/vendor/sap/1", Some(&reader));
    assert_eq!(status, 200);
    // A past moment is the database's to answer.
    let (status, _) = app.get(
        "/v1/crosswalk/vendor/sap/1?as_of=2100-01-01T00:00:00Z",
        Some(&reader),
    );
    assert_eq!(status, 200);
    let after = metrics(&app);
    assert_eq!(
        sample(&after, cache) - sample(&before, cache),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, database) - sample(&before, database),
        1.0,
        "{after}"
    );
}

#[test]
fn ingest_and_requests_move_the_counters() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let before = metrics(&app);
    let new = r#"golden_ingest_records_total{decision="new",domain="vendor",source_system="sap"}"#;
    assert_eq!(sample(&before, new), 0.0);

    let body = json!([
        vendor(
            "sap",
            "1",
            json!({"name": "Acme Medical Supply Inc", "city": "Chicago"})
        ),
        vendor(
            "sap",
            "2",
            json!({"name": "Northwind Traders", "city": "Boston"})
        ),
        vendor("sap", "3", json!({"city": "Boston"})),
    ]);
    let (status, answer) = app.post("/v1/vendor/records", Some(&token), &body);
    assert_eq!(status, 200, "{answer}");
    let reader = app.token(&[Role::Reader], &[]);
    for id in ["1", "2", "404"] {
        app.get(&format!("/v1/crosswalk/vendor/sap/{id}"), Some(&reader));
    }

    let after = metrics(&app);
    assert_eq!(sample(&after, new), 2.0, "{after}");
    let rejected =
        r#"golden_ingest_records_total{decision="rejected",domain="vendor",source_system="sap"}"#;
    assert_eq!(sample(&after, rejected), 1.0, "{after}");
    // Requests are labelled by route pattern, never by the raw path.
    let route = "/v1/crosswalk/{domain}/{source_system}/{source_id}";
    let ok = format!(r#"golden_http_requests_total{{method="GET",route="{route}",status="200"}}"#);
    let missing =
        format!(r#"golden_http_requests_total{{method="GET",route="{route}",status="404"}}"#);
    assert_eq!(sample(&after, &ok), 2.0, "{after}");
    assert_eq!(sample(&after, &missing), 1.0, "{after}");
    assert!(!after.contains("/v1/crosswalk/vendor/sap/1"), "{after}");
    let latency =
        format!(r#"golden_http_request_duration_seconds_count{{method="GET",route="{route}"}}"#);
    assert_eq!(sample(&after, &latency), 3.0, "{after}");
    // The index caught up with the batch.
    let seq = sample(&after, "golden_database_sequence ");
    assert!(seq > 0.0, "{after}");
    assert_eq!(sample(&after, "golden_index_applied_sequence "), seq);
    assert_eq!(sample(&after, "golden_index_lag_events "), 0.0);
}

#[test]
fn open_proposals_are_gauged_per_domain() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let acme = |system: &str, id: &str, name: &str| {
        vendor(system, id, json!({"name": name, "city": "Chicago"}))
    };
    let (_, first) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &acme("sap", "1", "Acme Medical Supply Inc"),
    );
    let (_, second) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &acme("oracle", "A1", "ACME MEDICAL SUPPLY"),
    );
    assert_eq!(first["results"][0]["decision"], "new", "{first}");
    assert_eq!(second["results"][0]["decision"], "proposed", "{second}");
    let text = metrics(&app);
    assert_eq!(
        sample(&text, r#"golden_open_proposals{domain="vendor"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, r#"golden_open_proposals{domain="item"}"#),
        0.0
    );
    assert!(text.contains(r#"golden_oldest_open_proposal_age_seconds{domain="vendor"}"#));
    let proposed = r#"golden_ingest_records_total{decision="proposed",domain="vendor",source_system="oracle"}"#;
    assert_eq!(sample(&text, proposed), 1.0, "{text}");

    // Rejected (with a `null` body, which the description allows), it leaves the gauge.
    let steward = app.token(&[Role::Steward], &[]);
    let (_, queue) = app.get("/v1/vendor/proposals", Some(&steward));
    let id = queue["proposals"][0]["id"].as_i64().unwrap();
    let (status, body) = app.call(
        "POST",
        &format!("/v1/proposals/{id}/reject"),
        Some(&steward),
        Some(&serde_json::Value::Null),
    );
    assert_eq!(status, 200, "{body}");
    let text = metrics(&app);
    assert_eq!(
        sample(&text, r#"golden_open_proposals{domain="vendor"}"#),
        0.0
    );
}

#[test]
fn bulk_jobs_count_rows_and_rejects() {
    let app = spawn_app();
    let csv = app.dir.path().join("vendors.csv");
    std::fs::write(
        &csv,
        "source_id,name,city\n1,Acme Medical Supply Inc,Chicago\n2,,Boston\n",
    )
    .unwrap();
    // The CLI loads into the same store; a server counts the jobs it runs itself.
    let token = app.token(&[Role::Ingest], &["sap"]);
    let response = ureq::post(&format!("{}/v1/vendor/jobs?source=sap", app.base))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "text/csv")
        .send_bytes(&std::fs::read(&csv).unwrap());
    let (status, job) = read(response);
    assert_eq!(status, 202, "{job}");
    let reader = app.token(&[Role::Reader], &[]);
    let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.get(&path, Some(&reader)).1["status"] != "finished" {
        assert!(std::time::Instant::now() < deadline, "job did not finish");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = metrics(&app);
    assert_eq!(
        sample(&text, r#"golden_bulk_job_rows_total{domain="vendor"}"#),
        2.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"golden_bulk_job_rejects_total{domain="vendor"}"#),
        1.0,
        "{text}"
    );
}

#[test]
fn readyz_reports_the_database_and_the_index() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap"]);
    let record = vendor("sap", "1", json!({"name": "Acme Medical Supply Inc"}));
    assert_eq!(app.post("/v1/vendor/records", Some(&token), &record).0, 200);
    let (status, body) = app.get("/readyz", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    let seq = body["index"]["database_seq"].as_i64().unwrap();
    assert!(seq > 0, "{body}");
    assert_eq!(body["index"]["applied_seq"], seq);
    assert_eq!(body["index"]["lag"], 0);
}

#[test]
fn readyz_is_503_when_the_database_is_gone() {
    let app = spawn_app();
    assert_eq!(app.get("/readyz", None).0, 200);
    make_database_unreachable(&app);
    let (status, body) = app.get("/readyz", None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "not_ready");
    assert!(body["request_id"].is_string(), "{body}");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz", None).0, 200);
}

/// SQLite: the files are overwritten with garbage under the open connections. PostgreSQL: the
/// test's database refuses new connections and its open ones are cut.
fn make_database_unreachable(app: &TestApp) {
    match &app.settings.database {
        golden::config::DatabaseUrl::Sqlite(path) => {
            // Overwritten in place, so the connections' open files see it too.
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                if let Ok(meta) = std::fs::metadata(&file) {
                    let garbage = vec![0x5a; meta.len().max(4096) as usize];
                    std::fs::write(&file, garbage).unwrap();
                }
            }
        }
        golden::config::DatabaseUrl::Postgres(url) => {
            use diesel::{Connection, PgConnection, RunQueryDsl};
            let (server, name) = url.rsplit_once('/').unwrap();
            let mut admin = PgConnection::establish(&format!("{server}/postgres")).unwrap();
            let sql = [
                format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ),
            ];
            for statement in sql {
                diesel::sql_query(statement).execute(&mut admin).unwrap();
            }
        }
    }
}

#[test]
fn every_error_carries_the_request_id() {
    let app = spawn_with(|s| s.max_body_bytes = 2_048);
    let steward = app.token(&[Role::Steward], &[]);
    let ingest = app.token(&[Role::Ingest], &["sap"]);
    let big = "x".repeat(4_096);
    let cases: Vec<(u16, &str, Result<ureq::Response, ureq::Error>)> = vec![
        (
            404,
            "not_found",
            ureq::get(&format!("{}/nowhere", app.base)).call(),
        ),
        (
            401,
            "unauthorized",
            ureq::get(&format!("{}/v1/events", app.base)).call(),
        ),
        (
            400,
            "invalid_path",
            ureq::get(&format!("{}/v1/proposals/abc", app.base))
                .set("Authorization", &format!("Bearer {steward}"))
                .call(),
        ),
        (
            413,
            "payload_too_large",
            ureq::post(&format!("{}/v1/vendor/records", app.base))
                .set("Authorization", &format!("Bearer {ingest}"))
                .send_json(vendor("sap", "1", json!({ "name": big }))),
        ),
        // A raw body over the limit is refused by actix before the handler runs.
        (
            413,
            "payload_too_large",
            ureq::post(&format!("{}/v1/proposals/1/approve", app.base))
                .set("Authorization", &format!("Bearer {steward}"))
                .set("Content-Type", "application/json")
                .send_string(&format!("{{\"comment\": \"{big}\"}}")),
        ),
    ];
    for (expected, code, result) in cases {
        let response = match result {
            Err(ureq::Error::Status(_, response)) => response,
            other => panic!("expected {expected}, got {other:?}"),
        };
        let header = response.header("x-request-id").map(str::to_owned);
        let (status, body) = read(Ok(response));
        assert_eq!(
            (status, body["error"].as_str()),
            (expected, Some(code)),
            "{body}"
        );
        assert!(header.is_some());
        assert_eq!(body["request_id"].as_str(), header.as_deref(), "{body}");
    }
}

#[test]
fn openapi_json_describes_the_api() {
    let app = spawn_app();
    let (status, spec) = app.get("/openapi.json", None);
    assert_eq!(status, 200);
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3."),
        "{spec}"
    );
    let lookup = &spec["paths"]["/v1/crosswalk/{domain}/lookup"]["post"];
    assert_eq!(
        lookup["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LookupRequest"
    );
    let not_found = &lookup["responses"]["404"]["content"]["application/json"]["schema"];
    assert_eq!(not_found["$ref"], "#/components/schemas/ErrorBody");
    let error = &spec["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], json!(["error", "message"]));
}

#[test]
fn logs_are_json_lines_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_golden"))
            .arg("reindex")
            .env("GOLDEN_DATA_DIR", dir.path().join("data"))
            .env_remove("DATABASE_URL")
            .env("GOLDEN_RULES_DIR", crate::helpers::rules_dir())
            .env("GOLDEN_LOG_FORMAT", format)
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    };
    let output = run("json");
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["level"], "INFO", "{line}");
        assert!(entry["fields"]["message"].is_string(), "{line}");
    }
    let text = String::from_utf8(run("text").stderr).unwrap();
    assert!(text.contains("index rebuilt"), "{text}");
    assert!(text.lines().all(|l| !l.starts_with('{')), "{text}");
    assert!(!run("yaml").status.success());
}

#[test]
fn nul_characters_are_refused_as_bad_input() {
    let app = spawn_app();
    let admin = app.admin();
    let record = vendor("sap", "1", json!({"name": "Acme Medical Supply Inc"}));
    assert_eq!(app.post("/v1/vendor/records", Some(&admin), &record).0, 200);
    // PostgreSQL cannot hold NUL in text and refuses it (400); SQLite finds nothing (404).
    let (status, body) = app.get("/v1/crosswalk/vendor/sap/a%00b", Some(&admin));
    assert!(matches!(status, 400 | 404), "{status} {body}");
    let (status, body) = app.get("/v1/audit?actor=a%00b", Some(&admin));
    assert!(matches!(status, 400 | 200), "{status} {body}");
    let keys = json!({"keys": [{"source_system": "sap", "source_id": "a\u{0}b"}]});
    let (status, body) = app.post("/v1/crosswalk/vendor/lookup", Some(&admin), &keys);
    assert!(matches!(status, 400 | 200), "{status} {body}");
}
