//! What a model change would change, without changing anything: every stored record of a
//! domain is matched again under the candidate model and under the rules in force, and the
//! differences are counted with examples. Activating a model never re-merges existing golden
//! records; this report is how an admin sees its impact first.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::{Golden, ServiceError};
use crate::matching::model::MatchModel;
use crate::matching::{Standardized, keys, score};
use crate::model::record_status;
use crate::rules::matching::MatchRules;
use crate::store::models::SourceRecordRow;
use crate::store::queries::{proposals, records};

/// Records matched again per page.
const PAGE: i64 = 2_000;
/// Examples kept of each kind of change.
const EXAMPLES: usize = 10;

/// The impact of a candidate model.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RematchReport {
    pub domain: String,
    /// The model the stored records were matched under now (`None`: declared weights).
    pub current_model: Option<i64>,
    /// The candidate model's version (`None`: declared weights).
    pub candidate_model: Option<i64>,
    /// Active records matched again.
    pub records: u64,
    /// Records the rules in force would auto-link to a fellow member of their golden record
    /// that the candidate still would...
    pub links_kept: u64,
    /// ... and those it would not: links it would break (sent to review, or apart).
    pub links_broken: u64,
    /// Records the candidate would auto-link to another golden record where the rules in
    /// force would not (a merge it would propose, since existing golden records are merged
    /// only by stewards).
    pub merges_auto: u64,
    /// Records whose best other golden record would be in the review band: the queue.
    pub review_before: u64,
    pub review_after: u64,
    /// Proposals open now.
    pub open_proposals: u64,
    pub examples: Vec<RematchExample>,
}

/// One record whose decision would change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RematchExample {
    /// `link_broken`, `merge_auto`, `review_added` or `review_dropped`.
    pub change: String,
    pub source_system: String,
    pub source_id: String,
    pub golden_id: String,
    /// The other golden record (for merges and reviews), or the record's own.
    pub other_golden_id: String,
    pub probability_now: f64,
    pub probability_candidate: f64,
}

/// Where a record stands under one set of rules: its best score within its own golden
/// record and against the best other one.
#[derive(Debug, Clone, Copy, Default)]
struct Standing {
    own: Option<f64>,
    other: Option<f64>,
}

impl Golden {
    /// Matches every active record of `domain` again under `candidate` (a stored or imported
    /// model; `None` for the declared weights) and reports what would change. Writes nothing.
    pub fn rematch_dry_run(
        &self,
        domain: &str,
        candidate: Option<(i64, &MatchModel)>,
    ) -> Result<RematchReport, ServiceError> {
        let current = self.domain(domain)?;
        let declared = self
            .rules
            .domain(domain)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownDomain(domain.to_owned()))?;
        let (Some(now_rules), Some(declared_rules)) = (&current.matching, &declared.matching)
        else {
            return Err(ServiceError::unprocessable(format!(
                "domain {domain:?} declares no matching"
            )));
        };
        let next_rules = match candidate {
            Some((version, model)) => model.apply(declared_rules, version).ok_or_else(|| {
                ServiceError::unprocessable("the model does not fit the domain's comparisons")
            })?,
            None => declared_rules.clone(),
        };
        let mut report = RematchReport {
            domain: domain.to_owned(),
            current_model: now_rules.model_version,
            candidate_model: next_rules.model_version,
            ..Default::default()
        };
        let mut conn = self.store.conn()?;
        report.open_proposals = proposals::open_backlog(&mut conn)?
            .into_iter()
            .find(|(d, _, _)| d == domain)
            .map_or(0, |(_, n, _)| u64::try_from(n).unwrap_or(0));
        let mut after = 0;
        loop {
            let page = records::domain_page(&mut conn, domain, after, PAGE)?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            after = last;
            let active: Vec<(SourceRecordRow, Standardized)> = page
                .into_iter()
                .filter(|r| r.status == record_status::ACTIVE)
                .map(|r| {
                    let standardized = serde_json::from_str(&r.standardized)?;
                    Ok((r, standardized))
                })
                .collect::<Result<_, serde_json::Error>>()?;
            let found: Vec<Vec<i64>> = active
                .par_iter()
                .map(|(row, record)| {
                    let terms = keys::terms(declared_rules, record);
                    self.index
                        .search(
                            domain,
                            &terms,
                            declared_rules.max_candidates,
                            declared_rules.common_term_records,
                        )
                        .map(|ids| ids.into_iter().filter(|id| *id != row.id).collect())
                        .map_err(ServiceError::from)
                })
                .collect::<Result<_, _>>()?;
            let wanted: Vec<i64> = found
                .iter()
                .flatten()
                .copied()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let mut rows: HashMap<i64, (String, Standardized)> = HashMap::new();
            for row in records::by_ids(&mut conn, &wanted)? {
                if row.status == record_status::ACTIVE && row.domain == domain {
                    let standardized = serde_json::from_str(&row.standardized)?;
                    rows.insert(row.id, (row.golden_id, standardized));
                }
            }
            let standings: Vec<(Standing, Standing, Option<String>)> = active
                .par_iter()
                .zip(&found)
                .map(|((row, record), ids)| {
                    let candidates: Vec<&(String, Standardized)> =
                        ids.iter().filter_map(|id| rows.get(id)).collect();
                    let (now, _) = standing(now_rules, row, record, &candidates);
                    let (next, other) = standing(&next_rules, row, record, &candidates);
                    (now, next, other)
                })
                .collect();
            for ((row, _), (now, next, other)) in active.iter().zip(standings) {
                tally(&mut report, row, now, next, other, now_rules, &next_rules);
            }
        }
        Ok(report)
    }
}

