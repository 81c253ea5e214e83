-- Automatic history: besides the versions people name, the server keeps snapshots of a
-- document while it is edited (`kind = 'auto'`), each with who edited since the previous one
-- (`authors`: a JSON array of user ids) and when (`from_at`..`to_at`, the first and last edit,
-- milliseconds since the Unix epoch). Named versions keep `kind = 'named'` and no span.
alter table collab_versions add column kind text not null default 'named';
alter table collab_versions add column authors text not null default '[]';
alter table collab_versions add column from_at bigint;
alter table collab_versions add column to_at bigint;
create index collab_versions_kind on collab_versions (doc_id, kind, created_at);
