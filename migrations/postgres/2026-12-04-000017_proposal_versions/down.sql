ALTER TABLE proposals DROP COLUMN other_version;
ALTER TABLE proposals DROP COLUMN golden_version;
