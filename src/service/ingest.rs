//! Ingesting source records: validate, store a new version when something changed, keep every
//! record in exactly one golden record, and append the change-feed events.

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::golden::{create_golden, json_string, recompute_golden, recompute_goldens};
use super::index_sync::{KnownTerms, SourceKey, Terms};
use super::matching::{BatchIndex, Incoming, Inserted};
use super::prepare::PreparedBatch;
use super::proposals::open_proposal;
use super::stewardship::{absorb_into, crosses_do_not_match};
use super::views::{RecordResult, RejectionKind};
use super::{Golden, ServiceError};
use crate::matching::{Outcome, PairScore};
use crate::model::{Decision, FieldError, RecordInput, record_status};
use crate::rules::Domain;
use crate::store::models::{NewLinkEvidence, NewSourceRecord, NewVersion, SourceRecordRow};
use crate::store::queries::{proposals, records, records::RecordUpdate};
use crate::store::{Backend, Tx, Written};
use crate::validate::{self, Rejection, ValidRecord};

/// Most records accepted in one request; larger loads belong to bulk jobs.
pub const MAX_BATCH: usize = 10_000;

/// Parses the body of an ingest request (one record or an array) into per-record inputs.
/// A malformed element becomes that element's errors; the others are unaffected.
pub fn parse_batch(body: Value) -> Result<Vec<Result<RecordInput, Vec<FieldError>>>, ServiceError> {
    let items = match body {
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        _ => {
            return Err(ServiceError::invalid(
                "the body must be a record object or an array of records",
            ));
        }
    };
    if items.len() > MAX_BATCH {
        return Err(ServiceError::invalid(format!(
            "a request may hold at most {MAX_BATCH} records; use a bulk job for more"
        )));
    }
    Ok(items.into_iter().map(validate::parse_input).collect())
}

/// Most requests, and most records, written in one group commit: the transaction stays short
/// enough that the requests behind it do not wait long. A larger request is written alone.
pub const MAX_GROUP: usize = 32;
pub const MAX_GROUP_RECORDS: usize = 2_000;

/// A request's validated batch, prepared and waiting for the write transaction.
pub(super) struct PendingWrite {
    domain: Arc<Domain>,
    /// The results of the records validation rejected.
    rejected: Vec<RecordResult>,
    valid: Vec<(usize, ValidRecord)>,
    prepared: PreparedBatch,
    started: Instant,
}

/// A committed write transaction, with what its writer still has to do.
struct Stored {
    domain: Arc<Domain>,
    /// Each batch's results for its valid records (all its results, with `also`).
    stored: Vec<Vec<RecordResult>>,
    batch: Batch,
    written_up_to: i64,
    emitted: Option<i64>,
    serialized: std::time::Duration,
}

/// What a committed write returns: each batch's results, and whether the index took the new
/// records (when it did not, the next write catches it up).
struct Committed {
    results: Vec<Vec<RecordResult>>,
    after: Result<(), ServiceError>,
}

/// Requests' batches written together while another write holds the write transaction.
pub(super) type IngestGroups = super::group_commit::GroupCommit<
    (String, usize),
    PendingWrite,
    Result<Vec<RecordResult>, ServiceError>,
>;

