-- Invoicing (issue #18): each organisation's invoice settings, the reminders sent for unpaid
-- invoices, and an index to find the records of a type in given states across organisations
-- (the daily pass over open invoices).

create table invoice_settings (
    org_id text primary key references orgs (id) on delete cascade,
    -- JSON: the wire InvoiceSettings (seller block, template, reminder days)
    settings text not null,
    updated_by text not null references users (id),
    updated_at bigint not null
);

-- A reminder is sent at most once per invoice and number of days after its due date.
create table invoice_reminders (
    invoice_id text not null references records (id) on delete cascade,
    days_after_due bigint not null,
    org_id text not null references orgs (id) on delete cascade,
    -- the day (YYYY-MM-DD) of the pass that sent it
    sent_on text not null,
    primary key (invoice_id, days_after_due)
);

create index records_by_state on records (type, state, org_id);
