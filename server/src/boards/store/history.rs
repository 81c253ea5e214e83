//! Task activity: one row per changed field.

use atrium_client::wire::TaskChange;
use sqlx::{AnyConnection, Row};

use crate::db::{Tx, now_ms};

/// One field change to record.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// Records field changes of a task by `actor`.
pub async fn record(
    tx: &mut Tx,
    task_id: &str,
    actor: &str,
    changes: &[FieldChange],
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    for change in changes {
        sqlx::query(
            "insert into task_history (task_id, actor_id, at, field, before, after)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(task_id)
        .bind(actor)
        .bind(now)
        .bind(change.field)
        .bind(change.before.to_string())
        .bind(change.after.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A task's history in order (the task's tenant is checked by the caller's lookup).
pub async fn list(
    conn: &mut AnyConnection,
    org_id: &str,
    task_id: &str,
) -> Result<Vec<TaskChange>, sqlx::Error> {
    let rows = sqlx::query(
        "select h.seq, h.actor_id, h.at, h.field, h.before, h.after from task_history h
         join tasks t on t.id = h.task_id and t.org_id = $1
         where h.task_id = $2 order by h.seq",
    )
    .bind(org_id)
    .bind(task_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let parse = |text: Option<String>| {
                text.and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(serde_json::Value::Null)
            };
            Ok(TaskChange {
                seq: r.try_get("seq")?,
                actor: r.try_get("actor_id")?,
                at: r.try_get("at")?,
                field: r.try_get("field")?,
                before: parse(r.try_get("before")?),
                after: parse(r.try_get("after")?),
            })
        })
        .collect()
}
