//! Every SQL statement about organisations, their members and invitations.

use atrium_client::wire::{Can, Invitation, Org, OrgMember, OrgMembership, OrgRole, User};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::auth::tokens::digest;
use crate::authz::roles::{org_role_name, parse_org_role};
use crate::db::{Db, Tx, new_id, now_ms};

fn role_from(row: &AnyRow, column: &str) -> Result<OrgRole, sqlx::Error> {
    let name: String = row.try_get(column)?;
    parse_org_role(&name)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown org role {name:?}").into()))
}

fn user_from(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("user_id")?,
        email: row.try_get("email")?,
        handle: row.try_get("handle")?,
        name: row.try_get("name")?,
        created_at: row.try_get("user_created_at")?,
    })
}

/// Creates an organisation with `owner` as its owner.
pub async fn create(tx: &mut Tx, name: &str, owner_id: &str) -> Result<Org, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query("insert into orgs (id, name, created_by, created_at, updated_at) values ($1, $2, $3, $4, $4)")
        .bind(&id)
        .bind(name)
        .bind(owner_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    add_member(tx, &id, owner_id, OrgRole::Owner).await?;
    Ok(Org {
        id,
        name: name.to_owned(),
        created_at: now,
        role: OrgRole::Owner,
        roles: Vec::new(),
        can: Can::default(),
    })
}

/// The organisations a user belongs to, with their role, by name.
pub async fn memberships(db: &Db, user_id: &str) -> Result<Vec<OrgMembership>, sqlx::Error> {
    let rows = sqlx::query(
        "select o.id, o.name, m.role from org_members m join orgs o on o.id = m.org_id
         where m.user_id = $1 order by o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OrgMembership {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                role: role_from(row, "role")?,
                roles: Vec::new(),
                can: Can::default(),
            })
        })
        .collect()
}

/// The organisations of a user as full records.
pub async fn list_for_user(db: &Db, user_id: &str) -> Result<Vec<Org>, sqlx::Error> {
    let rows = sqlx::query(
        "select o.id, o.name, o.created_at, m.role from org_members m join orgs o on o.id = m.org_id
         where m.user_id = $1 order by o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Org {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                created_at: row.try_get("created_at")?,
                role: role_from(row, "role")?,
                roles: Vec::new(),
                can: Can::default(),
            })
        })
        .collect()
}

