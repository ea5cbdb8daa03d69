-- Which standardizers and rule file produced a record's standardized values (NULL: before
-- this was kept); records whose version differs from the running one are standardized again.
ALTER TABLE source_records ADD COLUMN standardization TEXT;
