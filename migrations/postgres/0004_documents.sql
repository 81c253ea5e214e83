-- Documents as resources: title, project, trash. Their content lives in the collab tables
-- (0003), keyed by the same id.
create table docs (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    title text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    -- set while the document is in the trash
    trashed_at bigint,
    trashed_by text references users (id)
);
create index docs_project on docs (project_id, trashed_at, updated_at);
