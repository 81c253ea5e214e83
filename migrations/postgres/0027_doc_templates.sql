-- An organisation's own document templates: a name, a description and the content as
-- Markdown (read into a new document by the same reader as Markdown import). The built-in
-- starters (meeting notes, spec, invoice cover letter) are not rows: they ship with the server
-- and every organisation sees them; one of the org's own of the same name takes its place.
-- Times are integer milliseconds since the Unix epoch (UTC).
create table doc_templates (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    name text not null,
    description text not null,
    markdown text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index doc_templates_name on doc_templates (org_id, name);
