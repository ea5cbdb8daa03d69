DELETE FROM leases WHERE name = 'outbox';
DELETE FROM counters WHERE name LIKE 'outbox:%';
