//! Every SQL statement of the change feed: appends, reads up to a horizon, consumer cursors and
//! retention. The types are in [`crate::feed`].
//!
//! Features append inside the transaction of their own write, so the feed holds exactly what
//! was committed. Sequence numbers are handed out at insert time and, with no lock around
//! appends, may commit out of order on PostgreSQL: readers read only up to a safe horizon
//! ([`super::horizon`]), which appends make possible by claiming their transaction id first.

use sqlx::Row;

use super::horizon::claiming_rows;
use super::{Db, MAX_ROWS_PER_STATEMENT, Tx, bind, keep_prepared, now_ms};
use crate::feed::{Cause, Change, ChangeData, ChangeKind, NewChange, Op, Payload};

/// Appends changes inside the caller's transaction, in the order given, with one statement per
/// few hundred changes; returns their sequence numbers in that order. Only the write path calls
/// it ([`crate::write::UnitOfWork::commit`]).
pub async fn append(tx: &mut Tx, changes: &[NewChange]) -> Result<Vec<i64>, sqlx::Error> {
    let mut seqs = Vec::with_capacity(changes.len());
    if changes.is_empty() {
        return Ok(seqs);
    }
    let now = now_ms();
    for chunk in changes.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into change_feed (org_id, kind, entity_id, op, payload, created_at, cause) {} returning seq",
            claiming_rows(tx, &bind::values_rows(tx, chunk.len(), 7))
        );
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(keep_prepared(chunk.len()));
        for change in chunk {
            query = query
                .bind(&change.org_id)
                .bind(change.kind.as_str())
                .bind(&change.entity_id)
                .bind(change.op.as_str())
                .bind(&change.payload)
                .bind(now)
                .bind(change.cause.as_ref().map(Cause::to_json));
        }
        // One statement's rows get increasing sequences in the order of its values; the
        // order `returning` lists them in is unspecified, so they are sorted.
        let mut chunk_seqs = query
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        chunk_seqs.sort_unstable();
        seqs.extend(chunk_seqs);
    }
    Ok(seqs)
}

/// What one [`read_checked`] found.
#[derive(Debug)]
pub struct CheckedRead {
    /// The highest sequence retention had deleted when the read ran.
    pub pruned: i64,
    /// The highest sequence in the feed when the read ran.
    pub head: i64,
    /// Up to the limit, in sequence order.
    pub changes: Vec<Change>,
}

/// Up to `limit` changes with a sequence above `after` and at most `through` (a safe horizon),
/// in sequence order, with the pruned mark ([`pruned_through`]) and the feed's head ([`head`])
/// in the same statement: a consumer's read is one round trip instead of three (on SQLite,
/// where everything visible is safe to read, the head is the horizon too).
pub async fn read_checked(
    db: &Db,
    after: i64,
    through: i64,
    limit: i64,
) -> Result<CheckedRead, sqlx::Error> {
    // The marks are one row; the changes join it, so the marks come back with no changes too.
    let rows = sqlx::query(
        "select m.pruned, m.head, c.seq, c.org_id, c.kind, c.entity_id, c.op, c.payload,
                c.created_at, c.cause
         from (select (select coalesce(max(through_seq), 0) from feed_pruned) as pruned,
                      (select coalesce(max(seq), 0) from change_feed) as head) m
         left join (select seq, org_id, kind, entity_id, op, payload, created_at, cause
                    from change_feed where seq > $1 and seq <= $2 order by seq limit $3) c
           on 1 = 1
         order by c.seq",
    )
    .bind(after)
    .bind(through)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let first = rows
        .first()
        .ok_or_else(|| sqlx::Error::Protocol("the change feed's marks returned no row".into()))?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<i64>, _>("seq")?.is_some() {
            changes.push(change_of(row)?);
        }
    }
    Ok(CheckedRead {
        pruned: first.try_get("pruned")?,
        head: first.try_get("head")?,
        changes,
    })
}

