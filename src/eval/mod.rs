//! `golden eval`: load a labelled record file into a fresh temporary store with the current
//! rules and score the resulting golden records and proposals against the truth.

pub mod metrics;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Settings;
use crate::model::{Decision, RecordInput};
use crate::service::{Golden, ServiceError};
use crate::store::queries::{proposals, records};
use metrics::{PairwiseScores, Unions, pairwise};

/// Records sent per ingest call: the same path the HTTP API takes.
const CHUNK: usize = 1_000;

type Key = (String, String);
/// Source key -> golden ID, and the golden ID pairs of open proposals.
type Clusters = (HashMap<Key, String>, Vec<(String, String)>);

/// The result, printed as one JSON line.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub domain: String,
    pub records: usize,
    pub rejected: usize,
    pub precision_auto: f64,
    pub recall_auto: f64,
    pub f1_auto: f64,
    pub precision_review: f64,
    pub recall_review: f64,
    pub f1_review: f64,
    pub proposals: usize,
    /// Share of proposals whose two golden records hold records of one true entity.
    pub proposal_precision: f64,
    pub decisions: BTreeMap<String, usize>,
    /// The model the records were matched with; `None` for the declared weights.
    pub model: Option<crate::service::models::ModelInfo>,
    /// Why no model was estimated when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_model: Option<String>,
    pub seconds: f64,
}

/// Which weights an evaluation matches with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelChoice {
    /// Estimate a model from the file itself first, as a load into a domain without a model
    /// does (the records go into a scratch store, the model is estimated there).
    Estimate,
    /// The rule file's declared weights.
    Declared,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("temporary store: {0}")]
    Io(#[from] std::io::Error),
}

fn input_error(path: &Path, message: impl ToString) -> EvalError {
    EvalError::Input {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Reads a records file: `source_system,source_id`, then one column per field.
pub fn read_records(path: &Path) -> Result<Vec<RecordInput>, EvalError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| input_error(path, e))?;
    let headers = reader.headers().map_err(|e| input_error(path, e))?.clone();
    if headers.get(0) != Some("source_system") || headers.get(1) != Some("source_id") {
        return Err(input_error(
            path,
            "the header must start with source_system,source_id",
        ));
    }
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| input_error(path, e))?;
        let attributes: Map<String, Value> = headers
            .iter()
            .zip(row.iter())
            .skip(2)
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
            .collect();
        out.push(RecordInput {
            source_system: row.get(0).unwrap_or_default().to_owned(),
            source_id: row.get(1).unwrap_or_default().to_owned(),
            attributes,
        });
    }
    Ok(out)
}

/// Reads a truth file: `source_system,source_id,entity_id`.
pub fn read_truth(path: &Path) -> Result<HashMap<Key, String>, EvalError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| input_error(path, e))?;
    let mut truth = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| input_error(path, e))?;
        match (row.get(0), row.get(1), row.get(2)) {
            (Some(system), Some(id), Some(entity)) => {
                truth.insert((system.to_owned(), id.to_owned()), entity.to_owned());
            }
            _ => {
                return Err(input_error(
                    path,
                    "each row needs source_system,source_id,entity_id",
                ));
            }
        }
    }
    Ok(truth)
}

/// Runs the evaluation in a temporary data directory with the rules of `base`.
/// `keep`, when given, is used as the data directory (and left behind for inspection).
pub fn run(
    base: &Settings,
    domain: &str,
    records_path: &Path,
    truth_path: &Path,
    keep: Option<&Path>,
    choice: ModelChoice,
    estimate_from: Option<&Path>,
) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    let inputs = read_records(records_path)?;
    let training = match estimate_from {
        Some(path) => Some(read_records(path)?),
        None => None,
    };
    let truth = read_truth(truth_path)?;
    let dir = tempfile::tempdir()?;
    let data_dir = keep.unwrap_or(dir.path());
    if keep.is_some() && data_dir.exists() && std::fs::read_dir(data_dir)?.next().is_some() {
        return Err(input_error(
            data_dir,
            "--keep needs a new or empty directory",
        ));
    }
    let mut no_model = None;
    let model = match choice {
        ModelChoice::Estimate => {
            match estimate_from_records(base, domain, training.as_deref().unwrap_or(&inputs)) {
                Ok(model) => Some(model),
                // Data that cannot identify a model is matched with the declared weights, as a
                // deployment would be.
                Err(EvalError::Service(ServiceError::Unprocessable { message, .. })) => {
                    eprintln!("no model estimated: {message}");
                    no_model = Some(message);
                    None
                }
                Err(e) => return Err(e),
            }
        }
        ModelChoice::Declared => None,
    };
    let mut settings = Settings::embedded(data_dir);
    settings.rules_dir = base.rules_dir.clone();
    let golden = Golden::open(settings)?;
    golden.domain(domain)?;
    let model = match model {
        Some(model) => Some(golden.import_model(domain, model, &evaluator())?),
        None => None,
    };

    let total = inputs.len();
    let decisions = load(&golden, domain, inputs)?;
    let rejected = decisions
        .get(Decision::Rejected.as_str())
        .copied()
        .unwrap_or(0);

    let (crosswalk, open) = clusters(&golden, domain)?;
    let auto = pairwise(&crosswalk, &truth);
    let mut unions = Unions::default();
    for (a, b) in &open {
        unions.union(a, b);
    }
    let reviewed: HashMap<Key, String> = crosswalk
        .iter()
        .map(|(key, golden_id)| (key.clone(), unions.find(golden_id)))
        .collect();
    let review = pairwise(&reviewed, &truth);
    let proposal_precision = proposal_precision(&crosswalk, &truth, &open);
    let mut report = report(
        domain,
        total,
        rejected,
        auto,
        review,
        open.len(),
        proposal_precision,
        decisions,
        started,
    );
    report.model = model;
    report.no_model = no_model;
    Ok(report)
}

