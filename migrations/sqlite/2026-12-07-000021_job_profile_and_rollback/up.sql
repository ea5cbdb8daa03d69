-- A job either loads its file or only profiles it; a profile keeps its report on the job.
ALTER TABLE bulk_jobs ADD COLUMN mode TEXT NOT NULL DEFAULT 'load';
ALTER TABLE bulk_jobs ADD COLUMN report TEXT;
-- The result of undoing a job, kept so that undoing it again answers the same.
ALTER TABLE bulk_jobs ADD COLUMN rollback TEXT;

-- Which record version each load job wrote, in the batch's transaction: what a rollback
-- undoes.
CREATE TABLE bulk_job_writes (
    id INTEGER PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES bulk_jobs (id),
    record_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    decision TEXT NOT NULL,
    golden_id TEXT NOT NULL,
    written_at TIMESTAMP NOT NULL
);
CREATE INDEX bulk_job_writes_job ON bulk_job_writes (job_id, id);
CREATE INDEX bulk_job_writes_record ON bulk_job_writes (record_id);
