//! Bulk jobs: loading a whole entity master through the same validation, storage and matching
//! as the API, in batches. Each batch commits together with the job's progress and its
//! rejected rows, so a job stopped at any point resumes after its last committed row: every
//! row ends up loaded exactly once and every bad row listed once.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::preview::Committing;
use super::preview::decisions::reason;
use super::preview::{CommitComparison, PreviewReport};
use super::rollback::RollbackView;
use super::views::{RecordResult, utc};
use super::{Golden, ServiceError};
use crate::bulk::{Mapping, Profile, Row, RowReader};
use crate::model::{Decision, FieldError, RecordInput};
use crate::store::Tx;
use crate::store::models::{JobRow, JobWriteRow, NewJob, RejectRow};
use crate::store::queries::jobs::{self, BatchCounts};

/// Rows stored per transaction: large enough to amortize a commit, small enough that a
/// stopped job redoes little.
pub const BATCH_ROWS: usize = 1_000;

/// Job lifecycle.
pub mod job_status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const FINISHED: &str = "finished";
    pub const FAILED: &str = "failed";
}

/// What a job does with its input.
pub mod job_mode {
    /// Load the rows into the hub.
    pub const LOAD: &str = "load";
    /// Only profile the input: one pass, no matching, nothing stored but the report.
    pub const PROFILE: &str = "profile";
    /// Decide every row as a load would and commit nothing but the report (a dry run).
    pub const PREVIEW: &str = "preview";
}

/// What a new job loads and for whom.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub domain: String,
    /// The source system of every row, unless rows name their own.
    pub source: Option<String>,
    /// `cli` or `http`.
    pub origin: &'static str,
    pub input_name: String,
    /// Where the input is kept (HTTP jobs keep their upload to resume after a restart).
    pub input_path: Option<String>,
    /// Hash of the input, to recognise a re-run of a stopped job.
    pub input_hash: Option<String>,
    pub bytes_total: Option<u64>,
    /// The source systems the caller may write for; `None` allows any.
    pub allowed_sources: Option<Vec<String>>,
    pub mapping: Mapping,
    pub created_by: String,
    /// One of [`job_mode`].
    pub mode: &'static str,
    /// The preview this load commits: its rows' decisions are compared with the preview's.
    pub preview_of: Option<String>,
}

/// A job's progress and summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    pub status: String,
    /// `load`, `profile` or `preview`.
    pub mode: String,
    pub origin: String,
    pub input_name: String,
    pub rows_read: i64,
    pub created: i64,
    pub auto_linked: i64,
    pub proposed: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    /// Last input line committed; a resumed job goes on after it.
    pub last_line: i64,
    pub bytes_read: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_total: Option<i64>,
    /// Share of the input read, 0 to 1, when its size is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Set on a CLI run that picked up a stopped job.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    /// A finished profile job's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// A finished preview job's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<PreviewReport>,
    /// For a load that commits a preview: the preview's ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_of: Option<String>,
    /// For a finished load that committed a preview: how its rows compare with the preview's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitComparison>,
    /// The result of undoing the job, once it was rolled back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackView>,
}

impl From<JobRow> for JobView {
    fn from(row: JobRow) -> Self {
        // These are written by this service from these same types; a row that no longer
        // parses is shown without them rather than failing the read.
        fn parsed<T: serde::de::DeserializeOwned>(text: Option<&str>, wanted: bool) -> Option<T> {
            text.filter(|_| wanted)
                .and_then(|text| serde_json::from_str(text).ok())
        }
        let report = row.report.as_deref();
        let profile = parsed(report, row.mode == job_mode::PROFILE);
        let preview = parsed(report, row.mode == job_mode::PREVIEW);
        let commit = parsed(report, row.preview_of.is_some());
        let rollback = row
            .rollback
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        let progress = row
            .bytes_total
            .filter(|total| *total > 0)
            .map(|total| (row.bytes_read as f64 / total as f64).min(1.0));
        Self {
            progress,
            id: row.id,
            domain: row.domain,
            source_system: row.source_system,
            status: row.status,
            mode: row.mode,
            origin: row.origin,
            input_name: row.input_name,
            rows_read: row.rows_read,
            created: row.created,
            auto_linked: row.auto_linked,
            proposed: row.proposed,
            updated: row.updated,
            unchanged: row.unchanged,
            rejected: row.rejected,
            last_line: row.last_line,
            bytes_read: row.bytes_read,
            bytes_total: row.bytes_total,
            error: row.error,
            created_by: row.created_by,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            finished_at: row.finished_at.map(utc),
            resumed: false,
            profile,
            preview,
            preview_of: row.preview_of,
            commit,
            rollback,
        }
    }
}

