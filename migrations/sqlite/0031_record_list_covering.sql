-- Lists at a million records (issue #16): the window scan of record_values_num reads `slot`
-- from the index too (a filtered page keeps only single values, slot 0), not from the table.
-- PostgreSQL's twin also widens the primary key's index for the probes; SQLite's primary key
-- is an automatic index that cannot be changed without rebuilding the table, and its pages
-- met their target without it.
drop index record_values_num;
create index record_values_num on record_values (org_id, type, field, num, record_id, slot);
