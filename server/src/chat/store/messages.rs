//! Messages, their edits, reactions and mentions, and thread counters.

use std::collections::HashMap;

use atrium_client::wire::{AttachmentRef, Message, MessageEdit, Reaction, UserRef};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, values_rows};

const COLUMNS: &str = "m.id, m.org_id, m.channel_id, m.thread_id, m.author_id, u.handle as author_handle, \
     u.name as author_name, m.text, m.created_at, m.edited_at, m.deleted_at, m.reply_count, \
     m.last_reply_at, m.participant_ids, m.mention_ids, m.attachments";

/// A message as stored (reactions are read separately).
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub org_id: String,
    pub channel_id: String,
    pub thread_id: Option<String>,
    pub author: UserRef,
    pub text: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub reply_count: i64,
    pub last_reply_at: Option<i64>,
    pub participant_ids: Vec<String>,
    pub mention_ids: Vec<String>,
    pub attachments: Vec<AttachmentRef>,
}

impl MessageRow {
    /// The wire form, with the message's reactions.
    pub fn into_wire(self, reactions: Vec<Reaction>) -> Message {
        Message {
            id: self.id,
            channel_id: self.channel_id,
            org_id: self.org_id,
            thread_id: self.thread_id,
            author: self.author,
            text: self.text,
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted: self.deleted_at.is_some(),
            mentions: self.mention_ids,
            attachments: self.attachments,
            reactions,
            reply_count: self.reply_count,
            last_reply_at: self.last_reply_at,
            participant_ids: self.participant_ids,
            can: None,
        }
    }
}

fn json_list<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<Vec<T>, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn message_from(row: &AnyRow) -> Result<MessageRow, sqlx::Error> {
    Ok(MessageRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        channel_id: row.try_get("channel_id")?,
        thread_id: row.try_get("thread_id")?,
        author: UserRef {
            id: row.try_get("author_id")?,
            handle: row.try_get("author_handle")?,
            name: row.try_get("author_name")?,
        },
        text: row.try_get("text")?,
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
        deleted_at: row.try_get("deleted_at")?,
        reply_count: row.try_get("reply_count")?,
        last_reply_at: row.try_get("last_reply_at")?,
        participant_ids: json_list(row, "participant_ids")?,
        mention_ids: json_list(row, "mention_ids")?,
        attachments: json_list(row, "attachments")?,
    })
}

/// A message by id.
pub async fn find(
    db: &Db,
    org_id: &str,
    message_id: &str,
) -> Result<Option<MessageRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from messages m join users u on u.id = m.author_id where m.org_id = $1 and m.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(message_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(message_from).transpose()
}

/// The organisation of a message: the lookup that establishes the tenant of a
/// `/messages/{message}` request, before anything else is read.
pub async fn locate(db: &Db, message_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select org_id from messages where id = $1")
        .bind(message_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// Messages by id (unknown ids are left out), in no particular order.
pub async fn find_many(db: &Db, message_ids: &[&str]) -> Result<Vec<MessageRow>, sqlx::Error> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from messages m join users u on u.id = m.author_id where m.id in ({})",
        crate::db::bind_list(message_ids.len())
    ));
    let mut query = sqlx::query(sql);
    for id in message_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(message_from).collect()
}

/// A message by id, inside a transaction.
pub async fn find_in(
    tx: &mut Tx,
    org_id: &str,
    message_id: &str,
) -> Result<Option<MessageRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from messages m join users u on u.id = m.author_id where m.org_id = $1 and m.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(message_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(message_from).transpose()
}

/// A message to insert.
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub channel_id: &'a str,
    pub thread_id: Option<&'a str>,
    pub author_id: &'a str,
    pub text: &'a str,
    pub mention_ids: &'a [String],
    pub attachments: &'a [AttachmentRef],
    pub now: i64,
}

