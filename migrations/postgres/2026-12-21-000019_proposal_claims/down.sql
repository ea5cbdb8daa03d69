ALTER TABLE proposals DROP COLUMN claimed_until;
ALTER TABLE proposals DROP COLUMN claimed_by;
