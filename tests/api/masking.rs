//! Sensitive fields (vendor: `tax_id`, `bank_account`) are masked, all but their last four
//! characters, for callers without the `sensitive` role, wherever values leave the API;
//! callers with it (and admins) see them as they are. Filters and writes on them need it.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, cli_for, spawn_app};
use crate::workbench::{ingest, proposal, queue};

const TAX_ID: &str = "12-3456789";
const BANK_ACCOUNT: &str = "DE89370400440532013000";

/// What no answer to a caller without the grant may contain: any run of a sensitive value
/// longer than the four characters a mask keeps.
const SECRETS: [&str; 3] = ["3456789", "12-345", "DE893704004405320"];

fn assert_masked(what: &str, body: &Value) {
    let text = body.to_string();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

fn assert_unmasked(what: &str, body: &Value) {
    let text = body.to_string();
    assert!(text.contains("3456789"), "{what} hides the tax ID: {text}");
}

/// Two vendor records that auto-link on their tax ID; the golden ID.
fn acme(app: &TestApp) -> String {
    let first = ingest(
        app,
        "sap",
        "1",
        json!({"name": "Acme Medical Supply, Inc.", "tax_id": TAX_ID,
               "bank_account": BANK_ACCOUNT, "city": "Chicago"}),
    );
    let second = ingest(
        app,
        "oracle",
        "V-77",
        json!({"name": "ACME MEDICAL SUPPLY INC", "tax_id": "123456789"}),
    );
    assert_eq!(second["decision"], "auto_linked", "{second}");
    assert_eq!(first["golden_id"], second["golden_id"]);
    first["golden_id"].as_str().unwrap().to_owned()
}

fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get(path, Some(token));
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[test]
fn a_reader_sees_masks_and_the_sensitive_role_and_admin_see_values() {
    let app = spawn_app();
    let golden_id = acme(&app);
    let reader = app.token(&[Role::Reader], &[]);
    let granted = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let admin = app.admin();

    let golden = format!("/v1/vendor/golden/{golden_id}");
    let view = get(&app, &golden, &reader);
    assert_masked("golden record", &view);
    assert_eq!(view["fields"]["bank_account"], "••••••••••••••••••3000");
    assert_eq!(view["fields"]["city"], "Chicago");
    for token in [&granted, &admin] {
        let view = get(&app, &golden, token);
        assert_eq!(view["fields"]["bank_account"], BANK_ACCOUNT, "{view}");
        assert_unmasked("golden record", &view);
    }

    // A source record: attributes, standardized values, history and the link's evidence.
    let record = get(&app, "/v1/vendor/records/sap/1", &reader);
    assert_masked("source record", &record);
    assert_eq!(record["attributes"]["tax_id"], "••••••6789");
    assert_eq!(record["history"][0]["attributes"]["tax_id"], "••••••6789");
    let linked = get(&app, "/v1/vendor/records/oracle/V-77", &reader);
    assert_masked("linked record", &linked);
    let evidence = linked["link"]["evidence"].as_array().unwrap();
    let tax = evidence.iter().find(|e| e["field"] == "tax_id").unwrap();
    assert_eq!(tax["left"], "•••••6789", "{tax}");
    assert_eq!(tax["similarity"], 1.0, "judged on the real values: {tax}");
    assert_unmasked(
        "linked record",
        &get(&app, "/v1/vendor/records/oracle/V-77", &granted),
    );

    // Browse and search.
    let page = get(&app, "/v1/vendor/golden", &reader);
    assert_masked("browse", &page);
    assert_eq!(
        page["records"][0]["fields"]["tax_id"]
            .as_str()
            .unwrap()
            .chars()
            .last(),
        Some('9')
    );
    assert_unmasked("browse", &get(&app, "/v1/vendor/golden", &granted));
    let hits = get(&app, "/v1/vendor/golden?q=acme", &reader);
    assert_eq!(
        hits["results"][0]["golden_id"],
        golden_id.as_str(),
        "{hits}"
    );
    assert_masked("search", &hits);
    assert_unmasked("search", &get(&app, "/v1/vendor/golden?q=acme", &granted));
    // A tax ID finds nothing for a caller who may not see tax IDs.
    let probe = get(&app, "/v1/vendor/golden?q=123456789", &reader);
    assert_eq!(probe["results"], json!([]), "{probe}");
    let found = get(&app, "/v1/vendor/golden?q=123456789", &granted);
    assert_eq!(
        found["results"][0]["golden_id"],
        golden_id.as_str(),
        "{found}"
    );

    // The change feed carries attributes and fields.
    let events = get(&app, "/v1/events?after=0&limit=1000", &reader);
    assert!(events["events"].as_array().unwrap().len() > 3, "{events}");
    assert_masked("change feed", &events);
    assert_unmasked(
        "change feed",
        &get(&app, "/v1/events?after=0&limit=1000", &granted),
    );
}

/// A streamed export's body as text.
fn text_of(app: &TestApp, path: &str, token: &str) -> String {
    let response = ureq::get(&format!("{}{path}", app.base))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.into_string().unwrap()
}

#[test]
fn exports_are_masked_line_by_line() {
    let app = spawn_app();
    acme(&app);
    let reader = app.token(&[Role::Reader], &[]);
    let granted = app.token(&[Role::Reader, Role::Sensitive], &[]);
    for format in ["csv", "ndjson"] {
        let path = format!("/v1/vendor/golden/export?format={format}");
        let text = text_of(&app, &path, &reader);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{format} shows {secret}: {text}");
        }
        assert!(text.contains("••••3000"), "{format}: {text}");
        let text = text_of(&app, &path, &granted);
        assert!(text.contains(BANK_ACCOUNT), "{format}: {text}");
    }
    let csv = text_of(&app, "/v1/vendor/golden/export?format=csv", &reader);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(row[column("bank_account")], "••••••••••••••••••3000");
    assert_eq!(row[column("city")], "Chicago");
}