/// One rejected row, as the rejects file and endpoint list it.
#[derive(Debug, Clone, Serialize)]
pub struct RejectView {
    pub line: i64,
    pub reason: String,
    pub raw: String,
}

impl Golden {
    /// Creates a job, or picks up the stopped job that was loading the same input.
    pub fn start_job(&self, spec: &JobSpec) -> Result<JobView, ServiceError> {
        let domain = self.domain(&spec.domain)?;
        let mut conn = self.store.conn()?;
        // Only loads resume; a preview or profile stopped midway simply runs again.
        if let Some(hash) = spec
            .input_hash
            .as_ref()
            .filter(|_| spec.mode == job_mode::LOAD)
            && let Some(row) =
                jobs::unfinished_for_input(&mut conn, &domain.name, hash, spec.origin, spec.mode)?
        {
            let mut view = JobView::from(row);
            view.resumed = true;
            return Ok(view);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = self.store.now();
        let allowed = spec
            .allowed_sources
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        let mapping = serde_json::to_string(&spec.mapping.to_lines())?;
        jobs::insert(
            &mut conn,
            &NewJob {
                id: &id,
                domain: &domain.name,
                source_system: spec.source.as_deref(),
                status: job_status::QUEUED,
                origin: spec.origin,
                input_name: &spec.input_name,
                input_path: spec.input_path.as_deref(),
                rows_read: 0,
                created: 0,
                auto_linked: 0,
                proposed: 0,
                updated: 0,
                unchanged: 0,
                rejected: 0,
                last_line: 0,
                bytes_read: 0,
                bytes_total: spec.bytes_total.map(|b| b as i64),
                input_hash: spec.input_hash.as_deref(),
                allowed_sources: allowed.as_deref(),
                mapping: Some(&mapping),
                created_by: &spec.created_by,
                created_at: now,
                updated_at: now,
                mode: spec.mode,
                preview_of: spec.preview_of.as_deref(),
            },
        )?;
        self.job(&id)
    }

    pub fn job(&self, id: &str) -> Result<JobView, ServiceError> {
        let mut conn = self.store.conn()?;
        jobs::find(&mut conn, id)?
            .map(JobView::from)
            .ok_or_else(|| ServiceError::NotFound(format!("job {id}")))
    }

    /// The newest jobs, for dashboards.
    pub fn recent_jobs(&self, limit: i64) -> Result<Vec<JobView>, ServiceError> {
        let mut conn = self.store.conn()?;
        Ok(jobs::recent(&mut conn, limit.clamp(1, 500))?
            .into_iter()
            .map(JobView::from)
            .collect())
    }

    /// A job's rejected rows after `after_line`, in line order.
    pub fn job_rejects(
        &self,
        id: &str,
        after_line: i64,
        limit: i64,
    ) -> Result<Vec<RejectView>, ServiceError> {
        let mut conn = self.store.conn()?;
        Ok(jobs::rejects_page(&mut conn, id, after_line, limit)?
            .into_iter()
            .map(|r| RejectView {
                line: r.line,
                reason: r.reason,
                raw: r.raw,
            })
            .collect())
    }

    /// Writes a job's rejected rows as CSV `line,reason,raw`, in line order, a page at a time;
    /// cells a spreadsheet would run as a formula are neutralized (see
    /// [`spreadsheet_safe`](super::export::spreadsheet_safe)). Unless `unmasked`, a row of a
    /// domain with sensitive fields is masked whole, as it may hold their values.
    pub fn write_rejects(
        &self,
        id: &str,
        out: impl std::io::Write,
        unmasked: bool,
    ) -> Result<(), ServiceError> {
        let job = self.job(id)?;
        let hide = !unmasked && !crate::masking::Mask::of(&*self.domain(&job.domain)?).is_empty();
        use super::export::spreadsheet_safe;
        let csv_error = |e: csv::Error| ServiceError::internal("writing the rejects CSV", e);
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(["line", "reason", "raw"])
            .map_err(csv_error)?;
        let mut after = 0;
        loop {
            let page = self.job_rejects(id, after, 5_000)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.line;
            for reject in page {
                writer
                    .write_record([
                        reject.line.to_string(),
                        spreadsheet_safe(&reject.reason).into_owned(),
                        if hide {
                            crate::masking::mask(&reject.raw)
                        } else {
                            spreadsheet_safe(&reject.raw).into_owned()
                        },
                    ])
                    .map_err(csv_error)?;
            }
        }
        writer
            .flush()
            .map_err(|e| ServiceError::internal("writing the rejects CSV", e))
    }

    /// Marks a job failed, keeping what it loaded.
    pub fn fail_job(&self, id: &str, error: &str) -> Result<(), ServiceError> {
        let mut conn = self.store.conn()?;
        jobs::set_status(
            &mut conn,
            id,
            job_status::FAILED,
            Some(error),
            self.store.now(),
        )?;
        Ok(())
    }

    /// Loads the rows of `reader` into job `id`, skipping the lines an earlier run committed.
    /// `progress` is called after every batch.
    pub fn run_job<R: BufRead>(
        &self,
        id: &str,
        mut reader: RowReader<R>,
        progress: &mut dyn FnMut(&JobView),
    ) -> Result<JobView, ServiceError> {
        let job = self.job(id)?;
        let mut loading = Loading {
            allowed: self.job_allowed_sources(id)?,
            committing: self.committing(&job)?,
            job: &job,
        };
        self.set_job_status(id, job_status::RUNNING)?;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut batches: u64 = 0;
        let outcome = (|| {
            while let Some(row) = reader.next() {
                let row = row.map_err(|e| ServiceError::invalid(e.to_string()))?;
                if (row.line as i64) <= job.last_line {
                    continue;
                }
                batch.push(row);
                if batch.len() >= BATCH_ROWS {
                    self.load_batch(&mut loading, &mut batch, reader.bytes_read())?;
                    batches += 1;
                    if batches.is_power_of_two() {
                        self.refresh_statistics();
                    }
                    progress(&self.job(id)?);
                }
            }
            self.load_batch(&mut loading, &mut batch, reader.bytes_read())?;
            match &loading.committing {
                Some(c) => self
                    .compare_with_preview(id, &c.preview, c.store_changed)
                    .map(drop),
                None => Ok(()),
            }
        })();
        if let Err(e) = outcome {
            self.fail_job(id, &e.chain())?;
            return Err(e);
        }
        self.set_job_status(id, job_status::FINISHED)?;
        let done = self.job(id)?;
        progress(&done);
        Ok(done)
    }

    /// Profiles the rows of `reader` for job `id` and keeps the report on the job; nothing
    /// else is stored.
    pub fn run_profile<R: BufRead>(
        &self,
        id: &str,
        domain: &crate::rules::Domain,
        mut reader: RowReader<R>,
    ) -> Result<Profile, ServiceError> {
        self.set_job_status(id, job_status::RUNNING)?;
        let profile = match crate::bulk::profile::profile(domain, &mut reader) {
            Ok(profile) => profile,
            Err(e) => {
                let e = ServiceError::invalid(e.to_string());
                self.fail_job(id, &e.chain())?;
                return Err(e);
            }
        };
        let report = serde_json::to_string(&profile)?;
        let mut conn = self.store.conn()?;
        let counts = BatchCounts {
            rows: profile.rows as i64,
            rejected: (profile.unreadable + profile.rejected) as i64,
            last_line: profile.last_line as i64,
            bytes_read: reader.bytes_read() as i64,
            ..BatchCounts::default()
        };
        jobs::set_report(&mut conn, id, &report)?;
        jobs::add_batch(&mut conn, id, &counts, self.store.now())?;
        drop(conn);
        self.set_job_status(id, job_status::FINISHED)?;
        Ok(profile)
    }

    /// Keeps the planner's statistics in step with a load: after its batches 1, 2, 4, 8…, so
    /// as often as tables the load started empty double. A failure only costs speed, so it is
    /// logged, not raised.
    fn refresh_statistics(&self) {
        if let Err(e) = self.store.refresh_statistics() {
            tracing::warn!(error = %crate::service::error::chain(&e), "refreshing planner statistics failed");
        }
    }

    /// The source systems job `id` may write for (`None`: any).
    pub(super) fn job_allowed_sources(
        &self,
        id: &str,
    ) -> Result<Option<Vec<String>>, ServiceError> {
        let mut conn = self.store.conn()?;
        let row = jobs::find(&mut conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("job {id}")))?;
        Ok(row
            .allowed_sources
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?)
    }

