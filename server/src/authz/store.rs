//! Every SQL statement authz reads or writes: a member's roles, a project's access settings,
//! business roles and an org's overrides of the permission table. authz owns these queries so
//! that it depends on no other domain's row types.

use std::collections::HashMap;

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use sqlx::Row;

use super::model::{Action, ResourceKind, Scope};
use super::policy::Overrides;
use super::roles::{parse_org_role, parse_project_role, parse_visibility};
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, now_ms, values_rows};

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

/// What decides access to a project: its org and its settings for org members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFacts {
    pub id: String,
    pub org_id: String,
    pub visibility: Visibility,
    pub default_role: ProjectRole,
}

/// What one decision needs of a member, read in one round trip (decisions are made on every
/// request, and a per-org cache would miss another node's `PUT /permissions`): their base
/// role (`None`: not a member), their business roles, and the org's overrides of the table.
#[derive(Debug, Default)]
pub struct MemberPolicy {
    pub role: Option<OrgRole>,
    pub business_roles: Vec<String>,
    pub overrides: Overrides,
}

/// See [`MemberPolicy`].
pub async fn member_policy(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<MemberPolicy, sqlx::Error> {
    let rows = sqlx::query(
        "select 'member' as kind, role, '' as resource, '' as action, '' as scope
             from org_members where org_id = $1 and user_id = $2
         union all
         select 'role', role, '', '', '' from org_member_roles where org_id = $1 and user_id = $2
         union all
         select 'rule', role, resource, action, scope from org_permissions where org_id = $1",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let mut policy = MemberPolicy::default();
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let role: String = row.try_get("role")?;
        match kind.as_str() {
            "member" => {
                policy.role =
                    Some(parse_org_role(&role).ok_or_else(|| decode_error("org role", &role))?);
            }
            "role" => policy.business_roles.push(role),
            _ => add_override(&mut policy.overrides, role, &row)?,
        }
    }
    policy.business_roles.sort();
    Ok(policy)
}

/// The business roles a member holds, by name.
pub async fn business_roles(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select role from org_member_roles where org_id = $1 and user_id = $2 order by role",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get("role")).collect()
}

/// Every member's business roles in an org, by user id.
pub async fn business_roles_in_org(
    db: &Db,
    org_id: &str,
) -> Result<HashMap<String, Vec<String>>, sqlx::Error> {
    let rows = sqlx::query(
        "select user_id, role from org_member_roles where org_id = $1 order by user_id, role",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    let mut roles: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        roles
            .entry(row.try_get("user_id")?)
            .or_default()
            .push(row.try_get("role")?);
    }
    Ok(roles)
}

/// Replaces a member's business roles.
pub async fn set_business_roles(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    roles: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from org_member_roles where org_id = $1 and user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for role in roles {
        sqlx::query("insert into org_member_roles (org_id, user_id, role) values ($1, $2, $3)")
            .bind(org_id)
            .bind(user_id)
            .bind(role)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A live project's access settings.
pub async fn project(db: &Db, project_id: &str) -> Result<Option<ProjectFacts>, sqlx::Error> {
    let row = sqlx::query(
        "select id, org_id, visibility, default_role from projects
         where id = $1 and archived_at is null",
    )
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let visibility: String = row.try_get("visibility")?;
    let default_role: String = row.try_get("default_role")?;
    Ok(Some(ProjectFacts {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        visibility: parse_visibility(&visibility)
            .ok_or_else(|| decode_error("visibility", &visibility))?,
        default_role: parse_project_role(&default_role)
            .ok_or_else(|| decode_error("project role", &default_role))?,
    }))
}

/// A user's explicit role in a project.
pub async fn explicit_project_role(
    db: &Db,
    project_id: &str,
    user_id: &str,
) -> Result<Option<ProjectRole>, sqlx::Error> {
    let row =
        sqlx::query("select role from project_members where project_id = $1 and user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    parse_project_role(&role)
        .map(Some)
        .ok_or_else(|| decode_error("project role", &role))
}

/// An org's custom business roles: (name, description), by name.
pub async fn custom_roles(db: &Db, org_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows =
        sqlx::query("select name, description from org_roles where org_id = $1 order by name")
            .bind(org_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("description")?)))
        .collect()
}

/// Defines a custom business role; `false` when the org already has one of that name.
pub async fn create_role(
    tx: &mut Tx,
    org_id: &str,
    name: &str,
    description: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into org_roles (org_id, name, description, created_at) values ($1, $2, $3, $4)
         on conflict (org_id, name) do nothing",
    )
    .bind(org_id)
    .bind(name)
    .bind(description)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds the rule of a row with `resource`, `action` and `scope` columns for `role`.
fn add_override(
    overrides: &mut Overrides,
    role: String,
    row: &sqlx::any::AnyRow,
) -> Result<(), sqlx::Error> {
    let resource: String = row.try_get("resource")?;
    let action: String = row.try_get("action")?;
    let scope: String = row.try_get("scope")?;
    add_rule(overrides, role, &resource, &action, &scope)
}

/// Adds one rule of the table, as stored, to `overrides`.
pub(super) fn add_rule(
    overrides: &mut Overrides,
    role: String,
    resource: &str,
    action: &str,
    scope: &str,
) -> Result<(), sqlx::Error> {
    overrides.0.insert(
        (
            role,
            ResourceKind::parse(resource).ok_or_else(|| decode_error("resource", resource))?,
            Action::parse(action).ok_or_else(|| decode_error("action", action))?,
        ),
        Scope::parse(scope).ok_or_else(|| decode_error("scope", scope))?,
    );
    Ok(())
}

/// An org's overrides of the default table.
pub async fn overrides(db: &Db, org_id: &str) -> Result<Overrides, sqlx::Error> {
    let rows =
        sqlx::query("select role, resource, action, scope from org_permissions where org_id = $1")
            .bind(org_id)
            .fetch_all(db.pool())
            .await?;
    let mut overrides = Overrides::default();
    for row in rows {
        add_override(&mut overrides, row.try_get("role")?, &row)?;
    }
    Ok(overrides)
}

/// Replaces an org's overrides.
pub async fn replace_overrides(
    tx: &mut Tx,
    org_id: &str,
    overrides: &Overrides,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from org_permissions where org_id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    let rows: Vec<_> = overrides.0.iter().collect();
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into org_permissions (org_id, role, resource, action, scope) values {}",
            values_rows(chunk.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for ((role, kind, action), scope) in chunk {
            query = query
                .bind(org_id)
                .bind(role.as_str())
                .bind(kind.name())
                .bind(action.name())
                .bind(scope.name());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