#[test]
fn filters_on_a_sensitive_field_need_the_role() {
    let app = spawn_app();
    let golden_id = acme(&app);
    let reader = app.token(&[Role::Reader], &[]);
    let steward = app.token(&[Role::Steward], &[]);
    for path in [
        "/v1/vendor/golden?field.tax_id=123456789",
        "/v1/vendor/golden/export?format=csv&field.tax_id=123456789",
        "/v1/vendor/golden?field.city=chicago&field.bank_account=x",
    ] {
        for token in [&reader, &steward] {
            let (status, body) = app.get(path, Some(token));
            assert_eq!(status, 403, "{path}: {body}");
            assert_eq!(body["error"], "forbidden");
            assert!(
                body["message"].as_str().unwrap().contains("sensitive"),
                "{body}"
            );
        }
    }
    let granted = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let page = get(&app, "/v1/vendor/golden?field.tax_id=123456789", &granted);
    assert_eq!(
        page["records"][0]["golden_id"],
        golden_id.as_str(),
        "{page}"
    );
    // Other fields filter as before, and the refusals are audited.
    let page = get(&app, "/v1/vendor/golden?field.city=chicago", &reader);
    assert_eq!(page["records"].as_array().unwrap().len(), 1, "{page}");
    let audit = get(
        &app,
        "/v1/audit?action=filter_sensitive&outcome=denied",
        &app.admin(),
    );
    assert!(!audit["entries"].as_array().unwrap().is_empty(), "{audit}");
}

/// Opens a proposal between two vendors named alike and gives each side a tax ID by a
/// steward's override; the proposal's ID.
fn proposal_with_tax_ids(app: &TestApp, i: usize, left: &str, right: &str) -> i64 {
    let writer = app.token_as("carol", &[Role::Steward, Role::Sensitive], &[]);
    ingest(
        app,
        "sap",
        &format!("s{i}"),
        json!({"name": format!("Contoso Surgical {i}")}),
    );
    let pending = ingest(
        app,
        "oracle",
        &format!("o{i}"),
        json!({"name": format!("Contoso Surgical {i} LLC")}),
    );
    assert_eq!(pending["decision"], "proposed", "{pending}");
    let row = queue(app, "")
        .into_iter()
        .find(|p| p["golden_id"] == pending["golden_id"])
        .unwrap();
    for (side, tax_id) in [("golden_id", left), ("other_golden_id", right)] {
        let id = row[side].as_str().unwrap();
        let view = get(app, &format!("/v1/vendor/golden/{id}"), &writer);
        let (status, body) = app.post(
            &format!("/v1/vendor/golden/{id}/override"),
            Some(&writer),
            &json!({"field": "tax_id", "value": tax_id, "version": view["version"]}),
        );
        assert_eq!(status, 200, "{body}");
    }
    row["id"].as_i64().unwrap()
}