/// Work done in an ingest's write transaction after its records are stored.
pub(super) type AlsoInTx<'a> =
    dyn FnMut(&mut Tx<'_>, &[RecordResult]) -> Result<(), ServiceError> + 'a;

impl Golden {
    /// Validates and stores a batch. Invalid records are rejected with their errors; the valid
    /// ones are stored together in one transaction.
    #[tracing::instrument(skip_all, fields(domain = domain, records = inputs.len()))]
    pub fn ingest(
        &self,
        domain: &str,
        inputs: Vec<Result<RecordInput, Vec<FieldError>>>,
    ) -> Result<Vec<RecordResult>, ServiceError> {
        self.ingest_with(domain, inputs, None)
    }

    /// [`Golden::ingest`] for a writer limited to some source systems: a record of any other
    /// system is rejected as `forbidden` in its own result, and its batch-mates are stored.
    /// `None` allows every system.
    #[tracing::instrument(skip_all, fields(domain = domain, records = inputs.len()))]
    pub fn ingest_for(
        &self,
        domain: &str,
        inputs: Vec<Result<RecordInput, Vec<FieldError>>>,
        allowed: Option<&[String]>,
    ) -> Result<Vec<RecordResult>, ServiceError> {
        let Some(allowed) = allowed else {
            return self.ingest_with(domain, inputs, None);
        };
        let mut refused = Vec::new();
        let mut kept = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.into_iter().enumerate() {
            match input {
                Ok(i) if !allowed.iter().any(|s| s == i.source_system.trim()) => {
                    refused.push(forbidden(index, i, allowed));
                }
                other => kept.push((index, other)),
            }
        }
        if refused.is_empty() {
            return self.ingest_with(domain, kept.into_iter().map(|(_, i)| i).collect(), None);
        }
        let positions: Vec<usize> = kept.iter().map(|(index, _)| *index).collect();
        let stored = self.ingest_with(domain, kept.into_iter().map(|(_, i)| i).collect(), None)?;
        let domain = self.domain(domain)?;
        self.metrics.observe_ingest(&domain.name, &refused);
        let mut results: Vec<RecordResult> = stored
            .into_iter()
            .map(|mut result| {
                result.index = positions.get(result.index).copied().unwrap_or(result.index);
                result
            })
            .chain(refused)
            .collect();
        results.sort_by_key(|r| r.index);
        Ok(results)
    }

    /// [`Golden::ingest`], running `also` in the same write transaction with the results, so
    /// a bulk job's progress commits exactly with the rows it describes. With `also`, a batch
    /// whose records were all rejected still writes (the job's progress). Without it, the
    /// batch may be written together with other requests' batches (see [`super::group_commit`]).
    pub(super) fn ingest_with(
        &self,
        domain: &str,
        inputs: Vec<Result<RecordInput, Vec<FieldError>>>,
        also: Option<&mut AlsoInTx<'_>>,
    ) -> Result<Vec<RecordResult>, ServiceError> {
        let pending = self.prepare_write(domain, inputs)?;
        if pending.valid.is_empty() && also.is_none() {
            self.metrics
                .observe_ingest(&pending.domain.name, &pending.rejected);
            return Ok(pending.rejected);
        }
        match also {
            Some(also) => self.write_alone(pending, Some(also)),
            // On PostgreSQL a request waiting behind another waits in the database, with its
            // transaction begun; handing the lead over between groups costs more round trips
            // than grouping saved in measurements with two clients.
            None if self.store.backend() == Backend::Postgres => self.write_alone(pending, None),
            None => {
                // Grouped with requests matched under the same rules only: activating a model
                // gives the domain new ones.
                let key = (
                    pending.domain.name.clone(),
                    Arc::as_ptr(&pending.domain) as usize,
                );
                let cost = pending.valid.len();
                self.group_commit
                    .submit(
                        key,
                        cost,
                        pending,
                        |mut group| {
                            let stored = self.commit_together(&mut group, None);
                            (group, stored)
                        },
                        |(group, stored)| self.finish_group(group, stored),
                    )
                    .map_err(|e| ServiceError::internal("group commit", e))?
            }
        }
    }

    /// Validates a batch and prepares its matching (see [`Golden::prepare_ahead`]): all an
    /// ingest does before its write transaction.
    fn prepare_write(
        &self,
        domain: &str,
        inputs: Vec<Result<RecordInput, Vec<FieldError>>>,
    ) -> Result<PendingWrite, ServiceError> {
        let domain = self.domain(domain)?;
        let started = Instant::now();
        let (rejected, valid) = validate_all(&domain, inputs);
        let prepared = self.prepare_ahead(&domain, &valid_records(&valid))?;
        Ok(PendingWrite {
            domain,
            rejected,
            valid,
            prepared,
            started,
        })
    }

    /// Writes a prepared batch in a transaction of its own, running `also` in it with the
    /// results.
    fn write_alone(
        &self,
        pending: PendingWrite,
        also: Option<&mut AlsoInTx<'_>>,
    ) -> Result<Vec<RecordResult>, ServiceError> {
        let Committed { mut results, after } = self.write_together(&mut [pending], also)?;
        after?;
        results
            .pop()
            .ok_or_else(|| ServiceError::internal_msg("a write returned no results"))
    }

    /// Finishes a group of requests' batches written in one transaction (see
    /// [`Golden::commit_together`]). When that transaction failed, each is written alone, so
    /// that what fails one request never fails the others; when the index cannot be updated
    /// after the commit, every request of the group hears so, as a lone request would.
    fn finish_group(
        &self,
        mut group: Vec<PendingWrite>,
        stored: Result<Stored, ServiceError>,
    ) -> Vec<Result<Vec<RecordResult>, ServiceError>> {
        let size = group.len();
        match stored.map(|stored| self.after_commit(&mut group, stored)) {
            Ok(Committed {
                results,
                after: Ok(()),
            }) => results.into_iter().map(Ok).collect(),
            Ok(Committed { after: Err(e), .. }) => {
                let message = format!("the records were stored, but then: {}", e.chain());
                std::iter::once(Err(e))
                    .chain((1..size).map(|_| Err(ServiceError::internal_msg(message.clone()))))
                    .collect()
            }
            Err(e) if size == 1 => vec![Err(e)],
            Err(e) => {
                tracing::warn!(error = %e.chain(), size, "a group of writes failed; writing each alone");
                group
                    .into_iter()
                    .map(|pending| self.write_alone(pending, None))
                    .collect()
            }
        }
    }

    /// Stores the batches of `pending` (all of one domain) in one write transaction, in order,
    /// with `also` (for a lone batch) in the same transaction; then caches the crosswalk,
    /// announces the commit and indexes the new records. An error means nothing was written;
    /// once committed, each batch's results come back with how the index update went.
    fn write_together(
        &self,
        pending: &mut [PendingWrite],
        also: Option<&mut AlsoInTx<'_>>,
    ) -> Result<Committed, ServiceError> {
        let stored = self.commit_together(pending, also)?;
        Ok(self.after_commit(pending, stored))
    }

    /// The write transaction of [`Golden::write_together`]: an error means nothing was
    /// written.
    fn commit_together(
        &self,
        pending: &mut [PendingWrite],
        also: Option<&mut AlsoInTx<'_>>,
    ) -> Result<Stored, ServiceError> {
        let Some(first) = pending.first() else {
            return Err(ServiceError::internal_msg("a write of no batches"));
        };
        let domain = Arc::clone(&first.domain);
        let Written {
            out: (stored, batch, written_up_to),
            emitted,
            serialized,
        } = self.store.write_announcing_later(|tx| {
            self.catch_up_index(tx.conn())?;
            let mut batch = Batch::default();
            let mut stored = Vec::with_capacity(pending.len());
            for write in pending.iter_mut() {
                batch.use_prepared(tx, std::mem::take(&mut write.prepared))?;
                stored.push(self.store_valid(
                    tx,
                    &mut batch,
                    &domain,
                    &write.valid,
                    |_, _, _| Ok(()),
                )?);
            }
            batch.recompute_stale(tx, &domain)?;
            if let (Some(also), [write]) = (also, &mut *pending) {
                let mut results = std::mem::take(&mut write.rejected);
                results.append(&mut stored[0]);
                results.sort_by_key(|r| r.index);
                also(tx, &results)?;
                stored[0] = results;
            }
            let written_up_to = tx.feed_seq();
            // What the batch carried is freed once the lock is released and the crosswalk
            // cached (freeing it takes a while, and lookups wait on the cache).
            Ok::<_, ServiceError>((stored, batch, written_up_to))
        })?;
        Ok(Stored {
            domain,
            stored,
            batch,
            written_up_to,
            emitted,
            serialized,
        })
    }

    /// What [`Golden::write_together`] does once its transaction committed (and other
    /// writers may go on): caches the crosswalk, announces the commit, indexes the new
    /// records and counts.
    fn after_commit(&self, pending: &mut [PendingWrite], committed: Stored) -> Committed {
        let Stored {
            domain,
            stored,
            mut batch,
            written_up_to,
            emitted,
            serialized,
        } = committed;
        let any_stored = pending.iter().any(|write| !write.valid.is_empty());
        if any_stored {
            // Cache the batch's crosswalk first (when serving: the cache is loaded): until
            // then lookups read the database, and a bulk job would send them there after
            // every batch.
            if self.crosswalk_cache.is_current(0)
                && let Err(e) = self.catch_up_crosswalk()
            {
                tracing::warn!(error = %e.chain(), "crosswalk cache catch-up after a write failed");
            }
        }
        // Announced only now: until the cache holds the batch, lookups keep answering from it
        // as it stood rather than finding it behind and going to the database. The writer's
        // own later requests see the batch either way, since it is cached before this returns.
        if let Some(seq) = emitted {
            self.store.announce(seq);
        }
        let results: Vec<Vec<RecordResult>> = pending
            .iter_mut()
            .zip(stored)
            .map(|(write, stored)| {
                let mut results = std::mem::take(&mut write.rejected);
                results.extend(stored);
                results.sort_by_key(|r| r.index);
                results
            })
            .collect();
        let created = created_terms(
            results.iter().flatten(),
            std::mem::take(&mut batch.new_terms),
        );
        let valid: Vec<(usize, ValidRecord)> = pending
            .iter_mut()
            .flat_map(|write| std::mem::take(&mut write.valid))
            .collect();
        free_off_thread((batch, valid));
        let after = if any_stored {
            // Make the batch searchable now rather than at the next write.
            let known = KnownTerms {
                domain: &domain.name,
                up_to: written_up_to,
                records: created,
            };
            self.store
                .conn()
                .map_err(ServiceError::from)
                .and_then(|mut conn| self.sync_index_knowing(&mut conn, Some(&known)))
        } else {
            Ok(())
        };
        self.metrics
            .observe_ingest_write(&domain.name, pending.len());
        // The section was waited through once for the whole group: each request its share.
        let share = serialized / u32::try_from(pending.len()).unwrap_or(u32::MAX);
        for (write, results) in pending.iter().zip(&results) {
            self.metrics.observe_ingest(&domain.name, results);
            self.metrics
                .observe_ingest_time(&domain.name, write.started.elapsed(), share);
        }
        Committed { results, after }
    }

    /// Stores a batch's valid records one after another in `tx`, as [`Golden::ingest`] does,
    /// calling `after` with each record's result as soon as it is stored. `batch` carries the
    /// records stored so far (a preview carries it over a whole file).
    pub(super) fn store_valid(
        &self,
        tx: &mut Tx<'_>,
        batch: &mut Batch,
        domain: &Domain,
        valid: &[(usize, ValidRecord)],
        mut after: impl FnMut(&mut Tx<'_>, &ValidRecord, &RecordResult) -> Result<(), ServiceError>,
    ) -> Result<Vec<RecordResult>, ServiceError> {
        let mut known = known_records(tx, &domain.name, valid)?;
        let mut seen = HashSet::new();
        let mut results = Vec::with_capacity(valid.len());
        for (index, record) in valid {
            let key = (record.source_system.clone(), record.source_id.clone());
            // A key sent twice in one batch finds what its first copy stored.
            let existing = match known.remove(&key) {
                Some(row) => Some(row),
                None if seen.contains(&key) => records::find(
                    tx.conn(),
                    &domain.name,
                    &record.source_system,
                    &record.source_id,
                )?,
                None => None,
            };
            seen.insert(key);
            let result = self.store_record(tx, batch, domain, *index, record, existing)?;
            after(tx, record, &result)?;
            results.push(result);
        }
        Ok(results)
    }

    /// The matching work of a batch's new records, done on a snapshot before the write
    /// transaction so that other writers do not wait for it; the transaction then checks it
    /// (see [`super::prepare`]). A single record is prepared too: what it costs the request
    /// it saves every writer queued behind it.
    pub(super) fn prepare_ahead(
        &self,
        domain: &Domain,
        valid: &[&ValidRecord],
    ) -> Result<PreparedBatch, ServiceError> {
        if valid.is_empty() {
            return Ok(PreparedBatch::default());
        }
        self.sync_index(&mut *self.store.conn()?)?;
        self.store.read_snapshot(|conn| {
            let keys: Vec<(&str, &str)> = valid
                .iter()
                .map(|r| (r.source_system.as_str(), r.source_id.as_str()))
                .collect();
            let known = records::find_many(conn, &domain.name, &keys)?;
            self.prepare_batch(conn, domain, &new_records(valid, &known))
        })
    }
}

/// Validates each input of a batch: the rejected ones' results, and the valid records with
/// their positions in the batch.
pub(super) fn validate_all(
    domain: &Domain,
    inputs: Vec<Result<RecordInput, Vec<FieldError>>>,
) -> (Vec<RecordResult>, Vec<(usize, ValidRecord)>) {
    let check = |(index, input): (usize, Result<RecordInput, Vec<FieldError>>)| {
        let keys = input
            .as_ref()
            .ok()
            .map(|i| (i.source_system.clone(), i.source_id.clone()));
        input
            .map_err(Rejection::from)
            .and_then(|i| validate::validate(domain, i))
            .map(|record| (index, record))
            .map_err(|rejection| Box::new(rejected(index, keys, rejection)))
    };
    // Standardizing is most of a bulk batch's work before matching, and each record's is its
    // own: a large batch spreads it over the pool.
    let checked: Vec<Result<(usize, ValidRecord), Box<RecordResult>>> =
        if inputs.len() >= PARALLEL_FROM {
            inputs.into_par_iter().enumerate().map(check).collect()
        } else {
            inputs.into_iter().enumerate().map(check).collect()
        };
    let mut results = Vec::new();
    let mut valid = Vec::with_capacity(checked.len());
    for outcome in checked {
        match outcome {
            Ok(record) => valid.push(record),
            Err(result) => results.push(*result),
        }
    }
    (results, valid)
}

/// Records from which a batch is validated, and freed, on other threads.
const PARALLEL_FROM: usize = 256;

/// Frees a large batch's leftovers on another thread: the caller (a bulk job's next batch, a
/// request's answer) need not wait for it.
fn free_off_thread(leftovers: (Batch, Vec<(usize, ValidRecord)>)) {
    if leftovers.1.len() >= PARALLEL_FROM {
        rayon::spawn(move || drop(leftovers));
    }
}

/// The index terms of the records a batch created, by source key.
fn created_terms<'a>(
    results: impl Iterator<Item = &'a RecordResult>,
    mut terms: HashMap<i64, Terms>,
) -> HashMap<SourceKey, (i64, Terms)> {
    results
        .filter_map(|r| {
            let id = r.record_id?;
            let record_terms = terms.remove(&id)?;
            Some((
                (r.source_system.clone()?, r.source_id.clone()?),
                (id, record_terms),
            ))
        })
        .collect()
}

/// The records of a validated batch, without their positions.
pub(super) fn valid_records(valid: &[(usize, ValidRecord)]) -> Vec<&ValidRecord> {
    valid.iter().map(|(_, record)| record).collect()
}

/// What storing a batch carries from one record to the next.
#[derive(Default)]
pub(super) struct Batch {
    index: BatchIndex,
    /// Golden records that took members in this batch, in first-taken order: recomputed once,
    /// at the end of the batch or before a merge records them. Matching reads only source
    /// records, so decisions do not wait on their fields.
    stale: Vec<String>,
    stale_set: HashSet<String>,
    /// The index terms of the records this batch created and did not change again: after the
    /// commit they are indexed as they are here, not read back from the database.
    new_terms: HashMap<i64, Terms>,
}

impl Batch {
    fn mark_stale(&mut self, golden_id: &str) {
        if self.stale_set.insert(golden_id.to_owned()) {
            self.stale.push(golden_id.to_owned());
        }
    }

    /// Takes what was prepared ahead of the transaction, less what another writer changed
    /// since.
    pub(super) fn use_prepared(
        &mut self,
        tx: &mut Tx<'_>,
        prepared: PreparedBatch,
    ) -> Result<(), ServiceError> {
        self.index.prepared = prepared;
        self.index.new_preparation();
        let feed_seq = tx.feed_seq();
        self.index.prepared.drop_changed(tx.conn(), feed_seq)?;
        Ok(())
    }

    pub(super) fn recompute_stale(
        &mut self,
        tx: &mut Tx<'_>,
        domain: &Domain,
    ) -> Result<(), ServiceError> {
        self.stale_set.clear();
        let stale = std::mem::take(&mut self.stale);
        recompute_goldens(tx, domain, &stale)
    }
}

/// The batch's records not stored before, each key once (a key sent twice is new only the
/// first time).
fn new_records<'a>(
    valid: &[&'a ValidRecord],
    known: &HashMap<(String, String), SourceRecordRow>,
) -> Vec<&'a ValidRecord> {
    let mut seen = HashSet::new();
    valid
        .iter()
        .copied()
        .filter(|r| {
            let key = (r.source_system.clone(), r.source_id.clone());
            !known.contains_key(&key) && seen.insert(key)
        })
        .collect()
}

