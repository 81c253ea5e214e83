//! Task rows: creation, reads, field updates, order keys, deletion.

use atrium_client::wire::{ChecklistItem, Priority, StatusCategory};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::decode_error;
use crate::boards::model::{parse_category, parse_priority, priority_name, task_key};
use crate::db::{Tx, now_ms};

/// A task as stored, with its key and its status's name and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub number: i64,
    pub key: String,
    pub title: String,
    pub status_id: String,
    pub status: String,
    pub category: StatusCategory,
    pub rank: String,
    pub priority: Priority,
    pub due: Option<String>,
    pub estimate: Option<i64>,
    pub milestone_id: Option<String>,
    pub parent_id: Option<String>,
    pub checklist: Vec<ChecklistItem>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

pub(super) const TASK_COLUMNS: &str = "t.id, t.org_id, t.project_id, t.number, p.key as project_key, t.title, \
    t.status_id, s.name as status_name, s.category, t.rank, t.priority, t.due, t.estimate, \
    t.milestone_id, t.parent_id, t.checklist, t.created_by, t.created_at, t.updated_at, t.closed_at";

pub(super) const TASK_FROM: &str = "tasks t join projects p on p.id = t.project_id \
    join task_statuses s on s.id = t.status_id";

pub(super) fn task_from(row: &AnyRow) -> Result<TaskRow, sqlx::Error> {
    let category: String = row.try_get("category")?;
    let priority: String = row.try_get("priority")?;
    let checklist: String = row.try_get("checklist")?;
    let number: i64 = row.try_get("number")?;
    let project_key: Option<String> = row.try_get("project_key")?;
    Ok(TaskRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        number,
        key: task_key(project_key.as_deref().unwrap_or_default(), number),
        title: row.try_get("title")?,
        status_id: row.try_get("status_id")?,
        status: row.try_get("status_name")?,
        category: parse_category(&category)
            .ok_or_else(|| decode_error("status category", &category))?,
        rank: row.try_get("rank")?,
        priority: parse_priority(&priority).ok_or_else(|| decode_error("priority", &priority))?,
        due: row.try_get("due")?,
        estimate: row.try_get("estimate")?,
        milestone_id: row.try_get("milestone_id")?,
        parent_id: row.try_get("parent_id")?,
        checklist: serde_json::from_str(&checklist).unwrap_or_default(),
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// The organisation and project of a task: the lookup that establishes a `/tasks/{task}`
/// request's tenant.
pub async fn locate(
    conn: &mut AnyConnection,
    task_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("select org_id, project_id from tasks where id = $1")
        .bind(task_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("org_id")?, r.try_get("project_id")?)))
        .transpose()
}

/// A task of the organisation.
pub async fn find(
    conn: &mut AnyConnection,
    org_id: &str,
    task_id: &str,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {TASK_COLUMNS} from {TASK_FROM} where t.org_id = $1 and t.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(task_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(task_from).transpose()
}

/// Tasks of one project by id (those that are not are left out).
pub async fn find_many(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<TaskRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..ids.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = sqlx::AssertSqlSafe(format!(
        "select {TASK_COLUMNS} from {TASK_FROM} where t.org_id = $1 and t.project_id = $2 and t.id in ({list})"
    ));
    let mut query = sqlx::query(sql).bind(org_id).bind(project_id);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(task_from).collect()
}

/// A task to insert (its number and key come from the project's counter).
pub struct NewTask<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub project_id: &'a str,
    pub number: i64,
    pub title: &'a str,
    pub status_id: &'a str,
    pub rank: &'a str,
    pub priority: Priority,
    pub due: Option<&'a str>,
    pub estimate: Option<i64>,
    pub milestone_id: Option<&'a str>,
    pub parent_id: Option<&'a str>,
    pub checklist: &'a [ChecklistItem],
    pub created_by: &'a str,
    pub closed: bool,
}

