//! What a task links to: assignees, labels, watchers, blockers, attachments.

use atrium_client::wire::{TaskAttachment, TaskRef};
use sqlx::{AnyConnection, Row};

use crate::boards::model::task_key;
use crate::db::{Tx, now_ms};

/// A set-valued relation of a task stored as `(task_id, value)` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Assignees,
    Labels,
    Watchers,
    Blockers,
}

impl Link {
    /// Table and value column (fixed names: never from input).
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::Assignees => ("task_assignees", "user_id"),
            Self::Labels => ("task_labels", "label"),
            Self::Watchers => ("task_watchers", "user_id"),
            Self::Blockers => ("task_dependencies", "blocker_id"),
        }
    }
}

/// A task's values of one relation, sorted.
pub async fn values(
    conn: &mut AnyConnection,
    link: Link,
    task_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let (table, column) = link.table();
    let sql = sqlx::AssertSqlSafe(format!(
        "select {column} as v from {table} where task_id = $1 order by {column}"
    ));
    let rows = sqlx::query(sql).bind(task_id).fetch_all(conn).await?;
    rows.iter().map(|r| r.try_get("v")).collect()
}

/// Replaces a task's values of one relation.
pub async fn replace(
    tx: &mut Tx,
    link: Link,
    task_id: &str,
    values: &[String],
) -> Result<(), sqlx::Error> {
    let (table, _) = link.table();
    let sql = sqlx::AssertSqlSafe(format!("delete from {table} where task_id = $1"));
    sqlx::query(sql).bind(task_id).execute(&mut **tx).await?;
    add(tx, link, task_id, values).await
}

/// Adds values to a relation (present ones stay).
pub async fn add(
    tx: &mut Tx,
    link: Link,
    task_id: &str,
    values: &[String],
) -> Result<(), sqlx::Error> {
    let (table, column) = link.table();
    for value in values {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into {table} (task_id, {column}) values ($1, $2) on conflict do nothing"
        ));
        sqlx::query(sql)
            .bind(task_id)
            .bind(value)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Every `(task, value)` of one relation for the tasks of a project.
pub async fn values_in_project(
    conn: &mut AnyConnection,
    link: Link,
    project_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let (table, column) = link.table();
    let sql = sqlx::AssertSqlSafe(format!(
        "select r.task_id, r.{column} as v from {table} r join tasks t on t.id = r.task_id
         where t.project_id = $1 order by r.{column}"
    ));
    let rows = sqlx::query(sql).bind(project_id).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("task_id")?, r.try_get("v")?)))
        .collect()
}

/// Of `ids`, those that are tasks of the project.
pub async fn tasks_in_project(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut found = Vec::new();
    for id in ids {
        let row =
            sqlx::query("select id from tasks where org_id = $1 and project_id = $2 and id = $3")
                .bind(org_id)
                .bind(project_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        if row.is_some() {
            found.push(id.clone());
        }
    }
    Ok(found)
}

/// The tasks `task_id` waits for, directly (the dependency graph's edges out of it).
pub async fn blockers_of(tx: &mut Tx, task_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select blocker_id from task_dependencies where task_id = $1")
        .bind(task_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| r.try_get("blocker_id")).collect()
}

/// Every task that waits for `blocker_id`, with its project and how many of its blockers are
/// open now (in the transaction that closed or reopened `blocker_id`).
pub async fn dependents(
    tx: &mut Tx,
    blocker_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "select t.id, t.project_id,
             (select count(*) from task_dependencies o join tasks b on b.id = o.blocker_id
              where o.task_id = t.id and b.closed_at is null) as open_blockers
         from task_dependencies d join tasks t on t.id = d.task_id
         where d.blocker_id = $1 order by t.id",
    )
    .bind(blocker_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("project_id")?,
                r.try_get("open_blockers")?,
            ))
        })
        .collect()
}

/// Tasks that wait for `blocker_id` and are open, with the assignees to tell.
pub async fn waiting_on(
    tx: &mut Tx,
    blocker_id: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select t.id, t.title, a.user_id from task_dependencies d
         join tasks t on t.id = d.task_id and t.closed_at is null
         join task_assignees a on a.task_id = t.id
         where d.blocker_id = $1",
    )
    .bind(blocker_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("title")?, r.try_get("user_id")?)))
        .collect()
}

