//! Previewing a load (a dry run) and committing it as previewed.
//!
//! A preview runs the load's own pipeline (validation, standardization, matching against the
//! stored golden records and within the file) inside one write transaction that is rolled
//! back at the end: no row, event, index entry or counter survives it. The records it stores
//! stay searchable for the rest of the file through the batch's private index overlay, which
//! is dropped with the transaction, so later rows match earlier ones exactly as in a load.
//!
//! The write lock is the cost: one transaction means other writers wait while it runs. So
//! everything that can happen outside it does, before it is taken: reading, validating and
//! standardizing the whole file, and the matching work prepared ahead on a snapshot (the
//! candidate searches and scores, in parallel), which is most of a load's time. Inside the
//! lock remains what a load serializes too, so a preview holds other writers up about as long
//! as the load itself would, in one stretch rather than in batches.
//!
//! Each row's decision is kept on the job (`bulk_job_decisions`); the load that commits the
//! preview writes its own and compares them row by row, so its summary says how many rows were
//! decided differently because the store changed in between.

pub mod decisions;
mod report;
pub mod risk;

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use decisions::{CommitComparison, Targets};
pub use report::{PreviewReport, RiskyDecision};

use super::bulk::{BATCH_ROWS, job_mode, job_status};
use super::ingest::{Batch, valid_records, validate_all};
use super::{Golden, ServiceError};
use crate::bulk::RowReader;
use crate::model::{FieldError, RecordInput};
use crate::rules::Domain;
use crate::store::models::{DecisionRow, JobRow, RejectRow};
use crate::store::queries::{events, jobs};
use crate::store::{StoreError, Tx};
use crate::validate::ValidRecord;

/// Decision rows written per transaction after a preview.
const ROWS_PER_WRITE: usize = 10_000;

/// One batch of the file, read and validated before the write lock is taken.
struct Chunk {
    /// The input line of each valid record, by its position in the batch.
    lines: Vec<u64>,
    valid: Vec<(usize, ValidRecord)>,
}

/// The rows' decisions as a preview notes them.
struct RowLog<'a> {
    id: &'a str,
    targets: Targets,
    rows: &'a mut Vec<DecisionRow>,
}

/// How the preview's transaction ends: always rolled back.
enum Rollback {
    /// It ran through; the change-feed position it saw.
    Done(i64),
    Failed(ServiceError),
}

impl From<ServiceError> for Rollback {
    fn from(e: ServiceError) -> Self {
        Self::Failed(e)
    }
}

impl From<StoreError> for Rollback {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(StoreError::from(e).into())
    }
}

impl Golden {
    /// Previews the rows of `reader` for job `id`: decides every row as a load would, keeps
    /// the report and the rows' decisions on the job, and stores nothing else.
    pub fn run_preview<R: BufRead>(
        &self,
        id: &str,
        domain: &Domain,
        reader: RowReader<R>,
    ) -> Result<PreviewReport, ServiceError> {
        self.set_job_status(id, job_status::RUNNING)?;
        match self.preview_rows(id, domain, reader) {
            Ok(report) => {
                self.set_job_status(id, job_status::FINISHED)?;
                Ok(report)
            }
            Err(e) => {
                self.fail_job(id, &e.chain())?;
                Err(e)
            }
        }
    }

    fn preview_rows<R: BufRead>(
        &self,
        id: &str,
        domain: &Domain,
        mut reader: RowReader<R>,
    ) -> Result<PreviewReport, ServiceError> {
        let started = Instant::now();
        let allowed = self.job_allowed_sources(id)?;
        let mut rows = Vec::new();
        let mut rejects = Vec::new();
        let mut chunks = Vec::new();
        let mut read = Vec::new();
        for row in reader.by_ref() {
            read.push(row.map_err(|e| ServiceError::invalid(e.to_string()))?);
        }
        let last_line = read.last().map_or(0, |row| row.line);
        let mut read = read.into_iter();
        loop {
            let part: Vec<_> = read.by_ref().take(BATCH_ROWS).collect();
            if part.is_empty() {
                break;
            }
            let allowed = allowed.as_deref();
            chunks.push(self.read_chunk(id, domain, allowed, part, &mut rows, &mut rejects));
        }
        let (seq, serialized) = self.decide_in_rollback(id, domain, &chunks, &mut rows)?;
        rows.sort_by_key(|r| r.line);
        let mut report = PreviewReport::of(&rows);
        report.store_seq = seq;
        report.serialized_seconds = serialized.as_secs_f64();
        report.seconds = started.elapsed().as_secs_f64();
        self.keep_preview(id, &report, &rows, &rejects, last_line, reader.bytes_read())?;
        Ok(report)
    }

