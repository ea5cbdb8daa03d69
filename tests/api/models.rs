//! Match models over the API: estimated from stored records and steward decisions, shown in
//! `/v1/domains`, exported and imported between deployments, activated (audited), and the
//! evidence every auto-link keeps.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, cli_for, spawn_app, vendor};

const STREETS: [&str; 6] = [
    "Oak St",
    "Main St",
    "Elm Ave",
    "Lake Shore Dr",
    "Pine Rd",
    "Cedar Ln",
];
const WORDS: [&str; 12] = [
    "Acme",
    "Zenith",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
];
const KINDS: [&str; 4] = ["Medical Supply", "Surgical", "Lab Services", "Pharma"];

/// One vendor entity as a source system knows it; `variant` spells the name and formats the
/// phone differently, as another system would.
fn entity(n: usize, variant: usize) -> Value {
    let name = format!(
        "{} {}",
        WORDS[n % WORDS.len()],
        KINDS[(n / WORDS.len()) % KINDS.len()]
    );
    let name = match variant {
        0 => format!("{name} Inc"),
        1 => name.to_uppercase(),
        _ => format!("{name} Incorporated"),
    };
    json!({
        "name": name,
        "tax_id": format!("{:02}-{:07}", 10 + n, 1_000_000 + n * 7),
        "address_line1": format!("{} {}", 100 + n * 3, STREETS[n % STREETS.len()]),
        "city": if n.is_multiple_of(2) { "Chicago" } else { "Denver" },
        "postal_code": format!("{}", 60600 + n),
        "phone": format!("312-555-{:04}", 1000 + n),
    })
}

/// 48 entities, each sent by two or three systems.
fn load_vendors(app: &TestApp) {
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "ariba"]);
    let mut batch = Vec::new();
    for n in 0..48 {
        batch.push(vendor("sap", &format!("S{n}"), entity(n, 0)));
        batch.push(vendor("oracle", &format!("O{n}"), entity(n, 1)));
        if n.is_multiple_of(3) {
            batch.push(vendor("ariba", &format!("A{n}"), entity(n, 2)));
        }
    }
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &json!(batch));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"]["rejected"], 0, "{body}");
}

fn estimate(app: &TestApp) -> Value {
    let (status, model) = app.post("/v1/vendor/models/estimate", Some(&app.admin()), &json!({}));
    assert_eq!(status, 201, "{model}");
    model
}