/// The stored rows of a batch's records, read in a few queries before any is written. Storing
/// one record never changes another record's row, so the rows stay current through the
/// batch (a key sent twice is the exception, handled by the caller).
fn known_records(
    tx: &mut Tx<'_>,
    domain: &str,
    valid: &[(usize, ValidRecord)],
) -> Result<HashMap<(String, String), SourceRecordRow>, ServiceError> {
    let keys: Vec<(&str, &str)> = valid
        .iter()
        .map(|(_, r)| (r.source_system.as_str(), r.source_id.as_str()))
        .collect();
    Ok(records::find_many(tx.conn(), domain, &keys)?)
}

fn rejected(index: usize, keys: Option<(String, String)>, rejection: Rejection) -> RecordResult {
    let (source_system, source_id) = keys.unzip();
    RecordResult {
        index,
        source_system,
        source_id,
        decision: Decision::Rejected,
        rejection: Some(RejectionKind::Invalid),
        golden_id: None,
        version: None,
        errors: rejection.errors,
        warnings: rejection.warnings,
        record_id: None,
    }
}

/// The result of a record whose source system the writer may not write for.
fn forbidden(index: usize, input: RecordInput, allowed: &[String]) -> RecordResult {
    let system = input.source_system.trim().to_owned();
    let message = format!(
        "forbidden: this token may not write for source system {system:?} (it may write for: {})",
        if allowed.is_empty() {
            "no source system".to_owned()
        } else {
            allowed.join(", ")
        }
    );
    RecordResult {
        index,
        source_system: Some(system),
        source_id: Some(input.source_id),
        decision: Decision::Rejected,
        rejection: Some(RejectionKind::Forbidden),
        golden_id: None,
        version: None,
        errors: vec![FieldError::new("source_system", message)],
        warnings: Vec::new(),
        record_id: None,
    }
}

