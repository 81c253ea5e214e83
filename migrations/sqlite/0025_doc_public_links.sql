-- Public read-only links to documents: an organisation opts in (off by default, its owners and
-- admins decide), then a document's managers may publish it at an unguessable URL. Only a
-- SHA-256 of the link's token is kept, so the URL cannot be read back from the database; a new
-- link replaces the old one. Times are integer milliseconds since the Unix epoch (UTC).

alter table orgs add column public_doc_links integer not null default 0;

create table doc_public_links (
    doc_id text primary key references docs (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    token_hash text not null unique,
    created_by text not null references users (id) on delete cascade,
    created_at bigint not null,
    -- null: the link lasts until it is revoked
    expires_at bigint
);
