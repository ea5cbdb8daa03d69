-- What a resumable bulk job needs beyond its counters: the updated count, the input's hash
-- (to recognise a re-run of the same file), the source systems its caller may write for, the
-- column mapping, and how far through the input it is.
ALTER TABLE bulk_jobs ADD COLUMN updated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bulk_jobs ADD COLUMN input_hash TEXT;
ALTER TABLE bulk_jobs ADD COLUMN allowed_sources TEXT;
ALTER TABLE bulk_jobs ADD COLUMN mapping TEXT;
ALTER TABLE bulk_jobs ADD COLUMN bytes_total BIGINT;
ALTER TABLE bulk_jobs ADD COLUMN bytes_read BIGINT NOT NULL DEFAULT 0;
CREATE INDEX bulk_jobs_input ON bulk_jobs (domain, input_hash, status);

-- Golden records written before history was kept get their current state as their first entry.
INSERT INTO golden_record_history (golden_id, version, status, redirect_to, fields, lineage, recorded_at)
SELECT g.golden_id, g.version, g.status, g.redirect_to, g.fields, g.lineage, g.updated_at
FROM golden_records g
WHERE NOT EXISTS (SELECT 1 FROM golden_record_history h WHERE h.golden_id = g.golden_id);