impl Golden {
    /// Stores one valid record and says what happened to it.
    fn store_record(
        &self,
        tx: &mut Tx<'_>,
        batch: &mut Batch,
        domain: &Domain,
        index: usize,
        record: &ValidRecord,
        existing: Option<SourceRecordRow>,
    ) -> Result<RecordResult, ServiceError> {
        let (decision, golden_id, version, record_id) = match existing {
            None => self.insert_new(tx, batch, domain, record)?,
            // Unchanged only when the standardized values are the same too: after the
            // standardizers changed, a re-send stores the values as they now come out.
            Some(row)
                if row.content_hash == record.content_hash
                    && row.status == record_status::ACTIVE
                    && row.standardized == record.standardized_json() =>
            {
                (Decision::Unchanged, row.golden_id, row.version, row.id)
            }
            Some(row) => self.update_existing(tx, batch, domain, record, row)?,
        };
        Ok(RecordResult {
            index,
            source_system: Some(record.source_system.clone()),
            source_id: Some(record.source_id.clone()),
            decision,
            rejection: None,
            golden_id: Some(golden_id),
            version: Some(version),
            errors: Vec::new(),
            warnings: record.warnings.clone(),
            record_id: Some(record_id),
        })
    }

    /// Stores a record seen for the first time: matching decides whether it joins a golden record,
    /// gets its own with a merge proposal, or simply its own.
    fn insert_new(
        &self,
        tx: &mut Tx<'_>,
        batch: &mut Batch,
        domain: &Domain,
        record: &ValidRecord,
    ) -> Result<(Decision, String, i64, i64), ServiceError> {
        let prepared = batch
            .index
            .prepared
            .take(&record.source_system, &record.source_id);
        let position = prepared.as_ref().map(|p| p.position);
        let incoming = Incoming {
            record_id: None,
            source_system: &record.source_system,
            standardized: &record.standardized,
        };
        let matched = self.find_match(tx.conn(), &batch.index, domain, &incoming, prepared)?;
        let (decision, golden_id, link) = match &matched.outcome {
            Outcome::AutoLink {
                golden_id, score, ..
            } => (
                Decision::AutoLinked,
                golden_id.clone(),
                json!({"reason": "auto_linked", "score": score.probability}),
            ),
            Outcome::Propose(_) => (
                Decision::Proposed,
                create_golden(tx, domain, record)?,
                json!({"reason": "new"}),
            ),
            Outcome::New => (
                Decision::New,
                create_golden(tx, domain, record)?,
                json!({"reason": "new"}),
            ),
        };
        let now = tx.now();
        let attributes = record.attributes_json();
        let record_id = records::insert(
            tx.conn(),
            &NewSourceRecord {
                domain: &domain.name,
                source_system: &record.source_system,
                source_id: &record.source_id,
                golden_id: &golden_id,
                version: 1,
                status: record_status::ACTIVE,
                attributes,
                standardized: record.standardized_json(),
                content_hash: &record.content_hash,
                created_at: now,
                updated_at: now,
                standardization: Some(&domain.standardization()),
            },
        )?;
        add_version(
            tx,
            record_id,
            1,
            "created",
            attributes,
            &record.content_hash,
        );
        let reason = link["reason"].as_str().unwrap_or("new");
        tx.open_membership(record_id, &golden_id, reason);
        if let Outcome::AutoLink { score, .. } = &matched.outcome {
            record_link(tx, domain, record_id, &golden_id, score)?;
        }
        tx.emit_text(
            Some(&domain.name),
            "record.created",
            Some(&golden_id),
            record_event(record, &golden_id, 1),
        );
        let mut linked = json!({"source_system": record.source_system, "source_id": record.source_id,
            "golden_id": golden_id});
        if let (Some(target), Some(extra)) = (linked.as_object_mut(), link.as_object()) {
            target.extend(extra.clone());
        }
        tx.emit(
            Some(&domain.name),
            "record.linked",
            Some(&golden_id),
            &linked,
        );
        match matched.outcome {
            Outcome::AutoLink { bridged, .. } => {
                batch.mark_stale(&golden_id);
                for (other, score) in bridged {
                    let pending = proposals::open_between(tx.conn(), &golden_id, &other)?;
                    if !pending && !crosses_do_not_match(tx, &golden_id, &other)? {
                        open_proposal(tx, domain, &golden_id, &other, record_id, &score)?;
                    }
                }
            }
            Outcome::Propose(candidates) => {
                for (other, score) in one_per_cluster(tx, candidates)? {
                    open_proposal(tx, domain, &golden_id, &other, record_id, &score)?;
                }
            }
            Outcome::New => {}
        }
        batch.index.add(&domain.name, record_id, &matched.terms);
        batch.new_terms.insert(record_id, matched.terms);
        batch.index.note_inserted(
            record_id,
            Inserted {
                golden_id: golden_id.clone(),
                standardized: record.standardized.clone(),
                position,
            },
        );
        Ok((decision, golden_id, 1, record_id))
    }
}

