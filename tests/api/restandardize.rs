//! Stored records standardized again when the standardizers or a rule file change: the test
//! stands in for an older standardizer by rewriting a stored record's standardized values and
//! version, as a record written before a normalizer fix would have them.

use diesel::prelude::*;
use golden::auth::Role;
use golden::config::Settings;
use golden::store::Store;
use golden::store::schema::source_records;
use serde_json::{Value, json};

use crate::helpers::{cli_for, spawn_app, vendor};

/// Rewrites a stored record's standardized values and version as an older standardizer
/// would have left them.
fn as_an_older_standardizer_left_it(settings: &Settings, source_id: &str, old: &Value) {
    let store = Store::open(settings).unwrap();
    diesel::update(source_records::table.filter(source_records::source_id.eq(source_id)))
        .set((
            source_records::standardized.eq(old.to_string()),
            source_records::standardization.eq(Some("old")),
        ))
        .execute(&mut *store.conn().unwrap())
        .unwrap();
}

#[test]
fn records_of_older_standardizers_are_standardized_again_and_re_indexed() {
    let app = spawn_app();
    let token = app.token(&[Role::Ingest], &["sap"]);
    let attributes = json!({"name": "Zenith Surgical Partners", "phone": "(312) 555-0100",
                            "city": "Chicago"});
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("sap", "Z1", attributes.clone()),
    );
    assert_eq!(status, 200, "{body}");
    let reader = app.token(&[Role::Reader], &[]);
    let (_, current) = app.get("/v1/vendor/records/sap/Z1", Some(&reader));
    let standardized = current["standardized"].clone();
    assert_eq!(
        standardized["name"], "zenith surgical partners",
        "{current}"
    );

    // An older standardizer: other values, an old version.
    let old = json!({"name": "zenith surg ptnrs", "phone": "3125550100", "city": "chicago"});
    as_an_older_standardizer_left_it(&app.settings, "Z1", &old);

    // A re-send of the same attributes is not "unchanged": its values now come out otherwise.
    let (_, resent) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("sap", "Z1", attributes.clone()),
    );
    assert_ne!(resent["results"][0]["decision"], "unchanged", "{resent}");

    // Back to the old form, then standardized again by the command.
    as_an_older_standardizer_left_it(&app.settings, "Z1", &old);
    let settings = app.settings.clone();
    let mut output = None;
    let app = app.restart_with(|| {
        output = Some(cli_for(&settings, &["restandardize"]));
    });
    let output = output.unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["records"], 1, "{report}");
    assert_eq!(report["changed"], 1, "{report}");

    let (_, record) = app.get("/v1/vendor/records/sap/Z1", Some(&reader));
    assert_eq!(record["standardized"], standardized, "{record}");
    assert_eq!(
        record["golden_id"], current["golden_id"],
        "links stay as they were"
    );
    // The index holds the new form: a search for it finds the record.
    let (status, found) = app.get(
        "/v1/vendor/golden?q=Zenith%20Surgical%20Partners",
        Some(&reader),
    );
    assert_eq!(status, 200, "{found}");
    assert!(
        found
            .to_string()
            .contains(current["golden_id"].as_str().unwrap()),
        "{found}"
    );
    // The change feed says so, and a re-send is now unchanged.
    let (_, feed) = app.get("/v1/events?after=0&limit=100", Some(&reader));
    assert!(feed.to_string().contains("record.restandardized"), "{feed}");
    let (_, again) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor("sap", "Z1", attributes),
    );
    assert_eq!(again["results"][0]["decision"], "unchanged", "{again}");
    // Nothing is left to do.
    let (_, ready) = app.get("/readyz", None);
    assert_eq!(ready["restandardize"]["running"], false, "{ready}");
    let metrics = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains("golden_restandardize_remaining_records 0"),
        "{metrics}"
    );
}
