-- Webhook subscriptions. position is the last event sequence handled (delivered or moved to
-- the dead letters); attempts and next_attempt_at describe the retries of the next one.
-- domains and event_types are JSON arrays of text; an empty array lets every value through.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    domains TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    position BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP,
    last_error TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Events a webhook gave up on after its attempts ran out; status 'replaying' is sent again.
CREATE TABLE webhook_dead_letters (
    webhook_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP,
    PRIMARY KEY (webhook_id, seq)
);

-- Named leases, so that of several replicas only one runs a background job at a time.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    expires_at TIMESTAMP NOT NULL
);
INSERT INTO leases (name, holder, expires_at) VALUES ('webhooks', NULL, '1970-01-01 00:00:00');
