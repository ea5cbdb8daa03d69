//! Bulk jobs over HTTP: upload, progress, summary, rejects, and resuming after a restart.

use std::time::{Duration, Instant};

use golden::auth::Role;
use golden::bulk::Mapping;
use golden::service::Golden;
use golden::service::bulk::JobSpec;
use serde_json::Value;

use crate::helpers::{TestApp, read, spawn_app, spawn_with};

fn upload(app: &TestApp, path: &str, token: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    read(
        ureq::post(&format!("{}{}", app.base, path))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type)
            .send_bytes(body),
    )
}

pub fn wait_finished(app: &TestApp, id: &str) -> Value {
    let reader = app.token(&[Role::Reader], &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, job) = app.get(&format!("/v1/jobs/{id}"), Some(&reader));
        assert_eq!(status, 200, "{job}");
        if job["status"] == "finished" || job["status"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not finish: {job}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn vendor_csv(rows: usize) -> String {
    let mut text = String::from("source_id,supplier,city,ein\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{i},Supplier {i} Holdings,Town {},{:09}\n",
            i % 7,
            100_000_000 + i * 7
        ));
    }
    text
}

#[test]
fn an_uploaded_file_loads_in_the_background_with_its_summary_and_rejects() {
    let app = spawn_app();
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let mut body = vendor_csv(40);
    body.push_str("40,,Nowhere,\n41,Too Few Columns\n");
    let (status, job) = upload(
        &app,
        "/v1/vendor/jobs?source=acq&map=supplier=name,ein=tax_id",
        &ingest,
        "text/csv",
        body.as_bytes(),
    );
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let done = wait_finished(&app, &id);
    assert_eq!(done["status"], "finished", "{done}");
    assert_eq!(done["rows_read"], 42);
    assert_eq!(done["rejected"], 2);
    assert_eq!(
        done["created"].as_i64().unwrap() + done["auto_linked"].as_i64().unwrap(),
        40
    );
    assert_eq!(done["progress"], 1.0);

    // Reads a tax ID as loaded: the sensitive role unmasks it.
    let reader = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let response = ureq::get(&format!("{}/v1/jobs/{id}/rejects", app.base))
        .set("Authorization", &format!("Bearer {reader}"))
        .call()
        .unwrap();
    assert!(response.content_type().starts_with("text/csv"));
    let text = response.into_string().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "line,reason,raw");
    assert!(lines[1].starts_with("42,name: is required"), "{text}");
    assert!(
        lines[2].starts_with("43,") && lines[2].contains("columns"),
        "{text}"
    );

    // The mapped columns became fields; the records answer through the crosswalk.
    let (status, record) = app.get("/v1/vendor/records/acq/7", Some(&reader));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["attributes"]["name"], "Supplier 7 Holdings");
    assert_eq!(record["attributes"]["tax_id"], "100000049");
    let (status, listing) = app.get("/v1/jobs?limit=5", Some(&reader));
    assert_eq!(status, 200);
    assert_eq!(listing["jobs"][0]["id"], id.as_str());
}

#[test]
fn bad_uploads_get_precise_errors() {
    let app = spawn_with(|s| s.max_job_bytes = 2_000);
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let (status, body) = upload(
        &app,
        "/v1/vendor/jobs?source=acq",
        &ingest,
        "text/csv",
        b"source_id,city\n1,Chicago\n",
    );
    assert_eq!(status, 422, "a missing required column: {body}");
    assert!(body["message"].as_str().unwrap().contains("name"), "{body}");
    let big = vendor_csv(200);
    let (status, _) = upload(
        &app,
        "/v1/vendor/jobs?source=acq",
        &ingest,
        "text/csv",
        big.as_bytes(),
    );
    assert_eq!(status, 413);
    let (status, _) = upload(
        &app,
        "/v1/vendor/jobs?source=other",
        &ingest,
        "text/csv",
        b"source_id,name\n1,A\n",
    );
    assert_eq!(status, 403, "not this token's source system");
    let (status, _) = upload(
        &app,
        "/v1/supplier/jobs?source=acq",
        &ingest,
        "text/csv",
        b"x",
    );
    assert_eq!(status, 404);
    let (status, _) = upload(
        &app,
        "/v1/vendor/jobs?source=acq&format=xml",
        &ingest,
        "text/csv",
        b"x",
    );
    assert_eq!(status, 400);
    let reader = app.token(&[Role::Reader], &[]);
    assert_eq!(app.get("/v1/jobs/nope", Some(&reader)).0, 404);

    // Rows that name a system the token may not write for are rejected, the others load.
    let ndjson = b"{\"source_system\":\"acq\",\"source_id\":\"1\",\"name\":\"Alpha Medical\"}\n{\"source_system\":\"erp\",\"source_id\":\"2\",\"name\":\"Beta Medical\"}\n";
    let (status, job) = upload(
        &app,
        "/v1/vendor/jobs",
        &ingest,
        "application/x-ndjson",
        ndjson,
    );
    assert_eq!(status, 202, "{job}");
    let done = wait_finished(&app, job["id"].as_str().unwrap());
    assert_eq!(done["rejected"], 1, "{done}");
    assert_eq!(done["created"], 1, "{done}");
}

