//! A project's task statuses.

use atrium_client::wire::StatusCategory;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::decode_error;
use crate::boards::model::{category_name, parse_category};
use crate::db::{Tx, new_id, now_ms};

/// A status as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub category: StatusCategory,
}

fn status_from(row: &AnyRow) -> Result<StatusRow, sqlx::Error> {
    let category: String = row.try_get("category")?;
    Ok(StatusRow {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        category: parse_category(&category)
            .ok_or_else(|| decode_error("status category", &category))?,
    })
}

/// The project's status of this name (case-insensitive), created with `category` if missing.
pub async fn find_or_create(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    name: &str,
    category: StatusCategory,
) -> Result<StatusRow, sqlx::Error> {
    let name_key = name.to_lowercase();
    let existing = sqlx::query(
        "select s.id, s.project_id, s.name, s.category from task_statuses s
         join projects p on p.id = s.project_id and p.org_id = $1
         where s.project_id = $2 and s.name_key = $3",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(&name_key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = existing {
        return status_from(&row);
    }
    let id = new_id();
    sqlx::query(
        "insert into task_statuses (id, project_id, name, name_key, category, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(project_id)
    .bind(name)
    .bind(&name_key)
    .bind(category_name(category))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(StatusRow {
        id,
        project_id: project_id.to_owned(),
        name: name.to_owned(),
        category,
    })
}

/// The project's statuses in the order they were made.
pub async fn list(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<StatusRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select s.id, s.project_id, s.name, s.category from task_statuses s
         join projects p on p.id = s.project_id and p.org_id = $1
         where s.project_id = $2 order by s.created_at, s.id",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(status_from).collect()
}

/// A status of the project.
pub async fn find(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    status_id: &str,
) -> Result<Option<StatusRow>, sqlx::Error> {
    let row = sqlx::query(
        "select s.id, s.project_id, s.name, s.category from task_statuses s
         join projects p on p.id = s.project_id and p.org_id = $1
         where s.project_id = $2 and s.id = $3",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(status_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(status_from).transpose()
}

/// Open tasks in a status (what a WIP limit counts).
pub async fn open_count(tx: &mut Tx, org_id: &str, status_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) as n from tasks where org_id = $1 and status_id = $2 and closed_at is null",
    )
    .bind(org_id)
    .bind(status_id)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("n")
}

/// Takes the status's row lock until the transaction ends, so changes of one status's order
/// queue and each reads the neighbours the previous one left. Two moves into the same gap then
/// never compute the same key. Only PostgreSQL needs it: a SQLite write transaction holds the
/// database's one write lock from its start ([`crate::db::Db::begin`]), so writers queue
/// anyway, and the statement would be a round trip and a rewritten page for nothing.
pub async fn lock_order(tx: &mut Tx, status_id: &str) -> Result<(), sqlx::Error> {
    if tx.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    sqlx::query("update task_statuses set name = name where id = $1")
        .bind(status_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}
