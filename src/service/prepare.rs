//! Matching work for a batch's new records, done before any of them is stored and in
//! parallel across cores: each record's candidate-key terms, the committed part of its
//! candidate search, and its scores against the committed candidates found there.
//!
//! The preparation runs before the write transaction, on a snapshot, so that writers (of this
//! replica or another) wait for each other only while rows are written. Storing the records
//! one after another then only checks that each piece still holds (no other writer changed a
//! candidate row since it was read, the index is where it was, the weights came out the same,
//! no candidate was stored again) and adds what the records stored before it contribute;
//! whatever no longer holds is worked out afresh. The decisions are therefore those of
//! storing the records one at a time.
//!
//! The batch's own records are candidates of the ones after them: each record's search among
//! the earlier records of the batch is run ahead, in order, as the transaction will run it,
//! and the record is scored against what it finds, so that the transaction only looks those
//! up.

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use super::index_sync::Terms;
use super::{Golden, ServiceError};
use crate::index::Prepared;
use crate::index::rank::Hit;
use crate::matching::{PairScore, Standardized, keys, score};
use crate::model::record_status;
use crate::rules::Domain;
use crate::store::DbConnection;
use crate::store::models::SourceRecordRow;
use crate::store::queries::{events, records};
use crate::validate::ValidRecord;

/// Candidate rows read per query.
const ROWS_PER_QUERY: usize = 2_000;

/// A record's key in its batch.
type Key = (String, String);

/// A record's log-odds against committed candidates and against the batch's earlier
/// records found, and the explanations of the best of both.
type Scored = (HashMap<i64, f64>, HashMap<usize, f64>, Explained);

/// What was worked out ahead for one new record.
pub struct PreparedRecord {
    pub terms: Terms,
    pub search: Prepared,
    /// Log-odds against each committed candidate record found by `search`.
    pub odds: HashMap<i64, f64>,
    /// Its place among the batch's new records.
    pub position: usize,
    /// Log-odds against earlier new records of the batch, by their place.
    pub batch_odds: HashMap<usize, f64>,
    /// What its search finds among the batch's earlier new records, by their place: the
    /// transaction's own search, while it has stored exactly those records in order.
    pub batch_hits: Vec<Hit>,
    /// Full explanations against the best-scoring of those candidates, the ones a decision
    /// most likely cites.
    pub explained: Explained,
}

/// Explanations worked out ahead, by candidate.
#[derive(Default)]
pub struct Explained {
    /// Against committed (or overlay) records, by record ID.
    pub committed: HashMap<i64, PairScore>,
    /// Against earlier new records of the batch, by their place.
    pub batch: HashMap<usize, PairScore>,
}

/// A committed candidate record, read and parsed once for the whole batch.
pub struct CandidateRow {
    pub row: SourceRecordRow,
    pub standardized: Standardized,
}

/// The preparation of a whole batch.
#[derive(Default)]
pub struct PreparedBatch {
    records: HashMap<Key, PreparedRecord>,
    rows: HashMap<i64, CandidateRow>,
    /// The change feed's last sequence in the snapshot the rows were read from.
    feed_seq: Option<i64>,
}

impl PreparedBatch {
    /// Takes the preparation of the record with this key (a key is prepared once).
    pub fn take(&mut self, source_system: &str, source_id: &str) -> Option<PreparedRecord> {
        self.records
            .remove(&(source_system.to_owned(), source_id.to_owned()))
    }

    /// A committed candidate's row as it was before the batch.
    pub fn row(&self, record_id: i64) -> Option<&CandidateRow> {
        self.rows.get(&record_id)
    }

    /// Forgets the rows another writer changed since they were read (prepared outside the
    /// write transaction): those candidates are read and scored again when they come up.
    /// The searches check themselves against the index when they are finished. `feed_seq`
    /// is the feed's last sequence now: when no event was appended since the snapshot, no
    /// record changed (every change of a record's version, golden record or status is an
    /// event), and nothing is read.
    pub fn drop_changed(
        &mut self,
        conn: &mut DbConnection,
        feed_seq: i64,
    ) -> Result<usize, ServiceError> {
        if self.rows.is_empty() || self.feed_seq == Some(feed_seq) {
            return Ok(0);
        }
        let ids: Vec<i64> = self.rows.keys().copied().collect();
        let current: HashMap<i64, (i64, String, String)> = records::states(conn, &ids)?
            .into_iter()
            .map(|(id, version, golden_id, status)| (id, (version, golden_id, status)))
            .collect();
        let before = self.rows.len();
        self.rows.retain(|id, c| {
            current.get(id).is_some_and(|(version, golden_id, status)| {
                *version == c.row.version
                    && *golden_id == c.row.golden_id
                    && *status == c.row.status
            })
        });
        Ok(before - self.rows.len())
    }
}

