-- How many times each version's text extraction was claimed. A claim counts one; an
-- extraction found still running at start-up was interrupted (the server crashed or was killed
-- with it), and after a few such attempts it is marked failed instead of retried forever.
alter table file_versions add column extract_attempts bigint not null default 0;
