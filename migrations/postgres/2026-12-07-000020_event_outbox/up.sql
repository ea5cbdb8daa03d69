-- The lease that elects the one replica publishing the change feed to the message broker.
-- Its position (the last sequence the broker acknowledged) is the counter 'outbox:STREAM'.
INSERT INTO leases (name, holder, expires_at) VALUES ('outbox', NULL, '1970-01-01 00:00:00');