#[test]
fn a_proposal_is_masked_but_agreement_is_judged_on_the_real_values() {
    let app = spawn_app();
    let differ = proposal_with_tax_ids(&app, 0, TAX_ID, "98-7654321");
    let same = proposal_with_tax_ids(&app, 1, TAX_ID, "123456789");
    for (id, agree, other) in [(differ, false, "••••••4321"), (same, true, "•••••6789")]
    {
        let detail = proposal(&app, id);
        assert_masked("proposal", &detail);
        assert_eq!(
            detail["golden"]["fields"]["tax_id"], "••••••6789",
            "{detail}"
        );
        assert_eq!(detail["other"]["fields"]["tax_id"], other, "{detail}");
        assert_eq!(detail["fields_agree"]["tax_id"], agree, "{detail}");
        let key = detail["summary"]["key_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["field"] == "tax_id")
            .unwrap()
            .clone();
        assert_eq!(key["agree"], agree, "{key}");
        assert_eq!(key["golden"], "••••••6789", "{key}");
    }
    let rows = queue(&app, "");
    assert_masked("queue", &Value::Array(rows));
    let granted = app.token(&[Role::Steward, Role::Sensitive], &[]);
    let detail = get(&app, &format!("/v1/proposals/{differ}"), &granted);
    assert_eq!(
        detail["other"]["fields"]["tax_id"], "98-7654321",
        "{detail}"
    );

    // The audit of the overrides holds the values before and after: masked for a steward.
    let audit = get(
        &app,
        "/v1/audit?action=override_field",
        &app.token(&[Role::Steward], &[]),
    );
    assert_eq!(audit["entries"].as_array().unwrap().len(), 4, "{audit}");
    assert_masked("audit", &audit);
    assert_unmasked(
        "audit",
        &get(&app, "/v1/audit?action=override_field", &granted),
    );
}

#[test]
fn an_explanation_masks_both_sides_of_a_sensitive_comparison() {
    let app = spawn_app();
    ingest(
        &app,
        "sap",
        "1",
        json!({"name": "Acme Medical Supply", "tax_id": TAX_ID}),
    );
    let pending = ingest(
        &app,
        "oracle",
        "2",
        json!({"name": "Globex Holdings", "tax_id": "123456789"}),
    );
    assert_eq!(pending["decision"], "proposed", "{pending}");
    let row = queue(&app, "")[0].clone();
    assert_masked("queue row", &row);
    let detail = proposal(&app, row["id"].as_i64().unwrap());
    assert_masked("proposal", &detail);
    let tax = detail["explanation"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "tax_id")
        .unwrap()
        .clone();
    assert_eq!(tax["left"], "•••••6789", "{tax}");
    assert_eq!(tax["right"], "•••••6789", "{tax}");
    assert_eq!(tax["weight"], 12.0, "{tax}");
    assert_eq!(detail["fields_agree"]["tax_id"], true, "{detail}");
}

#[test]
fn writing_a_sensitive_field_needs_the_role() {
    let app = spawn_app();
    let id = proposal_with_tax_ids(&app, 0, TAX_ID, "98-7654321");
    let steward = app.token_as("dave", &[Role::Steward], &[]);
    let detail = proposal(&app, id);
    let golden_id = detail["golden_id"].as_str().unwrap().to_owned();
    let version = detail["golden"]["version"].clone();

    let override_path = format!("/v1/vendor/golden/{golden_id}/override");
    for value in [json!("11-1111111"), Value::Null] {
        let body = json!({"field": "tax_id", "value": value, "version": version});
        let (status, answer) = app.post(&override_path, Some(&steward), &body);
        assert_eq!(status, 403, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("sensitive"),
            "{answer}"
        );
    }
    let (status, answer) = app.post(
        &format!("/v1/proposals/{id}/approve"),
        Some(&steward),
        &json!({"picks": {"tax_id": "98-7654321"}}),
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(proposal(&app, id)["status"], "open");
    let denied = get(&app, "/v1/audit?actor=dave&outcome=denied", &app.admin());
    assert_eq!(denied["entries"].as_array().unwrap().len(), 3, "{denied}");

    // Other fields stay the steward's to set; with the role, sensitive ones too.
    let body = json!({"field": "city", "value": "Denver", "version": version});
    let (status, answer) = app.post(&override_path, Some(&steward), &body);
    assert_eq!(status, 200, "{answer}");
    let granted = app.token(&[Role::Steward, Role::Sensitive], &[]);
    let body = json!({"field": "tax_id", "value": "11-1111111", "version": answer["version"]});
    let (status, answer) = app.post(&override_path, Some(&granted), &body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["fields"]["tax_id"], "11-1111111");
}

#[test]
fn an_ingest_token_writes_real_values_and_reads_masks() {
    let app = spawn_app();
    let golden_id = acme(&app);
    let ingest = app.token(&[Role::Ingest], &["sap"]);
    let mine = get(&app, "/v1/vendor/records/sap/1", &ingest);
    assert_masked("own record", &mine);
    let stored = get(
        &app,
        &format!("/v1/vendor/golden/{golden_id}"),
        &app.admin(),
    );
    assert_eq!(stored["fields"]["bank_account"], BANK_ACCOUNT);
}

#[test]
fn golden_token_grants_the_sensitive_role() {
    let app = spawn_app();
    let golden_id = acme(&app);
    let out = cli_for(
        &app.settings,
        &["token", "--roles", "reader,sensitive", "--sub", "auditor"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let view = get(&app, &format!("/v1/vendor/golden/{golden_id}"), &token);
    assert_eq!(view["fields"]["bank_account"], BANK_ACCOUNT, "{view}");
    let (status, domains) = app.get("/v1/domains", Some(&token));
    assert_eq!(status, 200);
    let vendor = domains["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "vendor")
        .unwrap();
    let sensitive: Vec<&str> = vendor["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["sensitive"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(sensitive, ["tax_id", "bank_account"]);
}

#[test]
fn a_jobs_rejected_rows_and_profile_examples_are_masked() {
    let app = spawn_app();
    let loader = app.token(&[Role::Ingest], &["acq"]);
    let reader = app.token(&[Role::Reader], &[]);
    let granted = app.token(&[Role::Reader, Role::Sensitive], &[]);
    let csv = format!("source_id,name,tax_id\n1,Acme Medical,{TAX_ID}\n2,,98-7654321\n");
    let mut jobs = Vec::new();
    for mode in ["load", "profile"] {
        let response = ureq::post(&format!(
            "{}/v1/vendor/jobs?source=acq&mode={mode}",
            app.base
        ))
        .set("Authorization", &format!("Bearer {loader}"))
        .set("Content-Type", "text/csv")
        .send_bytes(csv.as_bytes());
        let (status, job) = crate::helpers::read(response);
        assert_eq!(status, 202, "{job}");
        let id = job["id"].as_str().unwrap().to_owned();
        let done = crate::jobs::wait_finished(&app, &id);
        assert_eq!(done["status"], "finished", "{done}");
        jobs.push(id);
    }
    let rejects = format!("/v1/jobs/{}/rejects", jobs[0]);
    let text = text_of(&app, &rejects, &reader);
    assert!(text.starts_with("line,reason,raw\n3,name"), "{text}");
    assert!(!text.contains("7654321"), "{text}");
    assert!(text_of(&app, &rejects, &granted).contains("98-7654321"));

    let profile = get(&app, &format!("/v1/jobs/{}", jobs[1]), &reader);
    let column = profile["profile"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "tax_id")
        .unwrap()
        .clone();
    assert!(
        !column["examples"]["standardized"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{column}"
    );
    assert_masked("profile", &profile);
    assert_unmasked(
        "profile",
        &get(&app, &format!("/v1/jobs/{}", jobs[1]), &granted),
    );
    assert_masked("job list", &get(&app, "/v1/jobs", &reader));
}