fn domain_model(app: &TestApp) -> Value {
    let (status, body) = app.get("/v1/domains", Some(&app.admin()));
    assert_eq!(status, 200, "{body}");
    body["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "vendor")
        .unwrap()["model"]
        .clone()
}

#[test]
fn a_model_is_estimated_from_the_stored_records_activated_and_shown_with_the_domain() {
    let app = spawn_app();
    assert_eq!(
        domain_model(&app),
        Value::Null,
        "no model before estimation"
    );
    load_vendors(&app);

    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.post("/v1/vendor/models/estimate", Some(&reader), &json!({}));
    assert_eq!(status, 403, "estimation is for admins: {body}");

    let model = estimate(&app);
    assert_eq!(model["version"], 1);
    assert_eq!(model["origin"], "estimated");
    assert_eq!(model["active"], true);
    assert_eq!(model["applies"], true);
    let summary = &model["summary"];
    assert_eq!(summary["records"], 112);
    assert!(
        summary["candidate_pairs"].as_u64().unwrap() > 100,
        "{summary}"
    );
    assert!(
        summary["random_pairs"].as_u64().unwrap() > 1_000,
        "{summary}"
    );
    assert_eq!(summary["converged"], true, "{summary}");
    let rate = summary["match_rate"].as_f64().unwrap();
    assert!(rate > 0.0 && rate < 0.5, "{summary}");
    // Calibrated thresholds: auto-links at the target precision on the model's probability,
    // a review threshold no lower than the rule file's and a queue within its budget.
    assert_eq!(model["auto_link"], 0.995);
    let review = model["review"].as_f64().unwrap();
    assert!((0.2..=0.995).contains(&review), "{model}");
    assert!(
        summary["expected_precision"].as_f64().unwrap() >= 0.995,
        "{summary}"
    );
    assert!(
        summary["expected_proposals_per_1000"].as_f64().unwrap() <= 300.0,
        "{summary}"
    );

    let shown = domain_model(&app);
    assert_eq!(shown["version"], 1, "{shown}");
    assert_eq!(shown["summary"]["seed"], 42);

    // The estimated weights: an agreeing tax ID is evidence for, a differing one against.
    let (status, full) = app.get("/v1/vendor/models/1", Some(&reader));
    assert_eq!(status, 200, "{full}");
    let tax_id = full["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "tax_id")
        .unwrap();
    assert!(
        tax_id["levels"][0]["weight"].as_f64().unwrap() > 3.0,
        "{tax_id}"
    );
    assert!(
        tax_id["levels"][1]["weight"].as_f64().unwrap() < 0.0,
        "{tax_id}"
    );

    // Estimating is audited; the same records and seed give the same weights.
    let (status, audit) = app.get("/v1/audit?action=model.estimated", Some(&app.admin()));
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["entries"][0]["entity_id"], "1", "{audit}");
    let again = estimate(&app);
    assert_eq!(again["version"], 2);
    let (_, second) = app.get("/v1/vendor/models/2", Some(&reader));
    assert_eq!(second["comparisons"], full["comparisons"]);
    assert_eq!(second["prior"], full["prior"]);

    // The active model survives a restart.
    let app = app.restart();
    assert_eq!(domain_model(&app)["version"], 2);
}

#[test]
fn a_model_moves_between_deployments_and_activation_is_explicit_and_audited() {
    let source = spawn_app();
    load_vendors(&source);
    estimate(&source);
    let (status, exported) = source.get("/v1/vendor/models/1", Some(&source.admin()));
    assert_eq!(status, 200, "{exported}");

    let target = spawn_app();
    let admin = target.admin();
    let (status, imported) = target.post("/v1/vendor/models", Some(&admin), &exported);
    assert_eq!(status, 201, "{imported}");
    assert_eq!(imported["origin"], "imported");
    assert_eq!(imported["active"], true);
    assert_eq!(domain_model(&target)["version"], 1);
    let (_, copy) = target.get("/v1/vendor/models/1", Some(&admin));
    assert_eq!(copy, exported, "the import stores the model unchanged");

    // A model for another domain, or with unusable thresholds, is refused.
    let mut other = exported.clone();
    other["domain"] = json!("item");
    let (status, body) = target.post("/v1/vendor/models", Some(&admin), &other);
    assert_eq!(status, 422, "{body}");
    let mut broken = exported.clone();
    broken["review"] = json!(1.0);
    broken["auto_link"] = json!(0.5);
    let (status, body) = target.post("/v1/vendor/models", Some(&admin), &broken);
    assert_eq!(status, 422, "{body}");
    let mut huge = exported.clone();
    huge["comparisons"][0]["levels"][0]["weight"] = json!(1e300);
    let (status, body) = target.post("/v1/vendor/models", Some(&admin), &huge);
    assert_eq!(
        status, 422,
        "weights beyond any real evidence are refused: {body}"
    );
    let mut renamed = exported.clone();
    renamed["comparisons"][0]["name"] = json!("not_a_comparison");
    let (status, body) = target.post("/v1/vendor/models", Some(&admin), &renamed);
    assert_eq!(status, 422, "a model must fit the rule file: {body}");

    // A second version, then back to the first: each activation is audited.
    let (status, second) = target.post("/v1/vendor/models", Some(&admin), &exported);
    assert_eq!((status, second["version"].as_i64()), (201, Some(2)));
    let (status, back) = target.post("/v1/vendor/models/1/activate", Some(&admin), &json!({}));
    assert_eq!(status, 200, "{back}");
    assert_eq!(domain_model(&target)["version"], 1);
    let (_, listed) = target.get("/v1/vendor/models", Some(&admin));
    let active: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["active"] == true)
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(active, vec![1], "{listed}");
    let (_, audit) = target.get("/v1/audit?action=model.activate", Some(&admin));
    let entry = &audit["entries"][0];
    assert_eq!(entry["entity_id"], "1", "{audit}");
    assert_eq!(entry["before"]["active_version"], 2, "{audit}");
    let (status, body) = target.post("/v1/vendor/models/9/activate", Some(&admin), &json!({}));
    assert_eq!(status, 404, "{body}");
}