async fn refs(
    conn: &mut AnyConnection,
    sql: &'static str,
    task_id: &str,
) -> Result<Vec<TaskRef>, sqlx::Error> {
    let rows = sqlx::query(sql).bind(task_id).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            let key: Option<String> = r.try_get("key")?;
            let closed: Option<i64> = r.try_get("closed_at")?;
            Ok(TaskRef {
                id: r.try_get("id")?,
                key: task_key(key.as_deref().unwrap_or_default(), r.try_get("number")?),
                title: r.try_get("title")?,
                closed: closed.is_some(),
            })
        })
        .collect()
}

/// The tasks a task waits for.
pub async fn blocked_by(
    conn: &mut AnyConnection,
    task_id: &str,
) -> Result<Vec<TaskRef>, sqlx::Error> {
    refs(
        conn,
        "select t.id, p.key, t.number, t.title, t.closed_at from task_dependencies d
         join tasks t on t.id = d.blocker_id join projects p on p.id = t.project_id
         where d.task_id = $1 order by t.number",
        task_id,
    )
    .await
}

/// The tasks waiting for a task.
pub async fn blocks(conn: &mut AnyConnection, task_id: &str) -> Result<Vec<TaskRef>, sqlx::Error> {
    refs(
        conn,
        "select t.id, p.key, t.number, t.title, t.closed_at from task_dependencies d
         join tasks t on t.id = d.task_id join projects p on p.id = t.project_id
         where d.blocker_id = $1 order by t.number",
        task_id,
    )
    .await
}

/// A task's subtasks.
pub async fn subtasks(
    conn: &mut AnyConnection,
    task_id: &str,
) -> Result<Vec<TaskRef>, sqlx::Error> {
    refs(
        conn,
        "select t.id, p.key, t.number, t.title, t.closed_at from tasks t
         join projects p on p.id = t.project_id where t.parent_id = $1 order by t.number",
        task_id,
    )
    .await
}

/// A task as a reference.
pub async fn task_ref(
    conn: &mut AnyConnection,
    task_id: &str,
) -> Result<Option<TaskRef>, sqlx::Error> {
    Ok(refs(
        conn,
        "select t.id, p.key, t.number, t.title, t.closed_at from tasks t
         join projects p on p.id = t.project_id where t.id = $1",
        task_id,
    )
    .await?
    .pop())
}

/// A task's attached files (live ones).
pub async fn attachments(
    conn: &mut AnyConnection,
    task_id: &str,
) -> Result<Vec<TaskAttachment>, sqlx::Error> {
    let rows = sqlx::query(
        "select f.id, f.name, v.size, v.content_type from task_attachments a
         join files f on f.id = a.file_id and f.trashed_at is null
         join file_versions v on v.file_id = f.id and v.number = f.current_version
         where a.task_id = $1 order by a.created_at, f.id",
    )
    .bind(task_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let size: i64 = r.try_get("size")?;
            Ok(TaskAttachment {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                size: u64::try_from(size).unwrap_or_default(),
                content_type: r.try_get("content_type")?,
            })
        })
        .collect()
}

/// A task's attached file ids.
pub async fn attachment_ids(tx: &mut Tx, task_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows =
        sqlx::query("select file_id from task_attachments where task_id = $1 order by file_id")
            .bind(task_id)
            .fetch_all(&mut **tx)
            .await?;
    rows.iter().map(|r| r.try_get("file_id")).collect()
}

/// Of `ids`, those that are live files of the project.
pub async fn files_in_project(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut found = Vec::new();
    for id in ids {
        let row = sqlx::query(
            "select id from files where org_id = $1 and project_id = $2 and id = $3 and trashed_at is null",
        )
        .bind(org_id)
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        if row.is_some() {
            found.push(id.clone());
        }
    }
    Ok(found)
}

/// Replaces a task's attachments.
pub async fn replace_attachments(
    tx: &mut Tx,
    task_id: &str,
    file_ids: &[String],
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from task_attachments where task_id = $1")
        .bind(task_id)
        .execute(&mut **tx)
        .await?;
    let now = now_ms();
    for file_id in file_ids {
        sqlx::query(
            "insert into task_attachments (task_id, file_id, created_by, created_at) values ($1, $2, $3, $4)",
        )
        .bind(task_id)
        .bind(file_id)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Whether a milestone belongs to the project.
pub async fn milestone_in_project(
    tx: &mut Tx,
    project_id: &str,
    milestone_id: &str,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select 1 from milestones where project_id = $1 and id = $2")
        .bind(project_id)
        .bind(milestone_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Minutes logged on a task.
pub async fn time_spent(conn: &mut AnyConnection, task_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select cast(coalesce(sum(minutes), 0) as bigint) as n from time_entries where task_id = $1")
        .bind(task_id)
        .fetch_one(conn)
        .await?;
    row.try_get("n")
}
