//! FHIR R4 export end to end: vendors and locations from two systems, matched and merged,
//! read as `Organization` and `Location` and as NDJSON, every resource validated against the
//! official R4 JSON schema (the vendored subset in tests/fixtures/fhir).

use std::sync::OnceLock;

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, vendor};

/// The R4 schema for Organization, Location and OperationOutcome, compiled once.
fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = include_str!("../fixtures/fhir/fhir-r4-subset.schema.json");
        let schema: Value = serde_json::from_str(text).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

#[test]
fn the_schema_refuses_what_r4_refuses() {
    assert!(schema().is_valid(&json!({"resourceType": "Organization", "active": true})));
    for bad in [
        json!({"resourceType": "Organization", "active": "yes"}),
        json!({"resourceType": "Organization", "colour": "red"}),
        json!({"resourceType": "Location", "status": "open"}),
        json!({"resourceType": "Location", "partOf": {"reference": "Location/L1", "x": 1}}),
        json!({"resourceType": "Location", "identifier": [{"system": "has space"}]}),
        json!({"resourceType": "Patient"}),
    ] {
        assert!(!schema().is_valid(&bad), "{bad}");
    }
}

fn assert_valid(resource: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(resource)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{resource:#}\n{errors:#?}");
}

/// A GET that does not follow redirects: status, content type, `Location` and body.
struct Answer {
    status: u16,
    content_type: String,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn fetch(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut request = agent.get(&format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let response = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("transport error: {e}"),
    };
    Answer {
        status: response.status(),
        content_type: response.content_type().to_owned(),
        location: response.header("Location").map(str::to_owned),
        body: response.into_string().unwrap(),
    }
}

/// The resource at `path`, checked to be valid R4 served as `application/fhir+json`.
fn resource(app: &TestApp, path: &str, token: &str) -> Value {
    let answer = fetch(app, path, Some(token));
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    assert_eq!(answer.content_type, "application/fhir+json");
    let resource = answer.json();
    assert_valid(&resource);
    resource
}

/// An error answer: the status, as a valid `OperationOutcome`; its Golden error code.
fn outcome(app: &TestApp, path: &str, token: Option<&str>, status: u16) -> String {
    let answer = fetch(app, path, token);
    assert_eq!(answer.status, status, "{path}: {}", answer.body);
    assert_eq!(answer.content_type, "application/fhir+json");
    let outcome = answer.json();
    assert_valid(&outcome);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["severity"], "error");
    outcome["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ingest(app: &TestApp, domain: &str, record: Value) -> String {
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let (status, body) = app.post(&format!("/v1/{domain}/records"), Some(&token), &record);
    assert_eq!(status, 200, "{body}");
    body["results"][0]["golden_id"].as_str().unwrap().to_owned()
}

fn version(app: &TestApp, domain: &str, id: &str) -> i64 {
    let (status, view) = app.get(&format!("/v1/{domain}/golden/{id}"), Some(&app.admin()));
    assert_eq!(status, 200, "{view}");
    view["version"].as_i64().unwrap()
}

/// `(use, system, value)` of each identifier.
fn identifiers(resource: &Value) -> Vec<(String, String, String)> {
    resource["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (text("use"), text("system"), text("value"))
        })
        .collect()
}

fn has_identifier(resource: &Value, system: &str, value: &str) -> bool {
    identifiers(resource)
        .iter()
        .any(|(_, s, v)| s == system && v == value)
}

/// Two vendors (one known to both systems) and a third merged by hand into the first; the
/// golden IDs of Acme, of the merged-away record, and of the record left alone.
fn vendors(app: &TestApp) -> (String, String, String) {
    let acme = json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789",
        "duns": "12-345-6789", "address_line1": "1 Main St", "city": "Chicago", "region": "IL",
        "postal_code": "60601", "country": "US", "phone": "+1 312 555 0100",
        "email": "ap@acme.example", "website": "https://acme.example"});
    let g1 = ingest(app, "vendor", vendor("sap", "100234", acme.clone()));
    assert_eq!(ingest(app, "vendor", vendor("oracle", "V-77", acme)), g1);
    let g2 = ingest(
        app,
        "vendor",
        vendor("oracle", "V-78", json!({"name": "Acme Medical Supply Inc"})),
    );
    let g3 = ingest(
        app,
        "vendor",
        vendor(
            "sap",
            "200",
            json!({"name": "Baxter Healthcare", "country": "US"}),
        ),
    );
    let steward = app.token(&[Role::Steward], &[]);
    let body = json!({"other_golden_id": g2, "version": version(app, "vendor", &g1),
                      "other_version": version(app, "vendor", &g2)});
    let (status, merged) = app.post(
        &format!("/v1/vendor/golden/{g1}/merge"),
        Some(&steward),
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    (g1, g2, g3)
}

