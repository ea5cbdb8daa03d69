//! Matching one incoming record inside its write transaction: candidates from the index (and
//! from records stored earlier in the same batch), scored against each candidate golden
//! record's members, decided by the domain's thresholds. What a batch prepared ahead (see
//! [`super::prepare`]) is used where it still holds.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::prepare::{PreparedBatch, PreparedRecord, Touched};
use super::{Golden, ServiceError};
use crate::index::Postings;
use crate::matching::{self, Outcome, PairScore, Standardized, keys, score};
use crate::model::record_status;
use crate::rules::Domain;
use crate::rules::matching::MatchRules;
use crate::store::DbConnection;
use crate::store::models::SourceRecordRow;
use crate::store::queries::{proposals, records};

/// Records stored by the current transaction, searchable before it commits, and what the
/// batch prepared for its new records.
#[derive(Default)]
pub struct BatchIndex {
    postings: Postings,
    touched: Touched,
    pub prepared: PreparedBatch,
}

impl BatchIndex {
    /// A record stored by the transaction, new or a new version.
    pub fn add(&mut self, domain: &str, record_id: i64, terms: &[(String, f32)]) {
        self.postings.insert(domain, record_id as u64, terms);
        self.touched.insert(record_id);
    }

    /// A record whose row the transaction changed without re-indexing it yet.
    pub fn touch(&mut self, record_id: i64) {
        self.touched.insert(record_id);
    }
}

/// The record being matched.
#[derive(Clone, Copy)]
pub struct Incoming<'a> {
    /// Set when the record is already stored: then it is not its own candidate, and its
    /// do-not-match pairs apply.
    pub record_id: Option<i64>,
    pub source_system: &'a str,
    pub standardized: &'a Standardized,
}

/// What matching found for one record.
pub struct MatchResult {
    pub outcome: Outcome,
    /// The record's candidate-key terms, for the batch index.
    pub terms: Vec<(String, f32)>,
}

impl Golden {
    /// Finds the best golden records for `incoming` and decides; `prepared` is what its batch
    /// worked out for it ahead.
    pub(super) fn find_match(
        &self,
        conn: &mut DbConnection,
        batch: &BatchIndex,
        domain: &Domain,
        incoming: &Incoming<'_>,
        prepared: Option<PreparedRecord>,
    ) -> Result<MatchResult, ServiceError> {
        let Incoming {
            record_id,
            source_system,
            standardized: record,
        } = *incoming;
        let Some(rules) = &domain.matching else {
            return Ok(MatchResult {
                outcome: Outcome::New,
                terms: Vec::new(),
            });
        };
        let (limit, common) = (rules.max_candidates, rules.common_term_records);
        let (terms, ids, odds) = match prepared {
            Some(p) => {
                let ids = self.index.search_prepared(
                    &domain.name,
                    &p.terms,
                    limit,
                    common,
                    &batch.postings,
                    &p.search,
                );
                (p.terms, ids, p.odds)
            }
            None => {
                let terms = keys::terms(rules, record);
                let ids = self.index.search_with(
                    &domain.name,
                    &terms,
                    limit,
                    common,
                    Some(&batch.postings),
                );
                (terms, ids, HashMap::new())
            }
        };
        let mut ids = ids.map_err(ServiceError::from)?;
        ids.retain(|id| Some(*id) != record_id);
        let known = Known {
            batch: &batch.prepared,
            touched: &batch.touched,
            odds: &odds,
        };
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
            rank(conn, rules, domain, record, &candidates, &known)?
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

/// What the batch read and scored ahead, valid for the records it has not written since.
struct Known<'a> {
    batch: &'a PreparedBatch,
    touched: &'a Touched,
    /// The incoming record's log-odds against candidates, worked out ahead.
    odds: &'a HashMap<i64, f64>,
}

/// A candidate record's row and, when read ahead, its parsed standardized values.
struct CandidateRow<'a> {
    row: Cow<'a, SourceRecordRow>,
    standardized: Option<&'a Standardized>,
}

/// The candidates' rows, in ID order: read ahead where the batch has not written them since,
/// from the database otherwise.
fn candidate_rows<'a>(
    conn: &mut DbConnection,
    ids: &[i64],
    known: &Known<'a>,
) -> Result<Vec<CandidateRow<'a>>, ServiceError> {
    let batch = known.batch;
    let ahead = |id: &i64| !known.touched.contains(id) && batch.row(*id).is_some();
    let unread: Vec<i64> = ids.iter().copied().filter(|id| !ahead(id)).collect();
    let mut rows: Vec<CandidateRow<'a>> = if unread.is_empty() {
        Vec::new()
    } else {
        records::by_ids(conn, &unread)?
            .into_iter()
            .map(|row| CandidateRow {
                row: Cow::Owned(row),
                standardized: None,
            })
            .collect()
    };
    rows.extend(
        ids.iter()
            .filter(|id| ahead(id))
            .filter_map(|id| batch.row(*id))
            .map(|c| CandidateRow {
                row: Cow::Borrowed(&c.row),
                standardized: Some(&c.standardized),
            }),
    );
    rows.sort_by_key(|c| c.row.id);
    Ok(rows)
}

/// Scores the candidates and returns one entry per golden record (its best member), best
/// first, with the full explanation.
fn rank(
    conn: &mut DbConnection,
    rules: &MatchRules,
    domain: &Domain,
    record: &Standardized,
    candidates: &Candidates<'_>,
    known: &Known<'_>,
) -> Result<Vec<(String, PairScore)>, ServiceError> {
    let mut best: HashMap<String, (f64, i64, Cow<'_, Standardized>)> = HashMap::new();
    for CandidateRow { row, standardized } in candidate_rows(conn, candidates.ids, known)? {
        if row.domain != domain.name
            || row.status != record_status::ACTIVE
            || candidates.excluded.contains(&row.golden_id)
        {
            continue;
        }
        let candidate = match standardized {
            Some(parsed) => Cow::Borrowed(parsed),
            None => Cow::Owned(serde_json::from_str::<Standardized>(&row.standardized)?),
        };
        let odds = match (standardized, known.odds.get(&row.id)) {
            (Some(_), Some(odds)) => *odds,
            _ => score::log_odds(rules, record, &candidate),
        };
        match best.get(&row.golden_id) {
            Some((current, _, _)) if *current >= odds => {}
            _ => {
                best.insert(row.golden_id.clone(), (odds, row.id, candidate));
            }
        }
    }
    let same_source = if rules.same_source_weight == 0.0 || best.is_empty() {
        HashSet::new()
    } else {
        let goldens: Vec<String> = best.keys().cloned().collect();
        holding_source(conn, &goldens, candidates.source_system)?
    };
    let mut ranked: Vec<(String, f64, i64, Cow<'_, Standardized>)> = best
        .into_iter()
        .map(|(golden, (odds, id, candidate))| {
            let odds = if same_source.contains(&golden) {
                odds + rules.same_source_weight
            } else {
                odds
            };
            (golden, odds, id, candidate)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(rules.max_proposals.max(1));
    Ok(ranked
        .into_iter()
        .map(|(golden, _, id, candidate)| {
            let mut score = matching::score_pair(rules, record, &candidate);
            score.matched_record_id = Some(id);
            if same_source.contains(&golden) {
                score::add_same_source(rules, &mut score, candidates.source_system);
            }
            (golden, score)
        })
        .collect())
}
