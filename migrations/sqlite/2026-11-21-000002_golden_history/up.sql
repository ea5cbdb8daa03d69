-- Every state a golden record has had, so lookups can answer "as of" a past time.
CREATE TABLE golden_record_history (
    id INTEGER PRIMARY KEY NOT NULL,
    golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    redirect_to TEXT,
    fields TEXT NOT NULL,
    lineage TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (golden_id, version)
);
CREATE INDEX golden_record_history_at ON golden_record_history (golden_id, recorded_at);

-- Open proposals are looked up by pair when merges retarget them.
CREATE INDEX proposals_status ON proposals (status, golden_id, other_golden_id);
CREATE INDEX do_not_match_a ON do_not_match (record_a);
CREATE INDEX do_not_match_b ON do_not_match (record_b);