    /// Splits a batch of read rows into the valid records and the rejected rows' decisions.
    fn read_chunk(
        &self,
        id: &str,
        domain: &Domain,
        allowed: Option<&[String]>,
        part: Vec<crate::bulk::Row>,
        rows: &mut Vec<DecisionRow>,
        rejects: &mut Vec<RejectRow>,
    ) -> Chunk {
        let mut lines = Vec::new();
        let mut raws = Vec::new();
        let mut inputs: Vec<Result<RecordInput, Vec<FieldError>>> = Vec::new();
        for row in part {
            match super::bulk::admit(row.record, allowed) {
                Ok(input) => {
                    lines.push(row.line);
                    raws.push(row.raw);
                    inputs.push(Ok(input));
                }
                Err((key, reason)) => {
                    rows.push(decisions::rejected(id, row.line, key, reason.clone()));
                    rejects.push(super::bulk::reject(id, row.line, row.raw, reason));
                }
            }
        }
        let (refused, valid) = validate_all(domain, inputs);
        for result in refused {
            let line = lines.get(result.index).copied().unwrap_or_default();
            let raw = raws.get(result.index).cloned().unwrap_or_default();
            let reason = decisions::reason(&result.errors);
            rows.push(decisions::rejected(
                id,
                line,
                (result.source_system.clone(), result.source_id.clone()),
                reason.clone(),
            ));
            rejects.push(super::bulk::reject(id, line, raw, reason));
        }
        Chunk { lines, valid }
    }

    /// Stores every chunk in one write transaction, notes each row's decision and risks, and
    /// rolls it all back. Returns the feed position seen and the time the lock was held.
    fn decide_in_rollback(
        &self,
        id: &str,
        domain: &Domain,
        chunks: &[Chunk],
        rows: &mut Vec<DecisionRow>,
    ) -> Result<(i64, Duration), ServiceError> {
        let all: Vec<&ValidRecord> = chunks
            .iter()
            .flat_map(|c| valid_records(&c.valid))
            .collect();
        let prepared = self.prepare_ahead(domain, &all)?;
        let mut serialized = Duration::ZERO;
        let outcome = self.store.write(|tx| {
            let locked = Instant::now();
            let seq = events::last_seq(tx.conn())?;
            self.catch_up_index(tx.conn())?;
            let mut batch = Batch::default();
            batch.use_prepared(tx, prepared)?;
            let mut log = RowLog {
                id,
                targets: Targets::default(),
                rows,
            };
            for chunk in chunks {
                self.decide_chunk(tx, &mut batch, domain, chunk, &mut log)?;
            }
            serialized = locked.elapsed();
            Err::<(), _>(Rollback::Done(seq))
        });
        match outcome {
            Err(Rollback::Done(seq)) => Ok((seq, serialized)),
            Err(Rollback::Failed(e)) => Err(e),
            Ok(()) => Err(ServiceError::internal_msg("a preview committed")),
        }
    }

    fn decide_chunk(
        &self,
        tx: &mut Tx<'_>,
        batch: &mut Batch,
        domain: &Domain,
        chunk: &Chunk,
        log: &mut RowLog<'_>,
    ) -> Result<(), ServiceError> {
        let mut assessed = HashMap::new();
        let mut results =
            self.store_valid(tx, batch, domain, &chunk.valid, |tx, record, result| {
                if let Some(found) = risk::assess(tx, domain, record, result)? {
                    assessed.insert(result.index, found);
                }
                Ok(())
            })?;
        batch.recompute_stale(tx, domain)?;
        results.sort_by_key(|r| r.index);
        for result in results {
            let line = chunk.lines.get(result.index).copied().unwrap_or_default();
            let mut row = log.targets.row(log.id, line, &result);
            if let Some(found) = assessed.remove(&result.index) {
                row.score = Some(found.score);
                row.risk = found.risk;
                row.risks = (!found.risks.is_empty()).then(|| found.risks.join(","));
                // A golden record the file creates is named as the report names it.
                let detail = found.detail.join("; ");
                row.detail = (!detail.is_empty()).then(|| match (&result.golden_id, &row.target) {
                    (Some(golden), Some(target)) => detail.replace(golden.as_str(), target),
                    _ => detail,
                });
            }
            log.rows.push(row);
        }
        Ok(())
    }

