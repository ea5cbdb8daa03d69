-- A steward's claim on an open proposal: who is reviewing it and until when, so that two
-- stewards working one queue do not review the same pair blind. A lapsed claim is no claim.
ALTER TABLE proposals ADD COLUMN claimed_by TEXT;
ALTER TABLE proposals ADD COLUMN claimed_until TIMESTAMP;
