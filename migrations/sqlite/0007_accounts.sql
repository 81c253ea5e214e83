-- Accounts: verified e-mail addresses, invitations that can be revoked (and are counted for
-- rate limits), log-in throttling by client address and by address + account with e-mailed
-- unlock links (replacing the per-account lock anyone could trigger), and TOTP replay
-- protection.

-- When the account's e-mail address was proven: a verification link was opened, a reset link
-- was used, or an operator created the account. Null: not verified.
alter table users add column email_verified_at bigint;
-- The last TOTP time step (30-second counter since the epoch) accepted for the user; a code of
-- that step or an earlier one is refused, so one code cannot log in twice.
alter table users add column totp_last_step bigint;
-- The per-account lock is gone: it let anyone lock anyone out.
alter table users drop column failed_logins;
alter table users drop column locked_until;

-- Accounts that already proved their address: an invitation e-mailed to it was accepted by
-- the account with that address, or a reset link e-mailed to it was used.
update users set email_verified_at = (
    select min(i.accepted_at) from invitations i where i.accepted_by = users.id and i.email = users.email
) where exists (
    select 1 from invitations i where i.accepted_by = users.id and i.email = users.email and i.accepted_at is not null
);
update users set email_verified_at = (
    select min(r.used_at) from password_resets r where r.user_id = users.id
) where email_verified_at is null and exists (
    select 1 from password_resets r where r.user_id = users.id and r.used_at is not null
);

-- Single-use, expiring e-mail verification tokens, hashed. `email` is the address the link
-- was sent to: the link verifies that address only.
create table email_verifications (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    email text not null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create index email_verifications_user on email_verifications (user_id, created_at);

-- Invitations an admin withdrew before they were accepted.
alter table invitations add column revoked_at bigint;
-- Rate limits count an org's and an inviter's recent invitations.
create index invitations_org_created on invitations (org_id, created_at);
create index invitations_inviter_created on invitations (invited_by, created_at);

-- Failed log-ins per client address (`scope` 'address') and per address + e-mail address
-- (`scope` 'account'). `key` is a SHA-256 of the scope, address and e-mail, so unknown
-- addresses are throttled exactly like known ones without storing what was typed; `account`
-- (a SHA-256 of the e-mail address, 'account' rows only) lets an unlock lift every row of one
-- account. A row whose last failure is older than the throttle window counts from zero again.
create table login_throttles (
    key text primary key,
    scope text not null,
    account text,
    failures integer not null,
    -- refused until then (ms); 0 when not blocked
    blocked_until bigint not null,
    updated_at bigint not null
);
create index login_throttles_account on login_throttles (account);
create index login_throttles_updated on login_throttles (updated_at);

-- Single-use, expiring unlock links, hashed: e-mailed when a log-in to the account is
-- throttled; a log-in carrying one skips the throttles for that account. `failures` counts
-- wrong passwords tried with it (it stops working after a few). `slot` numbers the mail
-- interval the link was sent in: one link per account and interval, even when many refused
-- log-ins (on several nodes) race to send one.
create table login_unlocks (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    slot bigint not null,
    created_at bigint not null,
    expires_at bigint not null,
    failures integer not null default 0,
    used_at bigint
);
create unique index login_unlocks_slot on login_unlocks (user_id, slot);