/// A hospital both systems know by its GLN, its dock (parent code `P-1` in SAP), and a room
/// whose parent code names nothing Golden holds; their golden IDs.
fn locations(app: &TestApp) -> (String, String, String) {
    let hospital = json!({"name": "Mercy Hospital", "location_type": "hospital",
        "gln": "0614141000036", "address_line1": "500 E 17th Ave", "city": "Denver",
        "region": "CO", "postal_code": "80203", "country": "US"});
    let h = ingest(app, "location", vendor("sap", "P-1", hospital.clone()));
    assert_eq!(ingest(app, "location", vendor("oracle", "H9", hospital)), h);
    let dock = ingest(
        app,
        "location",
        vendor(
            "sap",
            "D-2",
            json!({"name": "Mercy Hospital Dock 2",
            "location_type": "dock", "city": "Denver", "parent_code": "P-1"}),
        ),
    );
    let room = ingest(
        app,
        "location",
        vendor(
            "oracle",
            "R-214",
            json!({"name": "Room 214",
            "location_type": "room", "parent_code": "B-7"}),
        ),
    );
    (h, dock, room)
}

#[test]
fn vendors_are_organizations_with_every_identifier_and_merged_ids_redirect() {
    let app = spawn_app();
    let (acme, merged, baxter) = vendors(&app);
    // The tax ID is a sensitive field: only a caller with the sensitive role sees it.
    let reader = app.token(&[Role::Reader, Role::Sensitive], &[]);

    let org = resource(&app, &format!("/v1/fhir/Organization/{acme}"), &reader);
    assert_eq!(org["id"], acme.as_str());
    assert_eq!(org["active"], true);
    let (_, view) = app.get(&format!("/v1/vendor/golden/{acme}"), Some(&reader));
    assert_eq!(org["name"], view["fields"]["name"]);
    let ids = identifiers(&org);
    assert_eq!(
        ids[0],
        ("official".into(), "urn:golden:vendor".into(), acme.clone())
    );
    assert!(ids.contains(&("old".into(), "urn:golden:vendor".into(), merged.clone())));
    assert!(has_identifier(
        &org,
        "urn:oid:2.16.840.1.113883.4.4",
        "123456789"
    ));
    assert!(has_identifier(
        &org,
        "urn:oid:1.3.6.1.4.1.519.1",
        "123456789"
    ));
    // Without the role the tax ID is left out (a masked value would pass for a real one);
    // the DUNS, not sensitive, stays.
    let plain = app.token(&[Role::Reader], &[]);
    let unmasked = resource(&app, &format!("/v1/fhir/Organization/{acme}"), &plain);
    let text = unmasked.to_string();
    assert!(!text.contains("2.16.840.1.113883.4.4"), "{unmasked}");
    assert!(!text.contains("12-3456789"), "{unmasked}");
    assert!(has_identifier(
        &unmasked,
        "urn:oid:1.3.6.1.4.1.519.1",
        "123456789"
    ));
    for (system, id) in [("sap", "100234"), ("oracle", "V-77"), ("oracle", "V-78")] {
        let key = (
            "secondary".into(),
            format!("urn:golden:source:{system}"),
            id.into(),
        );
        assert!(ids.contains(&key), "{key:?} in {ids:?}");
    }
    assert_eq!(org["address"][0]["city"], "Chicago");
    assert_eq!(org["address"][0]["line"], json!(["1 Main St"]));
    let telecom: Vec<&str> = org["telecom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["system"].as_str().unwrap())
        .collect();
    assert_eq!(telecom, ["phone", "email", "url"]);

    // A merged ID answers 301 with its survivor's URL, which a client follows.
    let moved = fetch(
        &app,
        &format!("/v1/fhir/Organization/{merged}"),
        Some(&reader),
    );
    assert_eq!(moved.status, 301, "{}", moved.body);
    let location = format!("/v1/fhir/Organization/{acme}");
    assert_eq!(moved.location.as_deref(), Some(location.as_str()));
    let note = moved.json();
    assert_valid(&note);
    assert_eq!(note["issue"][0]["severity"], "information");
    // A client that keeps its token on a same-host redirect (curl -L, browsers, HAPI) lands
    // on the survivor.
    let follower = ureq::AgentBuilder::new()
        .redirect_auth_headers(ureq::RedirectAuthHeaders::SameHost)
        .build();
    let followed: Value = follower
        .get(&format!("{}/v1/fhir/Organization/{merged}", app.base))
        .set("Authorization", &format!("Bearer {reader}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(followed["id"], acme.as_str());

    // Unknown IDs, and a vendor asked for as a Location, are OperationOutcomes with 404.
    let code = outcome(&app, "/v1/fhir/Organization/V99999999", Some(&reader), 404);
    assert_eq!(code, "not_found");
    outcome(
        &app,
        &format!("/v1/fhir/Location/{baxter}"),
        Some(&reader),
        404,
    );

    // No token: 401; a token without a reading role: 403; both as OperationOutcomes.
    let path = format!("/v1/fhir/Organization/{baxter}");
    assert_eq!(outcome(&app, &path, None, 401), "unauthorized");
    let loader = app.token(&[Role::Ingest], &["sap"]);
    assert_eq!(outcome(&app, &path, Some(&loader), 403), "forbidden");
    let steward = app.token(&[Role::Steward], &[]);
    let baxter_org = resource(&app, &path, &steward);
    assert_eq!(baxter_org["address"], json!([{"country": "US"}]));
    assert!(baxter_org.get("telecom").is_none());
}

#[test]
fn locations_name_their_parent_and_gln() {
    let app = spawn_app();
    let (hospital, dock, room) = locations(&app);
    let reader = app.token(&[Role::Reader], &[]);

    let loc = resource(&app, &format!("/v1/fhir/Location/{hospital}"), &reader);
    assert_eq!(loc["status"], "active");
    assert_eq!(loc["name"], "Mercy Hospital");
    assert_eq!(loc["type"], json!([{"text": "hospital"}]));
    assert_eq!(loc["address"]["postalCode"], "80203");
    assert!(has_identifier(&loc, "urn:oid:1.3.160", "0614141000036"));
    assert!(has_identifier(&loc, "urn:golden:source:sap", "P-1"));
    assert!(has_identifier(&loc, "urn:golden:source:oracle", "H9"));
    assert!(loc.get("partOf").is_none());

    let dock_loc = resource(&app, &format!("/v1/fhir/Location/{dock}"), &reader);
    let parent = format!("Location/{hospital}");
    assert_eq!(dock_loc["partOf"], json!({"reference": parent}));

    let room_loc = resource(&app, &format!("/v1/fhir/Location/{room}"), &reader);
    assert_eq!(
        room_loc["partOf"],
        json!({"type": "Location",
               "identifier": {"system": "urn:golden:source:oracle", "value": "B-7"}})
    );
    outcome(
        &app,
        &format!("/v1/fhir/Organization/{dock}"),
        Some(&reader),
        404,
    );
}

/// The NDJSON lines of a bulk export, each a valid resource.
fn export(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let answer = fetch(app, path, Some(token));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/fhir+ndjson");
    answer
        .body
        .lines()
        .map(|line| {
            let resource: Value = serde_json::from_str(line).unwrap();
            assert_valid(&resource);
            resource
        })
        .collect()
}

#[test]
fn the_bulk_export_streams_every_active_record_as_ndjson() {
    let app = spawn_app();
    let (acme, merged, baxter) = vendors(&app);
    let (hospital, dock, room) = locations(&app);
    let reader = app.token(&[Role::Reader], &[]);

    let orgs = export(&app, "/v1/fhir/Organization?_format=ndjson", &reader);
    let ids: Vec<&str> = orgs.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [acme.as_str(), baxter.as_str()],
        "{merged} is not listed"
    );
    assert!(has_identifier(&orgs[0], "urn:golden:vendor", &merged));
    let single = resource(&app, &format!("/v1/fhir/Organization/{acme}"), &reader);
    assert_eq!(orgs[0], single);

    let path = "/v1/fhir/Location?_format=application/fhir%2Bndjson";
    let locs = export(&app, path, &reader);
    let ids: Vec<&str> = locs.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [hospital.as_str(), dock.as_str(), room.as_str()]);
    let parent = format!("Location/{hospital}");
    assert_eq!(locs[1]["partOf"]["reference"], parent.as_str());
    assert_eq!(export(&app, "/v1/fhir/Location", &reader).len(), 3);

    // `_since` keeps the records updated after it; a later instant keeps none.
    let since = "/v1/fhir/Organization?_since=2999-01-01T00:00:00Z";
    assert!(export(&app, since, &reader).is_empty());

    assert_eq!(
        outcome(
            &app,
            "/v1/fhir/Organization?_format=json",
            Some(&reader),
            400
        ),
        "invalid_query"
    );
    outcome(
        &app,
        "/v1/fhir/Location?_since=yesterday",
        Some(&reader),
        400,
    );
    outcome(&app, "/v1/fhir/Location?_count=5", Some(&reader), 400);
    outcome(&app, "/v1/fhir/Location", None, 401);
    let loader = app.token(&[Role::Ingest], &["sap"]);
    outcome(&app, "/v1/fhir/Organization", Some(&loader), 403);
}
