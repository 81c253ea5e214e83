//! Every SQL statement of the app event log.
//!
//! Events are appended inside the transaction of the write they describe. On PostgreSQL their
//! `seq` may commit out of order (appends take no lock), so the dispatcher reads only up to a
//! safe horizon ([`crate::db::horizon`]): a reader that saw `seq` N never later finds an N-1.

use sqlx::Row;

use super::{Audience, NewEvent, StoredEvent};
use crate::db::horizon::claiming_rows;
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, keep_prepared, now_ms, values_rows};

/// Appends events inside the caller's transaction, in the order given, with one statement per
/// few hundred events. Only the write path calls it ([`crate::write::UnitOfWork::commit`]).
pub async fn append_many(tx: &mut Tx, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    for chunk in events.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into events (org_id, audience, target, type, data, created_at) {}",
            claiming_rows(tx, &values_rows(chunk.len(), 6))
        );
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(keep_prepared(chunk.len()));
        for event in chunk {
            let data =
                serde_json::to_string(&event.data).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(&event.org_id)
                .bind(event.audience.kind())
                .bind(event.audience.target())
                .bind(event.kind)
                .bind(data)
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Up to `limit` events after `after` and at most `through` (a safe horizon, or a sequence
/// already dispatched), in order.
pub async fn read_between(
    db: &Db,
    after: i64,
    through: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "select seq, org_id, audience, target, type, data from events
         where seq > $1 and seq <= $2 order by seq limit $3",
    )
    .bind(after)
    .bind(through)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let audience: String = row.try_get("audience")?;
            let target: String = row.try_get("target")?;
            Ok(StoredEvent {
                seq: row.try_get("seq")?,
                org_id: row.try_get("org_id")?,
                audience: Audience::parse(&audience, target)
                    .ok_or_else(|| sqlx::Error::Decode(format!("audience {audience}").into()))?,
                kind: row.try_get("type")?,
                data: row.try_get("data")?,
            })
        })
        .collect()
}

/// The sequence of the newest event kept for `audience` (0: none), as this statement sees the
/// log.
pub async fn latest_for(
    conn: &mut sqlx::AnyConnection,
    audience: &Audience,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "select seq from events where audience = $1 and target = $2 order by seq desc limit 1",
    )
    .bind(audience.kind())
    .bind(audience.target())
    .fetch_optional(conn)
    .await?;
    row.map_or(Ok(0), |r| r.try_get("seq"))
}

/// The oldest and newest sequence numbers kept, or `None` when the log is empty.
pub async fn bounds(db: &Db) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let row = sqlx::query("select min(seq), max(seq) from events")
        .fetch_one(db.pool())
        .await?;
    let min: Option<i64> = row.try_get(0)?;
    let max: Option<i64> = row.try_get(1)?;
    Ok(min.zip(max))
}

/// Deletes events older than `before_ms`, always keeping the newest (so the log's bounds stay
/// known and a client's resume point can be judged). Returns how many went.
pub async fn prune(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "delete from events where created_at < $1 and seq < (select max(seq) from events)",
    )
    .bind(before_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Records when a user was last seen (their last socket closed).
pub async fn set_last_seen(db: &Db, user_id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_presence (user_id, last_seen_at) values ($1, $2)
         on conflict (user_id) do update set last_seen_at = excluded.last_seen_at",
    )
    .bind(user_id)
    .bind(at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// When each member of an org was last seen (members never seen are absent).
pub async fn last_seen_in_org(db: &Db, org_id: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "select p.user_id, p.last_seen_at from user_presence p
         join org_members m on m.user_id = p.user_id where m.org_id = $1",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("user_id")?, row.try_get("last_seen_at")?)))
        .collect()
}
