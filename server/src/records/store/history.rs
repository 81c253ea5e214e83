//! Field-level history entries.

use atrium_client::wire::{FieldChange, RecordHistoryEntry};
use sqlx::Row;

use crate::db::bind::values_rows;
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, new_id, now_ms};

/// An entry to append.
pub struct NewEntry<'a> {
    pub org_id: &'a str,
    pub record_id: &'a str,
    pub user_id: Option<&'a str>,
    pub kind: &'a str,
    pub changes: &'a [FieldChange],
    pub action: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// Appends an entry.
pub async fn append(tx: &mut Tx, entry: &NewEntry<'_>) -> Result<(), sqlx::Error> {
    let changes =
        serde_json::to_string(entry.changes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "insert into record_history (id, org_id, record_id, user_id, at, kind, changes, action, comment)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(entry.org_id)
    .bind(entry.record_id)
    .bind(entry.user_id)
    .bind(now_ms())
    .bind(entry.kind)
    .bind(changes)
    .bind(entry.action)
    .bind(entry.comment)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Appends many entries (an import) with multi-row statements.
pub async fn append_all(tx: &mut Tx, entries: &[NewEntry<'_>]) -> Result<(), sqlx::Error> {
    let at = now_ms();
    for chunk in entries.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into record_history (id, org_id, record_id, user_id, at, kind, changes, action, comment) values {}",
            values_rows(tx, chunk.len(), 9)
        ));
        let mut query = sqlx::query(sql);
        for entry in chunk {
            let changes = serde_json::to_string(entry.changes)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(new_id())
                .bind(entry.org_id)
                .bind(entry.record_id)
                .bind(entry.user_id)
                .bind(at)
                .bind(entry.kind)
                .bind(changes)
                .bind(entry.action)
                .bind(entry.comment);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A record's history, oldest first.
pub async fn list(
    db: &Db,
    org_id: &str,
    record_id: &str,
) -> Result<Vec<RecordHistoryEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, user_id, at, kind, changes, action, comment from record_history
         where org_id = $1 and record_id = $2 order by at, id",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let changes: String = row.try_get("changes")?;
            Ok(RecordHistoryEntry {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                user_id: row.try_get("user_id")?,
                at: row.try_get("at")?,
                changes: serde_json::from_str(&changes)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                action: row.try_get("action")?,
                comment: row.try_get("comment")?,
            })
        })
        .collect()
}
