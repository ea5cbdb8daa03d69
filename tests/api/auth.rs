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
    // In a mixed batch only the other system's record is refused.
    let mixed = json!([
        vendor("oracle", "2", json!({"name": "Zimmer"})),
        record.clone()
    ]);
    let (status, body) = app.post("/v1/vendor/records", Some(&oracle_only), &mixed);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][1]["rejection"], "forbidden");
    assert_eq!(app.get("/v1/vendor/records/oracle/2", Some(&reader)).0, 200);
    assert_eq!(app.get("/v1/vendor/records/sap/1", Some(&reader)).0, 404);

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

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "golden";
const IDP_KEY: &[u8] = include_bytes!("../fixtures/idp-rsa.key");
const IDP_PUBLIC_KEY: &[u8] = include_bytes!("../fixtures/idp-rsa.pub");
const OTHER_KEY: &[u8] = include_bytes!("../fixtures/other-rsa.key");

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A server that expects an issuer and an audience and also accepts the identity provider's
/// RS256 key.
fn idp_app() -> crate::helpers::TestApp {
    crate::helpers::spawn_with(|settings| {
        settings.identity_provider.public_key_path = Some(fixture("idp-rsa.pub"));
        settings.identity_provider.issuer = Some(ISSUER.into());
        settings.identity_provider.audience = Some(AUDIENCE.into());
    })
}

fn rs256(claims: &serde_json::Value, private_pem: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(private_pem).unwrap(),
    )
    .unwrap()
}

/// Reader claims for `sub` with the expected issuer and audience, changed by `edit`.
fn claims(sub: &str, edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    let mut claims = json!({
        "sub": sub, "roles": ["reader"], "exp": now() + 600,
        "iss": ISSUER, "aud": AUDIENCE,
    });
    edit(&mut claims);
    claims
}

