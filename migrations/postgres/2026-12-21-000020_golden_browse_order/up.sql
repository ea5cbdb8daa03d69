-- Browsing walks a domain's active golden records in update or creation order after a
-- keyset cursor: with these, each page starts where the last stopped instead of sorting the
-- whole domain again.
CREATE INDEX golden_records_browse_updated ON golden_records (domain, status, updated_at, golden_id);
CREATE INDEX golden_records_browse_created ON golden_records (domain, status, created_at, golden_id);
