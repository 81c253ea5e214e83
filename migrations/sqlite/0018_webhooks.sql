-- Outgoing webhooks (issue #20): subscriptions of an org or a project, the outbox of their
-- deliveries (one row per event and subscription, also the delivery log), and the leases that
-- let one node at a time fan the change feed out and deliver a given subscription.

create table webhooks (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    -- A project's hook receives that project's events only; null: the whole organisation's.
    project_id text references projects (id) on delete cascade,
    url text not null,
    -- JSON array of event patterns: "task.*", "record.invoice.*", "message.created", "*".
    events text not null,
    -- JSON object of field → value the event's data must hold; null: every event.
    filter text,
    description text not null default '',
    -- "whsec_" + base64 of the key.
    secret text not null,
    -- The secret before the last rotation, still signed with until previous_secret_until.
    previous_secret text,
    previous_secret_until bigint,
    active integer not null default 1,
    -- Why the server deactivated it (deliveries failing for the whole retry horizon).
    disabled_reason text,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
create index webhooks_org on webhooks (org_id, created_at);

create table webhook_deliveries (
    -- The message id (header webhook-id): the same on every attempt.
    id text primary key,
    webhook_id text not null references webhooks (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    -- Delivery order within the subscription: the change's sequence (0 for test events).
    order_key bigint not null,
    -- The change delivered; null for test events. Unique per hook: fan-out is idempotent.
    change_seq bigint,
    event_type text not null,
    -- The JSON body, made once at fan-out: every attempt sends the same bytes.
    body text not null,
    -- pending, delivered, failed (given up)
    state text not null,
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    first_attempt_at bigint,
    last_attempt_at bigint,
    delivered_at bigint,
    response_status bigint,
    latency_ms bigint,
    last_error text,
    created_at bigint not null
);
create unique index webhook_deliveries_change on webhook_deliveries (webhook_id, change_seq);
create index webhook_deliveries_log on webhook_deliveries (webhook_id, id);
create index webhook_deliveries_pending on webhook_deliveries (webhook_id, order_key, id)
    where state = 'pending';

-- Leases by name: "fanout" (the feed consumer) and "hook:<id>" (a subscription's deliveries).
create table webhook_leases (
    name text primary key,
    owner text not null,
    until bigint not null
);
