//! Bulk jobs and their rejected rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{DecisionRow, JobRow, JobWriteRow, NewJob, RejectRow};
use crate::store::schema::{bulk_job_decisions, bulk_job_rejects, bulk_job_writes, bulk_jobs};

pub fn insert(conn: &mut DbConnection, job: &NewJob<'_>) -> QueryResult<()> {
    diesel::insert_into(bulk_jobs::table)
        .values(job)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<JobRow>> {
    bulk_jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// The newest unfinished job of `mode` that read the same input into the same domain, to
/// resume (a preview never resumes a load, nor a load a preview).
pub fn unfinished_for_input(
    conn: &mut DbConnection,
    domain: &str,
    input_hash: &str,
    origin: &str,
    mode: &str,
) -> QueryResult<Option<JobRow>> {
    bulk_jobs::table
        .filter(bulk_jobs::domain.eq(domain))
        .filter(bulk_jobs::mode.eq(mode))
        .filter(bulk_jobs::input_hash.eq(input_hash))
        .filter(bulk_jobs::origin.eq(origin))
        .filter(bulk_jobs::status.eq_any(["queued", "running"]))
        .order(bulk_jobs::created_at.desc())
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// Jobs of an origin in a status (e.g. HTTP jobs left running by a stopped server).
pub fn with_status(
    conn: &mut DbConnection,
    origin: &str,
    status: &str,
) -> QueryResult<Vec<JobRow>> {
    bulk_jobs::table
        .filter(bulk_jobs::origin.eq(origin))
        .filter(bulk_jobs::status.eq(status))
        .order(bulk_jobs::created_at.asc())
        .select(JobRow::as_select())
        .load(conn)
}

/// Newest jobs first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<JobRow>> {
    bulk_jobs::table
        .order(bulk_jobs::created_at.desc())
        .limit(limit)
        .select(JobRow::as_select())
        .load(conn)
}

/// What one committed batch adds to a job.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchCounts {
    pub rows: i64,
    pub created: i64,
    pub auto_linked: i64,
    pub proposed: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub last_line: i64,
    pub bytes_read: i64,
}

pub fn add_batch(
    conn: &mut DbConnection,
    id: &str,
    counts: &BatchCounts,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(bulk_jobs::table.find(id))
        .set((
            bulk_jobs::rows_read.eq(bulk_jobs::rows_read + counts.rows),
            bulk_jobs::created.eq(bulk_jobs::created + counts.created),
            bulk_jobs::auto_linked.eq(bulk_jobs::auto_linked + counts.auto_linked),
            bulk_jobs::proposed.eq(bulk_jobs::proposed + counts.proposed),
            bulk_jobs::updated.eq(bulk_jobs::updated + counts.updated),
            bulk_jobs::unchanged.eq(bulk_jobs::unchanged + counts.unchanged),
            bulk_jobs::rejected.eq(bulk_jobs::rejected + counts.rejected),
            bulk_jobs::last_line.eq(counts.last_line),
            bulk_jobs::bytes_read.eq(counts.bytes_read),
            bulk_jobs::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_status(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    error: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let finished = matches!(status, "finished" | "failed").then_some(at);
    diesel::update(bulk_jobs::table.find(id))
        .set((
            bulk_jobs::status.eq(status),
            bulk_jobs::error.eq(error),
            bulk_jobs::updated_at.eq(at),
            bulk_jobs::finished_at.eq(finished),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_rejects(conn: &mut DbConnection, rejects: &[RejectRow]) -> QueryResult<()> {
    super::insert_rows!(conn, bulk_job_rejects::table, rejects)
}

/// A job's rejects in line order, a page at a time.
pub fn rejects_page(
    conn: &mut DbConnection,
    id: &str,
    after_line: i64,
    limit: i64,
) -> QueryResult<Vec<RejectRow>> {
    bulk_job_rejects::table
        .filter(bulk_job_rejects::job_id.eq(id))
        .filter(bulk_job_rejects::line.gt(after_line))
        .order(bulk_job_rejects::line.asc())
        .limit(limit)
        .select(RejectRow::as_select())
        .load(conn)
}

/// Notes the record versions a batch of a load job wrote.
pub fn insert_writes(conn: &mut DbConnection, writes: &[JobWriteRow]) -> QueryResult<()> {
    super::insert_rows!(conn, bulk_job_writes::table, writes)
}

/// Every record version a job wrote, newest first: the order a rollback undoes them in.
pub fn writes(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<JobWriteRow>> {
    bulk_job_writes::table
        .filter(bulk_job_writes::job_id.eq(id))
        .order(bulk_job_writes::id.desc())
        .select(JobWriteRow::as_select())
        .load(conn)
}

/// Keeps a profile's report on its job.
pub fn set_report(conn: &mut DbConnection, id: &str, report: &str) -> QueryResult<()> {
    diesel::update(bulk_jobs::table.find(id))
        .set(bulk_jobs::report.eq(report))
        .execute(conn)
        .map(drop)
}

/// Marks a job undone, with the rollback's result.
pub fn set_rolled_back(
    conn: &mut DbConnection,
    id: &str,
    result: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(bulk_jobs::table.find(id))
        .set((
            bulk_jobs::status.eq("rolled_back"),
            bulk_jobs::rollback.eq(result),
            bulk_jobs::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Notes what a preview, or the load committing one, decided for some rows.
pub fn insert_decisions(conn: &mut DbConnection, rows: &[DecisionRow]) -> QueryResult<()> {
    super::insert_rows!(conn, bulk_job_decisions::table, rows)
}

/// A job's row decisions after `after_line`, in line order, a page at a time.
pub fn decisions_page(
    conn: &mut DbConnection,
    id: &str,
    after_line: i64,
    limit: i64,
) -> QueryResult<Vec<DecisionRow>> {
    bulk_job_decisions::table
        .filter(bulk_job_decisions::job_id.eq(id))
        .filter(bulk_job_decisions::line.gt(after_line))
        .order(bulk_job_decisions::line.asc())
        .limit(limit)
        .select(DecisionRow::as_select())
        .load(conn)
}

/// A job's riskiest row decisions, riskiest first (rows with no risk left out).
pub fn riskiest(conn: &mut DbConnection, id: &str, limit: i64) -> QueryResult<Vec<DecisionRow>> {
    bulk_job_decisions::table
        .filter(bulk_job_decisions::job_id.eq(id))
        .filter(bulk_job_decisions::risk.gt(0.0))
        .order((
            bulk_job_decisions::risk.desc(),
            bulk_job_decisions::line.asc(),
        ))
        .limit(limit)
        .select(DecisionRow::as_select())
        .load(conn)
}

/// The golden IDs a job's rows ended in that rows of the same file created, with the target
/// they were written as (`line:N`): a resumed commit writes its later rows' targets the way
/// its earlier ones did.
pub fn created_targets(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<(String, String)>> {
    bulk_job_decisions::table
        .filter(bulk_job_decisions::job_id.eq(id))
        .filter(bulk_job_decisions::target.like("line:%"))
        .filter(bulk_job_decisions::golden_id.is_not_null())
        .select((
            bulk_job_decisions::golden_id.assume_not_null(),
            bulk_job_decisions::target.assume_not_null(),
        ))
        .distinct()
        .load(conn)
}

/// The load job that committed a preview, if one was started.
pub fn committing(conn: &mut DbConnection, preview_id: &str) -> QueryResult<Option<JobRow>> {
    bulk_jobs::table
        .filter(bulk_jobs::preview_of.eq(preview_id))
        .order(bulk_jobs::created_at.desc())
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// Keeps the hash of a job's input (an uploaded preview's, which its commit must match).
pub fn set_input_hash(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(bulk_jobs::table.find(id))
        .set(bulk_jobs::input_hash.eq(hash))
        .execute(conn)
        .map(drop)
}

/// The inputs of finished previews, kept for the loads that commit them.
pub fn preview_inputs(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    bulk_jobs::table
        .filter(bulk_jobs::mode.eq("preview"))
        .filter(bulk_jobs::status.eq("finished"))
        .filter(bulk_jobs::input_path.is_not_null())
        .select(bulk_jobs::input_path.assume_not_null())
        .load(conn)
}