impl Golden {
    /// Prepares the matching of `new`, the batch's records not stored before.
    pub(super) fn prepare_batch(
        &self,
        conn: &mut DbConnection,
        domain: &Domain,
        new: &[&ValidRecord],
    ) -> Result<PreparedBatch, ServiceError> {
        let Some(rules) = &domain.matching else {
            return Ok(PreparedBatch::default());
        };
        let terms: Vec<Terms> = new
            .par_iter()
            .map(|record| keys::terms(rules, &record.standardized))
            .collect();
        let stored_before = stored_before(&terms);
        let searched: Vec<(&ValidRecord, Terms, Prepared)> = new
            .par_iter()
            .zip(terms)
            .zip(stored_before)
            .map(|((record, terms), before)| {
                let search = self.index.prepare(
                    &domain.name,
                    &terms,
                    &before,
                    rules.max_candidates,
                    rules.common_term_records,
                )?;
                Ok((*record, terms, search))
            })
            .collect::<Result<_, crate::index::IndexError>>()
            .map_err(ServiceError::from)?;
        let wanted: BTreeSet<i64> = searched
            .iter()
            .flat_map(|(_, _, search)| search.record_ids())
            .collect();
        let wanted: Vec<i64> = wanted.into_iter().collect();
        let mut rows = Vec::with_capacity(wanted.len());
        for chunk in wanted.chunks(ROWS_PER_QUERY) {
            rows.extend(records::by_ids(conn, chunk)?);
        }
        let rows: HashMap<i64, CandidateRow> = rows
            .into_par_iter()
            .filter(|row| row.domain == domain.name && row.status == record_status::ACTIVE)
            .map(|row| {
                let standardized: Standardized = serde_json::from_str(&row.standardized)?;
                Ok((row.id, CandidateRow { row, standardized }))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let batch_hits = hits_within_batch(&domain.name, rules.max_candidates, &searched);
        let scored: Vec<Scored> = searched
            .par_iter()
            .zip(&batch_hits)
            .map(|((record, _, search), hits)| {
                let odds: HashMap<i64, f64> = search
                    .record_ids()
                    .filter_map(|id| rows.get(&id).map(|c| (id, c)))
                    .map(|(id, c)| {
                        (
                            id,
                            score::log_odds(rules, &record.standardized, &c.standardized),
                        )
                    })
                    .collect();
                let within: HashMap<usize, f64> = hits
                    .iter()
                    .map(|hit| hit.record_id() as usize)
                    .filter_map(|place| searched.get(place).map(|(r, _, _)| (place, r)))
                    .map(|(place, other)| {
                        let odds =
                            score::log_odds(rules, &record.standardized, &other.standardized);
                        (place, odds)
                    })
                    .collect();
                let explained = Explained {
                    committed: explain_best(rules, record, &odds, |id| {
                        rows.get(id).map(|c| &c.standardized)
                    }),
                    batch: explain_best(rules, record, &within, |place| {
                        searched.get(*place).map(|(r, _, _)| &r.standardized)
                    }),
                };
                (odds, within, explained)
            })
            .collect();
        let records = searched
            .into_iter()
            .zip(batch_hits)
            .zip(scored)
            .enumerate()
            .map(
                |(position, (((record, terms, search), batch_hits), scored))| {
                    let key = (record.source_system.clone(), record.source_id.clone());
                    let (odds, batch_odds, explained) = scored;
                    let prepared = PreparedRecord {
                        terms,
                        search,
                        odds,
                        position,
                        batch_odds,
                        batch_hits,
                        explained,
                    };
                    (key, prepared)
                },
            )
            .collect();
        Ok(PreparedBatch {
            records,
            rows,
            feed_seq: Some(events::last_seq(conn)?),
        })
    }
}

/// Each record's search among the batch's records before it, as the transaction's own index
/// will answer it when those records are stored in order (places stand for record IDs: both
/// rise in storing order, so ties rank alike). One pass, in order, as the transaction would.
fn hits_within_batch(
    domain: &str,
    limit: usize,
    searched: &[(&ValidRecord, Terms, Prepared)],
) -> Vec<Vec<Hit>> {
    let mut before = crate::index::Postings::default();
    searched
        .iter()
        .enumerate()
        .map(|(position, (_, terms, search))| {
            let hits = if terms.is_empty() || limit == 0 {
                Vec::new()
            } else {
                before.search(domain, search.weighted(), limit)
            };
            before.insert(domain, position as u64, terms);
            hits
        })
        .collect()
}

/// Explains `record` against its best-scoring candidates in `odds`, as many as a decision
/// may cite (`max_proposals`); `standardized` finds a candidate's values.
fn explain_best<'a, K: Copy + Eq + std::hash::Hash + Ord>(
    rules: &crate::rules::matching::MatchRules,
    record: &ValidRecord,
    odds: &HashMap<K, f64>,
    standardized: impl Fn(&K) -> Option<&'a Standardized>,
) -> HashMap<K, PairScore> {
    let mut best: Vec<(&K, &f64)> = odds.iter().collect();
    best.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    best.into_iter()
        .take(rules.max_proposals.max(1))
        .filter_map(|(key, _)| {
            let other = standardized(key)?;
            Some((*key, score::score_pair(rules, &record.standardized, other)))
        })
        .collect()
}

/// For each record, how many of the records before it hold each of its terms: they will be
/// in the batch's own index when it is matched.
fn stored_before(terms: &[Terms]) -> Vec<Vec<u64>> {
    let mut held: HashMap<&str, u64> = HashMap::new();
    terms
        .iter()
        .map(|record| {
            let before = record
                .iter()
                .map(|(term, _)| held.get(term.as_str()).copied().unwrap_or(0))
                .collect();
            for (term, _) in record {
                *held.entry(term.as_str()).or_default() += 1;
            }
            before
        })
        .collect()
}

/// The record IDs written in a batch so far: rows read before the batch no longer describe
/// them.
pub type Touched = HashSet<i64>;