    /// Keeps the report, the rows' decisions and the rejected rows on the job.
    fn keep_preview(
        &self,
        id: &str,
        report: &PreviewReport,
        rows: &[DecisionRow],
        rejects: &[RejectRow],
        last_line: u64,
        bytes_read: u64,
    ) -> Result<(), ServiceError> {
        for part in rows.chunks(ROWS_PER_WRITE) {
            self.store
                .write(|tx| jobs::insert_decisions(tx.conn(), part).map_err(StoreError::from))?;
        }
        let mut rejects = rejects.to_vec();
        rejects.sort_by_key(|r| r.line);
        let counts = jobs::BatchCounts {
            rows: report.rows as i64,
            created: (report.new + report.proposed) as i64,
            auto_linked: report.auto_linked as i64,
            proposed: report.proposed as i64,
            updated: report.updated as i64,
            unchanged: report.unchanged as i64,
            rejected: report.rejected as i64,
            last_line: last_line as i64,
            bytes_read: bytes_read as i64,
        };
        let text = serde_json::to_string(report)?;
        self.store.write(|tx| {
            jobs::insert_rejects(tx.conn(), &rejects)?;
            jobs::set_report(tx.conn(), id, &text)?;
            let at = tx.now();
            jobs::add_batch(tx.conn(), id, &counts, at)?;
            Ok::<_, ServiceError>(())
        })
    }

    /// A preview job, or why it is not one.
    pub(crate) fn preview_job(&self, id: &str) -> Result<JobRow, ServiceError> {
        let mut conn = self.store.conn()?;
        let job = jobs::find(&mut conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("job {id}")))?;
        if job.mode != job_mode::PREVIEW {
            return Err(ServiceError::Conflict(format!(
                "job {id} is a {} job, not a preview",
                job.mode
            )));
        }
        Ok(job)
    }

    /// A finished preview's report.
    pub fn preview_report(&self, id: &str) -> Result<PreviewReport, ServiceError> {
        let job = self.preview_job(id)?;
        job.report
            .as_deref()
            .filter(|_| job.status == job_status::FINISHED)
            .map(serde_json::from_str)
            .transpose()?
            .ok_or_else(|| {
                ServiceError::Conflict(format!("preview {id} is {}, not finished", job.status))
            })
    }

    /// The preview job `id`, checked for a commit of the input whose hash is `input_hash`:
    /// finished, not committed before, and of the same input.
    pub fn preview_to_commit(&self, id: &str, input_hash: &str) -> Result<JobRow, ServiceError> {
        let job = self.preview_job(id)?;
        if job.status != job_status::FINISHED {
            return Err(ServiceError::Conflict(format!(
                "preview {id} is {}, not finished",
                job.status
            )));
        }
        let mut conn = self.store.conn()?;
        // A failed commit may be tried again; a stopped one is resumed by the same file.
        if let Some(commit) = jobs::committing(&mut conn, id)?.filter(|c| {
            c.status != job_status::FAILED && c.input_hash.as_deref() != Some(input_hash)
        }) {
            return Err(ServiceError::Conflict(format!(
                "preview {id} was already committed by job {}",
                commit.id
            )));
        }
        if job.input_hash.as_deref() != Some(input_hash) {
            return Err(ServiceError::Conflict(format!(
                "the file (or how it is read) is not the one preview {id} read"
            )));
        }
        Ok(job)
    }

    /// Compares a committing load's row decisions with its preview's and keeps the result on
    /// the load job. `store_changed`: whether other writes came between the two.
    pub(crate) fn compare_with_preview(
        &self,
        job_id: &str,
        preview_id: &str,
        store_changed: bool,
    ) -> Result<CommitComparison, ServiceError> {
        let mut conn = self.store.conn()?;
        let preview = all_decisions(&mut conn, preview_id)?;
        let commit = all_decisions(&mut conn, job_id)?;
        let (rows, redecided, examples) = decisions::compare(&preview, &commit);
        let comparison = CommitComparison {
            preview: preview_id.to_owned(),
            store_changed,
            rows,
            redecided,
            examples,
        };
        jobs::set_report(&mut conn, job_id, &serde_json::to_string(&comparison)?)?;
        Ok(comparison)
    }

    /// Whether writes other than the job's own reached the store since the preview saw it.
    pub(crate) fn store_changed_since(&self, preview: &JobRow) -> Result<bool, ServiceError> {
        let report: Option<PreviewReport> = preview
            .report
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        let mut conn = self.store.conn()?;
        let now = events::last_seq(&mut conn)?;
        Ok(report.is_none_or(|r| r.store_seq != now))
    }
}

