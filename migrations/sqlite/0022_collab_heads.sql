-- Collaborative documents on many nodes: the database hands out update-log sequence numbers.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- One row per document: the last sequence number handed out. A commit of a document's updates
-- raises it inside its own transaction (taking the row's lock), and its rows get the numbers
-- just below the new head, so nodes appending to the same document never collide and a
-- document's commits become visible in sequence order. The compaction lease lives here too:
-- one node at a time folds the log into a snapshot (holder and expiry; null when free).
create table collab_heads (
    doc_id text primary key,
    seq bigint not null,
    compact_holder text,
    compact_until bigint
);

-- Documents written before this migration start from the highest number they used.
insert into collab_heads (doc_id, seq)
select doc_id, max(seq) from (
    select doc_id, seq from collab_updates
    union all
    select doc_id, seq from collab_snapshots
) used
group by doc_id;
