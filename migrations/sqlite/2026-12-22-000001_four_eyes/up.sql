-- The first of two approvals a risky merge needs (see the rule file's [stewardship]): who gave
-- it and when. The proposal stays open, shown as awaiting_second, until another steward decides.
ALTER TABLE proposals ADD COLUMN first_approved_by TEXT;
ALTER TABLE proposals ADD COLUMN first_approved_at TIMESTAMP;
