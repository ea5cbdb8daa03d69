use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, cli_for, spawn_app, vendor};

fn post(app: &TestApp, token: &str, record: Value) -> Value {
    let (status, body) = app.post("/v1/vendor/records", Some(token), &record);
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

/// Posts one vendor from SAP, then a near duplicate from Oracle that must open a proposal.
fn near_duplicates(app: &TestApp, oracle_id: &str) -> (Value, Value) {
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let attributes = json!({"name": "Acme Medical Supply Inc", "city": "Chicago"});
    let first = post(app, &token, vendor("sap", "1", attributes));
    assert_eq!(first["decision"], "new");
    let attributes = json!({"name": "ACME MEDICAL SUPPLY", "city": "Chicago"});
    let second = post(app, &token, vendor("oracle", oracle_id, attributes));
    assert_eq!(second["decision"], "proposed", "{second}");
    assert_ne!(
        second["golden_id"], first["golden_id"],
        "a proposal keeps both apart"
    );
    (first, second)
}

#[test]
fn a_near_duplicate_opens_a_proposal_with_its_explanation() {
    let app = spawn_app();
    let (first, second) = near_duplicates(&app, "A1");

    let steward = app.token(&[Role::Steward], &[]);
    let (status, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    assert_eq!(status, 200, "{page}");
    let proposals = page["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0]["golden_id"], second["golden_id"]);
    assert_eq!(proposals[0]["other_golden_id"], first["golden_id"]);

    let id = proposals[0]["id"].as_i64().unwrap();
    let (status, proposal) = app.get(&format!("/v1/proposals/{id}"), Some(&steward));
    assert_eq!(status, 200, "{proposal}");
    let evidence = proposal["explanation"]["evidence"].as_array().unwrap();
    let fields: Vec<&str> = evidence
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in ["name", "tax_id", "duns", "address_line1", "city", "phone"] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    let name = evidence.iter().find(|e| e["field"] == "name").unwrap();
    assert_eq!(name["left"], "acme medical supply");
    assert_eq!(name["right"], "acme medical supply");
    assert_eq!(name["similarity"], 1.0);
    assert!(name["weight"].as_f64().unwrap() > 0.0);
    let tax_id = evidence.iter().find(|e| e["field"] == "tax_id").unwrap();
    assert!(
        tax_id["similarity"].is_null(),
        "missing on both sides: {tax_id}"
    );
    assert!(proposal["rules_version"].as_str().unwrap().len() >= 8);

    // A reader may not see the queue.
    let reader = app.token(&[Role::Reader], &[]);
    assert_eq!(
        app.get(&format!("/v1/proposals/{id}"), Some(&reader)).0,
        403
    );
    assert_eq!(app.get("/v1/proposals/999999", Some(&steward)).0, 404);
    assert_eq!(
        app.get("/v1/vendor/proposals?status=maybe", Some(&steward))
            .0,
        400
    );
}

#[test]
fn a_shared_tax_id_auto_links_and_a_different_one_keeps_siblings_apart() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let parent = post(
        &app,
        &token,
        vendor(
            "sap",
            "1",
            json!({"name": "Cardinal Health Inc", "tax_id": "31-0958666"}),
        ),
    );
    let same = post(
        &app,
        &token,
        vendor(
            "oracle",
            "9",
            json!({"name": "Cardinal Health", "tax_id": "310958666"}),
        ),
    );
    assert_eq!(same["decision"], "auto_linked", "{same}");
    assert_eq!(same["golden_id"], parent["golden_id"]);
    let sibling = post(
        &app,
        &token,
        vendor(
            "oracle",
            "10",
            json!({"name": "Cardinal Health Inc", "tax_id": "31-0958667"}),
        ),
    );
    assert_eq!(sibling["decision"], "new", "{sibling}");
}

#[test]
fn search_finds_golden_records_best_first() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap"]);
    post(
        &app,
        &token,
        vendor("sap", "1", json!({"name": "Medline Industries, LP"})),
    );
    let target = post(
        &app,
        &token,
        vendor("sap", "2", json!({"name": "Becton Dickinson and Company"})),
    );
    post(
        &app,
        &token,
        vendor("sap", "3", json!({"name": "Dickinson Wright PLLC"})),
    );
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.get("/v1/vendor/golden?q=Becton%20Dickenson", Some(&reader));
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(results[0]["golden_id"], target["golden_id"], "{body}");
    assert_eq!(results[0]["fields"]["name"], "Becton Dickinson and Company");
    assert_eq!(app.get("/v1/vendor/golden?q=", Some(&reader)).0, 400);
    // Without q the route browses instead (see the workbench tests).
    let (status, page) = app.get("/v1/vendor/golden", Some(&reader));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["records"].as_array().unwrap().len(), 3, "{page}");
}

