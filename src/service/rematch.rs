//! What a model change would change, without changing anything: every stored record of a
//! domain is matched again under the candidate model and under the rules in force, and the
//! differences are counted with examples. Activating a model never re-merges existing golden
//! records; this report is how an admin sees its impact first.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::{Golden, ServiceError};
use crate::matching::decide::sure;
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
/// record and against the best other one, and whether each is sure enough to auto-link (as
/// matching decides: threshold, identifiers, the comparisons an auto-link needs).
#[derive(Debug, Clone, Copy, Default)]
struct Standing {
    own: Option<f64>,
    own_sure: bool,
    other: Option<f64>,
    other_sure: bool,
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
    let (mut best_own, mut best_other) = (None, None);
    for (golden_id, candidate) in candidates {
        let p = crate::matching::probability(score::log_odds(rules, record, candidate));
        if *golden_id == row.golden_id {
            if result.own.is_none_or(|o| p > o) {
                result.own = Some(p);
                best_own = Some(candidate);
            }
        } else if result.other.is_none_or(|o| p > o) {
            result.other = Some(p);
            best_other = Some((golden_id, candidate));
        }
    }
    let sure = |candidate: &Standardized| sure(rules, &score::score_pair(rules, record, candidate));
    result.own_sure = best_own.is_some_and(&sure);
    result.other_sure = best_other.is_some_and(|(_, c)| sure(c));
    (result, best_other.map(|(golden_id, _)| golden_id.clone()))
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
        if next.own_sure {
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
    let in_review = |p: f64, sure: bool, rules: &MatchRules| p >= rules.review && !sure;
    if next.other_sure {
        report.merges_auto += 1;
        example(report, "merge_auto", &other_id, p_now, p_next);
    }
    let (was, will) = (
        in_review(p_now, now.other_sure, now_rules),
        in_review(p_next, next.other_sure, next_rules),
    );
    report.review_before += u64::from(was);
    report.review_after += u64::from(will);
    if will && !was {
        example(report, "review_added", &other_id, p_now, p_next);
    } else if was && !will {
        example(report, "review_dropped", &other_id, p_now, p_next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::matching::{Comparison, Level, Method};

    fn comparison(name: &str, method: Method, levels: &[(f64, f64)]) -> Comparison {
        Comparison {
            name: name.into(),
            fields: vec![name.into()],
            method,
            levels: levels
                .iter()
                .map(|&(at_least, weight)| Level { at_least, weight })
                .collect(),
            term_frequency: false,
            frequencies: None,
            within_source: false,
        }
    }

    #[test]
    fn a_pair_matching_would_send_to_review_counts_as_review_not_as_an_auto_merge() {
        let rules = MatchRules {
            prior: -4.0,
            auto_link_needs: vec!["name".into()],
            ..MatchRules::for_tests(
                vec![],
                vec![
                    comparison("name", Method::NameWords, &[(0.99, 2.0), (0.0, 0.0)]),
                    comparison("phone", Method::Exact, &[(1.0, 12.0), (0.0, -2.0)]),
                ],
            )
        };
        let record = |name: &str| -> Standardized {
            [("name", name), ("phone", "5550100")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        };
        let at = chrono::NaiveDateTime::default();
        let row = SourceRecordRow {
            id: 1,
            domain: "vendor".into(),
            source_system: "ap".into(),
            source_id: "1".into(),
            golden_id: "G1".into(),
            version: 1,
            status: record_status::ACTIVE.into(),
            attributes: "{}".into(),
            standardized: "{}".into(),
            content_hash: String::new(),
            created_at: at,
            updated_at: at,
            standardization: None,
        };
        let holding = ("G2".to_owned(), record("pioneer biomedical holdings"));
        let twin = ("G3".to_owned(), record("pioneer biomedical"));
        let me = record("pioneer biomedical");

        // The holding company shares the phone: above the threshold, but its name only
        // resembles: matching proposes it, so the report counts it in the queue.
        let (found, other) = standing(&rules, &row, &me, &[&holding]);
        assert!(
            found.other.is_some_and(|p| p >= rules.auto_link),
            "{found:?}"
        );
        assert!(!found.other_sure);
        assert_eq!(other.as_deref(), Some("G2"));
        let mut report = RematchReport::default();
        tally(&mut report, &row, found, found, other, &rules, &rules);
        assert_eq!((report.merges_auto, report.review_after), (0, 1));

        // Its twin under another golden record agrees on the name too: an auto-merge.
        let (found, _) = standing(&rules, &row, &me, &[&twin]);
        assert!(found.other_sure);
    }
}
