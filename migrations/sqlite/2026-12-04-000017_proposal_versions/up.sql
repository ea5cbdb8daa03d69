-- The versions of its two golden records a proposal was made against: a decision that does
-- not name the versions it saw is refused when either record changed since.
ALTER TABLE proposals ADD COLUMN golden_version BIGINT;
ALTER TABLE proposals ADD COLUMN other_version BIGINT;