/// Stores a Stryker record, runs `between` while the server is stopped, and checks that
/// Oracle's copy of it still auto-links to the same golden record afterwards.
fn stryker_still_matches_after(between: impl FnOnce(&golden::config::Settings)) {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap"]);
    let original = post(
        &app,
        &token,
        vendor(
            "sap",
            "1",
            json!({"name": "Stryker Corporation", "tax_id": "38-1239739"}),
        ),
    );
    let settings = app.settings.clone();
    let app = app.restart_with(|| between(&settings));
    let token = app.token(&[Role::Ingest], &["oracle"]);
    let again = post(
        &app,
        &token,
        vendor(
            "oracle",
            "7",
            json!({"name": "STRYKER CORP", "tax_id": "381239739"}),
        ),
    );
    assert_eq!(again["decision"], "auto_linked", "{again}");
    assert_eq!(again["golden_id"], original["golden_id"]);
}

#[test]
fn a_rebuilt_index_gives_the_same_matches() {
    stryker_still_matches_after(|settings| {
        std::fs::remove_dir_all(settings.index_dir()).unwrap();
        let output = cli_for(settings, &["reindex"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("indexed 1 record"));
    });
}

#[test]
fn a_damaged_index_is_rebuilt_at_start() {
    stryker_still_matches_after(|settings| {
        std::fs::write(settings.index_dir().join("meta.json"), b"{ truncated").unwrap();
    });
}

#[test]
fn hospitals_of_one_chain_in_other_cities_stay_apart() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["facilities", "erp"]);
    let post_location = |record: Value| {
        let (status, body) = app.post("/v1/location/records", Some(&token), &record);
        assert_eq!(status, 200, "{body}");
        body["results"][0].clone()
    };
    let first = post_location(vendor(
        "facilities",
        "H1",
        json!({"name": "Mercy Hospital", "address_line1": "2525 S Michigan Ave", "city": "Chicago", "postal_code": "60616"}),
    ));
    let same = post_location(vendor(
        "erp",
        "LOC-9",
        json!({"name": "MERCY HOSPITAL", "address_line1": "2525 South Michigan Avenue", "city": "Chicago", "postal_code": "60616-2332"}),
    ));
    assert_eq!(same["decision"], "auto_linked", "{same}");
    assert_eq!(same["golden_id"], first["golden_id"]);
    let other_city = post_location(vendor(
        "erp",
        "LOC-10",
        json!({"name": "Mercy Hospital", "address_line1": "1000 N Main St", "city": "Springfield", "postal_code": "62702"}),
    ));
    assert_eq!(other_city["decision"], "new", "{other_city}");
}

#[test]
fn a_holding_company_at_its_operating_company_address_goes_to_review() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["ap", "proc"]);
    let site = |name: &str| {
        json!({"name": name, "address_line1": "62 St Clair St", "city": "Mesa",
               "region": "AZ", "postal_code": "85214", "country": "US"})
    };
    let operating = post(
        &app,
        &token,
        vendor("ap", "1", site("Pioneer Biomedical Inc")),
    );
    assert_eq!(operating["decision"], "new", "{operating}");
    // The same vendor from another system links without review.
    let same = post(
        &app,
        &token,
        vendor("proc", "7", site("PIONEER BIOMEDICAL, INC.")),
    );
    assert_eq!(same["decision"], "auto_linked", "{same}");
    assert_eq!(same["golden_id"], operating["golden_id"]);
    // Its holding company shares the site and every word of the name but one: a steward
    // decides, however high the score.
    let holding = post(
        &app,
        &token,
        vendor("proc", "8", site("Pioneer Biomedical Holdings LLC")),
    );
    assert_eq!(holding["decision"], "proposed", "{holding}");
    assert_ne!(holding["golden_id"], operating["golden_id"]);
}

