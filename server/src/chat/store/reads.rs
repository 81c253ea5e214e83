//! Read markers, thread follows, unread counts and the threads view.
//!
//! Markers are message ids: UUIDv7 ids sort by creation time, so "unread" is "newer than the
//! marker". Markers only move forward.

use sqlx::Row;

use std::collections::BTreeMap;

use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, values_rows};

/// Unread counts stop at this many: beyond it clients show "999+", and counting a long
/// history nobody read would cost a scan.
pub const UNREAD_CAP: i64 = 999;

/// Moves the user's channel marker forward to `message_id`; whether it moved. `unhide` also
/// shows the channel again if the user had left it (they posted there).
pub async fn mark_channel(
    tx: &mut Tx,
    channel_id: &str,
    user_id: &str,
    message_id: &str,
    unhide: bool,
) -> Result<bool, sqlx::Error> {
    let sql = if unhide {
        "insert into channel_user_state (channel_id, user_id, last_read) values ($1, $2, $3)
         on conflict (channel_id, user_id) do update set last_read = excluded.last_read, hidden = 0
         where channel_user_state.last_read is null or channel_user_state.last_read < excluded.last_read"
    } else {
        "insert into channel_user_state (channel_id, user_id, last_read) values ($1, $2, $3)
         on conflict (channel_id, user_id) do update set last_read = excluded.last_read
         where channel_user_state.last_read is null or channel_user_state.last_read < excluded.last_read"
    };
    let done = sqlx::query(sql)
        .bind(channel_id)
        .bind(user_id)
        .bind(message_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Moves posters' channel markers forward to their messages and shows the channel again to
/// them (they posted there): `(channel, user, message)` for a group of posts, written with one
/// statement. A user who posted twice in a channel keeps the later message (ids sort by time;
/// PostgreSQL refuses one statement updating a row twice).
pub async fn mark_posted(tx: &mut Tx, posts: &[(&str, &str, &str)]) -> Result<(), sqlx::Error> {
    let mut latest: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for &(channel, user, message) in posts {
        let marker = latest.entry((channel, user)).or_insert(message);
        if *marker < message {
            *marker = message;
        }
    }
    let rows: Vec<_> = latest.into_iter().collect();
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into channel_user_state (channel_id, user_id, last_read) values {}
             on conflict (channel_id, user_id) do update set last_read = excluded.last_read, hidden = 0
             where channel_user_state.last_read is null or channel_user_state.last_read < excluded.last_read",
            values_rows(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for ((channel, user), message) in chunk {
            query = query.bind(*channel).bind(*user).bind(*message);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Follows a thread. `explicit` also overrides an earlier unfollow (the user asked, or posted);
/// otherwise (mentioned, root author) an unfollow stands.
pub async fn follow(
    tx: &mut Tx,
    root_id: &str,
    user_id: &str,
    org_id: &str,
    explicit: bool,
) -> Result<(), sqlx::Error> {
    let sql = if explicit {
        "insert into thread_follows (root_id, user_id, org_id, following) values ($1, $2, $3, 1)
         on conflict (root_id, user_id) do update set following = 1"
    } else {
        "insert into thread_follows (root_id, user_id, org_id, following) values ($1, $2, $3, 1)
         on conflict (root_id, user_id) do nothing"
    };
    sqlx::query(sql)
        .bind(root_id)
        .bind(user_id)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stops following a thread.
pub async fn unfollow(
    tx: &mut Tx,
    root_id: &str,
    user_id: &str,
    org_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into thread_follows (root_id, user_id, org_id, following) values ($1, $2, $3, 0)
         on conflict (root_id, user_id) do update set following = 0",
    )
    .bind(root_id)
    .bind(user_id)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the user follows the thread.
pub async fn is_following(db: &Db, root_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("select following from thread_follows where root_id = $1 and user_id = $2")
            .bind(root_id)
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>(0)? != 0,
        None => false,
    })
}

/// The users following a thread.
pub async fn followers(tx: &mut Tx, root_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select user_id from thread_follows where root_id = $1 and following = 1 order by user_id",
    )
    .bind(root_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// Moves the user's thread marker forward (following or not); whether it moved.
pub async fn mark_thread(
    tx: &mut Tx,
    root_id: &str,
    user_id: &str,
    org_id: &str,
    message_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into thread_follows (root_id, user_id, org_id, following, last_read)
         values ($1, $2, $3, 0, $4)
         on conflict (root_id, user_id) do update set last_read = excluded.last_read
         where thread_follows.last_read is null or thread_follows.last_read < excluded.last_read",
    )
    .bind(root_id)
    .bind(user_id)
    .bind(org_id)
    .bind(message_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Unread state of one channel for a user.
#[derive(Debug, Clone)]
pub struct ChannelCounts {
    pub channel_id: String,
    pub last_read: Option<String>,
    pub unread: i64,
    pub mentions: i64,
}

/// Unread and mention counts of every channel of an org, for the caller to filter by what the
/// user may see. Unread: others' top-level messages past the marker (capped); mentions: the
/// user's mentions past the channel marker, or past the thread marker for replies.
pub async fn channel_counts(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Vec<ChannelCounts>, sqlx::Error> {
    let rows = sqlx::query(
        "select c.id, s.last_read,
             (select count(*) from (select 1 from messages m
                  where m.channel_id = c.id and m.thread_id is null and m.deleted_at is null
                    and m.author_id <> $2 and (s.last_read is null or m.id > s.last_read)
                  limit $3) as capped) as unread,
             (select count(*) from mentions x
                  left join thread_follows f on f.root_id = x.thread_id and f.user_id = x.user_id
                  where x.user_id = $2 and x.channel_id = c.id
                    and ((x.thread_id is null and (s.last_read is null or x.message_id > s.last_read))
                      or (x.thread_id is not null and (f.last_read is null or x.message_id > f.last_read)))
             ) as mentions
         from channels c
         left join channel_user_state s on s.channel_id = c.id and s.user_id = $2
         where c.org_id = $1",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(UNREAD_CAP)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ChannelCounts {
                channel_id: row.try_get("id")?,
                last_read: row.try_get("last_read")?,
                unread: row.try_get("unread")?,
                mentions: row.try_get("mentions")?,
            })
        })
        .collect()
}

/// A followed thread with the user's unread replies and mentions in it.
#[derive(Debug, Clone)]
pub struct FollowedRow {
    pub root_id: String,
    pub channel_id: String,
    pub unread: i64,
    pub mentions: i64,
}

/// The threads a user follows in an org, most recently replied first.
pub async fn followed_threads(
    db: &Db,
    org_id: &str,
    user_id: &str,
    limit: i64,
) -> Result<Vec<FollowedRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select r.id, r.channel_id,
             (select count(*) from messages m where m.thread_id = r.id and m.deleted_at is null
                  and m.author_id <> $2 and (f.last_read is null or m.id > f.last_read)) as unread,
             (select count(*) from mentions x where x.thread_id = r.id and x.user_id = $2
                  and (f.last_read is null or x.message_id > f.last_read)) as mentions
         from thread_follows f join messages r on r.id = f.root_id
         where f.user_id = $2 and f.org_id = $1 and f.following = 1
         order by coalesce(r.last_reply_at, r.created_at) desc, r.id desc
         limit $3",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FollowedRow {
                root_id: row.try_get("id")?,
                channel_id: row.try_get("channel_id")?,
                unread: row.try_get("unread")?,
                mentions: row.try_get("mentions")?,
            })
        })
        .collect()
}
