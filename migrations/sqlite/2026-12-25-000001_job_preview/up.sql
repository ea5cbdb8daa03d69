-- A load that commits what a preview of the same file showed names that preview.
ALTER TABLE bulk_jobs ADD COLUMN preview_of TEXT;

-- What a preview (and the load that commits it) decided for each row of its file: a commit
-- compares its rows with the preview's, and the preview's rows are its CSV report. `target`
-- is the golden record the row ends in, written as `line:N` when the row of line N of the
-- same file created it, so that a preview and its commit compare equal although the commit
-- issues its own golden IDs.
CREATE TABLE bulk_job_decisions (
    id INTEGER PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES bulk_jobs (id),
    line BIGINT NOT NULL,
    source_system TEXT,
    source_id TEXT,
    decision TEXT NOT NULL,
    golden_id TEXT,
    target TEXT,
    score DOUBLE,
    risk DOUBLE NOT NULL DEFAULT 0,
    risks TEXT,
    detail TEXT
);
CREATE INDEX bulk_job_decisions_job ON bulk_job_decisions (job_id, line);
CREATE INDEX bulk_job_decisions_risk ON bulk_job_decisions (job_id, risk);
