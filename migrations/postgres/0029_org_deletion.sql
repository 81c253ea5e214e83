-- Deleting an organisation, and the whole-organisation export that must come first.
--
-- `deleted_at` marks an organisation whose deletion was confirmed: its memberships, tokens,
-- invitations and public links go in that same transaction (so every request for it answers
-- 404 at once, on every node), and the purge job removes the rest, then the row itself. The
-- purge refuses to run on an organisation without the mark.
alter table orgs add column deleted_at bigint;

-- Whole-organisation exports: a ZIP in the file store under the organisation's key prefix,
-- built by a job. `state` is queued, running, done or failed; `size` is the ZIP's bytes once
-- done. Each expires (row and object) at `expires_at`.
create table org_exports (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    requested_by text references users (id) on delete set null,
    state text not null,
    size bigint,
    error text,
    created_at bigint not null,
    finished_at bigint,
    expires_at bigint not null
);
create index org_exports_org on org_exports (org_id, created_at);
create index org_exports_expiry on org_exports (expires_at);
