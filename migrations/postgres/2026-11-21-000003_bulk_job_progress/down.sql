DROP INDEX bulk_jobs_input;
ALTER TABLE bulk_jobs DROP COLUMN bytes_read;
ALTER TABLE bulk_jobs DROP COLUMN bytes_total;
ALTER TABLE bulk_jobs DROP COLUMN mapping;
ALTER TABLE bulk_jobs DROP COLUMN allowed_sources;
ALTER TABLE bulk_jobs DROP COLUMN input_hash;
ALTER TABLE bulk_jobs DROP COLUMN updated;
