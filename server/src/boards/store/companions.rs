//! The rows a task brings with it in other domains' tables: the description's document (kind
//! `task`, id = the task's id) and the discussion's channel (kind `task`, id = the task's id).
//! Both carry the task's project, so their access is the project's, unchanged.

use crate::db::{Tx, now_ms};

/// The description document of a new task.
pub async fn create_description(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    task_id: &str,
    title: &str,
    created_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into docs (id, org_id, project_id, title, created_by, created_at, updated_at, kind)
         values ($1, $2, $3, $4, $5, $6, $6, 'task')",
    )
    .bind(task_id)
    .bind(org_id)
    .bind(project_id)
    .bind(title)
    .bind(created_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Keeps the description document's title the task's key and title.
pub async fn rename_description(
    tx: &mut Tx,
    org_id: &str,
    task_id: &str,
    title: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update docs set title = $3 where org_id = $1 and id = $2 and kind = 'task'")
        .bind(org_id)
        .bind(task_id)
        .bind(title)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The discussion channel of a new task: in the task's project, not private, named by the key.
pub async fn create_discussion(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    task_id: &str,
    key: &str,
    created_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into channels (id, org_id, project_id, kind, name, name_key, topic, private, created_by, created_at, updated_at)
         values ($1, $2, $3, 'task', $4, $5, '', 0, $6, $7, $7)",
    )
    .bind(task_id)
    .bind(org_id)
    .bind(project_id)
    .bind(key)
    .bind(format!("task:{task_id}"))
    .bind(created_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Removes a deleted task's document and channel (their own rows cascade from them).
pub async fn delete(tx: &mut Tx, org_id: &str, task_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from channels where org_id = $1 and id = $2 and kind = 'task'")
        .bind(org_id)
        .bind(task_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from docs where org_id = $1 and id = $2 and kind = 'task'")
        .bind(org_id)
        .bind(task_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The messages of a task's discussion (search forgets them with the task).
pub async fn discussion_message_ids(
    tx: &mut Tx,
    org_id: &str,
    task_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select m.id from messages m join channels c on c.id = m.channel_id
         where c.org_id = $1 and c.id = $2 and c.kind = 'task'",
    )
    .bind(org_id)
    .bind(task_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|r| sqlx::Row::try_get(r, "id")).collect()
}
