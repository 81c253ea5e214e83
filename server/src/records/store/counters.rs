//! Naming-series counters.

use sqlx::Row;

use crate::db::Tx;

/// The next number of the series (1 first), taken inside the record's transaction: the
/// upsert locks the counter row until commit on PostgreSQL, and SQLite has one writer.
pub async fn next(
    tx: &mut Tx,
    org_id: &str,
    record_type: &str,
    period: &str,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "insert into record_counters (org_id, type, period, next) values ($1, $2, $3, 1)
         on conflict (org_id, type, period) do update set next = record_counters.next + 1
         returning next",
    )
    .bind(org_id)
    .bind(record_type)
    .bind(period)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("next")
}
