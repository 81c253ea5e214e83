-- Scoped API tokens (issue #20): what an integration's token may reach.

-- The areas and access the token carries, space-separated (`records:read chat:write`);
-- null: everything its user may do (a personal token).
alter table auth_tokens add column scopes text;
-- The one organisation the token is limited to (an integration token of that org, which the
-- org's admins can list and revoke); null: every org of its user.
alter table auth_tokens add column org_id text references orgs (id) on delete cascade;
-- The one project of that org it is limited to. A token dies with its project rather than
-- widening to the whole org.
alter table auth_tokens add column project_id text references projects (id) on delete cascade;

create index auth_tokens_org on auth_tokens (org_id, kind) where org_id is not null;
