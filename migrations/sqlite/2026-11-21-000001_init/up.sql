-- Golden's schema on SQLite. Timestamps are UTC; JSON is stored as text.

-- Named counters: the change-feed sequence and each domain's golden ID sequence. Writers update
-- the 'events' row first, which serializes write transactions and keeps the feed gap-free.
CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events', 0);

CREATE TABLE golden_records (
    golden_id TEXT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    status TEXT NOT NULL,
    redirect_to TEXT REFERENCES golden_records (golden_id),
    version BIGINT NOT NULL,
    fields TEXT NOT NULL,
    lineage TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX golden_records_domain_status ON golden_records (domain, status);

CREATE TABLE source_records (
    id INTEGER PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_id TEXT NOT NULL,
    golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    attributes TEXT NOT NULL,
    standardized TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (domain, source_system, source_id)
);
CREATE INDEX source_records_golden ON source_records (golden_id);

CREATE TABLE source_record_versions (
    id INTEGER PRIMARY KEY NOT NULL,
    record_id BIGINT NOT NULL REFERENCES source_records (id),
    version BIGINT NOT NULL,
    change TEXT NOT NULL,
    attributes TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (record_id, version)
);

-- Which golden record a source record belonged to, and when: answers point-in-time lookups.
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY NOT NULL,
    record_id BIGINT NOT NULL REFERENCES source_records (id),
    golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    reason TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP
);
CREATE INDEX memberships_record ON memberships (record_id, valid_from);
CREATE INDEX memberships_golden ON memberships (golden_id);

CREATE TABLE field_overrides (
    id INTEGER PRIMARY KEY NOT NULL,
    golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (golden_id, field)
);

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    other_golden_id TEXT NOT NULL REFERENCES golden_records (golden_id),
    record_id BIGINT REFERENCES source_records (id),
    score DOUBLE NOT NULL,
    status TEXT NOT NULL,
    explanation TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by TEXT,
    comment TEXT
);
CREATE INDEX proposals_domain_status ON proposals (domain, status, created_at);
CREATE INDEX proposals_golden ON proposals (golden_id);
CREATE INDEX proposals_other_golden ON proposals (other_golden_id);

-- Pairs of source records a steward said differ (a rejected proposal or a split).
CREATE TABLE do_not_match (
    id INTEGER PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    record_a BIGINT NOT NULL REFERENCES source_records (id),
    record_b BIGINT NOT NULL REFERENCES source_records (id),
    origin TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (domain, record_a, record_b)
);

-- The change feed. seq is assigned from counters.events inside the writing transaction.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY NOT NULL,
    domain TEXT,
    kind TEXT NOT NULL,
    golden_id TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_domain_seq ON events (domain, seq);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    domain TEXT,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    request_id TEXT,
    reason TEXT,
    before_state TEXT,
    after_state TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);

CREATE TABLE bulk_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    source_system TEXT,
    status TEXT NOT NULL,
    origin TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_path TEXT,
    rows_read BIGINT NOT NULL,
    created BIGINT NOT NULL,
    auto_linked BIGINT NOT NULL,
    proposed BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    last_line BIGINT NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX bulk_jobs_created ON bulk_jobs (created_at);

CREATE TABLE bulk_job_rejects (
    id INTEGER PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES bulk_jobs (id),
    line BIGINT NOT NULL,
    raw TEXT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (job_id, line)
);
