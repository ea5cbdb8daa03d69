DROP INDEX do_not_match_b;
DROP INDEX do_not_match_a;
DROP INDEX proposals_status;
DROP TABLE golden_record_history;
