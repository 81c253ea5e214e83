//! The rows a record brings with it in other domains' tables: its discussion's channel (kind
//! `record`, id = the record's id, no project) and its attached files' links.

use sqlx::{AnyConnection, Row};

use crate::db::{Db, Tx, now_ms};

/// Opens the record's discussion channel if it has none yet; true when it was opened now.
pub async fn open_discussion(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
    name: &str,
    opened_by: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into channels (id, org_id, project_id, kind, name, name_key, topic, private, created_by, created_at, updated_at)
         values ($1, $2, null, 'record', $3, $4, '', 0, $5, $6, $6)
         on conflict (id) do nothing",
    )
    .bind(record_id)
    .bind(org_id)
    .bind(name)
    .bind(format!("record:{record_id}"))
    .bind(opened_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Keeps the discussion's name the record's (it titles notifications).
pub async fn rename_discussion(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update channels set name = $3 where org_id = $1 and id = $2 and kind = 'record'")
        .bind(org_id)
        .bind(record_id)
        .bind(name)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The messages of a record's discussion (search forgets them with the record).
pub async fn discussion_message_ids(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select m.id from messages m join channels c on c.id = m.channel_id
         where c.org_id = $1 and c.id = $2 and c.kind = 'record'",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Removes a deleted record's discussion (its messages cascade from it; attachment links
/// cascade from the record).
pub async fn delete_discussion(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from channels where org_id = $1 and id = $2 and kind = 'record'")
        .bind(org_id)
        .bind(record_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// An attached file as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRow {
    pub file_id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub attached_by: String,
    pub attached_at: i64,
}

/// The record's attached files that are not in the trash, oldest first.
pub async fn attachments(
    conn: &mut AnyConnection,
    org_id: &str,
    record_id: &str,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select f.id, f.name, v.size, v.content_type, a.created_by, a.created_at
         from record_attachments a
         join files f on f.id = a.file_id and f.trashed_at is null
         join file_versions v on v.file_id = f.id and v.number = f.current_version
         where a.org_id = $1 and a.record_id = $2 order by a.created_at, f.id",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AttachmentRow {
                file_id: r.try_get("id")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
                content_type: r.try_get("content_type")?,
                attached_by: r.try_get("created_by")?,
                attached_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// How many files the record has attached (trashed ones included: they may come back).
pub async fn count_attachments(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query("select count(*) as n from record_attachments where org_id = $1 and record_id = $2")
        .bind(org_id)
        .bind(record_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")
}

/// Attaches a file; false when it was attached already.
pub async fn attach(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
    file_id: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into record_attachments (record_id, file_id, org_id, created_by, created_at)
         values ($1, $2, $3, $4, $5) on conflict (record_id, file_id) do nothing",
    )
    .bind(record_id)
    .bind(file_id)
    .bind(org_id)
    .bind(by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Detaches a file; false when it was not attached.
pub async fn detach(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
    file_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "delete from record_attachments where org_id = $1 and record_id = $2 and file_id = $3",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(file_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the file is attached to the record.
pub async fn is_attached(
    db: &Db,
    org_id: &str,
    record_id: &str,
    file_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "select 1 as one from record_attachments where org_id = $1 and record_id = $2 and file_id = $3",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(file_id)
    .fetch_optional(db.pool())
    .await?
    .is_some())
}