/// The best score of `record` within its own golden record and against any other, with the
/// other golden record's ID.
fn standing(
    rules: &MatchRules,
    row: &SourceRecordRow,
    record: &Standardized,
    candidates: &[&(String, Standardized)],
) -> (Standing, Option<String>) {
    let mut result = Standing::default();
    let mut other_id = None;
    for (golden_id, candidate) in candidates {
        let p = crate::matching::probability(score::log_odds(rules, record, candidate));
        if *golden_id == row.golden_id {
            result.own = Some(result.own.map_or(p, |o| o.max(p)));
        } else if result.other.is_none_or(|o| p > o) {
            result.other = Some(p);
            other_id = Some(golden_id.clone());
        }
    }
    (result, other_id)
}

fn tally(
    report: &mut RematchReport,
    row: &SourceRecordRow,
    now: Standing,
    next: Standing,
    other: Option<String>,
    now_rules: &MatchRules,
    next_rules: &MatchRules,
) {
    report.records += 1;
    let example = |report: &mut RematchReport, change: &str, other: &str, a: f64, b: f64| {
        if report
            .examples
            .iter()
            .filter(|e| e.change == change)
            .count()
            < EXAMPLES
        {
            report.examples.push(RematchExample {
                change: change.to_owned(),
                source_system: row.source_system.clone(),
                source_id: row.source_id.clone(),
                golden_id: row.golden_id.clone(),
                other_golden_id: other.to_owned(),
                probability_now: a,
                probability_candidate: b,
            });
        }
    };
    if let Some(own_next) = next.own {
        if own_next >= next_rules.auto_link {
            report.links_kept += 1;
        } else {
            report.links_broken += 1;
            let golden = row.golden_id.clone();
            example(
                report,
                "link_broken",
                &golden,
                now.own.unwrap_or(0.0),
                own_next,
            );
        }
    }
    let (Some(other_id), Some(p_next)) = (other, next.other) else {
        return;
    };
    let p_now = now.other.unwrap_or(0.0);
    let in_review = |p: f64, rules: &MatchRules| p >= rules.review && p < rules.auto_link;
    if p_next >= next_rules.auto_link {
        report.merges_auto += 1;
        example(report, "merge_auto", &other_id, p_now, p_next);
    }
    let (was, will) = (in_review(p_now, now_rules), in_review(p_next, next_rules));
    report.review_before += u64::from(was);
    report.review_after += u64::from(will);
    if will && !was {
        example(report, "review_added", &other_id, p_now, p_next);
    } else if was && !will {
        example(report, "review_dropped", &other_id, p_now, p_next);
    }
}
