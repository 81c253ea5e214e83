-- One policy (issue #15): business roles as data and per-org permission overrides.
--
-- Base org roles are owner, admin, member, viewer, guest. Business roles (built-in accountant,
-- sales, support, hr, production, plus custom ones per org) are held besides the base role,
-- several per member. The role x resource type x action table has code-defined defaults
-- (server/src/authz/defaults.rs); org_permissions holds an org's overrides of them.

-- Custom business roles of an org (the built-in ones are not stored).
create table org_roles (
    org_id text not null references orgs (id) on delete cascade,
    name text not null,
    description text not null,
    created_at bigint not null,
    primary key (org_id, name)
);

-- The business roles a member holds.
create table org_member_roles (
    org_id text not null,
    user_id text not null,
    role text not null,
    primary key (org_id, user_id, role),
    foreign key (org_id, user_id) references org_members (org_id, user_id) on delete cascade
);

-- Business roles an invitation grants on acceptance (besides its base role), comma-separated
-- (names are [a-z0-9_-], so the list needs no escaping; it is only read whole).
alter table invitations add column roles text not null default '';

-- An org's overrides of the default table: for (role, resource, action), scope all | own | none
-- replaces the default (none takes a default grant away).
create table org_permissions (
    org_id text not null references orgs (id) on delete cascade,
    role text not null,
    resource text not null,
    action text not null,
    scope text not null,
    primary key (org_id, role, resource, action)
);

-- accountant stops being a base role: today's accountants become members holding it.
insert into org_member_roles (org_id, user_id, role)
    select org_id, user_id, 'accountant' from org_members where role = 'accountant';
update org_members set role = 'member' where role = 'accountant';
update invitations set role = 'member', roles = 'accountant' where role = 'accountant';