    pub(super) fn set_job_status(&self, id: &str, status: &str) -> Result<(), ServiceError> {
        let mut conn = self.store.conn()?;
        jobs::set_status(&mut conn, id, status, None, self.store.now())?;
        Ok(())
    }

    /// Stores one batch and, in the same transaction, the job's progress and rejects (and,
    /// for a load committing a preview, its rows' decisions).
    fn load_batch(
        &self,
        loading: &mut Loading<'_>,
        rows: &mut Vec<Row>,
        bytes_read: u64,
    ) -> Result<(), ServiceError> {
        let Loading {
            job,
            allowed,
            committing,
        } = loading;
        let allowed = allowed.as_deref();
        let Some(last_line) = rows.last().map(|r| r.line as i64) else {
            return Ok(());
        };
        let mut rejects = Vec::new();
        let mut inputs: Vec<Result<RecordInput, Vec<FieldError>>> = Vec::new();
        let mut lines = Vec::new();
        for row in rows.drain(..) {
            match admit(row.record, allowed) {
                Ok(input) => {
                    lines.push((row.line, row.raw));
                    inputs.push(Ok(input));
                }
                Err((_, reason)) => rejects.push(reject(&job.id, row.line, row.raw, reason)),
            }
        }
        let rows_total = (inputs.len() + rejects.len()) as i64;
        let rejected_rows = rejects.len() as u64;
        let mut record = |tx: &mut Tx<'_>, results: &[RecordResult]| {
            let mut counts = BatchCounts {
                rows: rows_total,
                rejected: rejects.len() as i64,
                last_line,
                bytes_read: bytes_read as i64,
                ..BatchCounts::default()
            };
            let mut all = std::mem::take(&mut rejects);
            for result in results {
                match result.decision {
                    Decision::New => counts.created += 1,
                    Decision::Proposed => {
                        counts.created += 1;
                        counts.proposed += 1;
                    }
                    Decision::AutoLinked => counts.auto_linked += 1,
                    Decision::Updated => counts.updated += 1,
                    Decision::Unchanged => counts.unchanged += 1,
                    Decision::Rejected => {
                        counts.rejected += 1;
                        if let Some((line, raw)) = lines.get(result.index) {
                            all.push(reject(&job.id, *line, raw.clone(), reason(&result.errors)));
                        }
                    }
                }
            }
            all.sort_by_key(|r| r.line);
            if let Some(committing) = committing.as_mut() {
                committing.note(tx, &job.id, &all, results, &lines)?;
            }
            jobs::insert_rejects(tx.conn(), &all)?;
            record_writes(tx, &job.id, results)?;
            let at = tx.now();
            jobs::add_batch(tx.conn(), &job.id, &counts, at)?;
            Ok(())
        };
        let results = self.ingest_with(&job.domain, inputs, Some(&mut record))?;
        let rejected_records = results
            .iter()
            .filter(|r| r.decision == Decision::Rejected)
            .count() as u64;
        self.metrics.observe_bulk_batch(
            &job.domain,
            rows_total as u64,
            rejected_rows + rejected_records,
        );
        Ok(())
    }
}

