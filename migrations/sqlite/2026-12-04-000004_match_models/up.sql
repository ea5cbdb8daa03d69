-- Estimated match models, versioned per domain; at most one active per domain.
CREATE TABLE match_models (
    id INTEGER PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    version BIGINT NOT NULL,
    model TEXT NOT NULL,
    origin TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (domain, version)
);

-- Why a record was auto-linked: the member it matched, the evidence and the model.
CREATE TABLE link_evidence (
    id INTEGER PRIMARY KEY NOT NULL,
    record_id BIGINT NOT NULL REFERENCES source_records (id),
    golden_id TEXT NOT NULL,
    matched_record_id BIGINT,
    score DOUBLE NOT NULL,
    evidence TEXT NOT NULL,
    model_version BIGINT,
    rules_version TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX link_evidence_record ON link_evidence (record_id, id);