#[test]
fn a_job_left_unfinished_resumes_when_the_server_starts() {
    let app = spawn_app();
    let settings = app.settings.clone();
    let input = settings.jobs_dir().join("pending.csv");
    let orphan = settings.jobs_dir().join("0badc0de.csv");
    // Another replica's upload: it lives in that replica's data dir, not in this one's.
    let elsewhere = tempfile::tempdir().unwrap();
    let foreign_input = elsewhere.path().join("theirs.csv");
    std::fs::write(&foreign_input, vendor_csv(5).replace("supplier", "name")).unwrap();
    let mut job_id = String::new();
    let mut foreign_id = String::new();
    let app = app.restart_with(|| {
        // A server stopped with this job queued: its upload is on disk, nothing loaded yet.
        std::fs::create_dir_all(settings.jobs_dir()).unwrap();
        std::fs::write(&input, vendor_csv(30).replace("supplier", "name")).unwrap();
        // An upload cut off by a crash before its job was created.
        std::fs::write(&orphan, "source_id,name\n1,Half").unwrap();
        let golden = Golden::open(settings.clone()).unwrap();
        let job = golden
            .start_job(&JobSpec {
                domain: "vendor".into(),
                source: Some("acq".into()),
                origin: "http",
                input_name: "pending.csv".into(),
                input_path: Some(input.display().to_string()),
                input_hash: None,
                bytes_total: Some(std::fs::metadata(&input).unwrap().len()),
                allowed_sources: None,
                mapping: Mapping::default(),
                created_by: "tester".into(),
                mode: "load",
                preview_of: None,
            })
            .unwrap();
        job_id = job.id;
        let spec = |input: &std::path::Path| JobSpec {
            domain: "vendor".into(),
            source: Some("acq".into()),
            origin: "http",
            input_name: "theirs.csv".into(),
            input_path: Some(input.display().to_string()),
            input_hash: None,
            bytes_total: None,
            allowed_sources: None,
            mapping: Mapping::default(),
            created_by: "tester".into(),
            mode: "load",
            preview_of: None,
        };
        foreign_id = golden.start_job(&spec(&foreign_input)).unwrap().id;
    });
    let done = wait_finished(&app, &job_id);
    assert_eq!(done["status"], "finished", "{done}");
    assert_eq!(done["rows_read"], 30);
    // The upload is removed just after the job is marked finished.
    let deadline = Instant::now() + Duration::from_secs(10);
    while input.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!input.exists(), "a finished job's upload is removed");
    let reader = app.token(&[Role::Reader], &[]);
    let (status, foreign) = app.get(&format!("/v1/jobs/{foreign_id}"), Some(&reader));
    assert_eq!(status, 200, "{foreign}");
    assert_eq!(
        foreign["status"], "queued",
        "a job whose upload another replica holds is left to that replica: {foreign}"
    );
    assert!(foreign_input.exists());
    assert!(
        !orphan.exists(),
        "an upload no job reads is removed at start"
    );
}

/// Sends an upload's headers and the first bytes of its body, then stalls: the server holds
/// the upload open.
fn stalled_upload(app: &TestApp, token: &str, declared: u64) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    write!(
        stream,
        "POST /v1/vendor/jobs?source=acq HTTP/1.1\r\nHost: golden\r\n\
         Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n\
         Content-Length: {declared}\r\n\r\nsource_id,name\n"
    )
    .unwrap();
    stream.flush().unwrap();
    stream
}

fn response_head(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buffer = vec![0u8; 4096];
    let n = stream
        .read(&mut buffer)
        .expect("a response before the body is sent");
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body_is_read() {
    let app = spawn_with(|s| s.max_job_bytes = 2_000);
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    // A terabyte is declared and only a line is sent: the answer comes at once.
    let mut stream = stalled_upload(&app, &ingest, 1 << 40);
    let response = response_head(&mut stream);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("\"error\":\"payload_too_large\""),
        "{response}"
    );
    assert!(response.contains("\"request_id\""), "{response}");
    assert!(response.contains("limit of 2000 bytes"), "{response}");
}

