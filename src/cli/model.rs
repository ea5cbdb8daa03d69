//! `golden estimate` and `golden model export|import|list|activate`.

use std::path::Path;

use anyhow::Context;

use crate::matching::model::MatchModel;
use crate::service::Golden;
use crate::service::models::{EstimateOptions, ModelInfo};
use crate::service::stewardship::Actor;

/// The actor CLI commands act as in the audit log.
fn operator() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Actor {
        sub: format!("cli:{user}"),
        request_id: None,
        sensitive: true,
    }
}

fn print(info: &ModelInfo) -> anyhow::Result<()> {
    let s = &info.summary;
    eprintln!(
        "model version {} ({}{}): auto_link {:.6}, review {:.4}, prior {:.2}; {} records ({} sampled), {} candidate and {} random pairs, {} labelled; EM {} iterations{}; expected precision {:.4}, {:.0} proposals per 1,000 records; {:.1}s",
        info.version,
        info.origin,
        if info.active { ", active" } else { "" },
        info.auto_link,
        info.review,
        info.prior,
        s.records,
        s.sampled_records,
        s.candidate_pairs,
        s.random_pairs,
        s.labelled_pairs,
        s.iterations,
        if s.converged {
            ", converged"
        } else {
            ", NOT converged"
        },
        s.expected_precision,
        s.expected_proposals_per_1000,
        s.seconds,
    );
    println!("{}", serde_json::to_string(info)?);
    Ok(())
}

pub fn estimate(golden: &Golden, domain: &str, options: &EstimateOptions) -> anyhow::Result<()> {
    let info = golden.estimate_model(domain, options, &operator())?;
    print(&info)
}

pub fn export(
    golden: &Golden,
    domain: &str,
    version: Option<i64>,
    file: &Path,
) -> anyhow::Result<()> {
    let model = golden.export_model(domain, version)?;
    let text = serde_json::to_string_pretty(&model)?;
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    eprintln!("wrote the model of {domain} to {}", file.display());
    Ok(())
}

pub fn import(golden: &Golden, domain: &str, file: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let model: MatchModel = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a match model", file.display()))?;
    let info = golden.import_model(domain, model, &operator())?;
    print(&info)
}

pub fn activate(golden: &Golden, domain: &str, version: i64) -> anyhow::Result<()> {
    let info = golden.activate_model(domain, version, &operator())?;
    print(&info)
}

pub fn list(golden: &Golden, domain: &str) -> anyhow::Result<()> {
    for info in golden.list_models(domain)? {
        print(&info)?;
    }
    Ok(())
}

/// `golden rematch --domain D --dry-run`: the impact of a stored version, a model file, or
/// (with neither) the declared weights, against the rules in force.
pub fn rematch(
    golden: &Golden,
    domain: &str,
    version: Option<i64>,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let model = match (version, file) {
        (Some(v), _) => Some((v, golden.export_model(domain, Some(v))?)),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let model: MatchModel = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a match model", file.display()))?;
            if model.domain != domain {
                anyhow::bail!("{} is a model of domain {:?}", file.display(), model.domain);
            }
            crate::service::models::check_numbers(&model)?;
            Some((0, model))
        }
        (None, None) => None,
    };
    let report = golden.rematch_dry_run(domain, model.as_ref().map(|(v, m)| (*v, m)))?;
    eprintln!(
        "{} records: {} links kept, {} broken; {} auto-merges it would propose; review band {} -> {} records ({} proposals open)",
        report.records,
        report.links_kept,
        report.links_broken,
        report.merges_auto,
        report.review_before,
        report.review_after,
        report.open_proposals
    );
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
