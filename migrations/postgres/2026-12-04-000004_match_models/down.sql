DROP TABLE link_evidence;
DROP TABLE match_models;