impl Golden {
    /// Stores a new version of a known record. A record alone in its golden record is matched
    /// again, since what it now says may find its twin; one already grouped with others stays
    /// where it is (a steward splits it if it no longer belongs).
    fn update_existing(
        &self,
        tx: &mut Tx<'_>,
        batch: &mut Batch,
        domain: &Domain,
        record: &ValidRecord,
        row: SourceRecordRow,
    ) -> Result<(Decision, String, i64, i64), ServiceError> {
        batch.index.touch(row.id);
        batch.new_terms.remove(&row.id);
        let version = row.version + 1;
        let change = if row.status == record_status::RETIRED {
            "restored"
        } else {
            "updated"
        };
        let attributes = record.attributes_json();
        let now = tx.now();
        records::update(
            tx.conn(),
            row.id,
            &RecordUpdate {
                version,
                status: record_status::ACTIVE,
                attributes,
                standardized: record.standardized_json(),
                content_hash: &record.content_hash,
                updated_at: now,
                standardization: Some(&domain.standardization()),
            },
        )?;
        add_version(
            tx,
            row.id,
            version,
            change,
            attributes,
            &record.content_hash,
        );
        tx.emit_text(
            Some(&domain.name),
            &format!("record.{change}"),
            Some(&row.golden_id),
            record_event(record, &row.golden_id, version),
        );
        recompute_golden(tx, domain, &row.golden_id)?;
        let alone = records::members(tx.conn(), &row.golden_id)?
            .iter()
            .all(|m| m.id == row.id);
        if !alone {
            return Ok((Decision::Updated, row.golden_id, version, row.id));
        }
        let incoming = Incoming {
            record_id: Some(row.id),
            source_system: &record.source_system,
            standardized: &record.standardized,
        };
        let matched = self.find_match(tx.conn(), &batch.index, domain, &incoming, None)?;
        let decision = match matched.outcome {
            Outcome::AutoLink {
                golden_id, score, ..
            } => {
                record_link(tx, domain, row.id, &golden_id, &score)?;
                // The merge records both golden records as they stand: bring the batch's
                // pending ones up to date first.
                batch.recompute_stale(tx, domain)?;
                absorb_into(tx, domain, &golden_id, &row.golden_id)?;
                batch.index.goldens_merged();
                return Ok((Decision::AutoLinked, golden_id, version, row.id));
            }
            Outcome::Propose(candidates) => {
                let mut opened = false;
                for (other, score) in one_per_cluster(tx, candidates)? {
                    if !proposals::open_between(tx.conn(), &row.golden_id, &other)? {
                        open_proposal(tx, domain, &row.golden_id, &other, row.id, &score)?;
                        opened = true;
                    }
                }
                if opened {
                    Decision::Proposed
                } else {
                    Decision::Updated
                }
            }
            Outcome::New => Decision::Updated,
        };
        Ok((decision, row.golden_id, version, row.id))
    }
}

