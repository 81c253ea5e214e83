//! A project's key and its task counter.

use sqlx::{AnyConnection, Row};

use crate::boards::keys;
use crate::db::Tx;

/// The project's key, if it has one.
pub async fn key(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select key from projects where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(project_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get("key")).transpose()?.flatten())
}

/// Whether `key` is taken in the organisation.
pub async fn key_taken(tx: &mut Tx, org_id: &str, key: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select 1 from projects where org_id = $1 and key = $2")
        .bind(org_id)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// The first free key derived from `name` (`ENG`, `ENG2`, …) in the organisation.
pub async fn free_key(tx: &mut Tx, org_id: &str, name: &str) -> Result<String, sqlx::Error> {
    let base = keys::derive(name);
    let mut n = 1;
    loop {
        let candidate = keys::candidate(&base, n);
        if !key_taken(tx, org_id, &candidate).await? {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Sets the key of a project that has none yet; returns the key it has afterwards.
pub async fn ensure_key(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
) -> Result<String, sqlx::Error> {
    let row = sqlx::query("select name, key from projects where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(project_id)
        .fetch_one(&mut **tx)
        .await?;
    if let Some(key) = row.try_get::<Option<String>, _>("key")? {
        return Ok(key);
    }
    let name: String = row.try_get("name")?;
    let key = free_key(tx, org_id, &name).await?;
    set_key(tx, org_id, project_id, &key).await?;
    Ok(key)
}

/// Sets a project's key (the unique index refuses one taken in the org).
pub async fn set_key(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update projects set key = $3 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(project_id)
        .bind(key)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Hands out the project's next task number with its key. The row lock of the update
/// serialises concurrent creations on PostgreSQL (SQLite's writers queue anyway), so a number
/// is never handed out twice; a rolled-back creation leaves a gap, never a repeat.
pub async fn next_task_number(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query(
        "update projects set task_seq = task_seq + 1 where org_id = $1 and id = $2
         returning task_seq, key",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_one(&mut **tx)
    .await?;
    let key: Option<String> = row.try_get("key")?;
    Ok((row.try_get("task_seq")?, key.unwrap_or_default()))
}