/// A load job as its batches go.
struct Loading<'a> {
    job: &'a JobView,
    /// The source systems it may write for (`None`: any).
    allowed: Option<Vec<String>>,
    /// Set when it commits a preview.
    committing: Option<Committing>,
}

/// A read row's record, if the job may write it; otherwise its key (when it has one) and why
/// it is rejected.
pub(super) type Refused = ((Option<String>, Option<String>), String);

pub(super) fn admit(
    record: Result<RecordInput, String>,
    allowed: Option<&[String]>,
) -> Result<RecordInput, Refused> {
    match (record, allowed) {
        (Err(reason), _) => Err(((None, None), reason)),
        (Ok(input), Some(allowed)) if !allowed.contains(&input.source_system) => {
            let reason = format!(
                "not allowed to write for source system {:?}",
                input.source_system
            );
            Err(((Some(input.source_system), Some(input.source_id)), reason))
        }
        (Ok(input), _) => Ok(input),
    }
}

/// Notes which record versions the batch wrote, so that the job can be rolled back.
fn record_writes(
    tx: &mut Tx<'_>,
    job_id: &str,
    results: &[RecordResult],
) -> Result<(), ServiceError> {
    let at = tx.now();
    let writes: Vec<JobWriteRow> = results
        .iter()
        .filter(|r| !matches!(r.decision, Decision::Unchanged | Decision::Rejected))
        .filter_map(|result| {
            Some(JobWriteRow {
                job_id: job_id.to_owned(),
                record_id: result.record_id?,
                version: result.version?,
                decision: result.decision.as_str().to_owned(),
                golden_id: result.golden_id.clone()?,
                written_at: at,
            })
        })
        .collect();
    jobs::insert_writes(tx.conn(), &writes)?;
    Ok(())
}

