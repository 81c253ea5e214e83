-- The foundation: user accounts and the change feed.
-- Times are integer milliseconds since the Unix epoch (UTC); identifiers are UUIDv7 strings.

create table users (
    id text primary key,
    -- Stored lowercased and trimmed; unique across the installation.
    email text not null,
    -- The @mention handle: lowercase, unique across the installation.
    handle text not null,
    name text not null,
    -- An argon2id PHC string.
    password_hash text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index users_email on users (email);
create unique index users_handle on users (handle);

-- Every change that derived state (search indexes, webhooks, notification e-mail) follows is
-- appended here in the same transaction as the write itself. seq is monotonic and, because
-- writers serialise their append (see server/src/db/change_feed.rs), commits in seq order.
create table change_feed (
    seq bigint generated always as identity primary key,
    org_id text not null,
    -- What changed: doc, message, task, record, file, ...
    kind text not null,
    entity_id text not null,
    -- upsert or delete
    op text not null,
    -- JSON: what a consumer needs without reading the entity back.
    payload text not null,
    created_at bigint not null
);
create index change_feed_org_seq on change_feed (org_id, seq);
create index change_feed_entity on change_feed (kind, entity_id, seq);
