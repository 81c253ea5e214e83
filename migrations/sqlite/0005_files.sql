-- Files: per-organisation content-addressed blobs (SHA-256) with reference counts, files in
-- projects, and their versions. The bytes live in the object store (a directory or S3), never
-- in the database; a blob's object key is derived from (org_id, sha256).
create table file_blobs (
    org_id text not null references orgs (id) on delete cascade,
    sha256 text not null,
    size bigint not null,
    -- file versions pointing at this blob; the row (and the object) go when it reaches 0
    refcount bigint not null,
    created_at bigint not null,
    primary key (org_id, sha256)
);

create table files (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    -- the name of the current version
    name text not null,
    -- the number of the current (latest) version
    current_version bigint not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    -- set while the file is in the trash
    trashed_at bigint,
    trashed_by text references users (id)
);
create index files_project on files (project_id, trashed_at, updated_at);

create table file_versions (
    id text primary key,
    org_id text not null,
    file_id text not null references files (id) on delete cascade,
    number bigint not null,
    name text not null,
    size bigint not null,
    -- sniffed from the bytes at upload
    content_type text not null,
    sha256 text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    -- text extraction for search: pending | running | done | failed | skipped
    extract_state text not null default 'pending',
    extract_error text,
    extracted_text text,
    unique (file_id, number),
    foreign key (org_id, sha256) references file_blobs (org_id, sha256)
);
create index file_versions_extract on file_versions (extract_state, created_at);