pub(super) fn reject(job_id: &str, line: u64, raw: String, reason: String) -> RejectRow {
    RejectRow {
        job_id: job_id.to_owned(),
        line: line as i64,
        raw,
        reason,
    }
}

impl Golden {
    /// Queues an uploaded job for the job workers (`Settings::job_workers` of them); it stays
    /// `queued` until one takes it. The upload is removed once the job finishes; a failed job
    /// keeps what it loaded and says why it stopped.
    pub fn spawn_job(self: &std::sync::Arc<Self>, id: &str) -> Result<(), ServiceError> {
        self.job(id)?;
        self.job_pool.submit(
            std::sync::Arc::downgrade(self),
            (self.settings.job_workers, self.settings.job_threads),
            id.to_owned(),
        )
    }

    /// Runs a queued job on a job worker, recording a failure on the job.
    pub(super) fn run_queued_job(&self, id: &str) {
        let outcome = (|| {
            let mut conn = self.store.conn()?;
            let job = jobs::find(&mut conn, id)?
                .ok_or_else(|| ServiceError::NotFound(format!("job {id}")))?;
            drop(conn);
            self.run_uploaded(&job)
        })();
        if let Err(e) = outcome {
            let cause = e.chain();
            tracing::error!(job = %id, error = %cause, "bulk job failed");
            if let Err(e) = self.fail_job(id, &cause) {
                tracing::error!(job = %id, error = %e.chain(), "cannot mark the job failed");
            }
        }
    }

