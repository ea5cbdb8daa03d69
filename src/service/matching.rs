//! Matching one incoming record inside its write transaction: candidates from the index (and
//! from records stored earlier in the same batch), scored against each candidate golden
//! record's members, decided by the domain's thresholds. What a batch prepared ahead (see
//! [`super::prepare`]) is used where it still holds.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::prepare::{Explained, PreparedBatch, PreparedRecord, Touched};
use super::{Golden, ServiceError};
use crate::index::rank::Hit;
use crate::index::{Newer, Postings};
use crate::matching::{self, Outcome, PairScore, Standardized, keys, score};
use crate::model::record_status;
use crate::rules::Domain;
use crate::rules::matching::MatchRules;
use crate::store::DbConnection;
use crate::store::queries::{proposals, records};

/// Records stored by the current transaction, searchable before it commits, and what the
/// batch prepared for its new records.
pub struct BatchIndex {
    postings: Postings,
    touched: Touched,
    /// New records stored by the transaction, as they were stored: their candidates need not
    /// read them back from the database.
    inserted: foldhash::HashMap<i64, Inserted>,
    /// The IDs of the prepared new records stored so far, by place, while the transaction
    /// has stored nothing else (`in_order`): its index then holds exactly the records each
    /// prepared in-batch search saw.
    stored_in_order: Vec<i64>,
    in_order: bool,
    pub prepared: PreparedBatch,
}

/// A new record the transaction stored.
pub struct Inserted {
    pub golden_id: String,
    pub standardized: Standardized,
    /// Its place among the batch's prepared new records, if it was prepared.
    pub position: Option<usize>,
}

/// New records kept in memory per transaction; a longer one (a preview of a whole file)
/// reads the rest back from the database.
const MAX_INSERTED_KEPT: usize = 20_000;

impl Default for BatchIndex {
    fn default() -> Self {
        Self {
            postings: Postings::default(),
            touched: Touched::default(),
            inserted: foldhash::HashMap::default(),
            stored_in_order: Vec::new(),
            in_order: true,
            prepared: PreparedBatch::default(),
        }
    }
}

impl BatchIndex {
    /// A record stored by the transaction, new or a new version.
    pub fn add(&mut self, domain: &str, record_id: i64, terms: &[(String, f32)]) {
        self.postings.insert(domain, record_id as u64, terms);
        self.touched.insert(record_id);
    }

    /// A new record the transaction stored, with what it was stored as.
    pub fn note_inserted(&mut self, record_id: i64, inserted: Inserted) {
        match inserted.position {
            Some(place) if self.in_order && place == self.stored_in_order.len() => {
                self.stored_in_order.push(record_id);
            }
            _ => self.in_order = false,
        }
        if self.inserted.len() < MAX_INSERTED_KEPT {
            self.inserted.insert(record_id, inserted);
        }
    }

    /// A record whose row the transaction changed without re-indexing it yet.
    pub fn touch(&mut self, record_id: i64) {
        self.touched.insert(record_id);
        self.inserted.remove(&record_id);
        self.in_order = false;
    }

    /// What the transaction's index answers for a record prepared at `place`, from its
    /// prepared in-batch search, when the index holds exactly the records before it.
    fn prepared_newer_hits(&self, place: usize, hits: &[Hit]) -> Option<Vec<Hit>> {
        if !self.in_order || self.stored_in_order.len() != place {
            return None;
        }
        hits.iter()
            .map(|hit| {
                let id = *self.stored_in_order.get(hit.record_id() as usize)?;
                Some(Hit::new(hit.score, id as u64))
            })
            .collect()
    }

    /// Another preparation replaced the batch's: places in the earlier one mean nothing in it.
    pub fn new_preparation(&mut self) {
        for inserted in self.inserted.values_mut() {
            inserted.position = None;
        }
        self.stored_in_order.clear();
        self.in_order = self.postings.is_empty() && self.touched.is_empty();
    }