pub(super) fn add_version(
    tx: &mut Tx<'_>,
    record_id: i64,
    version: i64,
    change: &str,
    attributes: &str,
    content_hash: &str,
) {
    let recorded_at = tx.now();
    tx.add_version(NewVersion {
        record_id,
        version,
        change: change.to_owned(),
        attributes: attributes.to_owned(),
        content_hash: content_hash.to_owned(),
        recorded_at,
    });
}

/// A record's `record.created` / `record.updated` payload, written from the attribute text
/// worked out at validation rather than by serializing the attributes again in the lock.
fn record_event(record: &ValidRecord, golden_id: &str, version: i64) -> String {
    format!(
        r#"{{"attributes":{},"golden_id":{},"source_id":{},"source_system":{},"version":{version}}}"#,
        record.attributes_json(),
        json_string(golden_id),
        json_string(&record.source_id),
        json_string(&record.source_system),
    )
}

/// Keeps why a record was auto-linked: the member it matched, the evidence and the model.
fn record_link(
    tx: &mut Tx<'_>,
    domain: &Domain,
    record_id: i64,
    golden_id: &str,
    score: &PairScore,
) -> Result<(), ServiceError> {
    let model_version = domain.matching.as_ref().and_then(|m| m.model_version);
    tx.add_link(NewLinkEvidence {
        record_id,
        golden_id: golden_id.to_owned(),
        matched_record_id: score.matched_record_id,
        score: score.probability,
        evidence: serde_json::to_string(&score.evidence)?,
        model_version,
        rules_version: domain.version.clone(),
        created_at: tx.now(),
    });
    Ok(())
}

