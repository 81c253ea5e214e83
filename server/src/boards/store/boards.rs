//! Boards and their columns.

use atrium_client::wire::{StatusCategory, Swimlanes, TaskFilter};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::decode_error;
use super::statuses::StatusRow;
use crate::boards::model::{parse_category, parse_swimlanes, swimlanes_name};
use crate::db::{Tx, new_id, now_ms};

/// A board as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub name: String,
    pub filter: TaskFilter,
    pub swimlanes: Option<Swimlanes>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A column with its status's category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRow {
    pub id: String,
    pub board_id: String,
    pub status_id: String,
    pub name: String,
    pub position: String,
    pub wip_limit: Option<u32>,
    pub category: StatusCategory,
}

const BOARD_COLUMNS: &str =
    "b.id, b.org_id, b.project_id, b.name, b.filter, b.swimlanes, b.created_at, b.updated_at";

fn board_from(row: &AnyRow) -> Result<BoardRow, sqlx::Error> {
    let filter: String = row.try_get("filter")?;
    let swimlanes: Option<String> = row.try_get("swimlanes")?;
    Ok(BoardRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        filter: serde_json::from_str(&filter).unwrap_or_default(),
        swimlanes: match swimlanes {
            Some(name) => {
                Some(parse_swimlanes(&name).ok_or_else(|| decode_error("swimlanes", &name))?)
            }
            None => None,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn column_from(row: &AnyRow) -> Result<ColumnRow, sqlx::Error> {
    let category: String = row.try_get("category")?;
    let wip: Option<i64> = row.try_get("wip_limit")?;
    Ok(ColumnRow {
        id: row.try_get("id")?,
        board_id: row.try_get("board_id")?,
        status_id: row.try_get("status_id")?,
        name: row.try_get("name")?,
        position: row.try_get("position")?,
        wip_limit: wip.and_then(|w| u32::try_from(w).ok()),
        category: parse_category(&category)
            .ok_or_else(|| decode_error("status category", &category))?,
    })
}

/// The organisation and project of a board: the lookup that establishes a `/boards/{board}`
/// request's tenant.
pub async fn locate(
    conn: &mut AnyConnection,
    board_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("select org_id, project_id from boards where id = $1")
        .bind(board_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("org_id")?, r.try_get("project_id")?)))
        .transpose()
}

/// A board of the organisation.
pub async fn find(
    conn: &mut AnyConnection,
    org_id: &str,
    board_id: &str,
) -> Result<Option<BoardRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {BOARD_COLUMNS} from boards b where b.org_id = $1 and b.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(board_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(board_from).transpose()
}

/// A project's boards, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<BoardRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {BOARD_COLUMNS} from boards b where b.org_id = $1 and b.project_id = $2
         order by b.created_at, b.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(board_from).collect()
}

/// A board to create.
pub struct NewBoard<'a> {
    pub org_id: &'a str,
    pub project_id: &'a str,
    pub name: &'a str,
    pub filter: &'a TaskFilter,
    pub swimlanes: Option<Swimlanes>,
    pub created_by: &'a str,
}

pub async fn create(tx: &mut Tx, new: &NewBoard<'_>) -> Result<BoardRow, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    let filter = serde_json::to_string(new.filter).unwrap_or_else(|_| "{}".to_owned());
    sqlx::query(
        "insert into boards (id, org_id, project_id, name, filter, swimlanes, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(new.org_id)
    .bind(new.project_id)
    .bind(new.name)
    .bind(&filter)
    .bind(new.swimlanes.map(swimlanes_name))
    .bind(new.created_by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(BoardRow {
        id,
        org_id: new.org_id.to_owned(),
        project_id: new.project_id.to_owned(),
        name: new.name.to_owned(),
        filter: new.filter.clone(),
        swimlanes: new.swimlanes,
        created_at: now,
        updated_at: now,
    })
}

/// Saves a board's name, filter and swimlanes; returns the new `updated_at`.
pub async fn update(tx: &mut Tx, board: &BoardRow) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let filter = serde_json::to_string(&board.filter).unwrap_or_else(|_| "{}".to_owned());
    sqlx::query(
        "update boards set name = $3, filter = $4, swimlanes = $5, updated_at = $6
         where org_id = $1 and id = $2",
    )
    .bind(&board.org_id)
    .bind(&board.id)
    .bind(&board.name)
    .bind(&filter)
    .bind(board.swimlanes.map(swimlanes_name))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// Deletes a board (its columns go with it; tasks and statuses stay: they are the project's).
pub async fn delete(tx: &mut Tx, org_id: &str, board_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from boards where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(board_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A board's columns in order.
pub async fn columns(
    conn: &mut AnyConnection,
    org_id: &str,
    board_id: &str,
) -> Result<Vec<ColumnRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select c.id, c.board_id, c.status_id, c.name, c.position, c.wip_limit, s.category
         from board_columns c join boards b on b.id = c.board_id and b.org_id = $1
         join task_statuses s on s.id = c.status_id
         where c.board_id = $2 order by c.position",
    )
    .bind(org_id)
    .bind(board_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(column_from).collect()
}

/// A column to add at `position`.
pub struct NewColumnRow<'a> {
    pub board_id: &'a str,
    pub status_id: &'a str,
    pub name: &'a str,
    pub position: &'a str,
    pub wip_limit: Option<u32>,
}

pub async fn add_column(tx: &mut Tx, column: &NewColumnRow<'_>) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query(
        "insert into board_columns (id, board_id, status_id, name, position, wip_limit, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(column.board_id)
    .bind(column.status_id)
    .bind(column.name)
    .bind(column.position)
    .bind(column.wip_limit.map(i64::from))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Saves one column's name, place and limit.
pub async fn update_column(
    tx: &mut Tx,
    board_id: &str,
    column_id: &str,
    name: &str,
    position: &str,
    wip_limit: Option<u32>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update board_columns set name = $3, position = $4, wip_limit = $5
         where board_id = $1 and id = $2",
    )
    .bind(board_id)
    .bind(column_id)
    .bind(name)
    .bind(position)
    .bind(wip_limit.map(i64::from))
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Moves every column of a board out of the way of new positions (a reorder writes them all;
/// the unique index on positions would otherwise trip over a swap).
pub async fn park_columns(tx: &mut Tx, board_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update board_columns set position = '~' || id where board_id = $1")
        .bind(board_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// A column of any board of the project.
pub async fn column(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    column_id: &str,
) -> Result<Option<ColumnRow>, sqlx::Error> {
    let row = sqlx::query(
        "select c.id, c.board_id, c.status_id, c.name, c.position, c.wip_limit, s.category
         from board_columns c join boards b on b.id = c.board_id and b.org_id = $1
         join task_statuses s on s.id = c.status_id
         where b.project_id = $2 and c.id = $3",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(column_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(column_from).transpose()
}

/// A column of a board of the project with the status it shows (a move needs both; one round
/// trip).
pub async fn column_with_status(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    column_id: &str,
) -> Result<Option<(ColumnRow, StatusRow)>, sqlx::Error> {
    let row = sqlx::query(
        "select c.id, c.board_id, c.status_id, c.name, c.position, c.wip_limit, s.category,
             s.project_id as status_project_id, s.name as status_name
         from board_columns c join boards b on b.id = c.board_id and b.org_id = $1
         join task_statuses s on s.id = c.status_id
         where b.project_id = $2 and c.id = $3",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(column_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let column = column_from(&row)?;
    let status = StatusRow {
        id: column.status_id.clone(),
        project_id: row.try_get("status_project_id")?,
        name: row.try_get("status_name")?,
        category: column.category,
    };
    Ok(Some((column, status)))
}