/// The audit entries of refusals whose actor is `actor`, newest first.
fn refusals_of(app: &crate::helpers::TestApp, actor: &str) -> Vec<serde_json::Value> {
    let admin = app.admin();
    let path = format!("/v1/audit?actor={}&limit=500", urlencode(actor));
    let (status, body) = app.get(&path, Some(&admin));
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn every_claim_is_checked_and_every_refusal_is_audited() {
    let app = idp_app();
    let unsigned = |claims: &serde_json::Value| {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
    };
    // The public key's own bytes as an HS256 secret: the classic algorithm confusion.
    let confused = |claims: &serde_json::Value| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(IDP_PUBLIC_KEY),
        )
        .unwrap()
    };
    let hs = |claims: serde_json::Value| signed(claims, SECRET);
    let idp = |claims: serde_json::Value| rs256(&claims, IDP_KEY);
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("hs-valid", hs(claims("hs-valid", |_| {})), None),
        ("rs-valid", idp(claims("rs-valid", |_| {})), None),
        (
            "hs-aud-array",
            hs(claims("hs-aud-array", |c| {
                c["aud"] = json!(["crm", AUDIENCE])
            })),
            None,
        ),
        (
            "rs-aud-array",
            idp(claims("rs-aud-array", |c| c["aud"] = json!([AUDIENCE]))),
            None,
        ),
        (
            "nbf-past",
            hs(claims("nbf-past", |c| c["nbf"] = json!(now() - 10))),
            None,
        ),
        (
            "nbf-within-leeway",
            hs(claims("nbf-within-leeway", |c| {
                c["nbf"] = json!(now() + 20)
            })),
            None,
        ),
        (
            "expired",
            hs(claims("expired", |c| c["exp"] = json!(now() - 3600))),
            Some("expired"),
        ),
        (
            "rs-expired",
            idp(claims("rs-expired", |c| c["exp"] = json!(now() - 3600))),
            Some("expired"),
        ),
        (
            "not-yet-valid",
            hs(claims("not-yet-valid", |c| c["nbf"] = json!(now() + 3600))),
            Some("not_yet_valid"),
        ),
        (
            "rs-not-yet-valid",
            idp(claims("rs-not-yet-valid", |c| {
                c["nbf"] = json!(now() + 3600)
            })),
            Some("not_yet_valid"),
        ),
        (
            "no-iss",
            hs(claims("no-iss", |c| {
                drop(c.as_object_mut().unwrap().remove("iss"))
            })),
            Some("missing_claim"),
        ),
        (
            "rs-no-iss",
            idp(claims("rs-no-iss", |c| {
                drop(c.as_object_mut().unwrap().remove("iss"))
            })),
            Some("missing_claim"),
        ),
        (
            "wrong-iss",
            hs(claims("wrong-iss", |c| {
                c["iss"] = json!("https://evil.example")
            })),
            Some("wrong_issuer"),
        ),
        (
            "rs-wrong-iss",
            idp(claims("rs-wrong-iss", |c| {
                c["iss"] = json!("https://evil.example")
            })),
            Some("wrong_issuer"),
        ),
        (
            "no-aud",
            hs(claims("no-aud", |c| {
                drop(c.as_object_mut().unwrap().remove("aud"))
            })),
            Some("missing_claim"),
        ),
        (
            "rs-no-aud",
            idp(claims("rs-no-aud", |c| {
                drop(c.as_object_mut().unwrap().remove("aud"))
            })),
            Some("missing_claim"),
        ),
        (
            "wrong-aud",
            hs(claims("wrong-aud", |c| c["aud"] = json!("crm"))),
            Some("wrong_audience"),
        ),
        (
            "wrong-aud-array",
            idp(claims("wrong-aud-array", |c| {
                c["aud"] = json!(["crm", "erp"])
            })),
            Some("wrong_audience"),
        ),
        (
            "alg-none",
            unsigned(&claims("alg-none", |_| {})),
            Some("algorithm_not_accepted"),
        ),
        (
            "alg-confusion",
            confused(&claims("alg-confusion", |_| {})),
            Some("bad_signature"),
        ),
        (
            "wrong-key",
            rs256(&claims("wrong-key", |_| {}), OTHER_KEY),
            Some("bad_signature"),
        ),
        (
            "wrong-secret",
            signed(claims("wrong-secret", |_| {}), "another-secret-0123456789"),
            Some("bad_signature"),
        ),
    ];
    for (name, token, refusal) in &cases {
        let (status, body) = app.get("/v1/domains", Some(token));
        let entries = refusals_of(&app, name);
        match refusal {
            None => {
                assert_eq!(status, 200, "{name}: {body}");
                assert!(entries.is_empty(), "{name}: {entries:?}");
            }
            Some(code) => {
                assert_eq!(status, 401, "{name}: {body}");
                assert_eq!(body["error"], "unauthorized", "{name}");
                assert_eq!(entries.len(), 1, "{name}: {entries:?}");
                let entry = &entries[0];
                assert_eq!(entry["action"], "authenticate", "{name}");
                assert_eq!(entry["outcome"], "denied", "{name}");
                assert_eq!(entry["entity_id"], "GET /v1/domains", "{name}");
                assert_eq!(entry["request_id"], body["request_id"], "{name}");
                let reason = entry["reason"].as_str().unwrap();
                assert!(reason.starts_with(&format!("{code}:")), "{name}: {reason}");
                assert!(reason.contains("not verified"), "{name}: {reason}");
            }
        }
    }
    let metrics = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains(r#"golden_auth_refusals_total{audited="true",reason="bad_signature"} 3"#),
        "{metrics}"
    );
}

#[test]
fn wrong_role_and_wrong_source_are_audited_with_their_reason() {
    let app = idp_app();
    let token = |sub: &str, roles: serde_json::Value, sources: serde_json::Value| {
        signed(
            claims(sub, |c| {
                c["roles"] = roles;
                c["sources"] = sources;
            }),
            SECRET,
        )
    };
    let reader = token("just-a-reader", json!(["reader"]), json!([]));
    let (status, body) = app.get("/v1/vendor/proposals", Some(&reader));
    assert_eq!(status, 403, "{body}");
    let entries = refusals_of(&app, "just-a-reader");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "list_proposals");
    assert_eq!(entries[0]["request_id"], body["request_id"]);
    assert!(entries[0]["reason"].as_str().unwrap().contains("steward"));

    let oracle = token("oracle-loader", json!(["ingest"]), json!(["oracle"]));
    let record = vendor("sap", "1", json!({"name": "Stryker"}));
    let (status, body) = app.post("/v1/vendor/records", Some(&oracle), &record);
    assert_eq!(status, 403, "{body}");
    let entries = refusals_of(&app, "oracle-loader");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["request_id"], body["request_id"]);
    assert!(entries[0]["reason"].as_str().unwrap().contains("\"sap\""));

    let metrics = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    for reason in ["missing_role", "source_not_allowed"] {
        let line = format!(r#"golden_auth_refusals_total{{audited="true",reason="{reason}"}} 1"#);
        assert!(metrics.contains(&line), "{line}\n{metrics}");
    }
}

