DROP TABLE bulk_job_writes;
ALTER TABLE bulk_jobs DROP COLUMN rollback;
ALTER TABLE bulk_jobs DROP COLUMN report;
ALTER TABLE bulk_jobs DROP COLUMN mode;
