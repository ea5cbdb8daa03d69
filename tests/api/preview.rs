//! Previewing a load (a dry run that commits nothing) and committing it as previewed: the
//! store is untouched by the preview, the commit's counts are the preview's, and a store that
//! changed in between re-decides the affected rows and says how many.

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, cli_for, spawn_app, upload_job, vendor_crosswalk, wait_job_finished,
};
use crate::undo::MASTER;

fn text(app: &TestApp, path: &str) -> String {
    let reader = app.token(&[Role::Reader], &[]);
    ureq::get(&format!("{}{path}", app.base))
        .set("Authorization", &format!("Bearer {reader}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap()
}

fn event_count(app: &TestApp) -> usize {
    let reader = app.token(&[Role::Reader], &[]);
    let (_, feed) = app.get("/v1/events?after=0&limit=1000", Some(&reader));
    feed["events"].as_array().unwrap().len()
}

/// An auto-link to the master, a proposal against it, a new vendor and its twin later in the
/// same file (a within-file auto-link into a golden record already holding an `acq` record),
/// a changed master record and a row with no name.
const SECOND: &str = "source_system,source_id,name,tax_id,city\n\
    acq,9,Cardinal Health,310958666,Dublin\n\
    acq,10,Contoso Surgical LLC,,Chicago\n\
    acq,11,Zenith Widgets,412345678,Denver\n\
    sap,3,Fabrikam Linen,,Cambridge\n\
    acq,12,,,Nowhere\n\
    acq,13,Zenith Widgets Inc,412345678,Denver\n";

fn risky_line(report: &Value, line: i64) -> Option<&Value> {
    report["riskiest"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == line)
}

#[test]
fn a_preview_changes_nothing_and_its_commit_does_what_it_showed() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    upload_job(&app, "/v1/vendor/jobs?source=sap", &sap, MASTER);
    let before = vendor_crosswalk(&app);
    let events = event_count(&app);

    let both = app.token(&[Role::Ingest], &["sap", "acq"]);
    let preview = upload_job(&app, "/v1/vendor/jobs?mode=preview", &both, SECOND);
    let id = preview["id"].as_str().unwrap().to_owned();
    assert_eq!(preview["mode"], "preview");
    let report = &preview["preview"];
    assert_eq!(report["rows"], 6, "{report}");
    assert_eq!(report["new"], 1, "{report}");
    assert_eq!(report["auto_linked"], 2, "{report}");
    assert_eq!(report["proposed"], 1, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["within_file"], 1, "{report}");
    assert_eq!(report["reject_reasons"][0]["rows"], 1, "{report}");
    assert!(
        report["reject_reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("name"),
        "{report}"
    );
    // The twin joins the golden record line 4 creates, which holds an `acq` record already:
    // the riskiest decision.
    let twin = risky_line(report, 7).unwrap_or_else(|| panic!("{report}"));
    assert_eq!(twin["target"], "line:4", "{twin}");
    assert_eq!(twin["decision"], "auto_linked");
    assert!(
        twin["risks"]
            .as_array()
            .unwrap()
            .contains(&json!("same_source")),
        "{twin}"
    );
    assert_eq!(report["riskiest"][0]["line"], 7, "{report}");
    assert!(
        risky_line(report, 2).is_some(),
        "the master link is listed too: {report}"
    );

    // Nothing changed: no row, no event, no index entry, no golden ID taken.
    assert_eq!(
        vendor_crosswalk(&app),
        before,
        "the crosswalk export is byte-identical"
    );
    assert_eq!(event_count(&app), events, "no event was appended");
    let reader = app.token(&[Role::Reader], &[]);
    let (status, found) = app.get("/v1/vendor/golden?q=Zenith%20Widgets", Some(&reader));
    assert_eq!(status, 200, "{found}");
    let names: Vec<&Value> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["fields"]["name"])
        .collect();
    assert!(!names.contains(&&json!("Zenith Widgets")), "{found}");

    // The same report as JSON, and every row as CSV, riskiest first.
    let (status, again) = app.get(&format!("/v1/jobs/{id}/preview"), Some(&reader));
    assert_eq!(status, 200);
    assert_eq!(&again, report);
    let csv = text(&app, &format!("/v1/jobs/{id}/preview?format=csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "line,source_system,source_id,decision,target,score,risk,risks,detail"
    );
    assert_eq!(lines.len(), 7, "{csv}");
    assert!(
        lines[1].starts_with("7,acq,13,auto_linked,line:4,"),
        "{csv}"
    );
    let (status, body) = app.get(&format!("/v1/jobs/{id}/preview?format=xml"), Some(&reader));
    assert_eq!(status, 400, "{body}");
    let rejects = text(&app, &format!("/v1/jobs/{id}/rejects"));
    assert!(
        rejects.lines().nth(1).unwrap().starts_with("6,"),
        "{rejects}"
    );

    // A reader may not commit; a load job is not a preview.
    let (status, _) = app.post(&format!("/v1/jobs/{id}/commit"), Some(&reader), &json!({}));
    assert_eq!(status, 403);

    let (status, queued) = app.post(&format!("/v1/jobs/{id}/commit"), Some(&both), &json!({}));
    assert_eq!(status, 202, "{queued}");
    let commit = wait_job_finished(&app, queued["id"].as_str().unwrap());
    assert_eq!(commit["mode"], "load");
    assert_eq!(commit["preview_of"], id.as_str());
    assert_eq!(
        commit["created"],
        report["new"].as_i64().unwrap() + 1,
        "{commit}"
    );
    assert_eq!(commit["auto_linked"], report["auto_linked"], "{commit}");
    assert_eq!(commit["proposed"], report["proposed"], "{commit}");
    assert_eq!(commit["updated"], report["updated"], "{commit}");
    assert_eq!(commit["rejected"], report["rejected"], "{commit}");
    assert_eq!(
        commit["commit"],
        json!({"preview": id, "store_changed": false, "rows": 6, "redecided": 0, "examples": []}),
        "{commit}"
    );
    assert_eq!(
        vendor_crosswalk(&app).lines().count(),
        before.lines().count() + 4,
        "the four new records are in"
    );
    let (status, body) = app.post(&format!("/v1/jobs/{id}/commit"), Some(&both), &json!({}));
    assert_eq!(status, 409, "committed once: {body}");
    let load = commit["id"].as_str().unwrap();
    let (status, body) = app.post(&format!("/v1/jobs/{load}/commit"), Some(&both), &json!({}));
    assert_eq!(status, 409, "not a preview: {body}");
    let (status, body) = app.get(&format!("/v1/jobs/{load}/preview"), Some(&reader));
    assert_eq!(status, 409, "{body}");
}

#[test]
fn a_commit_after_the_store_changed_re_decides_the_affected_rows_and_says_how_many() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    upload_job(&app, "/v1/vendor/jobs?source=sap", &sap, MASTER);
    let both = app.token(&[Role::Ingest], &["sap", "acq"]);
    let preview = upload_job(&app, "/v1/vendor/jobs?mode=preview", &both, SECOND);
    let id = preview["id"].as_str().unwrap().to_owned();
    assert_eq!(preview["preview"]["new"], 1);

    // Zenith Widgets arrives from another system before the commit: the preview's new golden
    // record (line 4) now exists, so that row and its twin link to it instead.
    let erp = app.token(&[Role::Ingest], &["erp"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&erp),
        &json!({"source_system": "erp", "source_id": "Z1",
            "attributes": {"name": "Zenith Widgets", "tax_id": "412345678", "city": "Denver"}}),
    );
    assert_eq!(status, 200, "{body}");

    let (status, queued) = app.post(&format!("/v1/jobs/{id}/commit"), Some(&both), &json!({}));
    assert_eq!(status, 202, "{queued}");
    let commit = wait_job_finished(&app, queued["id"].as_str().unwrap());
    let comparison = &commit["commit"];
    assert_eq!(comparison["store_changed"], true, "{commit}");
    assert_eq!(comparison["redecided"], 2, "{commit}");
    assert_eq!(comparison["examples"][0]["line"], 4, "{comparison}");
    assert_eq!(
        comparison["examples"][0]["previewed"], "new",
        "{comparison}"
    );
    assert!(
        comparison["examples"][0]["committed"]
            .as_str()
            .unwrap()
            .starts_with("auto_linked -> V"),
        "{comparison}"
    );
    assert_eq!(commit["auto_linked"], 3, "{commit}");
}

#[test]
fn the_cli_previews_a_file_and_commits_it_only_when_it_is_the_same_file() {
    let app = spawn_app();
    let sap = app.token(&[Role::Ingest], &["sap"]);
    upload_job(&app, "/v1/vendor/jobs?source=sap", &sap, MASTER);
    let before = vendor_crosswalk(&app);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("second.csv");
    std::fs::write(&file, SECOND).unwrap();
    let file = file.display().to_string();
    let settings = app.settings.clone();
    let mut outputs = Vec::new();
    let app = app.restart_with(|| {
        let dry = cli_for(
            &settings,
            &["load", "--domain", "vendor", "--dry-run", &file],
        );
        assert!(
            dry.status.success(),
            "{}",
            String::from_utf8_lossy(&dry.stderr)
        );
        let job: Value = serde_json::from_slice(&dry.stdout).unwrap();
        let id = job["id"].as_str().unwrap().to_owned();
        assert_eq!(job["preview"]["auto_linked"], 2, "{job}");
        let stderr = String::from_utf8_lossy(&dry.stderr).into_owned();
        assert!(stderr.contains("nothing was committed"), "{stderr}");

        // Another file (here: the same bytes read with another mapping) is refused.
        let other = cli_for(
            &settings,
            &[
                "load",
                "--domain",
                "vendor",
                "--commit-preview",
                &id,
                "--map",
                "city=city",
                &file,
            ],
        );
        assert!(!other.status.success());
        assert!(
            String::from_utf8_lossy(&other.stderr).contains("not the one preview"),
            "{}",
            String::from_utf8_lossy(&other.stderr)
        );
        let commit = cli_for(
            &settings,
            &["load", "--domain", "vendor", "--commit-preview", &id, &file],
        );
        assert!(
            commit.status.success(),
            "{}",
            String::from_utf8_lossy(&commit.stderr)
        );
        outputs.push(commit.stdout);
    });
    let stdout = String::from_utf8_lossy(&outputs[0]).into_owned();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["auto_linked"], 2, "{summary}");
    assert_eq!(summary["commit"]["redecided"], 0, "{summary}");
    assert_eq!(
        vendor_crosswalk(&app).lines().count(),
        before.lines().count() + 4
    );
}