#[test]
fn a_missing_token_is_audited_as_anonymous() {
    let app = spawn_app();
    let (status, body) = app.get("/v1/domains", None);
    assert_eq!(status, 401);
    let entries = refusals_of(&app, "anonymous");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("missing_token:")
    );
    assert_eq!(entries[0]["request_id"], body["request_id"]);
}

#[test]
fn refusal_text_is_sanitized_before_it_is_stored() {
    let app = spawn_app();
    // A NUL byte would make PostgreSQL refuse the row; a long sub would bloat it.
    let nul = signed(
        json!({"sub": "evil\u{0}name\n", "roles": ["admin"], "exp": now() + 600}),
        "another-secret-0123456789",
    );
    assert_eq!(app.get("/v1/domains", Some(&nul)).0, 401);
    let entries = refusals_of(&app, "evil\\u{0}name\\u{a}");
    assert_eq!(entries.len(), 1, "{entries:?}");

    let long = "x".repeat(5_000);
    let token = signed(
        json!({"sub": long, "roles": ["admin"], "exp": now() + 600}),
        "another-secret-0123456789",
    );
    assert_eq!(app.get("/v1/domains", Some(&token)).0, 401);
    let cut = format!("{}…", "x".repeat(200));
    let entries = refusals_of(&app, &cut);
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[test]
fn a_flood_of_refusals_is_audited_up_to_a_budget_and_counted_past_it() {
    let app = spawn_app();
    let expired = signed(
        json!({"sub": "flooder", "roles": ["admin"], "exp": now() - 3600}),
        SECRET,
    );
    for _ in 0..25 {
        assert_eq!(app.get("/v1/domains", Some(&expired)).0, 401);
    }
    let audited = refusals_of(&app, "flooder").len();
    // The budget is per minute: a test that straddles a minute's end may audit twice as many.
    assert!(audited == 10 || audited == 20, "{audited}");
    let metrics = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let line = format!(
        r#"golden_auth_refusals_total{{audited="false",reason="expired"}} {}"#,
        25 - audited
    );
    assert!(metrics.contains(&line), "{line}\n{metrics}");
}

const EC_KEY: &[u8] = include_bytes!("../fixtures/idp-ec.key");
const ED_KEY: &[u8] = include_bytes!("../fixtures/idp-ed.key");

/// A JWKS document of the public halves of `keys` (private PEM, algorithm, kid).
fn jwks(keys: &[(&[u8], Algorithm, &str)]) -> String {
    let keys: Vec<jsonwebtoken::jwk::Jwk> = keys
        .iter()
        .map(|(pem, alg, kid)| {
            let mut jwk =
                jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding_key(pem, *alg), *alg).unwrap();
            jwk.common.key_id = Some(kid.to_string());
            jwk
        })
        .collect();
    serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys }).unwrap()
}

fn encoding_key(pem: &[u8], alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem).unwrap(),
    }
}

fn with_kid(claims: &serde_json::Value, pem: &[u8], alg: Algorithm, kid: &str) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &encoding_key(pem, alg)).unwrap()
}

