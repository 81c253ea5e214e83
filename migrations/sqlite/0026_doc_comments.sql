-- Comments anchored to a range of a document's text. A thread is its first comment (whose
-- `thread_id` is its own id) and the replies to it; only the first carries the anchor.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- `anchor_from`/`anchor_to`: Yjs relative positions (encodeRelativePosition, base64) in the
-- document's `default` fragment, so the range follows concurrent edits; `quote`: the text the
-- range held when the thread was started, shown when that text is gone. `resolved_at`/
-- `resolved_by` are set on the first comment of a resolved thread.
create table doc_comments (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    doc_id text not null references docs (id) on delete cascade,
    thread_id text not null,
    author_id text not null references users (id),
    body text not null,
    anchor_from text,
    anchor_to text,
    quote text,
    resolved_at bigint,
    resolved_by text references users (id),
    created_at bigint not null
);
create index doc_comments_doc on doc_comments (doc_id, thread_id, created_at);