pub async fn insert(tx: &mut Tx, task: &NewTask<'_>) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "insert into tasks (id, org_id, project_id, number, title, status_id, rank, priority, due,
             estimate, milestone_id, parent_id, checklist, created_by, created_at, updated_at, closed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)",
    )
    .bind(task.id)
    .bind(task.org_id)
    .bind(task.project_id)
    .bind(task.number)
    .bind(task.title)
    .bind(task.status_id)
    .bind(task.rank)
    .bind(priority_name(task.priority))
    .bind(task.due)
    .bind(task.estimate)
    .bind(task.milestone_id)
    .bind(task.parent_id)
    .bind(serde_json::to_string(task.checklist).unwrap_or_else(|_| "[]".to_owned()))
    .bind(task.created_by)
    .bind(now)
    .bind(task.closed.then_some(now))
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Saves a task's own fields (not its status, order or relations).
pub async fn update_fields(tx: &mut Tx, task: &TaskRow) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update tasks set title = $3, priority = $4, due = $5, estimate = $6, milestone_id = $7,
             parent_id = $8, checklist = $9, updated_at = $10
         where org_id = $1 and id = $2",
    )
    .bind(&task.org_id)
    .bind(&task.id)
    .bind(&task.title)
    .bind(priority_name(task.priority))
    .bind(task.due.as_deref())
    .bind(task.estimate)
    .bind(task.milestone_id.as_deref())
    .bind(task.parent_id.as_deref())
    .bind(serde_json::to_string(&task.checklist).unwrap_or_else(|_| "[]".to_owned()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// Puts a task into a status at an order key; `closed_at` follows the status's category (kept
/// when it stays closed, set when it closes, cleared when it opens).
pub async fn place(
    tx: &mut Tx,
    org_id: &str,
    task_id: &str,
    status_id: &str,
    rank: &str,
    closed: bool,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update tasks set status_id = $3, rank = $4, updated_at = $5,
             closed_at = case when $6 = 1 then coalesce(closed_at, $5) else null end
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(task_id)
    .bind(status_id)
    .bind(rank)
    .bind(now)
    .bind(i64::from(closed))
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// Marks a task changed (a relation of it changed).
pub async fn touch(tx: &mut Tx, org_id: &str, task_id: &str) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query("update tasks set updated_at = $3 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(task_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(now)
}

/// Order keys around a place in a status, read in one round trip (see [`neighbours`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Neighbours {
    /// The key of the task given as `after` (`None`: not given, or not in the status).
    pub after: Option<String>,
    /// The key of the task given as `before` (likewise).
    pub before: Option<String>,
    /// The smallest key above `after`'s (above nothing: the first), the moving task left out.
    pub next: Option<String>,
    /// The largest key below `before`'s (below nothing: the last), the moving task left out.
    pub previous: Option<String>,
}

/// The keys of the tasks `after` and `before` in a status, and the keys next to them, leaving
/// out `except` (the task that moves): every neighbour a placement may need, in one statement.
/// Each is one step of the `(status_id, rank)` index, however long the column: a key is made
/// of ASCII letters and digits ([`crate::boards::rank`]) and compares bytewise (`collate "C"`),
/// so `''` sorts before every key and `'~'` after.
pub async fn neighbours(
    tx: &mut Tx,
    status_id: &str,
    except: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Neighbours, sqlx::Error> {
    let row = sqlx::query(
        "select a.r as after_rank, b.r as before_rank,
             (select rank from tasks
              where status_id = $1 and rank > coalesce(a.r, '') and id <> $2
              order by rank limit 1) as next_rank,
             (select rank from tasks
              where status_id = $1 and rank < coalesce(b.r, '~') and id <> $2
              order by rank desc limit 1) as previous_rank
         from (select (select rank from tasks where status_id = $1 and id = $3) as r) a,
              (select (select rank from tasks where status_id = $1 and id = $4) as r) b",
    )
    .bind(status_id)
    .bind(except)
    .bind(after)
    .bind(before)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Neighbours {
        after: row.try_get("after_rank")?,
        before: row.try_get("before_rank")?,
        next: row.try_get("next_rank")?,
        previous: row.try_get("previous_rank")?,
    })
}

/// Open subtasks of a task.
pub async fn open_subtasks(tx: &mut Tx, org_id: &str, task_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) as n from tasks where org_id = $1 and parent_id = $2 and closed_at is null",
    )
    .bind(org_id)
    .bind(task_id)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("n")
}

/// The parent of a task (walking up the tree to refuse cycles).
pub async fn parent_of(
    tx: &mut Tx,
    org_id: &str,
    task_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select parent_id from tasks where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(task_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| r.try_get("parent_id")).transpose()?.flatten())
}

/// Deletes a task (its relations and history go with it; subtasks lose their parent).
pub async fn delete(tx: &mut Tx, org_id: &str, task_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from timers where task_id = $1")
        .bind(task_id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("delete from tasks where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(task_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Open tasks due on `date` whose due date was not announced yet: `(org, task)`.
pub async fn due_unannounced(
    db: &crate::db::Db,
    date: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select org_id, id from tasks where due = $1 and closed_at is null
             and (due_notified is null or due_notified <> due)
         order by id limit $2",
    )
    .bind(date)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("org_id")?, r.try_get("id")?)))
        .collect()
}

/// Records that the task's due date `date` was announced; false when another node did first.
pub async fn mark_due_notified(
    tx: &mut Tx,
    org_id: &str,
    task_id: &str,
    date: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update tasks set due_notified = $3 where org_id = $1 and id = $2 and due = $3
             and (due_notified is null or due_notified <> $3)",
    )
    .bind(org_id)
    .bind(task_id)
    .bind(date)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