#[test]
fn a_remit_to_lockbox_does_not_keep_a_vendor_from_its_street_address() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["ap", "proc"]);
    let street = json!({"name": "Glenmoor Pharma Inc", "address_line1": "9334 S Spring Ave",
        "address_line2": "Suite 800", "city": "Saint Louis", "region": "MO",
        "postal_code": "63188", "country": "US", "phone": "314-808-2139"});
    let first = post(&app, &token, vendor("proc", "G-1", street));
    assert_eq!(first["decision"], "new", "{first}");
    // Accounts payable keeps the lockbox payments go to, in another city.
    let lockbox = json!({"name": "GLENMOOR PHARMA", "address_line1": "Post Office Box 261797",
        "address_line2": "Remit To", "city": "Carol Stream", "region": "IL",
        "postal_code": "60197", "country": "US", "phone": "(314) 808-2139"});
    let second = post(&app, &token, vendor("ap", "40017", lockbox));
    assert_eq!(second["decision"], "auto_linked", "{second}");
    assert_eq!(second["golden_id"], first["golden_id"]);
}

#[test]
fn a_rule_file_adds_a_domain_without_code() {
    let rules = tempfile::tempdir().unwrap();
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/person/person.toml");
    std::fs::copy(example, rules.path().join("person.toml")).unwrap();
    let dir = rules.path().to_path_buf();
    let app = crate::helpers::spawn_with(move |s| s.rules_dir = dir);
    let token = app.token(&[Role::Ingest], &["registry"]);
    let person = |id: &str, given: &str| {
        vendor(
            "registry",
            id,
            json!({"given_name": given, "surname": "nguyen", "date_of_birth": "19800412",
            "soc_sec_id": "4421907", "suburb": "dapto", "postcode": "2530"}),
        )
    };
    let (status, body) = app.post("/v1/person/records", Some(&token), &person("r1", "linh"));
    assert_eq!(status, 200, "{body}");
    let golden_id = body["results"][0]["golden_id"].as_str().unwrap().to_owned();
    assert!(golden_id.starts_with('P'), "{golden_id}");
    let (_, body) = app.post("/v1/person/records", Some(&token), &person("r2", "lihn"));
    assert_eq!(body["results"][0]["decision"], "auto_linked", "{body}");
    assert_eq!(body["results"][0]["golden_id"], golden_id.as_str());
    assert_eq!(
        app.post("/v1/vendor/records", Some(&token), &person("r3", "x"))
            .0,
        404
    );
}

#[test]
fn exports_list_every_record_and_open_proposal_while_serving() {
    let app = spawn_app();
    let (a, b) = near_duplicates(&app, "A,1");

    let output = app.cli(&["export", "crosswalk", "--domain", "vendor"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "source_system,source_id,golden_id");
    assert_eq!(
        lines[1],
        format!("sap,1,{}", a["golden_id"].as_str().unwrap())
    );
    assert_eq!(
        lines[2],
        format!("oracle,\"A,1\",{}", b["golden_id"].as_str().unwrap())
    );
    assert_eq!(lines.len(), 3);

    let output = app.cli(&["export", "proposals", "--domain", "vendor"]);
    let csv = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "proposal_id,golden_id,other_golden_id,score");
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row[1], b["golden_id"].as_str().unwrap());
    assert_eq!(row[2], a["golden_id"].as_str().unwrap());
    let score: f64 = row[3].parse().unwrap();
    assert!((0.2..0.99).contains(&score), "{score}");

    let output = app.cli(&["export", "crosswalk", "--domain", "supplier"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown domain"));
}

#[test]
fn product_family_members_stay_apart_and_one_part_number_links() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["erp", "wms"]);
    let post_item = |system: &str, id: &str, mpn: &str, description: &str| {
        let record = vendor(
            system,
            id,
            json!({"description": description, "manufacturer": "Medline Industries",
            "manufacturer_part_number": mpn, "uom": "BX", "pack_quantity": "100"}),
        );
        let (status, body) = app.post("/v1/item/records", Some(&token), &record);
        assert_eq!(status, 200, "{body}");
        body["results"][0].clone()
    };
    let small = post_item(
        "erp",
        "1",
        "MX-1010-S",
        "Nitrile exam glove, powder free, small",
    );
    let medium = post_item(
        "erp",
        "2",
        "MX-1010-M",
        "Nitrile exam glove, powder free, medium",
    );
    assert_eq!(medium["decision"], "new", "{medium}");
    let again = post_item("wms", "A-77", "mx1010s", "NITRILE EXAM GLOVE PF SM");
    assert_eq!(again["decision"], "auto_linked", "{again}");
    assert_eq!(again["golden_id"], small["golden_id"]);
}

