//! The steward workbench: bulk decisions, claims, browsing and exporting golden records, and
//! queue rows that say what each proposal is about.

mod browse;
mod claims;
mod decide;
mod four_eyes;
mod picks;
mod queue;

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, vendor};

/// Ingests one vendor record; its result.
pub fn ingest(app: &TestApp, system: &str, id: &str, attributes: Value) -> Value {
    let token = app.token(&[Role::Ingest], &["sap", "oracle", "ariba"]);
    let (status, body) = app.post(
        "/v1/vendor/records",
        Some(&token),
        &vendor(system, id, attributes),
    );
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

/// Pairs of near-duplicate vendors, each of which opens one proposal.
pub const PAIRS: [(&str, &str); 3] = [
    ("Contoso Surgical", "Contoso Surgical LLC"),
    ("Fabrikam Linen", "Fabrikam Linen Inc"),
    ("Northwind Dental", "Northwind Dental Co"),
];

/// Ingests the `PAIRS` (sap `s{i}` then oracle `o{i}`); the open proposals' IDs, in pair
/// order.
pub fn open_three(app: &TestApp) -> Vec<i64> {
    PAIRS
        .iter()
        .enumerate()
        .map(|(i, (first, second))| {
            ingest(app, "sap", &format!("s{i}"), json!({"name": first}));
            let pending = ingest(app, "oracle", &format!("o{i}"), json!({"name": second}));
            assert_eq!(pending["decision"], "proposed", "{pending}");
            let golden_id = pending["golden_id"].as_str().unwrap().to_owned();
            queue(app, "")
                .into_iter()
                .find(|p| p["golden_id"] == golden_id.as_str())
                .and_then(|p| p["id"].as_i64())
                .expect("a proposal for the pair")
        })
        .collect()
}

/// The open vendor queue with extra query parameters (`&a=b...`), as the `tester` steward.
pub fn queue(app: &TestApp, extra: &str) -> Vec<Value> {
    let steward = app.token(&[Role::Steward], &[]);
    let path = format!("/v1/vendor/proposals?status=open&limit=500{extra}");
    let (status, page) = app.get(&path, Some(&steward));
    assert_eq!(status, 200, "{page}");
    page["proposals"].as_array().unwrap().clone()
}

pub fn proposal(app: &TestApp, id: i64) -> Value {
    let steward = app.token(&[Role::Steward], &[]);
    let (status, body) = app.get(&format!("/v1/proposals/{id}"), Some(&steward));
    assert_eq!(status, 200, "{body}");
    body
}
