-- From work to money (issue #18): who manages whom, which client a project bills, its hourly
-- rates, the time an invoice has taken, and the org's timesheet settings and reminders.

-- The member's manager (approves their timesheets); cleared when the manager leaves.
alter table org_members add column manager_id text references users (id) on delete set null;
-- The manager an invited person will have once they join.
alter table invitations add column manager_id text references users (id) on delete set null;

-- The client record a project's time is billed to.
alter table projects add column client_id text references records (id) on delete set null;

-- Hourly rates in the client's currency's minor units: user_id '' is the project's default.
create table project_rates (
    project_id text not null references projects (id) on delete cascade,
    user_id text not null,
    rate bigint not null,
    primary key (project_id, user_id)
);

-- Each row of an approved timesheet is billed once: the invoice that took it. Voiding the
-- invoice deletes its rows, which frees the time for the next invoice.
create table invoiced_time (
    timesheet_id text not null references records (id) on delete cascade,
    row_index bigint not null,
    invoice_id text not null references records (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    primary key (timesheet_id, row_index)
);
create index invoiced_time_invoice on invoiced_time (invoice_id);

create table timesheet_settings (
    org_id text primary key references orgs (id) on delete cascade,
    -- JSON: the wire TimesheetSettings (deadline, UTC offset)
    settings text not null,
    updated_by text not null references users (id),
    updated_at bigint not null
);

-- A "submit last week's timesheet" reminder goes out at most once per person and week.
create table timesheet_reminders (
    org_id text not null references orgs (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    -- the Monday (YYYY-MM-DD) of the week reminded about
    week text not null,
    sent_at bigint not null,
    primary key (org_id, user_id, week)
);
