ALTER TABLE proposals DROP COLUMN first_approved_at;
ALTER TABLE proposals DROP COLUMN first_approved_by;
