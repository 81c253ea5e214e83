//! Every SQL statement about whole-organisation exports (`org_exports`) and about taking an
//! organisation away (the deletion mark and what goes at once, the purge's deletes).

use atrium_client::wire::{OrgExport, OrgExportState, UserRef};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx, new_id, now_ms};

/// How long an export stays downloadable.
pub const EXPORT_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// Exports one listing shows, newest first.
const LISTED: i64 = 20;

fn state_from(name: &str) -> Result<OrgExportState, sqlx::Error> {
    match name {
        "queued" => Ok(OrgExportState::Queued),
        "running" => Ok(OrgExportState::Running),
        "done" => Ok(OrgExportState::Done),
        "failed" => Ok(OrgExportState::Failed),
        other => Err(sqlx::Error::Decode(
            format!("unknown export state {other:?}").into(),
        )),
    }
}

const SELECT: &str = "select e.id, e.state, e.size, e.error, e.created_at, e.finished_at,
    e.expires_at, e.requested_by, u.handle, u.name
    from org_exports e left join users u on u.id = e.requested_by";

fn export_from(row: &AnyRow) -> Result<OrgExport, sqlx::Error> {
    let state: String = row.try_get("state")?;
    let requested_by: Option<String> = row.try_get("requested_by")?;
    let handle: Option<String> = row.try_get("handle")?;
    let name: Option<String> = row.try_get("name")?;
    Ok(OrgExport {
        id: row.try_get("id")?,
        state: state_from(&state)?,
        size: row.try_get("size")?,
        error: row.try_get("error")?,
        requested_by: match (requested_by, handle, name) {
            (Some(id), Some(handle), Some(name)) => Some(UserRef { id, handle, name }),
            _ => None,
        },
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Records a queued export of `org_id` asked for by `user_id`.
pub async fn create(tx: &mut Tx, org_id: &str, user_id: &str) -> Result<OrgExport, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into org_exports (id, org_id, requested_by, state, created_at, expires_at)
         values ($1, $2, $3, 'queued', $4, $5)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .bind(now + EXPORT_LIFETIME_MS)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} where e.id = $1")))
        .bind(&id)
        .fetch_one(&mut **tx)
        .await?;
    export_from(&row)
}

/// The organisation's most recent exports, newest first.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<OrgExport>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} where e.org_id = $1 order by e.created_at desc, e.id desc limit $2"
    )))
    .bind(org_id)
    .bind(LISTED)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(export_from).collect()
}

/// The organisation's export that is queued or running, if one is (read in the transaction
/// that would queue another).
pub async fn unfinished(tx: &mut Tx, org_id: &str) -> Result<Option<OrgExport>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} where e.org_id = $1 and e.state in ('queued', 'running') \
         order by e.created_at desc limit 1"
    )))
    .bind(org_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(export_from).transpose()
}

/// One export of the organisation.
pub async fn find(db: &Db, org_id: &str, id: &str) -> Result<Option<OrgExport>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} where e.org_id = $1 and e.id = $2"
    )))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(export_from).transpose()
}

/// Marks an export running (a retry after a crash starts it over).
pub async fn set_running(db: &Db, org_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update org_exports set state = 'running', error = null
         where org_id = $1 and id = $2 and state in ('queued', 'running')",
    )
    .bind(org_id)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an export done with its ZIP's size, in the caller's transaction; false when its row
/// is gone (the organisation was purged meanwhile).
pub async fn set_done(tx: &mut Tx, org_id: &str, id: &str, size: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update org_exports set state = 'done', size = $3, finished_at = $4
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(size)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The e-mail address and name of who asked for an export, while they have an account.
pub async fn requester(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select u.email, u.name from org_exports e join users u on u.id = e.requested_by
         where e.org_id = $1 and e.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| Ok((row.try_get("email")?, row.try_get("name")?)))
        .transpose()
}

/// Marks an export failed with the reason.
pub async fn set_failed(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update org_exports set state = 'failed', error = $3, finished_at = $4
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(error)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether an export of the organisation finished since `since` (ms).
pub async fn done_since(tx: &mut Tx, org_id: &str, since: i64) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) as n from org_exports
         where org_id = $1 and state = 'done' and finished_at >= $2",
    )
    .bind(org_id)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Up to `limit` exports past their expiry, oldest first: `(org_id, id)`.
pub async fn expired(db: &Db, now: i64, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select org_id, id from org_exports where expires_at <= $1
         order by expires_at, id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("org_id")?, row.try_get("id")?)))
        .collect()
}

