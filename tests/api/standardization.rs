//! Standardization as a sender sees it: every ISO country is understood, an optional value
//! that cannot be standardized is stored with a warning instead of rejecting its record,
//! and phone numbers are read in the record's country.

use golden::auth::Role;
use golden::normalize::country;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, vendor};

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results array")
}

fn record(app: &TestApp, system: &str, id: &str) -> Value {
    let (status, body) = app.get(
        &format!("/v1/vendor/records/{system}/{id}"),
        Some(&app.admin()),
    );
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn one_vendor_from_every_iso_country_is_accepted_with_its_country_standardized() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["acq"]);
    let countries: Vec<_> = country::all().collect();
    assert_eq!(countries.len(), 249);
    // Each country as ERPs write it: by name, by either code, by number, in capitals.
    let batch: Vec<Value> = countries
        .iter()
        .enumerate()
        .map(|(i, (alpha2, alpha3, numeric, name))| {
            let written = match i % 5 {
                0 => name.to_string(),
                1 => alpha2.to_string(),
                2 => alpha3.to_lowercase(),
                3 => format!("{numeric:03}"),
                _ => name.to_uppercase(),
            };
            vendor(
                "acq",
                alpha2,
                json!({"name": format!("Supplier {alpha3} {numeric}"), "country": written}),
            )
        })
        .collect();
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &json!(batch));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"]["rejected"], 0, "{body}");
    for result in results(&body) {
        assert_ne!(result["decision"], "rejected", "{result}");
        assert!(result.get("warnings").is_none(), "{result}");
    }
    for (alpha2, ..) in &countries {
        let stored = record(&app, "acq", alpha2);
        assert_eq!(stored["standardized"]["country"], *alpha2, "{stored}");
    }
}

#[test]
fn local_country_names_standardize_to_their_code() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let cases = [
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Schweiz", "CH"),
        ("Österreich", "AT"),
        ("Türkiye", "TR"),
        ("Ivory Coast", "CI"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("South Korea", "KR"),
    ];
    let batch: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (written, _))| {
            vendor(
                "erp",
                &i.to_string(),
                json!({"name": format!("Local Vendor {i}"), "country": written}),
            )
        })
        .collect();
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &json!(batch));
    assert_eq!(status, 200, "{body}");
    for (i, (written, code)) in cases.iter().enumerate() {
        let stored = record(&app, "erp", &i.to_string());
        assert_eq!(stored["standardized"]["country"], *code, "{written}");
        assert_eq!(stored["attributes"]["country"], *written);
    }
}