/// Keeps the best candidate of each set of candidate golden records that open proposals
/// already join (directly or through a shared partner): one proposal brings the record into
/// such a set, where a steward finds the rest, so the queue does not grow by a proposal per
/// member of a cluster under review.
fn one_per_cluster(
    tx: &mut Tx<'_>,
    candidates: Vec<(String, PairScore)>,
) -> Result<Vec<(String, PairScore)>, ServiceError> {
    if candidates.len() < 2 {
        return Ok(candidates);
    }
    let ids: Vec<String> = candidates.iter().map(|(g, _)| g.clone()).collect();
    let mut parent: HashMap<String, String> = HashMap::new();
    fn root(parent: &mut HashMap<String, String>, id: &str) -> String {
        let mut current = id.to_owned();
        while let Some(next) = parent.get(&current).filter(|n| **n != current) {
            current = next.clone();
        }
        current
    }
    for (a, b) in proposals::open_touching(tx.conn(), &ids)? {
        let (ra, rb) = (root(&mut parent, &a), root(&mut parent, &b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    }
    let mut seen = HashSet::new();
    Ok(candidates
        .into_iter()
        .filter(|(golden_id, _)| seen.insert(root(&mut parent, golden_id)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_event_carries_the_record_as_json() {
        let rules =
            crate::rules::RuleSet::load_dir(std::path::Path::new("matching-rules")).unwrap();
        let domain = rules.domain("vendor").unwrap();
        let record = validate::validate(
            domain,
            validate::parse_input(json!({"source_system": "erp.one", "source_id": "7\"8\\",
                "attributes": {"name": "Acme \u{e9}", "tax_id": "12-3456789", "extra": {"b": [1, 2.5], "a": null}}}))
            .unwrap(),
        )
        .unwrap();
        let payload: Value = serde_json::from_str(&record_event(&record, "V-9", 3)).unwrap();
        assert_eq!(
            payload,
            json!({"source_system": "erp.one", "source_id": "7\"8\\", "golden_id": "V-9",
                "version": 3, "attributes": record.attributes})
        );
    }

    fn golden(dir: &tempfile::TempDir) -> Golden {
        let mut settings = crate::config::Settings::embedded(dir.path());
        settings.rules_dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        Golden::open(settings).unwrap()
    }

    fn vendor(id: &str, name: &str, tax_id: &str, address: &str) -> Value {
        json!({"source_system": id.split('/').next().unwrap(), "source_id": id,
            "attributes": {"name": name, "tax_id": tax_id, "address_line1": address,
                "city": "Springfield", "postal_code": "62701", "country": "US"}})
    }

    /// Prepares `record` ahead, lets `meanwhile` write as another writer would, then stores
    /// `record` with what was prepared, and says what was decided.
    fn store_prepared(golden: &Golden, record: Value, meanwhile: impl FnOnce()) -> Decision {
        let domain = golden.domain("vendor").unwrap();
        let (_, valid) = validate_all(&domain, vec![validate::parse_input(record)]);
        let prepared = golden
            .prepare_ahead(&domain, &valid_records(&valid))
            .unwrap();
        meanwhile();
        let results = golden
            .store
            .write(|tx| {
                golden.catch_up_index(tx.conn())?;
                let mut batch = Batch::default();
                batch.use_prepared(tx, prepared)?;
                golden.store_valid(tx, &mut batch, &domain, &valid, |_, _, _| Ok(()))
            })
            .unwrap();
        results[0].decision
    }

    #[test]
    fn a_candidate_another_writer_changed_after_preparing_is_matched_as_it_now_stands() {
        let dir = tempfile::tempdir().unwrap();
        let golden = golden(&dir);
        let acme = |id| vendor(id, "Acme Medical Supply", "12-3456789", "1 Main St");
        let ingest = |record: Value| {
            golden
                .ingest("vendor", vec![validate::parse_input(record)])
                .unwrap()
        };
        ingest(acme("sap/1"));

        // Nothing changes in between: the prepared match stands.
        assert_eq!(
            store_prepared(&golden, acme("ora/1"), || ()),
            Decision::AutoLinked
        );

        // After the preparation, the candidates' tax ID turns out to be another one: they
        // are still found, and storing the record scores them as they now stand (a
        // disagreeing identifier is never auto-linked).
        ingest(acme("wd/1"));
        let decision = store_prepared(&golden, acme("law/1"), || {
            for id in ["sap/1", "ora/1", "wd/1"] {
                ingest(vendor(id, "Acme Medical Supply", "98-7654321", "1 Main St"));
            }
        });
        assert_ne!(decision, Decision::AutoLinked, "{decision:?}");
    }

    /// A deterministic file of vendors: entities with one to four records across four
    /// systems, written with the variants systems produce (case, legal form, a typo, a
    /// missing tax ID, a remit-to lockbox), in shuffled order.
    fn varied_vendors(entities: usize) -> Vec<Value> {
        let mut state = 0x5eed_u64;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) as usize) % n
        };
        let stems = [
            "acme", "summit", "pioneer", "harbor", "liberty", "cedar", "apex",
        ];
        let kinds = ["medical", "surgical", "dental", "imaging", "labs", "supply"];
        let forms = ["inc", "llc", "corp", ""];
        let mut records = Vec::new();
        for e in 0..entities {
            let name = format!("{} {}", stems[next(stems.len())], kinds[next(kinds.len())]);
            let street = format!("{} main st", 10 + next(40));
            let tax_id = format!("{:02}-{:07}", next(90) + 10, e);
            for copy in 0..1 + next(4) {
                let mut shown = format!("{name} {}", forms[next(forms.len())]);
                if next(4) == 0 {
                    shown = shown.to_uppercase();
                }
                if next(8) == 0 {
                    shown = shown.replacen('e', "", 1);
                }
                let address = if next(6) == 0 {
                    format!("PO Box {}", 100 + e)
                } else {
                    street.clone()
                };
                let tax = if next(3) == 0 { "" } else { tax_id.as_str() };
                records.push(json!({"source_system": format!("sys{copy}"),
                    "source_id": format!("{e}-{copy}"),
                    "attributes": {"name": shown, "tax_id": tax, "address_line1": address,
                        "city": "Springfield", "postal_code": "62701", "country": "US"}}));
            }
        }
        for i in (1..records.len()).rev() {
            records.swap(i, next(i + 1));
        }
        records
    }

    #[test]
    fn records_prepared_ahead_are_decided_as_records_matched_in_the_transaction() {
        let (prepared_dir, plain_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (prepared, plain) = (golden(&prepared_dir), golden(&plain_dir));
        let domain = plain.domain("vendor").unwrap();
        let records = varied_vendors(150);
        let mut decided = (Vec::new(), Vec::new());
        for chunk in records.chunks(40) {
            let inputs = || {
                chunk
                    .iter()
                    .cloned()
                    .map(validate::parse_input)
                    .collect::<Vec<_>>()
            };
            decided
                .0
                .extend(prepared.ingest("vendor", inputs()).unwrap());
            // The same batch with nothing prepared: every search and score in the transaction.
            let (_, valid) = validate_all(&domain, inputs());
            let results = plain
                .store
                .write(|tx| {
                    plain.catch_up_index(tx.conn())?;
                    let mut batch = Batch::default();
                    let results =
                        plain.store_valid(tx, &mut batch, &domain, &valid, |_, _, _| Ok(()))?;
                    batch.recompute_stale(tx, &domain)?;
                    Ok::<_, ServiceError>(results)
                })
                .unwrap();
            decided.1.extend(results);
        }
        let outcome = |results: &[RecordResult]| -> Vec<(Option<String>, Decision)> {
            results
                .iter()
                .map(|r| (r.source_id.clone(), r.decision))
                .collect()
        };
        let (ahead, in_tx) = (outcome(&decided.0), outcome(&decided.1));
        assert_eq!(ahead.len(), in_tx.len());
        let differs = ahead.iter().zip(&in_tx).find(|(a, b)| a != b);
        assert_eq!(
            differs, None,
            "prepared ahead vs. matched in the transaction"
        );
        let kinds: Vec<Decision> = decided.0.iter().map(|r| r.decision).collect();
        for kind in [Decision::New, Decision::AutoLinked, Decision::Proposed] {
            assert!(kinds.contains(&kind), "the file exercises {kind:?}");
        }
        // The same records end up together in both stores.
        let together = |results: &[RecordResult]| {
            let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
            for r in results {
                let (Some(golden_id), Some(id)) = (&r.golden_id, &r.source_id) else {
                    continue;
                };
                groups
                    .entry(golden_id.as_str())
                    .or_default()
                    .push(id.as_str());
            }
            let mut groups: Vec<Vec<&str>> = groups.into_values().collect();
            groups.iter_mut().for_each(|g| g.sort_unstable());
            groups.sort();
            groups.into_iter().map(|g| g.join(",")).collect::<Vec<_>>()
        };
        assert_eq!(together(&decided.0), together(&decided.1));
    }
}
