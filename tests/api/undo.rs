//! Profiling a file before loading it, and undoing a committed load: the crosswalk comes back
//! to what it was, retired golden IDs still resolve, and a steward's later decision stops the
//! rollback with a list.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, upload_job, vendor_crosswalk};

fn column<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no column {name}: {profile}"))
}

#[test]
fn a_profile_job_reports_each_column_unmapped_columns_and_duplicate_keys_and_stores_nothing() {
    let app = spawn_app();
    let ingest = app.token(&[Role::Ingest], &["acq"]);
    let body = "source_id,supplier,country,phone,ein,notes\n\
        1,Acme Medical Supply,US,312-555-0100,12-3456789,first\n\
        2,Fabrikam Linen,Atlantis,n/a,---,\n\
        3,Contoso Surgical,DE,+49 30 1234567,98-7654321,\n\
        2,Fabrikam Linen Again,US,,,dup\n\
        4,,US,,,no name\n";
    let job = upload_job(
        &app,
        "/v1/vendor/jobs?source=acq&map=supplier=name,ein=tax_id&mode=profile",
        &ingest,
        body,
    );
    assert_eq!(job["mode"], "profile");
    let profile = &job["profile"];
    assert_eq!(profile["rows"], 5, "{profile}");
    assert_eq!(profile["rejected"], 1, "the row with no name: {profile}");

    let name = column(profile, "supplier");
    assert_eq!(name["field"], "name");
    assert_eq!(name["filled"], 4);
    assert_eq!(name["fill_rate"], 0.8);
    assert_eq!(name["distinct"], 4);
    assert_eq!(name["standardized"], 4);

    let country = column(profile, "country");
    assert_eq!(country["standardized"], 4, "{country}");
    assert_eq!(country["unknown"], 1, "{country}");
    assert_eq!(country["examples"]["unknown"][0]["value"], "Atlantis");
    assert_eq!(country["distinct"], 3);

    let phone = column(profile, "phone");
    assert_eq!(phone["failed"], 1, "{phone}");
    assert_eq!(phone["examples"]["failed"][0]["value"], "n/a");
    assert_eq!(phone["examples"]["failed"][0]["line"], 3);
    assert_eq!(column(profile, "ein")["field"], "tax_id");
    assert_eq!(column(profile, "ein")["failed"], 1);

    assert_eq!(profile["unmapped_columns"], json!(["notes"]));
    assert!(column(profile, "notes")["field"].is_null());
    assert_eq!(profile["duplicate_keys"]["rows"], 1);
    assert_eq!(profile["duplicate_keys"]["keys"], 1);
    assert_eq!(
        profile["duplicate_keys"]["examples"][0],
        json!({"source_system": "acq", "source_id": "2", "lines": [3, 5]})
    );
    assert!(
        profile["missing_fields"]
            .as_array()
            .unwrap()
            .contains(&json!("duns"))
    );

    // Nothing but the report was stored.
    let reader = app.token(&[Role::Reader], &[]);
    let (_, feed) = app.get("/v1/events?after=0", Some(&reader));
    assert_eq!(feed["events"].as_array().unwrap().len(), 0, "{feed}");
    assert_eq!(vendor_crosswalk(&app).lines().count(), 1);
}

pub(crate) const MASTER: &str = "source_id,name,tax_id,city\n\
    1,Cardinal Health,310958666,Dublin\n\
    2,Contoso Surgical,,Chicago\n\
    3,Fabrikam Linen,,Boston\n\
    4,Northwind Traders,,Seattle\n";

/// Rows of two systems: an auto-link to a master record, a proposal against one, a new
/// vendor, and a changed master record.
const SECOND: &str = "source_system,source_id,name,tax_id,city\n\
    acq,9,Cardinal Health,310958666,Dublin\n\
    acq,10,Contoso Surgical LLC,,Chicago\n\
    acq,11,Zenith Widgets,,Denver\n\
    sap,3,Fabrikam Linen,,Cambridge\n";

/// Loads the master and the second file; the second job's summary.
fn master_then_second(app: &TestApp) -> (String, Value) {
    let sap = app.token(&[Role::Ingest], &["sap"]);
    upload_job(app, "/v1/vendor/jobs?source=sap", &sap, MASTER);
    let before = vendor_crosswalk(app);
    let both = app.token(&[Role::Ingest], &["sap", "acq"]);
    let second = upload_job(app, "/v1/vendor/jobs", &both, SECOND);
    assert_eq!(second["auto_linked"], 1, "{second}");
    assert_eq!(second["proposed"], 1, "{second}");
    assert_eq!(second["updated"], 1, "{second}");
    (before, second)
}

fn golden_of(app: &TestApp, system: &str, id: &str) -> String {
    let reader = app.token(&[Role::Reader], &[]);
    let (status, entry) = app.get(
        &format!("/v1/crosswalk/vendor/{system}/{id}"),
        Some(&reader),
    );
    assert_eq!(status, 200, "{entry}");
    entry["golden_id"].as_str().unwrap().to_owned()
}