#[test]
fn an_unknown_optional_value_is_stored_with_a_warning_and_not_matched_on() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor(
            "erp",
            "77",
            json!({"name": "Atlantic Trading House", "country": "Atlantis", "phone": "n/a",
                "city": "Poseidonia"}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    let result = &results(&body)[0];
    assert_eq!(result["decision"], "new", "{result}");
    assert!(result.get("errors").is_none(), "{result}");
    let warnings = result["warnings"].as_array().expect("warnings");
    let fields: Vec<&str> = warnings
        .iter()
        .map(|w| w["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["country", "phone"], "{result}");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(message.contains("not a recognized country"), "{message}");
    assert!(message.contains("not used for matching"), "{message}");
    assert_eq!(body["summary"]["rejected"], 0);

    // Stored as sent, compared without the values that did not standardize.
    let stored = record(&app, "erp", "77");
    assert_eq!(stored["attributes"]["country"], "Atlantis");
    assert_eq!(stored["attributes"]["phone"], "n/a");
    assert!(stored["standardized"].get("country").is_none(), "{stored}");
    assert!(stored["standardized"].get("phone").is_none(), "{stored}");
    assert_eq!(stored["standardized"]["city"], "poseidonia");

    // A required field still rejects, and the record's other problems come as warnings.
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("erp", "78", json!({"country": "Atlantis"})),
    );
    assert_eq!(status, 422, "{body}");
    let result = &results(&body)[0];
    assert_eq!(result["errors"][0]["field"], "name", "{result}");
    assert_eq!(result["warnings"][0]["field"], "country", "{result}");
}

#[test]
fn a_national_phone_number_equals_its_international_form_in_the_records_country() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor(
            "sap",
            "GB-1",
            json!({"name": "Thames Valley Instruments", "country": "GB",
                "phone": "020 7946 0958"}),
        ),
    );
    assert_eq!(results(&body)[0]["decision"], "new", "{body}");
    let (_, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor(
            "oracle",
            "7001",
            json!({"name": "Thames Valley Instrument", "country": "United Kingdom",
                "phone": "+44 20 7946 0958"}),
        ),
    );
    assert_eq!(results(&body)[0]["decision"], "proposed", "{body}");

    let steward = app.token(&[Role::Steward], &[]);
    let (_, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    let id = page["proposals"][0]["id"].as_i64().expect("a proposal");
    let (status, proposal) = app.get(&format!("/v1/proposals/{id}"), Some(&steward));
    assert_eq!(status, 200, "{proposal}");
    let evidence = proposal["explanation"]["evidence"].as_array().unwrap();
    let phone = evidence.iter().find(|e| e["field"] == "phone").unwrap();
    assert_eq!(phone["left"], "+442079460958", "{phone}");
    assert_eq!(phone["right"], "+442079460958", "{phone}");
    assert_eq!(phone["similarity"], 1.0);
    assert!(phone["weight"].as_f64().unwrap() > 0.0, "{phone}");
    let country = evidence.iter().find(|e| e["field"] == "country").unwrap();
    assert_eq!(country["similarity"], 1.0, "{country}");
}

#[test]
fn us_phone_numbers_with_and_without_country_code_or_extension_link() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "ariba"]);
    let mut decisions = Vec::new();
    for (system, phone) in [
        ("sap", "(312) 555-0100"),
        ("oracle", "312-555-0100 x12"),
        ("ariba", "+1 312 555 0100"),
    ] {
        let (_, body) = app.post(
            "/v1/vendor/records",
            Some(&token),
            &vendor(
                system,
                "1",
                json!({"name": "Lakeshore Surgical Supply", "city": "Chicago", "phone": phone}),
            ),
        );
        decisions.push(results(&body)[0].clone());
    }
    assert_eq!(decisions[0]["decision"], "new");
    for later in &decisions[1..] {
        assert_eq!(later["decision"], "auto_linked", "{later}");
        assert_eq!(later["golden_id"], decisions[0]["golden_id"]);
    }
    for system in ["sap", "oracle", "ariba"] {
        let stored = record(&app, system, "1");
        assert_eq!(stored["standardized"]["phone"], "+13125550100");
    }
}

#[test]
fn one_gtin_as_12_and_14_digits_with_pack_sizes_in_the_descriptions_auto_links() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp", "wms"]);
    let item = |system: &str, id: &str, attributes: Value| {
        let (status, body) = app.post(
            "/v1/item/records",
            Some(&token),
            &vendor(system, id, attributes),
        );
        assert_eq!(status, 200, "{body}");
        results(&body)[0].clone()
    };
    let first = item(
        "erp",
        "GLV-100",
        json!({"description": "Nitrile Exam Glove, Medium, 100/bx", "manufacturer": "Medline",
            "gtin": "036000291452", "uom": "BX"}),
    );
    assert_eq!(first["decision"], "new", "{first}");
    let second = item(
        "wms",
        "88231",
        json!({"description": "MEDLINE NITRILE EXAM GLOVE MED BX/100",
            "manufacturer": "Medline Industries", "gtin": "00036000291452", "uom": "box"}),
    );
    assert_eq!(second["decision"], "auto_linked", "{second}");
    assert_eq!(second["golden_id"], first["golden_id"]);

    let (status, stored) = app.get("/v1/item/records/wms/88231", Some(&app.admin()));
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["standardized"]["gtin"], "00036000291452");
    assert!(
        stored["standardized"].get("description#model").is_none(),
        "a pack size is no model number: {stored}"
    );
}