#[test]
fn an_auto_link_keeps_its_evidence_the_member_it_matched_and_the_model() {
    let app = spawn_app();
    load_vendors(&app);
    let reader = app.token(&[Role::Reader], &[]);
    // Linked under the declared weights: no model version.
    let (status, record) = app.get("/v1/vendor/records/oracle/O5", Some(&reader));
    assert_eq!(status, 200, "{record}");
    let link = &record["link"];
    assert_eq!(link["model_version"], Value::Null, "{record}");
    assert_eq!(link["matched"]["source_system"], "sap", "{record}");
    assert_eq!(link["matched"]["source_id"], "S5", "{record}");
    assert_eq!(link["golden_id"], record["golden_id"]);
    let tax_id = link["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "tax_id")
        .unwrap();
    assert!(tax_id["weight"].as_f64().unwrap() > 0.0, "{link}");
    let (_, first) = app.get("/v1/vendor/records/sap/S5", Some(&reader));
    assert!(
        first.get("link").is_none(),
        "a new record has no link: {first}"
    );

    // Under an estimated model, a further copy links with that model's version.
    estimate(&app);
    let token = app.token(&[Role::Ingest], &["workday"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("workday", "W7", entity(7, 0)),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["decision"], "auto_linked", "{body}");
    let (_, record) = app.get("/v1/vendor/records/workday/W7", Some(&reader));
    assert_eq!(record["link"]["model_version"], 1, "{record}");
    let probability = record["link"]["probability"].as_f64().unwrap();
    assert!(probability >= 0.995, "{record}");
}

#[test]
fn steward_decisions_are_labels_for_the_next_estimation() {
    let app = spawn_app();
    load_vendors(&app);
    let first = estimate(&app);
    assert_eq!(first["summary"]["labelled_pairs"], 0);

    // Split a linked record out: its pair with the rest becomes a do-not-match label.
    let steward = app.token(&[Role::Steward], &[]);
    let (_, record) = app.get("/v1/vendor/records/oracle/O3", Some(&steward));
    let golden_id = record["golden_id"].as_str().unwrap().to_owned();
    let (_, golden) = app.get(&format!("/v1/vendor/golden/{golden_id}"), Some(&steward));
    let (status, body) = app.post(
        &format!("/v1/vendor/golden/{golden_id}/split"),
        Some(&steward),
        &json!({"version": golden["version"], "records": [{"source_system": "oracle", "source_id": "O3"}],
                "comment": "another company"}),
    );
    assert_eq!(status, 200, "{body}");
    let second = estimate(&app);
    assert!(
        second["summary"]["labelled_pairs"].as_u64().unwrap() >= 1,
        "{second}"
    );
    let moved = &second["summary"]["moved"];
    assert_eq!(moved["from_version"], 1, "{second}");
    assert!(
        moved["largest_change"].as_f64().unwrap().abs() > 0.0,
        "{second}"
    );

    // A labels file seeds estimation too (the command runs while the server is stopped).
    let labels = app.dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        "source_system,source_id,source_system,source_id,match\n\
         sap,S1,oracle,O1,true\nsap,S1,sap,S2,false\nsap,S1,nowhere,X,true\n",
    )
    .unwrap();
    let settings = app.settings.clone();
    let mut output = None;
    let app = app.restart_with(|| {
        output = Some(cli_for(
            &settings,
            &[
                "estimate",
                "--domain",
                "vendor",
                "--labels",
                labels.to_str().unwrap(),
            ],
        ));
    });
    let output = output.unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let third: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        third["summary"]["labelled_pairs"].as_u64().unwrap(),
        second["summary"]["labelled_pairs"].as_u64().unwrap() + 2,
        "two pairs of the file name stored records: {third}"
    );
    assert_eq!(domain_model(&app)["version"], 3);
}

#[test]
fn a_dry_run_rematch_reports_what_a_model_would_change_and_changes_nothing() {
    let app = spawn_app();
    load_vendors(&app);
    let admin = app.admin();
    let (status, model) = app.post(
        "/v1/vendor/models/estimate?activate=false",
        Some(&admin),
        &json!({}),
    );
    assert_eq!(status, 201, "{model}");
    assert_eq!(model["active"], false);
    assert_eq!(
        domain_model(&app),
        Value::Null,
        "a stored model is not active yet"
    );
    let before = app.cli(&["export", "crosswalk", "--domain", "vendor"]);

    let (status, report) = app.post("/v1/vendor/models/1/rematch", Some(&admin), &json!({}));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["records"], 112, "{report}");
    assert_eq!(report["current_model"], Value::Null);
    assert_eq!(report["candidate_model"], 1);
    // Every record shares its golden record with its other systems' copies, and the
    // estimated model would keep all those links.
    assert_eq!(report["links_kept"], 112, "{report}");
    assert_eq!(report["links_broken"], 0, "{report}");

    // A model that calls an agreeing tax ID evidence against would break links: a dry run
    // shows it before anyone activates it.
    let (_, mut exported) = app.get("/v1/vendor/models/1", Some(&admin));
    let comparisons = exported["comparisons"].as_array_mut().unwrap();
    for comparison in comparisons {
        for level in comparison["levels"].as_array_mut().unwrap() {
            level["weight"] = json!(-3.0);
        }
    }
    let file = app.dir.path().join("hostile-model.json");
    std::fs::write(&file, exported.to_string()).unwrap();
    // The command opens the index: it runs while the server is stopped.
    let settings = app.settings.clone();
    let mut output = None;
    let app = app.restart_with(|| {
        output = Some(cli_for(
            &settings,
            &[
                "rematch",
                "--domain",
                "vendor",
                "--dry-run",
                "--model",
                file.to_str().unwrap(),
            ],
        ));
    });
    let output = output.unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["links_broken"], 112, "{report}");
    let broken = report["examples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["change"] == "link_broken")
        .count();
    assert_eq!(broken, 10, "examples are capped: {report}");

    let after = app.cli(&["export", "crosswalk", "--domain", "vendor"]);
    assert_eq!(before.stdout, after.stdout, "a dry run changes nothing");
    let reader = app.token(&[Role::Reader], &[]);
    let (status, body) = app.post("/v1/vendor/models/1/rematch", Some(&reader), &json!({}));
    assert_eq!(status, 403, "{body}");
}

