-- Change-feed consumers and retention (see server/src/feed).
--
-- Appenders no longer serialise on one lock: on PostgreSQL a lower seq may commit after a
-- higher one, and readers only read up to a safe horizon (server/src/db/horizon.rs).

-- Each consumer of the change feed (the search indexer of every node, and next webhooks,
-- automation, notifications) and the last sequence it applied. Retention keeps every row a
-- live consumer has not passed; a consumer that has not acknowledged for the configured time
-- no longer holds rows back, and rebuilds when it returns.
create table feed_consumers (
    name text primary key,
    -- The last sequence applied: the consumer reads on after it.
    cursor_seq bigint not null,
    registered_at bigint not null,
    -- When it last acknowledged (or registered).
    updated_at bigint not null
);

-- The highest sequence retention has deleted (one row, id 1): a consumer whose cursor is
-- below it may have missed rows and must rebuild from the beginning.
create table feed_pruned (
    id integer primary key,
    through_seq bigint not null
);

-- Retention looks for rows older than its window (later rows of the same entity are found
-- through change_feed_entity).
create index change_feed_created on change_feed (created_at);