/// A load committing a preview, as its batches go: what it compares with and how it writes
/// its rows' targets.
pub struct Committing {
    pub preview: String,
    pub store_changed: bool,
    targets: Targets,
}

impl Committing {
    /// Notes a batch's decisions in its transaction: `rejects` are its rejected rows, and
    /// `lines` the line (and raw text) of each result's record.
    pub(crate) fn note(
        &mut self,
        tx: &mut Tx<'_>,
        job_id: &str,
        rejects: &[RejectRow],
        results: &[super::views::RecordResult],
        lines: &[(u64, String)],
    ) -> Result<(), ServiceError> {
        let mut rows: Vec<DecisionRow> = rejects
            .iter()
            .map(|r| decisions::rejected(job_id, r.line as u64, (None, None), r.reason.clone()))
            .collect();
        for result in results {
            if result.decision == crate::model::Decision::Rejected {
                continue;
            }
            if let Some((line, _)) = lines.get(result.index) {
                rows.push(self.targets.row(job_id, *line, result));
            }
        }
        rows.sort_by_key(|r| r.line);
        jobs::insert_decisions(tx.conn(), &rows)?;
        Ok(())
    }
}

impl Golden {
    /// What a load job needs to compare its rows with the preview it commits, if it commits
    /// one. A resumed commit counts the store as changed (its own first batches changed it).
    pub(crate) fn committing(
        &self,
        job: &super::bulk::JobView,
    ) -> Result<Option<Committing>, ServiceError> {
        let Some(preview_id) = &job.preview_of else {
            return Ok(None);
        };
        let preview = self.preview_job(preview_id)?;
        let store_changed = job.last_line > 0 || self.store_changed_since(&preview)?;
        let mut conn = self.store.conn()?;
        let targets = Targets::from_written(jobs::created_targets(&mut conn, &job.id)?);
        Ok(Some(Committing {
            preview: preview_id.clone(),
            store_changed,
            targets,
        }))
    }

    /// Keeps the hash of an uploaded preview's input, which its commit must match.
    pub(crate) fn note_input_hash(
        &self,
        id: &str,
        path: &std::path::Path,
    ) -> Result<(), ServiceError> {
        let hash = file_hash(path)?;
        let mut conn = self.store.conn()?;
        jobs::set_input_hash(&mut conn, id, &hash)?;
        Ok(())
    }

    /// Queues the load of an uploaded preview's file, committing it as previewed, for a
    /// caller who may write for `allowed` source systems (`None`: any).
    pub fn commit_preview(
        self: &std::sync::Arc<Self>,
        id: &str,
        created_by: &str,
        allowed: Option<Vec<String>>,
    ) -> Result<super::bulk::JobView, ServiceError> {
        let preview = self.preview_job(id)?;
        let path = preview
            .input_path
            .clone()
            .filter(|p| std::path::Path::new(p).is_file())
            .ok_or_else(|| {
                ServiceError::Conflict(format!("preview {id} has no stored file to commit"))
            })?;
        let preview = self.preview_to_commit(id, &file_hash(std::path::Path::new(&path))?)?;
        let lines: Vec<String> = preview
            .mapping
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?
            .unwrap_or_default();
        let job = self.start_job(&super::bulk::JobSpec {
            domain: preview.domain.clone(),
            source: preview.source_system.clone(),
            origin: "http",
            input_name: preview.input_name.clone(),
            input_path: Some(path),
            input_hash: None,
            bytes_total: preview.bytes_total.map(|b| b as u64),
            allowed_sources: allowed,
            mapping: crate::bulk::Mapping::parse(&lines)
                .map_err(|e| ServiceError::invalid(e.to_string()))?,
            created_by: created_by.to_owned(),
            mode: job_mode::LOAD,
            preview_of: Some(id.to_owned()),
        })?;
        self.spawn_job(&job.id)?;
        Ok(job)
    }
}

pub(super) fn all_decisions(
    conn: &mut crate::store::DbConnection,
    id: &str,
) -> Result<Vec<DecisionRow>, ServiceError> {
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = jobs::decisions_page(conn, id, after, 10_000)?;
        let Some(last) = page.last() else {
            return Ok(rows);
        };
        after = last.line;
        rows.extend(page);
    }
}

/// The SHA-256 of a stored upload: a preview's commit must read the same bytes.
pub fn file_hash(path: &std::path::Path) -> Result<String, ServiceError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| ServiceError::internal("cannot read the job's input", e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| ServiceError::internal("cannot read the job's input", e))?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}