/// A user's role in an organisation, or `None` when they are not a member (or it does not exist).
pub async fn member_role(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Option<OrgRole>, sqlx::Error> {
    let row = sqlx::query("select role from org_members where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(|row| role_from(row, "role")).transpose()
}

/// The organisation's name.
pub async fn name(db: &Db, org_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select name from orgs where id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| row.try_get("name")).transpose()
}

/// Renames an organisation; false when there is no such organisation.
pub async fn rename(tx: &mut Tx, org_id: &str, name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update orgs set name = $2 where id = $1")
        .bind(org_id)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

const MEMBER_SELECT: &str =
    "select m.user_id, m.role, m.created_at as joined_at, m.manager_id, u.email, u.handle, u.name,
    u.created_at as user_created_at from org_members m join users u on u.id = m.user_id";

fn member_from(row: &AnyRow) -> Result<OrgMember, sqlx::Error> {
    Ok(OrgMember {
        user: user_from(row)?,
        role: role_from(row, "role")?,
        roles: Vec::new(),
        joined_at: row.try_get("joined_at")?,
        manager: row.try_get("manager_id")?,
    })
}

/// Sets (or clears) a member's manager.
pub async fn set_manager(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    manager: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update org_members set manager_id = $3 where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .bind(manager)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether following managers up from `manager` reaches `user` (making `manager` the manager
/// of `user` would close a loop).
pub async fn manages_up_to(
    db: &Db,
    org_id: &str,
    manager: &str,
    user: &str,
) -> Result<bool, sqlx::Error> {
    let mut current = Some(manager.to_owned());
    let mut steps = 0;
    while let Some(id) = current {
        if id == user {
            return Ok(true);
        }
        steps += 1;
        if steps > 1_000 {
            return Ok(true);
        }
        current = sqlx::query_scalar::<_, Option<String>>(
            "select manager_id from org_members where org_id = $1 and user_id = $2",
        )
        .bind(org_id)
        .bind(&id)
        .fetch_optional(db.pool())
        .await?
        .flatten();
    }
    Ok(false)
}

/// Every member of an organisation, by name.
pub async fn list_members(db: &Db, org_id: &str) -> Result<Vec<OrgMember>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{MEMBER_SELECT} where m.org_id = $1 order by u.name, u.id"
    ));
    let rows = sqlx::query(sql).bind(org_id).fetch_all(db.pool()).await?;
    let mut roles = crate::authz::store::business_roles_in_org(db, org_id).await?;
    rows.iter()
        .map(|row| {
            let mut member = member_from(row)?;
            member.roles = roles.remove(&member.user.id).unwrap_or_default();
            Ok(member)
        })
        .collect()
}

/// One member.
pub async fn member(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Option<OrgMember>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{MEMBER_SELECT} where m.org_id = $1 and m.user_id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(mut member) = row.as_ref().map(member_from).transpose()? else {
        return Ok(None);
    };
    member.roles = crate::authz::store::business_roles(db, org_id, user_id).await?;
    Ok(Some(member))
}

/// Adds a member; false when they already were one.
pub async fn add_member(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into org_members (org_id, user_id, role, created_at) values ($1, $2, $3, $4)
         on conflict (org_id, user_id) do nothing",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(org_role_name(role))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a member's role.
pub async fn set_role(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
) -> Result<(), sqlx::Error> {
    sqlx::query("update org_members set role = $3 where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .bind(org_role_name(role))
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Removes a member, their business roles, and their explicit roles in the organisation's
/// projects.
pub async fn remove_member(tx: &mut Tx, org_id: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from project_members where user_id = $2 and project_id in (select id from projects where org_id = $1)")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from org_member_roles where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from org_members where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// How many owners the organisation has, counted inside the transaction that changes them.
/// On PostgreSQL the owner rows are locked, so two concurrent demotions cannot both pass the
/// "not the last owner" check.
pub async fn count_owners(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let locking = if tx.backend_name() == "PostgreSQL" {
        " for update"
    } else {
        ""
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select user_id from org_members where org_id = $1 and role = 'owner'{locking}"
    ));
    let rows = sqlx::query(sql).bind(org_id).fetch_all(&mut **tx).await?;
    Ok(i64::try_from(rows.len()).unwrap_or(i64::MAX))
}

/// Whether someone with this (normalised) e-mail address is a member.
pub async fn is_member_email(db: &Db, org_id: &str, email: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select 1 from org_members m join users u on u.id = m.user_id where m.org_id = $1 and u.email = $2",
    )
    .bind(org_id)
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

/// How many invitations were sent since `since` (revoked ones too) and when the oldest of
/// them was: by an organisation, or by an inviter over all organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationCount<'a> {
    Org(&'a str),
    Inviter(&'a str),
}

/// The count and the oldest creation time of recent invitations (see [`InvitationCount`]).
pub async fn invitations_since(
    db: &Db,
    of: InvitationCount<'_>,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let (column, id) = match of {
        InvitationCount::Org(id) => ("org_id", id),
        InvitationCount::Inviter(id) => ("invited_by", id),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select count(*), min(created_at) from invitations where {column} = $1 and created_at > $2"
    ));
    let row = sqlx::query(sql)
        .bind(id)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Withdraws the pending invitations of an address to an organisation (a new one replaces
/// them).
pub async fn revoke_pending_for(tx: &mut Tx, org_id: &str, email: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update invitations set revoked_at = $3
         where org_id = $1 and email = $2 and accepted_at is null and revoked_at is null and expires_at > $3",
    )
    .bind(org_id)
    .bind(email)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// An invitation to store.
pub struct NewInvitation<'a> {
    pub org_id: &'a str,
    pub email: &'a str,
    pub role: OrgRole,
    /// Business roles granted on acceptance.
    pub roles: &'a [String],
    /// The manager set on acceptance.
    pub manager: Option<&'a str>,
    pub invited_by: &'a str,
    pub expires_at: i64,
}

/// Stores an invitation (its token hashed).
pub async fn insert_invitation(
    tx: &mut Tx,
    new: &NewInvitation<'_>,
    secret: &str,
) -> Result<Invitation, sqlx::Error> {
    let NewInvitation {
        org_id,
        email,
        role,
        roles,
        manager,
        invited_by,
        expires_at,
    } = *new;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into invitations (id, org_id, email, role, roles, token_hash, invited_by, created_at, expires_at, manager_id)
         values ($1, $2, $3, $4, $9, $5, $6, $7, $8, $10)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(email)
    .bind(org_role_name(role))
    .bind(digest(secret))
    .bind(invited_by)
    .bind(now)
    .bind(expires_at)
    .bind(roles.join(","))
    .bind(manager)
    .execute(&mut **tx)
    .await?;
    Ok(Invitation {
        id,
        org_id: org_id.to_owned(),
        email: email.to_owned(),
        role,
        roles: roles.to_vec(),
        manager: manager.map(str::to_owned),
        invited_by: invited_by.to_owned(),
        created_at: now,
        expires_at,
    })
}

const INVITATION_COLUMNS: &str =
    "id, org_id, email, role, roles, manager_id, invited_by, created_at, expires_at";

fn invitation_from(row: &AnyRow) -> Result<Invitation, sqlx::Error> {
    Ok(Invitation {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        email: row.try_get("email")?,
        role: role_from(row, "role")?,
        roles: row
            .try_get::<String, _>("roles")?
            .split(',')
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        manager: row.try_get("manager_id")?,
        invited_by: row.try_get("invited_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// The organisation's pending invitations (neither accepted, revoked nor expired), newest
/// first.
pub async fn pending_invitations(db: &Db, org_id: &str) -> Result<Vec<Invitation>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {INVITATION_COLUMNS} from invitations
         where org_id = $1 and accepted_at is null and revoked_at is null and expires_at > $2
         order by created_at desc, id desc"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(now_ms())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(invitation_from).collect()
}

/// One pending invitation of the organisation.
pub async fn pending_invitation(
    db: &Db,
    org_id: &str,
    id: &str,
) -> Result<Option<Invitation>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {INVITATION_COLUMNS} from invitations
         where org_id = $1 and id = $2 and accepted_at is null and revoked_at is null and expires_at > $3"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(id)
        .bind(now_ms())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(invitation_from).transpose()
}

/// Withdraws a pending invitation; false when it was no longer pending.
pub async fn revoke_invitation(tx: &mut Tx, org_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "update invitations set revoked_at = $3
         where org_id = $1 and id = $2 and accepted_at is null and revoked_at is null and expires_at > $3",
    )
    .bind(org_id)
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why an invitation token could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationRejection {
    Unknown,
    /// Accepted, revoked or expired.
    Spent,
}

/// The invitation of a token, if it can still be accepted.
pub async fn live_invitation(
    tx: &mut Tx,
    secret: &str,
) -> Result<Result<Invitation, InvitationRejection>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {INVITATION_COLUMNS}, accepted_at, revoked_at from invitations where token_hash = $1"
    ));
    let row = sqlx::query(sql)
        .bind(digest(secret))
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(Err(InvitationRejection::Unknown));
    };
    let invitation = invitation_from(&row)?;
    let spent = row.try_get::<Option<i64>, _>("accepted_at")?.is_some()
        || row.try_get::<Option<i64>, _>("revoked_at")?.is_some()
        || invitation.expires_at <= now_ms();
    Ok(if spent {
        Err(InvitationRejection::Spent)
    } else {
        Ok(invitation)
    })
}

/// What the invitation of a token invites to, while it can be accepted: the invitation, the
/// organisation's name and the name of the member who sent it.
pub async fn invitation_preview(
    db: &Db,
    secret: &str,
) -> Result<Result<(Invitation, String, String), InvitationRejection>, sqlx::Error> {
    let row = sqlx::query(
        "select i.id, i.org_id, i.email, i.role, i.roles, i.manager_id, i.invited_by, i.created_at,
                i.expires_at, i.accepted_at, i.revoked_at, o.name as org_name, u.name as inviter_name
         from invitations i join orgs o on o.id = i.org_id join users u on u.id = i.invited_by
         where i.token_hash = $1",
    )
    .bind(digest(secret))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(Err(InvitationRejection::Unknown));
    };
    let invitation = invitation_from(&row)?;
    let spent = row.try_get::<Option<i64>, _>("accepted_at")?.is_some()
        || row.try_get::<Option<i64>, _>("revoked_at")?.is_some()
        || invitation.expires_at <= now_ms();
    if spent {
        return Ok(Err(InvitationRejection::Spent));
    }
    Ok(Ok((
        invitation,
        row.try_get("org_name")?,
        row.try_get("inviter_name")?,
    )))
}

/// Uses up an invitation for `user_id`; false when it was accepted, revoked or ran out
/// meanwhile. The check and the marking are one statement, so a token works once even when
/// raced.
pub async fn accept_invitation(
    tx: &mut Tx,
    secret: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update invitations set accepted_at = $2, accepted_by = $3
         where token_hash = $1 and accepted_at is null and revoked_at is null and expires_at > $2",
    )
    .bind(digest(secret))
    .bind(now_ms())
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
