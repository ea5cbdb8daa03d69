DROP TABLE bulk_job_decisions;
ALTER TABLE bulk_jobs DROP COLUMN preview_of;