#[test]
fn a_record_that_links_two_golden_records_proposes_their_merge() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "erp"]);
    let site = json!({"name": "Bright Start Learning Center", "address_line1": "10 Main Street",
        "postal_code": "60624", "phone": "3125550100"});
    let a = post(&app, &token, vendor("sap", "1", site));
    let program = json!({"name": "Lakeview Youth Centers Bright Start",
        "email": "info@brightstart.org", "website": "https://brightstart.org"});
    let b = post(&app, &token, vendor("oracle", "1", program));
    assert_eq!(a["decision"], "new");
    assert_eq!(
        b["decision"], "new",
        "a partly shared name is too weak: {b}"
    );

    // A third record carries what each of them says and matches both surely: it bridges them.
    let bridge = json!({"name": "Lakeview Youth Centers Bright Start Learning Center",
        "address_line1": "10 Main St", "postal_code": "60624", "phone": "3125550100",
        "email": "info@brightstart.org", "website": "https://brightstart.org"});
    let c = post(&app, &token, vendor("erp", "1", bridge.clone()));
    assert_eq!(c["decision"], "auto_linked", "{c}");
    assert_eq!(c["golden_id"], a["golden_id"]);

    let steward = app.token(&[Role::Steward], &[]);
    let (status, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    assert_eq!(status, 200, "{page}");
    let proposals = page["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1, "{page}");
    assert_eq!(proposals[0]["golden_id"], a["golden_id"]);
    assert_eq!(proposals[0]["other_golden_id"], b["golden_id"]);
    assert_eq!(proposals[0]["record"]["source_system"], "erp");

    // Once a steward says they differ, another bridging record does not propose it again.
    let id = proposals[0]["id"].as_i64().unwrap();
    let (status, body) = app.post(
        &format!("/v1/proposals/{id}/reject"),
        Some(&steward),
        &json!({"comment": "two programs at one address"}),
    );
    assert_eq!(status, 200, "{body}");
    let d = post(&app, &token, vendor("erp", "2", bridge));
    assert_eq!(d["decision"], "auto_linked", "{d}");
    let (_, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    assert_eq!(page["total"], 0, "{page}");
}

#[test]
fn a_record_close_to_a_cluster_under_review_proposes_once() {
    let app = spawn_app();
    let (first, second) = near_duplicates(&app, "B1");
    let token = app.token(&[Role::Ingest], &["ariba"]);
    let attributes = json!({"name": "Acme Medical Supply", "city": "Chicago"});
    let third = post(&app, &token, vendor("ariba", "C1", attributes));
    assert_eq!(third["decision"], "proposed", "{third}");

    let steward = app.token(&[Role::Steward], &[]);
    let (_, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    let proposals = page["proposals"].as_array().unwrap();
    assert_eq!(
        proposals.len(),
        2,
        "the first two are already under review together: one proposal joins the third: {page}"
    );
    let from_third: Vec<&Value> = proposals
        .iter()
        .filter(|p| p["golden_id"] == third["golden_id"])
        .collect();
    assert_eq!(from_third.len(), 1, "{page}");
    let other = &from_third[0]["other_golden_id"];
    assert!(
        *other == first["golden_id"] || *other == second["golden_id"],
        "{page}"
    );
}
