-- One durable job queue for every kind of background work (mail, text extraction; webhooks,
-- PDF rendering and reminders next). A job is written in the transaction of the change that
-- causes it; runners on every node claim due jobs (one writer at a time on SQLite), hold a lease
-- while they work (renewed for long jobs) and record the outcome. A claim counts an attempt,
-- so a job whose lease ran out (its node died mid-job) is tried again, and one that keeps
-- killing its node ends `dead` after `max_attempts` claims.
--
-- state: queued | running | failed (the last attempt failed, a retry is due at run_at) |
--        dead (given up; kept for a while so admins see it) | done (pruned after a while).
-- payload is JSON text; kinds that carry secrets (mail bodies may hold single-use links) clear it
-- once the job is done or dead.
create table jobs (
    id text primary key,
    -- null for system jobs (e.g. a password-reset mail belongs to no organisation)
    org_id text references orgs (id) on delete cascade,
    kind text not null,
    payload text not null,
    state text not null,
    run_at bigint not null,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    lease_owner text,
    lease_until bigint,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null,
    finished_at bigint
);
-- Claiming: due queued/failed jobs by run_at; expired leases of running ones.
create index jobs_due on jobs (state, run_at);
create index jobs_leases on jobs (state, lease_until);
-- Pruning finished jobs.
create index jobs_finished on jobs (state, finished_at);
-- An organisation's list, newest first, with or without a state filter.
create index jobs_org_list on jobs (org_id, created_at, id);
create index jobs_org_state_list on jobs (org_id, state, created_at, id);

-- The mail outbox becomes mail jobs: the mail travels in the job's payload. Pending mail keeps
-- its id (the Message-ID is built from it), attempts, due time and last error; mail already
-- given up becomes a dead job (its bodies were cleared then). Sent mail is history only.
insert into jobs (id, org_id, kind, payload, state, run_at, attempts, max_attempts,
                  last_error, created_at, updated_at, finished_at)
select id, null, 'mail',
       case when failed_at is null
            then json_object('to', to_address, 'subject', subject,
                                   'body_text', body_text, 'body_html', body_html)
            else '{}' end,
       case when failed_at is not null then 'dead'
            when attempts > 0 then 'failed'
            else 'queued' end,
       next_attempt_at, attempts, max(attempts, 10), last_error, created_at,
       coalesce(failed_at, created_at), failed_at
from mail_outbox
where sent_at is null;
drop table mail_outbox;

-- Versions waiting for text extraction become extraction jobs (the job reuses the version's
-- id, unique among jobs as both are UUIDv7). One found running was interrupted: it is a
-- running job whose lease has run out, so the next claim counts the attempt as before.
insert into jobs (id, org_id, kind, payload, state, run_at, attempts, max_attempts,
                  lease_until, created_at, updated_at)
select id, org_id, 'extract',
       json_object('file_id', file_id, 'version_id', id),
       case when extract_state = 'running' then 'running' else 'queued' end,
       created_at, extract_attempts, 3,
       case when extract_state = 'running' then 0 else null end,
       created_at, created_at
from file_versions
where extract_state in ('pending', 'running');
alter table file_versions drop column extract_attempts;
