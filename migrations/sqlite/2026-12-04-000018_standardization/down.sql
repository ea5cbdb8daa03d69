ALTER TABLE source_records DROP COLUMN standardization;
