//! The change feed: an append-only log of changes that derived state follows.
//!
//! Features append a [`Change`] inside the transaction of their own write, so the feed holds
//! exactly what was committed. Consumers (the search indexer, webhooks, notification e-mail)
//! remember the last sequence they applied and read on from there with [`read_after`], which
//! lets any of them catch up after a crash or rebuild from zero.
//!
//! On PostgreSQL, sequence numbers are handed out at insert time, so a transaction that took
//! number 8 could commit after one that took 9, and a consumer that had read 9 would never see 8.
//! Appenders therefore take a transaction-scoped advisory lock first: feed rows commit in
//! sequence order. SQLite has a single writer and needs nothing.

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Db, MAX_ROWS_PER_STATEMENT, Tx, now_ms, values_rows};

/// Advisory lock key that serialises change-feed appends on PostgreSQL ("atrium-feed").
const FEED_LOCK_KEY: i64 = 0x0061_7472_6975_6d66;

/// What happened to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Created or changed: the payload carries its current state.
    Upsert,
    /// Deleted, trashed or made invisible: consumers drop it.
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "delete" {
            Self::Delete
        } else {
            Self::Upsert
        }
    }
}

/// A change to append.
#[derive(Debug, Clone)]
pub struct NewChange<'a, P: Serialize> {
    pub org_id: &'a str,
    pub kind: &'a str,
    pub entity_id: &'a str,
    pub op: Op,
    pub payload: &'a P,
}

/// A committed change, as consumers read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub org_id: String,
    pub kind: String,
    pub entity_id: String,
    pub op: Op,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// Appends a change inside the caller's transaction; returns its sequence number.
pub async fn append<P: Serialize>(
    tx: &mut Tx,
    change: NewChange<'_, P>,
) -> Result<i64, sqlx::Error> {
    let payload =
        serde_json::to_string(change.payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    lock(tx).await?;
    let row = sqlx::query(
        "insert into change_feed (org_id, kind, entity_id, op, payload, created_at)
         values ($1, $2, $3, $4, $5, $6) returning seq",
    )
    .bind(change.org_id)
    .bind(change.kind)
    .bind(change.entity_id)
    .bind(change.op.as_str())
    .bind(payload)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    row.try_get::<i64, _>(0)
}

/// Appends changes inside the caller's transaction, in the order given, with one statement per
/// few hundred changes.
pub async fn append_many<P: Serialize>(
    tx: &mut Tx,
    changes: &[NewChange<'_, P>],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    lock(tx).await?;
    let now = now_ms();
    for chunk in changes.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into change_feed (org_id, kind, entity_id, op, payload, created_at) values {}",
            values_rows(chunk.len(), 6)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for change in chunk {
            let payload = serde_json::to_string(change.payload)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(change.org_id)
                .bind(change.kind)
                .bind(change.entity_id)
                .bind(change.op.as_str())
                .bind(payload)
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Takes the feed's lock for the rest of the transaction (PostgreSQL; SQLite has one writer).
///
/// Everything whose sequence must commit in order — feed rows, app events — is appended after
/// it. Taking it again in the same transaction is free. Call it before generating identifiers
/// that must sort in commit order (chat message ids).
pub async fn lock(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if backend_of(tx) == Backend::Postgres {
        sqlx::query("select count(*) from (select pg_advisory_xact_lock($1)) as feed_lock")
            .bind(FEED_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Up to `limit` changes with a sequence above `after`, in sequence order.
pub async fn read_after(db: &Db, after: i64, limit: i64) -> Result<Vec<Change>, sqlx::Error> {
    let rows = sqlx::query(
        "select seq, org_id, kind, entity_id, op, payload, created_at
         from change_feed where seq > $1 order by seq limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|row| {
            let payload: String = row.try_get("payload")?;
            Ok(Change {
                seq: row.try_get("seq")?,
                org_id: row.try_get("org_id")?,
                kind: row.try_get("kind")?,
                entity_id: row.try_get("entity_id")?,
                op: Op::parse(&row.try_get::<String, _>("op")?),
                payload: serde_json::from_str(&payload)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// The highest committed sequence number (0 when the feed is empty).
pub async fn head(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select coalesce(max(seq), 0) from change_feed")
        .fetch_one(db.pool())
        .await?;
    row.try_get::<i64, _>(0)
}

fn backend_of(tx: &mut Tx) -> Backend {
    match tx.backend_name() {
        "PostgreSQL" => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}