/// The crosswalk export without the rows of retired records.
fn active_rows(export: &str) -> Vec<&str> {
    export
        .lines()
        .filter(|l| !l.ends_with(",retired"))
        .collect()
}

#[test]
fn a_rolled_back_job_leaves_the_crosswalk_as_before_and_its_golden_ids_resolving() {
    let app = spawn_app();
    let (before, second) = master_then_second(&app);
    let job = second["id"].as_str().unwrap().to_owned();
    let created = [golden_of(&app, "acq", "10"), golden_of(&app, "acq", "11")];
    let steward = app.token(&[Role::Steward], &[]);
    let reader = app.token(&[Role::Reader], &[]);
    let (_, feed) = app.get("/v1/events?after=0&limit=1000", Some(&reader));
    let last_seq = feed["events"].as_array().unwrap().last().unwrap()["seq"].clone();

    // A reader may not, and a comment is required.
    let (status, _) = app.post(
        &format!("/v1/jobs/{job}/rollback"),
        Some(&reader),
        &json!({"comment": "wrong file"}),
    );
    assert_eq!(status, 403);
    let (status, body) = app.post(
        &format!("/v1/jobs/{job}/rollback"),
        Some(&steward),
        &json!({"comment": " "}),
    );
    assert_eq!(status, 400, "{body}");

    let (status, result) = app.post(
        &format!("/v1/jobs/{job}/rollback"),
        Some(&steward),
        &json!({"comment": "wrong file"}),
    );
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["records_retired"], 3, "{result}");
    assert_eq!(result["versions_reverted"], 1, "{result}");
    assert_eq!(result["links_undone"], 1, "{result}");
    assert_eq!(result["proposals_closed"], 1, "{result}");
    let mut retired: Vec<String> = result["golden_retired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_owned())
        .collect();
    retired.sort();
    assert_eq!(retired, created, "{result}");

    // The crosswalk is the one before the job, the job's retired keys aside.
    let after = vendor_crosswalk(&app);
    assert_eq!(active_rows(&after), active_rows(&before));
    assert_eq!(after.lines().count(), before.lines().count() + 3);
    let (_, record) = app.get("/v1/vendor/records/sap/3", Some(&reader));
    assert_eq!(record["attributes"]["city"], "Boston", "{record}");
    let (_, record) = app.get("/v1/vendor/records/acq/9", Some(&reader));
    assert_eq!(record["status"], "retired", "{record}");

    // Golden IDs the job created still resolve, as retired.
    for id in &created {
        let (status, view) = app.get(&format!("/v1/vendor/golden/{id}"), Some(&reader));
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["status"], "retired", "{view}");
    }
    let (_, open) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    assert_eq!(open["total"], 0, "{open}");

    // In the change feed and the audit log; the job says it was undone.
    let (_, feed) = app.get(
        &format!("/v1/events?after={last_seq}&limit=1000"),
        Some(&reader),
    );
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert!(kinds.contains(&"job.rolled_back"), "{kinds:?}");
    assert!(kinds.contains(&"record.reverted"), "{kinds:?}");
    let (_, audit) = app.get("/v1/audit?action=rollback_job", Some(&steward));
    assert_eq!(audit["entries"][0]["entity_id"], job.as_str(), "{audit}");
    assert_eq!(audit["entries"][0]["reason"], "wrong file");
    let (_, view) = app.get(&format!("/v1/jobs/{job}"), Some(&reader));
    assert_eq!(view["status"], "rolled_back");
    assert_eq!(view["rollback"], result);

    // Asked again: the first result, and nothing more happens.
    let events = feed["events"].as_array().unwrap().len();
    let (status, again) = app.post(
        &format!("/v1/jobs/{job}/rollback"),
        Some(&steward),
        &json!({"comment": "once more"}),
    );
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, result);
    let (_, feed) = app.get(
        &format!("/v1/events?after={last_seq}&limit=1000"),
        Some(&reader),
    );
    assert_eq!(feed["events"].as_array().unwrap().len(), events);
    assert_eq!(vendor_crosswalk(&app), after);
}

