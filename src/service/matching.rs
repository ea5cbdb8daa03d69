//! Matching one incoming record inside its write transaction: candidates from the index (and
//! from records stored earlier in the same batch), scored against each candidate golden
//! record's members, decided by the domain's thresholds.

use std::collections::{HashMap, HashSet};

use super::{Golden, ServiceError};
use crate::index::Postings;
use crate::matching::{self, Outcome, PairScore, Standardized, keys, score};
use crate::model::record_status;
use crate::rules::Domain;
use crate::rules::matching::MatchRules;
use crate::store::DbConnection;
use crate::store::queries::{proposals, records};

/// Records stored by the current transaction, searchable before it commits.
#[derive(Default)]
pub struct BatchIndex {
    postings: Postings,
}

impl BatchIndex {
    pub fn add(&mut self, domain: &str, record_id: i64, terms: &[(String, f32)]) {
        self.postings.insert(domain, record_id as u64, terms);
    }
}

/// What matching found for one record.
pub struct MatchResult {
    pub outcome: Outcome,
    /// The record's candidate-key terms, for the batch index.
    pub terms: Vec<(String, f32)>,
}

impl Golden {
    /// Finds the best golden records for `record` and decides. `record_id` is set when the
    /// record is already stored (then it is not its own candidate, and its do-not-match pairs
    /// apply).
    pub(super) fn find_match(
        &self,
        conn: &mut DbConnection,
        batch: &BatchIndex,
        domain: &Domain,
        record_id: Option<i64>,
        source_system: &str,
        record: &Standardized,
    ) -> Result<MatchResult, ServiceError> {
        let Some(rules) = &domain.matching else {
            return Ok(MatchResult {
                outcome: Outcome::New,
                terms: Vec::new(),
            });
        };
        let terms = keys::terms(rules, record);
        let mut ids = self
            .index
            .search_with(
                &domain.name,
                &terms,
                rules.max_candidates,
                rules.common_term_records,
                Some(&batch.postings),
            )
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        ids.retain(|id| Some(*id) != record_id);
        let ranked = if ids.is_empty() {
            Vec::new()
        } else {
            let excluded = match record_id {
                Some(id) => excluded_goldens(conn, id)?,
                None => HashSet::new(),
            };
            let candidates = Candidates {
                ids: &ids,
                excluded: &excluded,
                source_system,
            };
            rank(conn, rules, domain, record, &candidates)?
        };
        Ok(MatchResult {
            outcome: matching::decide(rules, ranked),
            terms,
        })
    }
}

/// Golden records holding a record that a steward said differs from `record_id`.
fn excluded_goldens(
    conn: &mut DbConnection,
    record_id: i64,
) -> Result<HashSet<String>, ServiceError> {
    let partners = proposals::do_not_match_partners(conn, record_id)?;
    if partners.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(records::by_ids(conn, &partners)?
        .into_iter()
        .map(|r| r.golden_id)
        .collect())
}

/// Which of `goldens` already hold a record of `source_system`, or are the subject of an open
/// proposal with a golden record that does: a pending merge counts as taken.
fn holding_source(
    conn: &mut DbConnection,
    goldens: &[String],
    source_system: &str,
) -> Result<HashSet<String>, ServiceError> {
    let mut holding: HashSet<String> = records::goldens_with_source(conn, goldens, source_system)?
        .into_iter()
        .collect();
    let pending = proposals::open_touching(conn, goldens)?;
    if pending.is_empty() {
        return Ok(holding);
    }
    let partners: Vec<String> = pending
        .iter()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let partners_holding: HashSet<String> =
        records::goldens_with_source(conn, &partners, source_system)?
            .into_iter()
            .collect();
    let wanted: HashSet<&String> = goldens.iter().collect();
    for (a, b) in &pending {
        if wanted.contains(a) && partners_holding.contains(b) {
            holding.insert(a.clone());
        }
        if wanted.contains(b) && partners_holding.contains(a) {
            holding.insert(b.clone());
        }
    }
    Ok(holding)
}

/// The candidate records of one incoming record.
struct Candidates<'a> {
    ids: &'a [i64],
    /// Golden records a steward said differ from the record.
    excluded: &'a HashSet<String>,
    /// The incoming record's source system.
    source_system: &'a str,
}

/// Scores the candidates and returns one entry per golden record (its best member), best
/// first, with the full explanation.
fn rank(
    conn: &mut DbConnection,
    rules: &MatchRules,
    domain: &Domain,
    record: &Standardized,
    candidates: &Candidates<'_>,
) -> Result<Vec<(String, PairScore)>, ServiceError> {
    let mut best: HashMap<String, (f64, Standardized)> = HashMap::new();
    for row in records::by_ids(conn, candidates.ids)? {
        if row.domain != domain.name
            || row.status != record_status::ACTIVE
            || candidates.excluded.contains(&row.golden_id)
        {
            continue;
        }
        let candidate: Standardized = serde_json::from_str(&row.standardized)?;
        let odds = score::log_odds(rules, record, &candidate);
        match best.get(&row.golden_id) {
            Some((current, _)) if *current >= odds => {}
            _ => {
                best.insert(row.golden_id, (odds, candidate));
            }
        }
    }
    let same_source = if rules.same_source_weight == 0.0 || best.is_empty() {
        HashSet::new()
    } else {
        let goldens: Vec<String> = best.keys().cloned().collect();
        holding_source(conn, &goldens, candidates.source_system)?
    };
    let mut ranked: Vec<(String, f64, Standardized)> = best
        .into_iter()
        .map(|(golden, (odds, candidate))| {
            let odds = if same_source.contains(&golden) {
                odds + rules.same_source_weight
            } else {
                odds
            };
            (golden, odds, candidate)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(rules.max_proposals.max(1));
    Ok(ranked
        .into_iter()
        .map(|(golden, _, candidate)| {
            let mut score = matching::score_pair(rules, record, &candidate);
            if same_source.contains(&golden) {
                score::add_same_source(rules, &mut score, candidates.source_system);
            }
            (golden, score)
        })
        .collect())
}
