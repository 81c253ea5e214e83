-- Collaborative documents (the collab crate): the CRDT update log, one compacted snapshot per
-- document, and named versions. Documents' metadata (title, project, trash) lives elsewhere;
-- these tables are keyed by the document id only, so the sync hub needs nothing else.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- Every accepted Yjs v1 update, appended and committed before the sender is acknowledged.
-- seq is per document and increasing; compaction folds a prefix of it into collab_snapshots.
create table collab_updates (
    doc_id text not null,
    seq bigint not null,
    data blob not null,
    created_at bigint not null,
    primary key (doc_id, seq)
);

-- The document's state (a Yjs v1 update) covering every update with seq <= this row's seq.
-- Loading is: this state, then the log rows with a greater seq. Rows at or below it that are
-- still in the log (a compaction that stopped half-way) are ignored by loading.
create table collab_snapshots (
    doc_id text primary key,
    state blob not null,
    seq bigint not null,
    updated_at bigint not null
);

-- Named versions: a full state (a Yjs v1 update) a user chose to keep.
create table collab_versions (
    id text primary key,
    doc_id text not null,
    name text not null,
    state blob not null,
    created_at bigint not null
);
create index collab_versions_doc on collab_versions (doc_id, created_at);
