-- Business records (issue #16): record types held as data, records, a typed index of their
-- values for lists, unique values, naming-series counters and field-level history.
--
-- A record's fields live in `records.data` (JSON, the truth: a field removed from the schema
-- keeps its values there). `record_values` mirrors the top-level values that lists filter,
-- sort and total on, one row per value (a multi-select has one per option), written in the
-- record's transaction: numbers as exact fixed-point integers (money: minor units; number and
-- percent: millionths; date: days since 1970-01-01; datetime: ms; duration: s; boolean: 0/1),
-- everything else as text. "One select + a date range, sorted by the date" is a range scan of
-- record_values_num plus a primary-key probe per row for the select.

-- Custom types (built-in types come from the server's registry and have no row here).
create table record_types (
    org_id text not null references orgs (id) on delete cascade,
    slug text not null,
    name text not null,
    version bigint not null,
    -- JSON: {fields, workflow?, naming?, permissions}
    schema text not null,
    archived integer not null default 0,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    primary key (org_id, slug)
);

-- Every version of a type's schema, kept.
create table record_type_versions (
    org_id text not null,
    slug text not null,
    version bigint not null,
    schema text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    primary key (org_id, slug, version),
    foreign key (org_id, slug) references record_types (org_id, slug) on delete cascade
);

create table records (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    type text not null,
    name text not null,
    -- 1 once the name comes from the naming series or an amendment (0: a provisional draft
    -- name, or the value of the type's `name` field)
    named integer not null default 0,
    version bigint not null,
    state text,
    -- JSON object of the type's fields
    data text not null,
    amended_from text references records (id) on delete set null,
    -- the first record of an amendment chain (names INV-1-1, INV-1-2 count from it)
    amend_root text references records (id) on delete set null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
-- Series names (and amendments) are unique per type; a type with a `name` field (a client's
-- name) names its records by that field, and those need not be unique.
create unique index records_name on records (org_id, type, name) where named = 1;
create index records_name_sort on records (org_id, type, name, id);
create index records_created on records (org_id, type, created_at, id);
create index records_updated on records (org_id, type, updated_at, id);
create index records_owner on records (org_id, type, created_by, id);
create index records_amend_root on records (amend_root);

create table record_values (
    record_id text not null references records (id) on delete cascade,
    field text not null,
    -- 0 for single values; the option's position for multi-selects
    slot integer not null,
    org_id text not null,
    type text not null,
    num bigint,
    txt text,
    primary key (record_id, field, slot)
);
create index record_values_num on record_values (org_id, type, field, num, record_id);
create index record_values_txt on record_values (org_id, type, field, txt, record_id);

-- Values of `unique` fields: the primary key makes uniqueness safe under concurrency.
create table record_unique_values (
    org_id text not null references orgs (id) on delete cascade,
    type text not null,
    field text not null,
    value text not null,
    record_id text not null references records (id) on delete cascade,
    primary key (org_id, type, field, value)
);
create index record_unique_values_record on record_unique_values (record_id);

-- Naming-series counters per org, type and period ('' | '2026' | '2026-03'): upserted with
-- `next = next + 1 returning next` in the record's transaction.
create table record_counters (
    org_id text not null references orgs (id) on delete cascade,
    type text not null,
    period text not null,
    next bigint not null,
    primary key (org_id, type, period)
);

-- Field-level history, oldest first.
create table record_history (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    record_id text not null references records (id) on delete cascade,
    user_id text references users (id),
    at bigint not null,
    -- created | updated | transitioned | amended
    kind text not null,
    -- JSON list of {field, before, after}
    changes text not null,
    action text,
    comment text
);
create index record_history_record on record_history (record_id, at, id);
