//! Every SQL statement about projects and their members.

use atrium_client::wire::{ProjectMember, ProjectRole, User, Visibility};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::authz::roles::{
    parse_project_role, parse_visibility, project_role_name, visibility_name,
};
use crate::db::{Db, Tx, new_id, now_ms};

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub default_role: ProjectRole,
    /// The key of its tasks (`ENG`), once it has one.
    pub key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PROJECT_COLUMNS: &str = "p.id, p.org_id, p.name, p.description, p.visibility, p.default_role, p.key, p.created_at, p.updated_at";

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

fn project_from(row: &AnyRow) -> Result<ProjectRow, sqlx::Error> {
    let visibility: String = row.try_get("visibility")?;
    let default_role: String = row.try_get("default_role")?;
    Ok(ProjectRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        visibility: parse_visibility(&visibility)
            .ok_or_else(|| decode_error("visibility", &visibility))?,
        default_role: parse_project_role(&default_role)
            .ok_or_else(|| decode_error("project role", &default_role))?,
        key: row.try_get("key")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A project of the organisation (archived ones are gone).
pub async fn find(
    db: &Db,
    org_id: &str,
    project_id: &str,
) -> Result<Option<ProjectRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {PROJECT_COLUMNS} from projects p where p.org_id = $1 and p.id = $2 and p.archived_at is null"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(project_from).transpose()
}

/// Every project of an organisation with the user's explicit role in each, by name.
pub async fn list_in_org(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Vec<(ProjectRow, Option<ProjectRole>)>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {PROJECT_COLUMNS}, m.role as explicit_role from projects p
         left join project_members m on m.project_id = p.id and m.user_id = $2
         where p.org_id = $1 and p.archived_at is null order by p.name, p.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let explicit: Option<String> = row.try_get("explicit_role")?;
            Ok((
                project_from(row)?,
                explicit.as_deref().and_then(parse_project_role),
            ))
        })
        .collect()
}

/// A project to create.
pub struct NewProject<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub visibility: Visibility,
    pub default_role: ProjectRole,
    /// Checked and free in the organisation (the unique index refuses a race).
    pub key: &'a str,
    pub created_by: &'a str,
}

/// Creates a project; its creator becomes its manager.
pub async fn create(tx: &mut Tx, project: &NewProject<'_>) -> Result<ProjectRow, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into projects (id, org_id, name, description, visibility, default_role, created_by, created_at, updated_at, key)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
    )
    .bind(&id)
    .bind(project.org_id)
    .bind(project.name)
    .bind(project.description)
    .bind(visibility_name(project.visibility))
    .bind(project_role_name(project.default_role))
    .bind(project.created_by)
    .bind(now)
    .bind(project.key)
    .execute(&mut **tx)
    .await?;
    set_member(
        tx,
        project.org_id,
        &id,
        project.created_by,
        ProjectRole::Manager,
    )
    .await?;
    Ok(ProjectRow {
        id,
        org_id: project.org_id.to_owned(),
        name: project.name.to_owned(),
        description: project.description.to_owned(),
        visibility: project.visibility,
        default_role: project.default_role,
        key: Some(project.key.to_owned()),
        created_at: now,
        updated_at: now,
    })
}

/// Saves a project's settings (in the organisation the row names).
pub async fn update(tx: &mut Tx, project: &ProjectRow) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update projects set name = $3, description = $4, visibility = $5, default_role = $6, updated_at = $7
         where org_id = $1 and id = $2",
    )
    .bind(&project.org_id)
    .bind(&project.id)
    .bind(&project.name)
    .bind(&project.description)
    .bind(visibility_name(project.visibility))
    .bind(project_role_name(project.default_role))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// Gives a user an explicit role in a project (replacing any earlier one).
pub async fn set_member(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    user_id: &str,
    role: ProjectRole,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into project_members (project_id, user_id, role, created_at)
         select p.id, $2, $3, $4 from projects p where p.org_id = $5 and p.id = $1
         on conflict (project_id, user_id) do update set role = excluded.role",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(project_role_name(role))
    .bind(now_ms())
    .bind(org_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Removes a user's explicit role; false when they had none.
pub async fn remove_member(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "delete from project_members where project_id = $2 and user_id = $3
             and exists (select 1 from projects p where p.org_id = $1 and p.id = $2)",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A project's explicit members, by name.
pub async fn list_members(
    db: &Db,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<ProjectMember>, sqlx::Error> {
    let rows = sqlx::query(
        "select m.role, u.id, u.email, u.handle, u.name, u.created_at from project_members m
         join projects p on p.id = m.project_id and p.org_id = $1
         join users u on u.id = m.user_id where m.project_id = $2 order by u.name, u.id",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(ProjectMember {
                user: User {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    handle: row.try_get("handle")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                },
                role: parse_project_role(&role)
                    .ok_or_else(|| decode_error("project role", &role))?,
            })
        })
        .collect()
}

/// Every project of an organisation, archived ones too, by name: the whole-organisation
/// export writes each.
pub async fn all_in_org(db: &Db, org_id: &str) -> Result<Vec<ProjectRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {PROJECT_COLUMNS} from projects p where p.org_id = $1 order by p.name, p.id"
    ));
    let rows = sqlx::query(sql).bind(org_id).fetch_all(db.pool()).await?;
    rows.iter().map(project_from).collect()
}