/// Writes `text` to `path` through a temporary file, as a deployment would swap it.
fn replace_file(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

#[test]
fn keys_come_from_a_jwks_by_kid_and_a_rotated_key_is_picked_up() {
    let keys_dir = tempfile::tempdir().unwrap();
    let file = keys_dir.path().join("jwks.json");
    replace_file(
        &file,
        &jwks(&[
            (IDP_KEY, Algorithm::RS256, "rsa-1"),
            (EC_KEY, Algorithm::ES256, "ec-1"),
            (ED_KEY, Algorithm::EdDSA, "ed-1"),
        ]),
    );
    let jwks_file = file.clone();
    let app = crate::helpers::spawn_with(move |settings| {
        settings.identity_provider.jwks_file = Some(jwks_file);
        settings.identity_provider.issuer = Some(ISSUER.into());
        settings.identity_provider.audience = Some(AUDIENCE.into());
    });
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        (
            "jwks-rs256",
            with_kid(
                &claims("jwks-rs256", |_| {}),
                IDP_KEY,
                Algorithm::RS256,
                "rsa-1",
            ),
            None,
        ),
        (
            "jwks-es256",
            with_kid(
                &claims("jwks-es256", |_| {}),
                EC_KEY,
                Algorithm::ES256,
                "ec-1",
            ),
            None,
        ),
        (
            "jwks-eddsa",
            with_kid(
                &claims("jwks-eddsa", |_| {}),
                ED_KEY,
                Algorithm::EdDSA,
                "ed-1",
            ),
            None,
        ),
        (
            "jwks-unknown-kid",
            with_kid(
                &claims("jwks-unknown-kid", |_| {}),
                IDP_KEY,
                Algorithm::RS256,
                "rsa-9",
            ),
            Some("unknown_key"),
        ),
        (
            "jwks-wrong-key",
            with_kid(
                &claims("jwks-wrong-key", |_| {}),
                OTHER_KEY,
                Algorithm::RS256,
                "rsa-1",
            ),
            Some("bad_signature"),
        ),
        (
            // The EC key's kid on a token that says RS256: the key's algorithm is pinned.
            "jwks-alg-mismatch",
            with_kid(
                &claims("jwks-alg-mismatch", |_| {}),
                IDP_KEY,
                Algorithm::RS256,
                "ec-1",
            ),
            Some("algorithm_not_accepted"),
        ),
        (
            "jwks-no-aud",
            with_kid(
                &claims("jwks-no-aud", |c| {
                    drop(c.as_object_mut().unwrap().remove("aud"))
                }),
                EC_KEY,
                Algorithm::ES256,
                "ec-1",
            ),
            Some("missing_claim"),
        ),
        (
            "jwks-hs256-kid",
            {
                let mut header = Header::new(Algorithm::HS256);
                header.kid = Some("rsa-1".into());
                jsonwebtoken::encode(
                    &header,
                    &claims("jwks-hs256-kid", |_| {}),
                    &EncodingKey::from_secret(SECRET.as_bytes()),
                )
                .unwrap()
            },
            Some("algorithm_not_accepted"),
        ),
    ];
    for (name, token, refusal) in &cases {
        let (status, body) = app.get("/v1/domains", Some(token));
        let entries = refusals_of(&app, name);
        match refusal {
            None => assert_eq!((status, entries.len()), (200, 0), "{name}: {body}"),
            Some(code) => {
                assert_eq!(status, 401, "{name}: {body}");
                assert_eq!(entries.len(), 1, "{name}: {entries:?}");
                let reason = entries[0]["reason"].as_str().unwrap();
                assert!(reason.starts_with(&format!("{code}:")), "{name}: {reason}");
            }
        }
    }
    // The shared secret still works without a kid.
    assert_eq!(app.get("/v1/domains", Some(&app.admin())).0, 200);

    // The provider rotates: rsa-2 comes in, rsa-1 goes. A token with the new kid makes the
    // server read the file again; the old key no longer verifies anything.
    replace_file(&file, &jwks(&[(OTHER_KEY, Algorithm::RS256, "rsa-2")]));
    let rotated = with_kid(
        &claims("jwks-rotated", |_| {}),
        OTHER_KEY,
        Algorithm::RS256,
        "rsa-2",
    );
    let (status, body) = app.get("/v1/domains", Some(&rotated));
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.get("/v1/domains", Some(&cases[0].1));
    assert_eq!(
        status, 401,
        "a token of the rotated-out key is not remembered"
    );
    let entries = refusals_of(&app, "jwks-rs256");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("unknown_key:")
    );
}