/// An organisation's latest `limit` changes still in the feed, oldest first (a dry run's
/// replay; not a consumer's read, so no horizon).
pub async fn recent_of_org(db: &Db, org_id: &str, limit: i64) -> Result<Vec<Change>, sqlx::Error> {
    let rows = sqlx::query(
        "select seq, org_id, kind, entity_id, op, payload, created_at, cause
         from change_feed where org_id = $1 order by seq desc limit $2",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut changes = rows.iter().map(change_of).collect::<Result<Vec<_>, _>>()?;
    changes.reverse();
    Ok(changes)
}

fn change_of(row: &sqlx::any::AnyRow) -> Result<Change, sqlx::Error> {
    let kind_name: String = row.try_get("kind")?;
    let op: String = row.try_get("op")?;
    let payload: String = row.try_get("payload")?;
    let cause: Option<String> = row.try_get("cause")?;
    Ok(Change {
        seq: row.try_get("seq")?,
        org_id: row.try_get("org_id")?,
        entity_id: row.try_get("entity_id")?,
        created_at: row.try_get("created_at")?,
        data: decode(kind_name, &op, &payload),
        cause: Cause::from_json(cause.as_deref()),
    })
}

/// A stored row's operation and payload. A row this server cannot read (a newer version's
/// kind, or a payload that does not match its kind) is passed over as `Unknown` rather than
/// stalling every consumer behind it.
fn decode(kind_name: String, op: &str, payload: &str) -> ChangeData {
    let Some(kind) = ChangeKind::parse(&kind_name) else {
        return ChangeData::Unknown { kind: kind_name };
    };
    if op == Op::Delete.as_str() {
        let removal = serde_json::from_str(payload).unwrap_or_default();
        return ChangeData::Delete { kind, removal };
    }
    match Payload::from_json(kind, payload) {
        Ok(payload) => ChangeData::Upsert(payload),
        Err(error) => {
            tracing::warn!(kind = kind_name, %error, "change-feed payload not understood");
            ChangeData::Unknown { kind: kind_name }
        }
    }
}

/// The payload of an entity's latest row in the feed (inside the caller's transaction), if it
/// has one.
pub async fn latest_payload(
    tx: &mut Tx,
    kind: ChangeKind,
    entity_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "select payload from change_feed where kind = $1 and entity_id = $2 and op = 'upsert'
         order by seq desc limit 1",
    )
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| row.try_get::<String, _>(0)).transpose()
}

/// The highest committed sequence number (0 when the feed is empty). On PostgreSQL a lower one
/// may still commit: read up to a horizon, not up to this.
pub async fn head(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select coalesce(max(seq), 0) from change_feed")
        .fetch_one(db.pool())
        .await?;
    row.try_get::<i64, _>(0)
}

/// A consumer's cursor, or `None` when it is not registered.
pub async fn consumer_cursor(db: &Db, name: &str) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("select cursor_seq from feed_consumers where name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| row.try_get::<i64, _>(0)).transpose()
}

/// Registers a consumer at `cursor` unless it exists; returns its cursor either way.
pub async fn register_consumer(db: &Db, name: &str, cursor: i64) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "insert into feed_consumers (name, cursor_seq, registered_at, updated_at)
         values ($1, $2, $3, $3) on conflict (name) do nothing",
    )
    .bind(name)
    .bind(cursor)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(consumer_cursor(db, name).await?.unwrap_or(cursor))
}

/// Sets a consumer's cursor (forward after applying, or back for a rebuild) and records that it
/// is alive.
pub async fn set_consumer_cursor(db: &Db, name: &str, cursor: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update feed_consumers set cursor_seq = $2, updated_at = $3 where name = $1")
        .bind(name)
        .bind(cursor)
        .bind(now_ms())
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Forgets a consumer: it no longer holds rows back.
pub async fn remove_consumer(db: &Db, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from feed_consumers where name = $1")
        .bind(name)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The lowest cursor of the consumers that acknowledged at or after `alive_since`, or `None`
/// when there are none.
pub async fn lowest_live_cursor(db: &Db, alive_since: i64) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("select min(cursor_seq) from feed_consumers where updated_at >= $1")
        .bind(alive_since)
        .fetch_one(db.pool())
        .await?;
    row.try_get::<Option<i64>, _>(0)
}

/// The highest sequence retention has deleted (0 when it never deleted anything).
pub async fn pruned_through(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select coalesce(max(through_seq), 0) from feed_pruned")
        .fetch_one(db.pool())
        .await?;
    row.try_get::<i64, _>(0)
}

/// Deletes up to `limit` rows that no consumer needs: numbered at most `through` (every live
/// consumer has passed them), appended before `before_ms` (outside the retention window), and
/// either removals or superseded by a later row of the same entity. The last upsert of every
/// live entity stays, so a consumer that starts from the beginning (a new node's search index,
/// a rebuild) still finds every entity's current state. Returns how many rows went.
pub async fn prune(db: &Db, through: i64, before_ms: i64, limit: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "select max(seq) from (
             select c.seq from change_feed c
             where c.seq <= $1 and c.created_at < $2
               and (c.op = 'delete' or exists (
                   select 1 from change_feed n
                   where n.kind = c.kind and n.entity_id = c.entity_id and n.org_id = c.org_id
                     and n.seq > c.seq))
             order by c.seq limit $3) as doomed",
    )
    .bind(through)
    .bind(before_ms)
    .bind(limit)
    .fetch_one(&mut *tx)
    .await?;
    let Some(last) = row.try_get::<Option<i64>, _>(0)? else {
        return Ok(0);
    };
    let done = sqlx::query(
        "delete from change_feed where seq <= $1 and created_at < $2
           and (op = 'delete' or exists (
               select 1 from change_feed n
               where n.kind = change_feed.kind and n.entity_id = change_feed.entity_id
                 and n.org_id = change_feed.org_id and n.seq > change_feed.seq))",
    )
    .bind(last)
    .bind(before_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into feed_pruned (id, through_seq) values (1, $1)
         on conflict (id) do update set through_seq = case
             when excluded.through_seq > feed_pruned.through_seq then excluded.through_seq
             else feed_pruned.through_seq end",
    )
    .bind(last)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
