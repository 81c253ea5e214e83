-- Automation (issue #20): rules (a trigger, conditions and actions, acting as their author),
-- each run of a rule (also its log, and what makes a run happen once per event), the
-- organisation's e-mail templates, and the cause of a change in the feed (which rule's run
-- made it, and how deep in a chain of rules), so a rule never triggers itself and chains stop.

create table automation_rules (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    -- A project's rule sees that project's events only; null: the whole organisation's.
    project_id text references projects (id) on delete cascade,
    name text not null,
    -- JSON: {event?, schedule?, due_within_days?, timezone?}.
    trigger text not null,
    -- JSON arrays of conditions and actions (the wire shapes).
    conditions text not null,
    actions text not null,
    active integer not null default 1,
    -- Schedules and due dates: the last instant (UTC ms) a pass has looked at.
    checked_through bigint,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
create index automation_rules_org on automation_rules (org_id, created_at);

create table automation_runs (
    -- msg-like id: "run_" + UUIDv7, so the log pages newest first by id.
    id text primary key,
    rule_id text not null references automation_rules (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    -- The event type, "schedule" or "due".
    trigger text not null,
    entity_id text,
    -- What the run is for, unique per rule: "seq:<change seq>", "at:<ms>", "due:<task>:<date>".
    once_key text not null,
    -- pending, done, failed, stopped
    outcome text not null,
    depth integer not null,
    -- JSON: the event the run acts on ({type, data, changes, actor}).
    event text not null,
    -- JSON array of action reports.
    actions text not null default '[]',
    error text,
    created_at bigint not null,
    finished_at bigint
);
create unique index automation_runs_once on automation_runs (rule_id, once_key);
create index automation_runs_log on automation_runs (rule_id, id);

create table email_templates (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    name text not null,
    subject text not null,
    body text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index email_templates_name on email_templates (org_id, name);

-- JSON {rule, depth} for a change an automation run made; null for people's changes.
alter table change_feed add column cause text;