    fn run_uploaded(&self, job: &JobRow) -> Result<(), ServiceError> {
        let path = job
            .input_path
            .as_deref()
            .ok_or_else(|| ServiceError::internal_msg("the job has no stored input"))?;
        let format = crate::bulk::Format::from_name(path).unwrap_or(crate::bulk::Format::Csv);
        let lines: Vec<String> = job
            .mapping
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?
            .unwrap_or_default();
        let mapping = Mapping::parse(&lines).map_err(|e| ServiceError::invalid(e.to_string()))?;
        let domain = self.domain(&job.domain)?;
        let file = std::fs::File::open(path)
            .map_err(|e| ServiceError::internal("the job's input is gone", e))?;
        let reader = RowReader::open(
            std::io::BufReader::with_capacity(1 << 20, file),
            format,
            mapping,
            job.source_system.clone(),
            &domain,
        )
        .map_err(|e| ServiceError::invalid(e.to_string()))?;
        match job.mode.as_str() {
            job_mode::PROFILE => drop(self.run_profile(&job.id, &domain, reader)?),
            job_mode::PREVIEW => {
                self.note_input_hash(&job.id, std::path::Path::new(path))?;
                self.run_preview(&job.id, &domain, reader)?;
                // Kept for the load that commits it.
                return Ok(());
            }
            _ => drop(self.run_job(&job.id, reader, &mut |_| {})?),
        }
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(job = %job.id, error = %e, "cannot remove a finished job's input");
        }
        Ok(())
    }

    /// Picks up the HTTP jobs a stopped server left unfinished; they resume after their last
    /// committed row.
    pub fn resume_jobs(self: &std::sync::Arc<Self>) -> Result<usize, ServiceError> {
        let mut unfinished = Vec::new();
        let previewed = {
            let mut conn = self.store.conn()?;
            for status in [job_status::QUEUED, job_status::RUNNING] {
                unfinished.extend(jobs::with_status(&mut conn, "http", status)?);
            }
            jobs::preview_inputs(&mut conn)?
        };
        self.remove_orphaned_uploads(&unfinished, &previewed);
        // Replicas share the jobs table but not their data dirs: each resumes only the jobs
        // whose upload it holds, and leaves the others to the replica that accepted them.
        let own_dir = std::fs::canonicalize(self.settings.jobs_dir()).ok();
        unfinished.retain(|job| {
            let dir = job
                .input_path
                .as_deref()
                .and_then(|path| std::path::Path::new(path).parent())
                .and_then(|dir| std::fs::canonicalize(dir).ok());
            dir.is_some() && dir == own_dir
        });
        for job in &unfinished {
            tracing::info!(job = %job.id, after_line = job.last_line, "resuming a bulk job");
            self.spawn_job(&job.id)?;
        }
        Ok(unfinished.len())
    }

    /// Removes the files in the jobs directory that no unfinished job reads and no finished
    /// preview keeps for its commit: uploads cut off by a crash before their job was created,
    /// and inputs of jobs that finished just before one. Runs at start, before any upload of
    /// this server begins.
    fn remove_orphaned_uploads(&self, unfinished: &[JobRow], previewed: &[String]) {
        let kept: std::collections::HashSet<&std::ffi::OsStr> = unfinished
            .iter()
            .filter_map(|job| job.input_path.as_deref())
            .chain(previewed.iter().map(String::as_str))
            .filter_map(|path| std::path::Path::new(path).file_name())
            .collect();
        let Ok(entries) = std::fs::read_dir(self.settings.jobs_dir()) else {
            return;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            let orphaned = path.is_file() && path.file_name().is_some_and(|n| !kept.contains(n));
            if orphaned {
                match std::fs::remove_file(&path) {
                    Ok(()) => tracing::info!(file = %path.display(), "removed an orphaned upload"),
                    Err(e) => tracing::warn!(file = %path.display(), error = %e,
                        "cannot remove an orphaned upload"),
                }
            }
        }
    }
}