#[test]
fn a_steward_decision_since_the_job_stops_its_rollback_with_a_list() {
    let app = spawn_app();
    let (_, second) = master_then_second(&app);
    let job = second["id"].as_str().unwrap().to_owned();
    let steward = app.token(&[Role::Steward], &[]);
    let (_, open) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    let proposal = open["proposals"][0]["id"].as_i64().unwrap();
    let (status, body) = app.post(
        &format!("/v1/proposals/{proposal}/approve"),
        Some(&steward),
        &json!({"comment": "same company"}),
    );
    assert_eq!(status, 200, "{body}");
    // And a record the job linked is split out again.
    let linked = golden_of(&app, "acq", "9");
    let reader = app.token(&[Role::Reader], &[]);
    let (_, view) = app.get(&format!("/v1/vendor/golden/{linked}"), Some(&reader));
    let (status, body) = app.post(
        &format!("/v1/vendor/golden/{linked}/split"),
        Some(&steward),
        &json!({"records": [{"source_system": "acq", "source_id": "9"}],
                "version": view["version"], "comment": "not the same"}),
    );
    assert_eq!(status, 200, "{body}");
    let before = vendor_crosswalk(&app);

    let (status, body) = app.post(
        &format!("/v1/jobs/{job}/rollback"),
        Some(&steward),
        &json!({"comment": "wrong file"}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "rollback_conflict");
    let conflicts = body["conflicts"].as_array().unwrap();
    assert!(
        conflicts
            .iter()
            .any(|c| c["kind"] == "proposal_decided" && c["proposal_id"] == proposal),
        "{body}"
    );
    assert!(
        conflicts.iter().any(|c| c["kind"] == "steward_action"
            && c["action"] == "split"
            && c["golden_id"] == linked.as_str()),
        "{body}"
    );
    // Nothing was undone, and the job can still be rolled back later.
    assert_eq!(vendor_crosswalk(&app), before);
    let (_, view) = app.get(&format!("/v1/jobs/{job}"), Some(&reader));
    assert_eq!(view["status"], "finished");
}

/// Runs the binary with `args`, checks it succeeded and parses the JSON it printed last.
fn cli_json(settings: &golden::config::Settings, args: &[&str]) -> Value {
    let output = crate::helpers::cli_for(settings, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stdout}\n{stderr}");
    let last = stdout.lines().rev().find(|l| l.starts_with('{'));
    match last {
        Some(line) if serde_json::from_str::<Value>(line).is_ok() => {
            serde_json::from_str(line).unwrap()
        }
        _ => serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")),
    }
}

#[test]
fn the_command_line_profiles_a_file_and_rolls_a_load_back() {
    let app = spawn_app();
    let settings = app.settings.clone();
    let master = app.dir.path().join("master.csv");
    let second = app.dir.path().join("second.csv");
    std::fs::write(&master, MASTER).unwrap();
    std::fs::write(&second, SECOND).unwrap();
    let (master, second) = (master.display().to_string(), second.display().to_string());
    let _app = app.restart_with(|| {
        let export = |settings| {
            crate::helpers::cli_for(settings, &["export", "crosswalk", "--domain", "vendor"]).stdout
        };
        cli_json(
            &settings,
            &["load", "--domain", "vendor", "--source", "sap", &master],
        );
        let before = export(&settings);

        let profile = cli_json(
            &settings,
            &["load", "--profile", "--domain", "vendor", &second],
        );
        assert_eq!(profile["rows"], 4, "{profile}");
        assert_eq!(profile["unmapped_columns"], json!([]), "{profile}");
        assert_eq!(export(&settings), before, "a profile stores nothing");

        let job = cli_json(&settings, &["load", "--domain", "vendor", &second]);
        assert_ne!(export(&settings), before);
        let id = job["id"].as_str().unwrap();
        let result = cli_json(&settings, &["load", "rollback", id]);
        assert_eq!(result["records_retired"], 3, "{result}");
        let again = cli_json(&settings, &["load", "rollback", id, "--comment", "again"]);
        assert_eq!(again, result);
        let after = String::from_utf8(export(&settings)).unwrap();
        let before = String::from_utf8(before).unwrap();
        let acq = |text: &str| {
            text.lines()
                .filter(|l| !l.starts_with("acq,"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(acq(&after), acq(&before));
    });
}

#[test]
fn a_record_the_job_merged_away_goes_back_to_its_own_golden_record() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    upload_job(&app, "/v1/vendor/jobs?source=sap", &sap, MASTER);
    let before = vendor_crosswalk(&app);
    let northwind = golden_of(&app, "sap", "4");
    // Northwind's only record now says it is Cardinal Health: matched again, its golden
    // record is merged into Cardinal's.
    let job = upload_job(
        &app,
        "/v1/vendor/jobs?source=sap",
        &sap,
        "source_id,name,tax_id,city\n4,Cardinal Health,310958666,Dublin\n",
    );
    assert_eq!(job["auto_linked"], 1, "{job}");
    assert_eq!(golden_of(&app, "sap", "4"), golden_of(&app, "sap", "1"));

    let steward = app.token(&[Role::Steward], &[]);
    let (status, result) = app.post(
        &format!("/v1/jobs/{}/rollback", job["id"].as_str().unwrap()),
        Some(&steward),
        &json!({"comment": "wrong file"}),
    );
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["versions_reverted"], 1, "{result}");
    assert_eq!(result["links_undone"], 1, "{result}");
    assert_eq!(vendor_crosswalk(&app), before);
    assert_eq!(
        golden_of(&app, "sap", "4"),
        northwind,
        "the lookup follows at once"
    );
    let reader = app.token(&[Role::Reader], &[]);
    let (_, view) = app.get(&format!("/v1/vendor/golden/{northwind}"), Some(&reader));
    assert_eq!(view["status"], "active", "{view}");
    assert_eq!(view["fields"]["name"], "Northwind Traders", "{view}");
}
