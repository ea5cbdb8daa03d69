use golden::auth::Role;
use serde_json::json;

use crate::helpers::{read, spawn_app, spawn_with, vendor};

#[test]
fn malformed_json_is_400_with_the_error_shape() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let (status, body) = app.post_raw(
        "/v1/vendor/records",
        &token,
        "application/json",
        b"{\"source_system\": ",
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "malformed_json");
    assert!(body["request_id"].is_string());

    let (status, body) = app.post_raw("/v1/vendor/records", &token, "application/json", b"42");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");

    let (status, body) = app.post_raw("/v1/vendor/records", &token, "text/plain", b"{}");
    assert_eq!(status, 415, "{body}");
}

#[test]
fn unknown_domain_and_route_are_404() {
    let app = spawn_app();
    let admin = app.admin();
    let (status, body) = app.post(
        "/v1/supplier/records",
        Some(&admin),
        &vendor("erp", "1", json!({})),
    );
    assert_eq!(status, 404);
    assert_eq!(body["error"], "unknown_domain");
    let (status, body) = app.get("/v1/supplier/golden/V1", Some(&admin));
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("unknown_domain"))
    );
    let (status, body) = app.get("/v1/vendor/golden/V99999999", Some(&admin));
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, body) = app.get("/nowhere", None);
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

#[test]
fn oversized_body_is_413() {
    let app = spawn_with(|s| s.max_body_bytes = 2_048);
    let token = app.token(&[Role::Ingest], &["erp"]);
    let big = vendor("erp", "1", json!({"name": "x".repeat(4_096)}));
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &big);
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "payload_too_large");
}

#[test]
fn request_id_is_echoed_and_quoted_in_errors() {
    let app = spawn_app();
    let response = ureq::get(&format!("{}/v1/vendor/golden/V1", app.base))
        .set("X-Request-Id", "trace-abc-123")
        .call();
    let response = match response {
        Err(ureq::Error::Status(_, r)) => r,
        other => panic!("expected 401, got {other:?}"),
    };
    assert_eq!(response.header("x-request-id"), Some("trace-abc-123"));
    let (status, body) = read(Ok(response));
    assert_eq!(status, 401);
    assert_eq!(body["request_id"], "trace-abc-123");

    let response = ureq::get(&format!("{}/healthz", app.base)).call().unwrap();
    assert_eq!(response.header("x-request-id").map(str::len), Some(36));
}

#[test]
fn bad_query_parameters_are_400() {
    let app = spawn_app();
    let reader = app.token(&[Role::Reader], &[]);
    assert_eq!(app.get("/v1/events?after=abc", Some(&reader)).0, 400);
    assert_eq!(app.get("/v1/events?limit=0", Some(&reader)).0, 400);
    assert_eq!(app.get("/v1/events?limit=5000", Some(&reader)).0, 400);
}

#[test]
fn every_numeric_query_parameter_is_checked_and_named() {
    let app = spawn_app();
    let admin = app.admin();
    let cases = [
        ("/v1/vendor/proposals?min_score=NaN", "min_score"),
        ("/v1/vendor/proposals?min_score=inf", "min_score"),
        ("/v1/vendor/proposals?max_score=-0.5", "max_score"),
        ("/v1/vendor/proposals?max_score=1.5", "max_score"),
        ("/v1/vendor/proposals?limit=-1", "limit"),
        ("/v1/vendor/proposals?limit=abc", "limit"),
        ("/v1/vendor/proposals?offset=-3", "offset"),
        ("/v1/vendor/golden?q=acme&limit=-1", "limit"),
        ("/v1/vendor/golden?q=acme&limit=0", "limit"),
        ("/v1/vendor/golden?q=acme&limit=1000", "limit"),
        ("/v1/jobs?limit=-1", "limit"),
        ("/v1/jobs?limit=100000", "limit"),
        ("/v1/events?limit=-1", "limit"),
        ("/v1/events?after=-1", "after"),
        ("/v1/events?after=1e400", "after"),
        ("/v1/events?wait=-1", "wait"),
        ("/v1/events?wait=NaN", "wait"),
        ("/v1/audit?limit=-1", "limit"),
        ("/v1/audit?before=-5", "before"),
        ("/v1/audit?before=x", "before"),
    ];
    for (path, parameter) in cases {
        let (status, body) = app.get(path, Some(&admin));
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"], "invalid_query", "{path}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(parameter), "{path}: {message}");
        assert!(body["request_id"].is_string(), "{path}: {body}");
    }
    for path in [
        "/v1/vendor/proposals?min_score=0.25&max_score=1&limit=500&offset=0",
        "/v1/vendor/golden?q=acme&limit=100",
        "/v1/jobs?limit=500",
        "/v1/events?after=0&limit=1000&wait=0",
        "/v1/audit?limit=500&before=10",
    ] {
        let (status, body) = app.get(path, Some(&admin));
        assert_eq!(status, 200, "{path}: {body}");
    }
}