/// Every export id of the organisation (the purge removes their objects).
pub async fn ids(db: &Db, org_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select id from org_exports where org_id = $1")
        .bind(org_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}

/// Removes an export's row (after its object).
pub async fn delete(db: &Db, org_id: &str, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from org_exports where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

// --- Deletion -------------------------------------------------------------------------------

/// The organisation's name and whether it is marked deleted; `None` when there is no row.
pub async fn lock_org(tx: &mut Tx, org_id: &str) -> Result<Option<(String, bool)>, sqlx::Error> {
    // Marking the row first (a no-op update) takes its row lock on PostgreSQL, so two
    // deletions of the same organisation cannot both pass the checks.
    sqlx::query("update orgs set name = name where id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    let row = sqlx::query("select name, deleted_at from orgs where id = $1")
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        let deleted: Option<i64> = row.try_get("deleted_at")?;
        Ok((row.try_get("name")?, deleted.is_some()))
    })
    .transpose()
}

/// The owners' e-mail addresses and names.
pub async fn owners(tx: &mut Tx, org_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.email, u.name from org_members m join users u on u.id = m.user_id
         where m.org_id = $1 and m.role = 'owner' order by u.email",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("email")?, row.try_get("name")?)))
        .collect()
}

/// Marks the organisation deleted and removes, in the caller's transaction, everything that
/// lets anyone reach it: memberships (every access check reads them), the tokens scoped to
/// it, its invitations and its public document links. The rest is the purge's.
pub async fn mark_deleted(tx: &mut Tx, org_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update orgs set deleted_at = $2 where id = $1")
        .bind(org_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    for sql in [
        "delete from org_member_roles where org_id = $1",
        "delete from org_members where org_id = $1",
        "delete from auth_tokens where org_id = $1",
        "delete from invitations where org_id = $1",
        "delete from doc_public_links where org_id = $1",
    ] {
        sqlx::query(sql).bind(org_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Whether the organisation is marked deleted (the purge runs only then).
pub async fn is_marked_deleted(db: &Db, org_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select deleted_at from orgs where id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(row) => Ok(row.try_get::<Option<i64>, _>("deleted_at")?.is_some()),
        None => Ok(false),
    }
}

/// Whether the organisation exists and is not marked deleted.
pub async fn is_live(db: &Db, org_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select count(*) as n from orgs where id = $1 and deleted_at is null")
        .bind(org_id)
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Up to `limit` document ids of the organisation (task descriptions included).
pub async fn doc_ids(db: &Db, org_id: &str, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select id from docs where org_id = $1 order by id limit $2")
        .bind(org_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}

/// Removes one document's row (after its collaboration state).
pub async fn delete_doc(db: &Db, org_id: &str, doc_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from docs where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(doc_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Up to `limit` blob hashes of the organisation.
pub async fn blob_hashes(db: &Db, org_id: &str, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows =
        sqlx::query("select sha256 from file_blobs where org_id = $1 order by sha256 limit $2")
            .bind(org_id)
            .bind(limit)
            .fetch_all(db.pool())
            .await?;
    rows.iter().map(|row| row.try_get("sha256")).collect()
}

/// Removes one blob's row and the versions that use it (after its object).
pub async fn delete_blob(db: &Db, org_id: &str, sha256: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for sql in [
        "delete from file_versions where org_id = $1 and sha256 = $2",
        "delete from file_blobs where org_id = $1 and sha256 = $2",
    ] {
        sqlx::query(sql)
            .bind(org_id)
            .bind(sha256)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Tables whose `org_id` has no foreign key to `orgs`: the cascade from the organisation's
/// row does not reach them (derived from `migrations/*`; kept in step with them).
pub const UNLINKED_TABLES: [&str; 9] = [
    "change_feed",
    "audit_log",
    "file_versions",
    "messages",
    "thread_follows",
    "events",
    "org_member_roles",
    "record_type_versions",
    "record_values",
];

/// Deletes the organisation's rows in the tables the cascade does not reach, then its row
/// (cascading to every table that references it), in one transaction.
pub async fn delete_rows(db: &Db, org_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    // The unlinked rows first: some of them (file versions) reference rows the cascade takes.
    for table in UNLINKED_TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "delete from {table} where org_id = $1"
        )))
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    // A webhook's delivery lease is named after the webhook (`hook:<id>`), with no org id.
    sqlx::query(
        "delete from webhook_leases where name in
         (select 'hook:' || id from webhooks where org_id = $1)",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    // The jobs of the organisation go with it; a purge job is system work (no org), so it
    // does not delete itself here.
    sqlx::query("delete from orgs where id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