/// Inserts messages, a few hundred per statement (a group of posts is written at once).
pub async fn insert_many(tx: &mut Tx, messages: &[NewMessage<'_>]) -> Result<(), sqlx::Error> {
    for chunk in messages.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into messages (id, org_id, channel_id, thread_id, author_id, text, created_at,
                 mention_ids, attachments)
             values {}",
            values_rows(chunk.len(), 9)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for new in chunk {
            query = query
                .bind(new.id)
                .bind(new.org_id)
                .bind(new.channel_id)
                .bind(new.thread_id)
                .bind(new.author_id)
                .bind(new.text)
                .bind(new.now)
                .bind(to_json(&new.mention_ids)?)
                .bind(to_json(&new.attachments)?);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A user mentioned in a message (for unread mention counts).
#[derive(Debug, Clone, Copy)]
pub struct NewMention<'a> {
    pub message_id: &'a str,
    pub user_id: &'a str,
    pub channel_id: &'a str,
    pub thread_id: Option<&'a str>,
}

/// Records mentions; a mention already recorded is kept.
pub async fn insert_mentions(tx: &mut Tx, mentions: &[NewMention<'_>]) -> Result<(), sqlx::Error> {
    for chunk in mentions.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into mentions (message_id, user_id, channel_id, thread_id) values {}
             on conflict (message_id, user_id) do nothing",
            values_rows(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for mention in chunk {
            query = query
                .bind(mention.message_id)
                .bind(mention.user_id)
                .bind(mention.channel_id)
                .bind(mention.thread_id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Counts a reply on its root: one more reply, its time, and its author among participants.
pub async fn bump_thread(
    tx: &mut Tx,
    root_id: &str,
    author_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let row = sqlx::query("select participant_ids from messages where id = $1")
        .bind(root_id)
        .fetch_one(&mut **tx)
        .await?;
    let mut participants: Vec<String> = json_list(&row, "participant_ids")?;
    if !participants.iter().any(|p| p == author_id) {
        participants.push(author_id.to_owned());
    }
    sqlx::query(
        "update messages set reply_count = reply_count + 1, last_reply_at = $2,
             participant_ids = $3 where id = $1",
    )
    .bind(root_id)
    .bind(at)
    .bind(to_json(&participants)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Undoes a deleted reply's count on its root.
pub async fn unbump_thread(tx: &mut Tx, root_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update messages set reply_count = case when reply_count > 0 then reply_count - 1 else 0 end
         where id = $1",
    )
    .bind(root_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces a message's text, keeping the old one in the edit history.
pub async fn edit(
    tx: &mut Tx,
    message: &MessageRow,
    text: &str,
    mention_ids: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into message_edits (message_id, text, replaced_at) values ($1, $2, $3)")
        .bind(&message.id)
        .bind(&message.text)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update messages set text = $3, edited_at = $4, mention_ids = $5 where org_id = $1 and id = $2",
    )
    .bind(&message.org_id)
    .bind(&message.id)
        .bind(text)
        .bind(now)
        .bind(to_json(&mention_ids)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Turns a message into a tombstone: its text, edit history, reactions, mentions, attachments
/// and the notifications quoting it are gone; the row keeps its place (and a thread root its
/// replies).
pub async fn tombstone(
    tx: &mut Tx,
    org_id: &str,
    message_id: &str,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for sql in [
        "delete from message_edits where message_id = $1",
        "delete from reactions where message_id = $1",
        "delete from mentions where message_id = $1",
        "delete from notifications where message_id = $1",
    ] {
        sqlx::query(sql).bind(message_id).execute(&mut **tx).await?;
    }
    sqlx::query(
        "update messages set text = '', mention_ids = '[]', attachments = '[]', deleted_at = $3,
             deleted_by = $4 where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(message_id)
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The earlier texts of a message, oldest first.
pub async fn edits(db: &Db, message_id: &str) -> Result<Vec<MessageEdit>, sqlx::Error> {
    let rows = sqlx::query(
        "select text, replaced_at from message_edits where message_id = $1 order by replaced_at",
    )
    .bind(message_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MessageEdit {
                text: row.try_get("text")?,
                replaced_at: row.try_get("replaced_at")?,
            })
        })
        .collect()
}

/// Adds a reaction; whether it was new.
pub async fn add_reaction(
    tx: &mut Tx,
    message_id: &str,
    user_id: &str,
    emoji: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into reactions (message_id, user_id, emoji, created_at) values ($1, $2, $3, $4)
         on conflict (message_id, user_id, emoji) do nothing",
    )
    .bind(message_id)
    .bind(user_id)
    .bind(emoji)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a reaction; whether there was one.
pub async fn remove_reaction(
    tx: &mut Tx,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("delete from reactions where message_id = $1 and user_id = $2 and emoji = $3")
            .bind(message_id)
            .bind(user_id)
            .bind(emoji)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// The reactions of one message inside a transaction.
pub async fn reactions_in(tx: &mut Tx, message_id: &str) -> Result<Vec<Reaction>, sqlx::Error> {
    let rows = sqlx::query(
        "select message_id, emoji, user_id from reactions where message_id = $1
         order by created_at, emoji, user_id",
    )
    .bind(message_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(group_reactions(&rows)?
        .remove(message_id)
        .unwrap_or_default())
}

/// The reactions of several messages, by message id (emoji in order of first use).
pub async fn reactions(
    db: &Db,
    message_ids: &[&str],
) -> Result<HashMap<String, Vec<Reaction>>, sqlx::Error> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select message_id, emoji, user_id from reactions where message_id in ({})
         order by created_at, emoji, user_id",
        crate::db::bind_list(message_ids.len())
    ));
    let mut query = sqlx::query(sql);
    for id in message_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    group_reactions(&rows)
}

fn group_reactions(rows: &[AnyRow]) -> Result<HashMap<String, Vec<Reaction>>, sqlx::Error> {
    let mut grouped: HashMap<String, Vec<Reaction>> = HashMap::new();
    for row in rows {
        let message_id: String = row.try_get("message_id")?;
        let emoji: String = row.try_get("emoji")?;
        let user_id: String = row.try_get("user_id")?;
        let reactions = grouped.entry(message_id).or_default();
        match reactions.iter_mut().find(|r| r.emoji == emoji) {
            Some(reaction) => {
                reaction.count += 1;
                reaction.user_ids.push(user_id);
            }
            None => reactions.push(Reaction {
                emoji,
                count: 1,
                user_ids: vec![user_id],
            }),
        }
    }
    Ok(grouped)
}

/// Which end of a channel's (or thread's) history to read from.
#[derive(Debug, Clone, Copy)]
pub enum Window<'a> {
    /// The newest messages.
    Latest,
    /// Messages older than this id.
    Before(&'a str),
    /// Messages newer than this id.
    After(&'a str),
}

/// Up to `limit` top-level messages of a channel (or replies of a thread when `thread` is
/// set), oldest first, and whether more exist beyond the page in the direction read.
pub async fn page(
    db: &Db,
    channel_id: &str,
    thread: Option<&str>,
    window: Window<'_>,
    limit: i64,
) -> Result<(Vec<MessageRow>, bool), sqlx::Error> {
    let scope = if thread.is_some() {
        "m.thread_id = $1"
    } else {
        "m.channel_id = $1 and m.thread_id is null"
    };
    let (bound, order) = match window {
        Window::Latest => ("", "desc"),
        Window::Before(_) => ("and m.id < $3", "desc"),
        Window::After(_) => ("and m.id > $3", "asc"),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from messages m join users u on u.id = m.author_id
         where {scope} {bound} order by m.id {order} limit $2"
    ));
    let mut query = sqlx::query(sql)
        .bind(thread.unwrap_or(channel_id))
        .bind(limit + 1);
    if let Window::Before(id) | Window::After(id) = window {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut messages = rows
        .iter()
        .map(message_from)
        .collect::<Result<Vec<_>, _>>()?;
    let more = messages.len() as i64 > limit;
    messages.truncate(usize::try_from(limit).unwrap_or(0));
    if order == "desc" {
        messages.reverse();
    }
    Ok((messages, more))
}

/// Whether a channel (or thread) has a message older (`newer` false) or newer than `id`.
pub async fn has_beyond(
    db: &Db,
    channel_id: &str,
    thread: Option<&str>,
    id: &str,
    newer: bool,
) -> Result<bool, sqlx::Error> {
    let scope = if thread.is_some() {
        "thread_id = $1"
    } else {
        "channel_id = $1 and thread_id is null"
    };
    let op = if newer { ">" } else { "<" };
    let sql = sqlx::AssertSqlSafe(format!(
        "select 1 from messages where {scope} and id {op} $2 limit 1"
    ));
    let row = sqlx::query(sql)
        .bind(thread.unwrap_or(channel_id))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` messages of a channel, thread replies included, after the message `after`
/// (from the first when `None`), in id order: the whole-organisation export pages with it.
pub async fn in_channel_after(
    db: &Db,
    org_id: &str,
    channel_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from messages m join users u on u.id = m.author_id
         where m.org_id = $1 and m.channel_id = $2 and m.id > $3 order by m.id limit $4"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(channel_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(message_from).collect()
}