#[test]
fn a_batch_stores_what_the_token_may_write_and_refuses_the_rest_one_by_one() {
    let app = spawn_app();
    let oracle = app.token_as("oracle-loader", &[Role::Ingest], &["oracle"]);
    let batch = json!([
        vendor("oracle", "1", json!({"name": "Zimmer Biomet"})),
        vendor("sap", "1", json!({"name": "Stryker"})),
        vendor("oracle", "2", json!({})),
        vendor(" sap ", "2", json!({"name": "Medline"})),
    ]);
    let (status, body) = app.post("/v1/vendor/records", Some(&oracle), &batch);
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    let decisions: Vec<_> = results.iter().map(|r| r["decision"].clone()).collect();
    assert_eq!(decisions, ["new", "rejected", "rejected", "rejected"]);
    let rejections: Vec<_> = results.iter().map(|r| r["rejection"].clone()).collect();
    assert_eq!(
        rejections,
        [
            json!(null),
            json!("forbidden"),
            json!("invalid"),
            json!("forbidden")
        ]
    );
    let forbidden = &results[1];
    assert_eq!(
        (
            &forbidden["index"],
            &forbidden["source_system"],
            &forbidden["source_id"]
        ),
        (&json!(1), &json!("sap"), &json!("1"))
    );
    assert_eq!(forbidden["errors"][0]["field"], "source_system");
    let reason = forbidden["errors"][0]["message"].as_str().unwrap();
    assert!(
        reason.starts_with("forbidden:") && reason.contains("\"sap\""),
        "{reason}"
    );
    assert!(
        reason.contains("oracle"),
        "names what the token may write: {reason}"
    );
    assert_eq!(results[3]["source_system"], "sap");
    assert_eq!(body["summary"]["rejected"], 3);
    assert_eq!(body["summary"]["new"], 1);

    let reader = app.token(&[Role::Reader], &[]);
    assert_eq!(app.get("/v1/vendor/records/oracle/1", Some(&reader)).0, 200);
    assert_eq!(app.get("/v1/vendor/records/sap/1", Some(&reader)).0, 404);
    assert_eq!(app.get("/v1/vendor/records/sap/2", Some(&reader)).0, 404);
    // One refusal per system, audited like any other.
    let entries = refusals_of(&app, "oracle-loader");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["entity_id"], "sap");
    assert_eq!(entries[0]["outcome"], "denied");

    // Nothing the token may write: the request is refused whole, naming each system.
    let others = json!([
        vendor("sap", "3", json!({"name": "Baxter"})),
        vendor("workday", "3", json!({"name": "Baxter"})),
    ]);
    let (status, body) = app.post("/v1/vendor/records", Some(&oracle), &others);
    assert_eq!(status, 403, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("\"sap\"") && message.contains("\"workday\""),
        "{message}"
    );
    // A batch of which nothing is stored for other reasons answers 422 with every result.
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&oracle),
        &json!([
            vendor("sap", "4", json!({"name": "B"})),
            vendor("oracle", "4", json!({}))
        ]),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["results"][0]["rejection"], "forbidden");
    assert_eq!(body["results"][1]["rejection"], "invalid");

    // A token without the ingest role is refused whatever the records.
    let (status, body) = app.post("/v1/vendor/records", Some(&reader), &batch);
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["message"], "requires the ingest role");
}

#[test]
fn the_audit_log_filters_to_refusals() {
    let app = spawn_app();
    let admin = app.admin();
    let steward = app.token_as("steward-1", &[Role::Steward], &[]);
    let (status, _) = app.post(
        "/v1/vendor/records",
        Some(&admin),
        &json!([
            vendor("sap", "1", json!({"name": "Stryker", "city": "Kalamazoo"})),
            vendor("erp", "1", json!({"name": "Medline", "city": "Northfield"})),
        ]),
    );
    assert_eq!(status, 200);
    let (status, view) = app.get("/v1/vendor/golden/V00000001", Some(&admin));
    assert_eq!(status, 200, "{view}");
    let (status, body) = app.post(
        "/v1/vendor/golden/V00000001/override",
        Some(&steward),
        &json!({"field": "city", "value": "Portage", "version": view["version"]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get("/v1/domains", None).0, 401);
    assert_eq!(
        app.post(
            "/v1/vendor/golden/V00000001/override",
            Some(&app.token(&[Role::Reader], &[])),
            &json!({})
        )
        .0,
        403
    );

    let (status, body) = app.get("/v1/audit?outcome=denied", Some(&admin));
    assert_eq!(status, 200, "{body}");
    let actions: Vec<_> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [("denied", "override_field"), ("denied", "authenticate")]
    );

    let (status, body) = app.get("/v1/audit?outcome=ok", Some(&admin));
    assert_eq!(status, 200, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{body}");
    assert_eq!(entries[0]["action"], "override_field");

    let (status, body) = app.get("/v1/audit?outcome=maybe", Some(&admin));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query"))
    );
}
