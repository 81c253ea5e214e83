-- Identity and tenancy: sessions and API tokens, TOTP, password reset, the mail outbox,
-- organisations, projects, memberships, invitations and the audit log.

-- Failed log-ins in a row, and until when the account refuses log-ins (back-off).
alter table users add column failed_logins integer not null default 0;
alter table users add column locked_until bigint;
-- TOTP: the secret being enrolled (pending) and the confirmed one; enabled is 0/1.
alter table users add column totp_pending_secret text;
alter table users add column totp_secret text;
alter table users add column totp_enabled integer not null default 0;

-- Browser sessions (kind 'session') and API tokens (kind 'api'). Only a SHA-256 of the token
-- is stored, so a database leak does not leak credentials.
create table auth_tokens (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    kind text not null,
    name text not null,
    token_hash text not null,
    created_at bigint not null,
    last_seen_at bigint not null,
    -- null: never expires (API tokens until revoked)
    expires_at bigint,
    revoked_at bigint,
    ip text,
    user_agent text
);
create unique index auth_tokens_hash on auth_tokens (token_hash);
create index auth_tokens_user on auth_tokens (user_id, kind);

-- Single-use TOTP recovery codes, hashed.
create table totp_recovery_codes (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    code_hash text not null,
    used_at bigint
);
create index totp_recovery_codes_user on totp_recovery_codes (user_id);

-- Single-use, expiring password-reset tokens, hashed.
create table password_resets (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create index password_resets_user on password_resets (user_id);

-- Outgoing e-mail. Written in the transaction of the change that causes it; a worker delivers
-- it (to .eml files or SMTP) with retries and back-off.
create table mail_outbox (
    id text primary key,
    to_address text not null,
    subject text not null,
    body_text text not null,
    body_html text,
    created_at bigint not null,
    attempts integer not null default 0,
    next_attempt_at bigint not null,
    sent_at bigint,
    -- set when delivery was given up after too many attempts
    failed_at bigint,
    last_error text
);
create index mail_outbox_due on mail_outbox (sent_at, failed_at, next_attempt_at);

create table orgs (
    id text primary key,
    name text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);

-- role: owner, admin, member, accountant, viewer, guest
create table org_members (
    org_id text not null references orgs (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    role text not null,
    created_at bigint not null,
    primary key (org_id, user_id)
);
create index org_members_user on org_members (user_id);

-- Invitations of people without an account (or not yet accepted), single use.
create table invitations (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    email text not null,
    role text not null,
    token_hash text not null,
    invited_by text not null references users (id),
    created_at bigint not null,
    expires_at bigint not null,
    accepted_at bigint,
    accepted_by text references users (id)
);
create unique index invitations_token on invitations (token_hash);
create index invitations_org on invitations (org_id, email);

-- visibility: 'open' (every org member but guests, with default_role) or 'private'
-- (members only). Roles: manager, editor, commenter, viewer.
create table projects (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    name text not null,
    description text not null default '',
    visibility text not null,
    default_role text not null,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    archived_at bigint
);
create index projects_org on projects (org_id, name);

create table project_members (
    project_id text not null references projects (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    role text not null,
    created_at bigint not null,
    primary key (project_id, user_id)
);
create index project_members_user on project_members (user_id);

-- Append-only record of security and administrative events. org_id is null for events that
-- belong to no organisation (log-ins, password resets); before/after are JSON.
create table audit_log (
    seq integer primary key autoincrement,
    id text not null,
    org_id text,
    actor_id text,
    action text not null,
    target_type text,
    target_id text,
    ip text,
    user_agent text,
    before_state text,
    after_state text,
    created_at bigint not null
);
create unique index audit_log_id on audit_log (id);
create index audit_log_org on audit_log (org_id, seq);
create index audit_log_actor on audit_log (actor_id, seq);
