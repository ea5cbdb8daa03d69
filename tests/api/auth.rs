use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use golden::auth::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{SECRET, spawn_app, vendor};

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

fn signed(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[test]
fn bad_tokens_get_401() {
    let app = spawn_app();
    let path = "/v1/crosswalk/vendor/erp/1";
    assert_eq!(app.get(path, None).0, 401);
    assert_eq!(app.get(path, Some("not-a-jwt")).0, 401);

    let good = app.token(&[Role::Admin], &[]);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("mallory");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let (status, body) = app.get(path, Some(&parts.join(".")));
    assert_eq!(status, 401, "tampered: {body}");
    assert_eq!(body["error"], "unauthorized");

    let expired = signed(
        json!({"sub": "x", "roles": ["admin"], "exp": now() - 3600}),
        SECRET,
    );
    assert_eq!(app.get(path, Some(&expired)).0, 401, "expired");

    let no_exp = signed(json!({"sub": "x", "roles": ["admin"]}), SECRET);
    assert_eq!(app.get(path, Some(&no_exp)).0, 401, "exp is required");

    let wrong_secret = signed(
        json!({"sub": "x", "roles": ["admin"], "exp": now() + 600}),
        "another-secret-0123456789",
    );
    assert_eq!(app.get(path, Some(&wrong_secret)).0, 401, "wrong secret");

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD
        .encode(json!({"sub": "x", "roles": ["admin"], "exp": now() + 600}).to_string());
    assert_eq!(
        app.get(path, Some(&format!("{header}.{body}."))).0,
        401,
        "alg none"
    );
}

#[test]
fn roles_and_sources_are_enforced_with_403() {
    let app = spawn_app();
    let record = vendor("sap", "1", json!({"name": "Stryker"}));
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.post("/v1/vendor/records", Some(&reader), &record);
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");

    let oracle_only = app.token(&[Role::Ingest], &["oracle"]);
    let (status, body) = app.post("/v1/vendor/records", Some(&oracle_only), &record);
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("sap"));
    // A mixed batch is refused whole: nothing is stored.
    let mixed = json!([
        vendor("oracle", "2", json!({"name": "Zimmer"})),
        record.clone()
    ]);
    assert_eq!(
        app.post("/v1/vendor/records", Some(&oracle_only), &mixed).0,
        403
    );
    assert_eq!(app.get("/v1/vendor/records/oracle/2", Some(&reader)).0, 404);

    let sap = app.token(&[Role::Ingest], &["sap"]);
    assert_eq!(app.post("/v1/vendor/records", Some(&sap), &record).0, 200);
    // An ingest token reads its own records but not the crosswalk.
    assert_eq!(app.get("/v1/vendor/records/sap/1", Some(&sap)).0, 200);
    assert_eq!(app.get("/v1/crosswalk/vendor/sap/1", Some(&sap)).0, 403);
    assert_eq!(
        app.get("/v1/vendor/records/sap/1", Some(&oracle_only)).0,
        403
    );
    assert_eq!(app.delete("/v1/vendor/records/sap/1", Some(&reader)).0, 403);

    assert_eq!(app.get("/v1/crosswalk/vendor/sap/1", Some(&reader)).0, 200);
    let steward = app.token(&[Role::Steward], &[]);
    assert_eq!(app.get("/v1/crosswalk/vendor/sap/1", Some(&steward)).0, 200);
    assert_eq!(
        app.post("/v1/vendor/records", Some(&steward), &record).0,
        403
    );
}

#[test]
fn health_needs_no_token() {
    let app = spawn_app();
    let (status, body) = app.get("/healthz", None);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}
