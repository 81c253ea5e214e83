-- Chat: channels in projects and direct-message channels, messages with threads, edits,
-- reactions and mentions; per-user read markers and notification levels; thread follows; the
-- notification centre; org chat settings; presence; and the app event log behind the
-- /api/v1/events socket's resume.

create table channels (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    -- null for direct-message channels, which belong to the org
    project_id text references projects (id) on delete cascade,
    -- channel | dm
    kind text not null,
    name text not null,
    -- lowercased name: unique per project
    name_key text not null,
    topic text not null default '',
    -- 1: only explicit members (channel_members) may see it; DMs are always private
    private integer not null default 0,
    -- DMs: the sorted member ids joined with ',' (one channel per set of users)
    dm_key text,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    archived_at bigint,
    last_message_at bigint
);
create unique index channels_project_name on channels (project_id, name_key);
create unique index channels_dm on channels (org_id, dm_key);
create index channels_org on channels (org_id, kind);

-- Explicit members of private channels and DMs.
create table channel_members (
    channel_id text not null references channels (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (channel_id, user_id)
);
create index channel_members_user on channel_members (user_id);

-- A user's own state in a channel: read marker (a message id; UUIDv7 ids sort by time),
-- notification level (null: the default for the channel kind) and whether they left it.
create table channel_user_state (
    channel_id text not null references channels (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    last_read text,
    notify text,
    hidden integer not null default 0,
    primary key (channel_id, user_id)
);
create index channel_user_state_user on channel_user_state (user_id);

create table messages (
    id text primary key,
    org_id text not null,
    channel_id text not null references channels (id) on delete cascade,
    -- the root message for a thread reply; null for a top-level message
    thread_id text references messages (id) on delete cascade,
    author_id text not null references users (id),
    -- raw markdown; '' once deleted (the row stays as a tombstone)
    text text not null,
    created_at bigint not null,
    edited_at bigint,
    deleted_at bigint,
    deleted_by text references users (id),
    -- roots: reply counters and the users who replied (JSON array of ids)
    reply_count bigint not null default 0,
    last_reply_at bigint,
    participant_ids text not null default '[]',
    -- JSON arrays: mentioned user ids; attachments [{id,name,size,content_type}]
    mention_ids text not null default '[]',
    attachments text not null default '[]'
);
create index messages_channel_top on messages (channel_id, id) where thread_id is null;
create index messages_thread on messages (thread_id, id);

-- Earlier texts of edited messages (removed with the message's text when it is deleted).
create table message_edits (
    message_id text not null references messages (id) on delete cascade,
    text text not null,
    -- when this text was replaced
    replaced_at bigint not null
);
create index message_edits_message on message_edits (message_id, replaced_at);

create table reactions (
    message_id text not null references messages (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    emoji text not null,
    created_at bigint not null,
    primary key (message_id, user_id, emoji)
);

-- Who a message mentions and may see it (mention counts in unread state).
create table mentions (
    message_id text not null references messages (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    channel_id text not null,
    thread_id text,
    primary key (message_id, user_id)
);
create index mentions_user on mentions (user_id, channel_id, message_id);

-- Threads a user follows (posted in, mentioned in, or chose to) and how far they read.
create table thread_follows (
    root_id text not null references messages (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    org_id text not null,
    -- 0 once the user unfollowed: posting or being mentioned follows again
    following integer not null,
    last_read text,
    primary key (root_id, user_id)
);
create index thread_follows_user on thread_follows (user_id, org_id);

-- The notification centre: mentions, thread replies and direct messages now; task
-- assignments and approvals later.
create table notifications (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    kind text not null,
    actor_id text references users (id) on delete set null,
    channel_id text,
    message_id text,
    thread_id text,
    snippet text not null default '',
    created_at bigint not null,
    read_at bigint,
    -- e-mail digest: none (the user was online) | pending | sent | skipped (read in time)
    email_state text not null default 'none'
);
create index notifications_user on notifications (user_id, id);
create index notifications_email on notifications (email_state, user_id, created_at);
create index notifications_message on notifications (message_id);

create table org_chat_settings (
    org_id text primary key references orgs (id) on delete cascade,
    -- comma-separated org roles allowed to use @channel / @all / @here
    mention_all_roles text not null,
    -- @channel answers a warning above this many members
    mention_all_warn_above bigint not null,
    updated_at bigint not null
);

-- 0: the user does not want notification e-mail digests.
alter table users add column email_digest integer not null default 1;

create table user_presence (
    user_id text primary key references users (id) on delete cascade,
    last_seen_at bigint not null
);

-- The app event log: what the /api/v1/events socket sends, kept for a retention window so a
-- client that reconnects with its last event id gets what it missed. seq commits in order
-- (appenders hold the change feed's lock, see server/src/events/store.rs).
create table events (
    seq bigint generated always as identity primary key,
    org_id text not null,
    -- who may receive it: channel | project | org | user, and that entity's id
    audience text not null,
    target text not null,
    type text not null,
    -- JSON
    data text not null,
    created_at bigint not null
);
create index events_created on events (created_at);