    /// Golden records merged inside the transaction: the kept copies of new records may name
    /// the absorbed one, so they are read back from the database from now on.
    pub fn goldens_merged(&mut self) {
        self.inserted.clear();
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
        let (terms, ids, odds, batch_odds, mut explained) = match prepared {
            Some(p) => {
                let newer = Newer {
                    postings: &batch.postings,
                    hits: batch.prepared_newer_hits(p.position, &p.batch_hits),
                };
                let ids = self.index.search_prepared(
                    &domain.name,
                    &p.terms,
                    limit,
                    common,
                    newer,
                    &p.search,
                );
                (p.terms, ids, p.odds, p.batch_odds, p.explained)
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
                (
                    terms,
                    ids,
                    HashMap::new(),
                    HashMap::new(),
                    Explained::default(),
                )
            }
        };
        let mut ids = ids.map_err(ServiceError::from)?;
        ids.retain(|id| Some(*id) != record_id);
        let known = Known {
            batch: &batch.prepared,
            touched: &batch.touched,
            inserted: &batch.inserted,
            odds: &odds,
            batch_odds: &batch_odds,
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
            rank(
                conn,
                rules,
                domain,
                record,
                &candidates,
                &known,
                &mut explained,
            )?
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
    inserted: &'a foldhash::HashMap<i64, Inserted>,
    /// The incoming record's log-odds against candidates, worked out ahead.
    odds: &'a HashMap<i64, f64>,
    /// ... and against the batch's earlier new records, by their place.
    batch_odds: &'a HashMap<usize, f64>,
}

/// A candidate record as matching needs it.
struct CandidateRow<'a> {
    id: i64,
    golden_id: Cow<'a, str>,
    /// Active and of the incoming record's domain.
    eligible: bool,
    standardized: Cow<'a, Standardized>,
    /// The incoming record's log-odds against it, when worked out ahead.
    odds: Option<f64>,
    /// ... and where its full explanation is, when worked out ahead.
    explained: Option<Ahead>,
}

/// Where an explanation worked out ahead is kept in [`Explained`].
#[derive(Clone, Copy)]
enum Ahead {
    Committed(i64),
    Batch(usize),
}

impl Ahead {
    /// Takes the explanation out: each candidate's is used once.
    fn take(self, explained: &mut Explained) -> Option<PairScore> {
        match self {
            Self::Committed(id) => explained.committed.remove(&id),
            Self::Batch(place) => explained.batch.remove(&place),
        }
    }
}

/// The candidates, in ID order: read ahead where the batch has not written them since,
/// kept from the transaction's own inserts, from the database otherwise.
fn candidate_rows<'a>(
    conn: &mut DbConnection,
    domain: &str,
    ids: &[i64],
    known: &Known<'a>,
) -> Result<Vec<CandidateRow<'a>>, ServiceError> {
    let batch = known.batch;
    let ahead = |id: &i64| !known.touched.contains(id) && batch.row(*id).is_some();
    let kept = |id: &i64| known.inserted.contains_key(id);
    let unread: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !ahead(id) && !kept(id))
        .collect();
    let mut rows: Vec<CandidateRow<'a>> = Vec::with_capacity(ids.len());
    if !unread.is_empty() {
        for row in records::by_ids(conn, &unread)? {
            rows.push(CandidateRow {
                id: row.id,
                eligible: row.domain == domain && row.status == record_status::ACTIVE,
                standardized: Cow::Owned(serde_json::from_str(&row.standardized)?),
                golden_id: Cow::Owned(row.golden_id),
                odds: None,
                explained: None,
            });
        }
    }
    for id in ids {
        if ahead(id) {
            let Some(c) = batch.row(*id) else { continue };
            rows.push(CandidateRow {
                id: *id,
                golden_id: Cow::Borrowed(&c.row.golden_id),
                eligible: c.row.domain == domain && c.row.status == record_status::ACTIVE,
                standardized: Cow::Borrowed(&c.standardized),
                odds: known.odds.get(id).copied(),
                explained: Some(Ahead::Committed(*id)),
            });
        } else if let Some(inserted) = known.inserted.get(id) {
            rows.push(CandidateRow {
                id: *id,
                golden_id: Cow::Borrowed(&inserted.golden_id),
                eligible: true,
                standardized: Cow::Borrowed(&inserted.standardized),
                odds: inserted
                    .position
                    .and_then(|p| known.batch_odds.get(&p))
                    .copied(),
                explained: inserted.position.map(Ahead::Batch),
            });
        }
    }
    rows.sort_by_key(|c| c.id);
    Ok(rows)
}

/// A golden record's best candidate so far: its log-odds, record ID, values and, when
/// worked out ahead, its explanation.
type Best<'a> = (f64, i64, Cow<'a, Standardized>, Option<Ahead>);

/// Scores the candidates and returns one entry per golden record (its best member), best
/// first, with the full explanation: taken from `worked_out` where it was worked out ahead.
fn rank(
    conn: &mut DbConnection,
    rules: &MatchRules,
    domain: &Domain,
    record: &Standardized,
    candidates: &Candidates<'_>,
    known: &Known<'_>,
    worked_out: &mut Explained,
) -> Result<Vec<(String, PairScore)>, ServiceError> {
    let mut best: foldhash::HashMap<String, Best<'_>> = foldhash::HashMap::default();
    for candidate in candidate_rows(conn, &domain.name, candidates.ids, known)? {
        if !candidate.eligible || candidates.excluded.contains(candidate.golden_id.as_ref()) {
            continue;
        }
        let odds = candidate
            .odds
            .unwrap_or_else(|| score::log_odds(rules, record, &candidate.standardized));
        match best.get(candidate.golden_id.as_ref()) {
            Some((current, ..)) if *current >= odds => {}
            _ => {
                best.insert(
                    candidate.golden_id.into_owned(),
                    (
                        odds,
                        candidate.id,
                        candidate.standardized,
                        candidate.explained,
                    ),
                );
            }
        }
    }
    let same_source = if rules.same_source_weight == 0.0 || best.is_empty() {
        HashSet::new()
    } else {
        let goldens: Vec<String> = best.keys().cloned().collect();
        holding_source(conn, &goldens, candidates.source_system)?
    };
    let mut ranked: Vec<(String, Best<'_>)> = best
        .into_iter()
        .map(|(golden, (odds, id, candidate, explained))| {
            let odds = if same_source.contains(&golden) {
                odds + rules.same_source_weight
            } else {
                odds
            };
            (golden, (odds, id, candidate, explained))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(rules.max_proposals.max(1));
    Ok(ranked
        .into_iter()
        .map(|(golden, (_, id, candidate, explained))| {
            let mut score = match explained.and_then(|ahead| ahead.take(worked_out)) {
                Some(score) => score,
                None => matching::score_pair(rules, record, &candidate),
            };
            score.matched_record_id = Some(id);
            if same_source.contains(&golden) {
                score::add_same_source(rules, &mut score, candidates.source_system);
            }
            (golden, score)
        })
        .collect())
}
