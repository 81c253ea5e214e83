-- Files attached to a business record: files of the org's projects, linked to the record.
-- Readers of the record read them through the record; writers attach and detach.
create table record_attachments (
    record_id text not null references records (id) on delete cascade,
    file_id text not null references files (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    created_by text not null references users (id),
    created_at bigint not null,
    primary key (record_id, file_id)
);
create index record_attachments_file on record_attachments (file_id);