fn evaluator() -> crate::service::stewardship::Actor {
    crate::service::stewardship::Actor {
        sub: "eval".into(),
        request_id: None,
        sensitive: true,
    }
}

/// Sends the records through ingest in chunks, as the HTTP API would; counts decisions.
fn load(
    golden: &Golden,
    domain: &str,
    inputs: Vec<RecordInput>,
) -> Result<BTreeMap<String, usize>, EvalError> {
    let mut decisions: BTreeMap<String, usize> = BTreeMap::new();
    let mut pending = inputs.into_iter().map(Ok).peekable();
    while pending.peek().is_some() {
        let chunk: Vec<_> = pending.by_ref().take(CHUNK).collect();
        for result in golden.ingest(domain, chunk)? {
            *decisions
                .entry(result.decision.as_str().to_owned())
                .or_default() += 1;
        }
    }
    Ok(decisions)
}

/// Estimates a model from the records alone: loaded into a scratch store, estimated there.
fn estimate_from_records(
    base: &Settings,
    domain: &str,
    inputs: &[RecordInput],
) -> Result<crate::matching::model::MatchModel, EvalError> {
    let scratch = tempfile::tempdir()?;
    let mut settings = Settings::embedded(scratch.path());
    settings.rules_dir = base.rules_dir.clone();
    let golden = Golden::open(settings)?;
    load(&golden, domain, inputs.to_vec())?;
    let options = crate::service::models::EstimateOptions::default();
    let info = golden.estimate_model(domain, &options, &evaluator())?;
    Ok(golden.export_model(domain, Some(info.version))?)
}

#[allow(clippy::too_many_arguments)]
fn report(
    domain: &str,
    records: usize,
    rejected: usize,
    auto: PairwiseScores,
    review: PairwiseScores,
    proposals: usize,
    proposal_precision: f64,
    decisions: BTreeMap<String, usize>,
    started: Instant,
) -> EvalReport {
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    EvalReport {
        domain: domain.to_owned(),
        records,
        rejected,
        precision_auto: round(auto.precision),
        recall_auto: round(auto.recall),
        f1_auto: round(auto.f1),
        precision_review: round(review.precision),
        recall_review: round(review.recall),
        f1_review: round(review.f1),
        proposals,
        proposal_precision: round(proposal_precision),
        decisions,
        model: None,
        no_model: None,
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    }
}

/// The crosswalk (key -> golden ID) and the open proposals' golden ID pairs.
fn clusters(golden: &Golden, domain: &str) -> Result<Clusters, EvalError> {
    let mut conn = golden.store.conn().map_err(ServiceError::from)?;
    let mut crosswalk = HashMap::new();
    let mut after = 0;
    loop {
        let page =
            records::domain_page(&mut conn, domain, after, 10_000).map_err(ServiceError::from)?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for row in page {
            crosswalk.insert((row.source_system, row.source_id), row.golden_id);
        }
        after = last;
    }
    let mut open = Vec::new();
    let mut after = 0;
    loop {
        let page =
            proposals::open_page(&mut conn, domain, after, 10_000).map_err(ServiceError::from)?;
        let Some(last) = page.last().map(|p| p.id) else {
            break;
        };
        open.extend(page.into_iter().map(|p| (p.golden_id, p.other_golden_id)));
        after = last;
    }
    Ok((crosswalk, open))
}

/// Share of proposals joining two golden records that share a true entity.
fn proposal_precision(
    crosswalk: &HashMap<Key, String>,
    truth: &HashMap<Key, String>,
    open: &[(String, String)],
) -> f64 {
    if open.is_empty() {
        return 1.0;
    }
    let mut entities: HashMap<&str, Vec<&str>> = HashMap::new();
    for (key, golden_id) in crosswalk {
        if let Some(entity) = truth.get(key) {
            entities
                .entry(golden_id.as_str())
                .or_default()
                .push(entity.as_str());
        }
    }
    let good = open
        .iter()
        .filter(|(a, b)| {
            let (ea, eb) = (entities.get(a.as_str()), entities.get(b.as_str()));
            matches!((ea, eb), (Some(ea), Some(eb)) if ea.iter().any(|e| eb.contains(e)))
        })
        .count();
    good as f64 / open.len() as f64
}