#[test]
fn concurrent_uploads_are_capped_per_token_and_in_total() {
    let app = spawn_with(|s| {
        s.max_uploads_per_caller = 1;
        s.max_uploads = 2;
    });
    let token = |sub: &str| app.token_as(sub, &[Role::Ingest], &["acq"]);
    let small = b"source_id,name\n1,Acme\n";
    let busy = |sub: &str| {
        let result = ureq::post(&format!("{}/v1/vendor/jobs?source=acq", app.base))
            .set("Authorization", &format!("Bearer {}", token(sub)))
            .set("Content-Type", "text/csv")
            .send_bytes(small);
        match result {
            Err(ureq::Error::Status(429, response)) => {
                assert_eq!(response.header("Retry-After"), Some("10"));
                let body: Value = serde_json::from_str(&response.into_string().unwrap()).unwrap();
                assert_eq!(body["error"], "too_many_requests", "{body}");
                assert!(body["request_id"].is_string(), "{body}");
                body["message"].as_str().unwrap().to_owned()
            }
            other => panic!("expected 429 for {sub}, got {other:?}"),
        }
    };
    // Waits until the server holds `n` uploads open (the gauge is read at scrape time).
    let in_flight = |n: usize| {
        let line = format!("golden_bulk_uploads_in_flight {n}\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = ureq::get(&format!("{}/metrics", app.base))
                .call()
                .unwrap()
                .into_string()
                .unwrap();
            if text.contains(&line) {
                return;
            }
            assert!(Instant::now() < deadline, "never {n} uploads in flight");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let first = stalled_upload(&app, &token("loader-a"), 10_000);
    in_flight(1);
    assert!(busy("loader-a").contains("this token"));
    let _second = stalled_upload(&app, &token("loader-b"), 10_000);
    in_flight(2);
    assert!(busy("loader-c").contains("the server"));

    // A broken-off upload frees its place.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = upload(
            &app,
            "/v1/vendor/jobs?source=acq",
            &token("loader-a"),
            "text/csv",
            small,
        );
        if status == 202 {
            break;
        }
        assert_eq!(status, 429, "{body}");
        assert!(Instant::now() < deadline, "the place was never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_upload_the_disk_cannot_hold_is_refused() {
    let app = spawn_with(|s| s.min_free_disk_bytes = u64::MAX / 4);
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let (status, body) = upload(
        &app,
        "/v1/vendor/jobs?source=acq",
        &ingest,
        "text/csv",
        b"source_id,name\n1,Acme\n",
    );
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"], "insufficient_storage");
    assert!(
        body["message"].as_str().unwrap().contains("free disk"),
        "{body}"
    );
    assert!(body["request_id"].is_string());
}

#[test]
fn rejects_csv_neutralizes_formula_cells() {
    let app = spawn_app();
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let (status, job) = upload(
        &app,
        "/v1/vendor/jobs?source=acq",
        &ingest,
        "text/csv",
        b"source_id,name\n@SUM(1+2),\n2,Acme Corp\n",
    );
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let done = wait_finished(&app, &id);
    assert_eq!(done["rejected"], 1, "{done}");
    // Rows of a domain with sensitive fields are shown as sent only with the sensitive role
    // (without it they are masked whole; see masking.rs).
    let reader = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let text = ureq::get(&format!("{}/v1/jobs/{id}/rejects", app.base))
        .set("Authorization", &format!("Bearer {reader}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(&row[2], "'@SUM(1+2),", "{text}");
}

#[test]
fn an_upload_without_a_length_is_cut_off_at_the_limit() {
    use std::io::Write;
    let app = spawn_with(|s| s.max_job_bytes = 2_000);
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let mut stream = std::net::TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    write!(
        stream,
        "POST /v1/vendor/jobs?source=acq HTTP/1.1\r\nHost: golden\r\n\
         Authorization: Bearer {ingest}\r\nContent-Type: text/csv\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    let body = vendor_csv(200);
    for chunk in body.as_bytes().chunks(500) {
        // The server may answer and close before the whole body is sent.
        if write!(stream, "{:x}\r\n", chunk.len()).is_err()
            || stream.write_all(chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let response = response_head(&mut stream);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("payload_too_large"), "{response}");
}

#[test]
fn jobs_wait_queued_for_a_free_worker_and_run_in_order() {
    let app = spawn_with(|settings| settings.job_workers = 1);
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let ids: Vec<String> = (0..3)
        .map(|n| {
            let body = vendor_csv(300).replace("Supplier", &format!("Supplier{n}"));
            let (status, job) = upload(
                &app,
                "/v1/vendor/jobs?source=acq&map=supplier=name,ein=tax_id",
                &ingest,
                "text/csv",
                body.as_bytes(),
            );
            assert_eq!(status, 202, "{job}");
            job["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let reader = app.token(&[Role::Reader], &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let jobs = loop {
        let jobs: Vec<Value> = ids
            .iter()
            .map(|id| app.get(&format!("/v1/jobs/{id}"), Some(&reader)).1)
            .collect();
        let statuses: Vec<&str> = jobs.iter().map(|j| j["status"].as_str().unwrap()).collect();
        assert!(!statuses.contains(&"failed"), "{jobs:?}");
        let running = statuses.iter().filter(|s| **s == "running").count();
        assert!(
            running <= 1,
            "one worker runs one job at a time: {statuses:?}"
        );
        if statuses.iter().all(|s| *s == "finished") {
            break jobs;
        }
        assert!(
            Instant::now() < deadline,
            "the jobs did not finish: {statuses:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // First come, first run: each finished after the one before it.
    let finished: Vec<&str> = jobs
        .iter()
        .map(|j| j["finished_at"].as_str().unwrap())
        .collect();
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = finished
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{finished:?}");
    for job in &jobs {
        assert_eq!(job["rows_read"], 300, "{job}");
    }
}