/// The generated vendors as a CSV file with a source_system column.
fn vendors_csv(path: &std::path::Path) {
    let columns = [
        "name",
        "tax_id",
        "address_line1",
        "city",
        "postal_code",
        "phone",
    ];
    let mut text = format!("source_system,source_id,{}\n", columns.join(","));
    for n in 0..48_usize {
        for (system, variant) in [("sap", 0), ("oracle", 1), ("ariba", 2)] {
            if variant == 2 && !n.is_multiple_of(3) {
                continue;
            }
            let record = entity(n, variant);
            let cells: Vec<String> = columns
                .iter()
                .map(|c| record[*c].as_str().unwrap().to_owned())
                .collect();
            text.push_str(&format!("{system},{system}-{n},{}\n", cells.join(",")));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_load_into_a_domain_without_a_model_can_estimate_one_from_its_file_first() {
    let app = spawn_app();
    let file = app.dir.path().join("vendors.csv");
    vendors_csv(&file);
    let settings = app.settings.clone();
    let run = |settings: &golden::config::Settings| {
        let output = cli_for(
            settings,
            &[
                "load",
                "--domain",
                "vendor",
                "--estimate-first",
                file.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str::<Value>(stdout.lines().last().unwrap()).unwrap()
    };
    let mut first = Value::Null;
    let app = app.restart_with(|| first = run(&settings));
    assert_eq!(first["model"]["estimated_from_file"], true, "{first}");
    assert_eq!(first["model"]["version"], 1, "{first}");
    assert_eq!(first["rows_read"], 112, "{first}");
    let shown = domain_model(&app);
    assert_eq!(shown["version"], 1, "{shown}");
    assert_eq!(shown["origin"], "estimated_from_file", "{shown}");
    // The load matched with that model: its auto-links name it.
    let reader = app.token(&[Role::Reader], &[]);
    let (_, record) = app.get("/v1/vendor/records/oracle/oracle-5", Some(&reader));
    assert_eq!(record["link"]["model_version"], 1, "{record}");

    // With a model in place, a further load does not estimate again.
    let mut second = Value::Null;
    let app = app.restart_with(|| second = run(&settings));
    assert!(second.get("model").is_none(), "{second}");
    assert_eq!(domain_model(&app)["version"], 1);
}

#[test]
fn a_field_no_record_holds_does_not_stop_estimation() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let mut batch = Vec::new();
    for n in 0..30 {
        for system in ["sap", "oracle"] {
            // No city, address or country anywhere: their comparisons (and the city's term
            // frequencies) have nothing to learn from.
            batch.push(vendor(
                system,
                &format!("{system}{n}"),
                json!({"name": format!("{} Supply {n}", WORDS[n % WORDS.len()]),
                       "tax_id": format!("41-{:07}", 5_550_000 + n),
                       "phone": format!("312-555-{:04}", 2000 + n)}),
            ));
        }
    }
    let (status, body) = app.post("/v1/vendor/records", Some(&token), &json!(batch));
    assert_eq!(status, 200, "{body}");
    let model = estimate(&app);
    assert_eq!(model["version"], 1, "{model}");
    let (_, full) = app.get("/v1/vendor/models/1", Some(&app.admin()));
    let city = full["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "city")
        .unwrap();
    assert!(city.get("frequencies").is_none(), "{city}");
}
