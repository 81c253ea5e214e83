//! Every SQL statement about public document links and the organisation's opt-in.

use sqlx::Row;

use crate::db::{Db, Tx, now_ms};

/// A document's public link, as kept (the token itself is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Whether the organisation lets its documents be published.
pub async fn org_allows(db: &Db, org_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select public_doc_links from orgs where id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .is_some_and(|v| v != 0))
}

/// Turns the opt-in on or off; false when there is no such organisation.
pub async fn set_org_allows(tx: &mut Tx, org_id: &str, allowed: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update orgs set public_doc_links = $2 where id = $1")
        .bind(org_id)
        .bind(i64::from(allowed))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The document's link, expired or not.
pub async fn find(db: &Db, org_id: &str, doc_id: &str) -> Result<Option<LinkRow>, sqlx::Error> {
    let row = sqlx::query(
        "select created_by, created_at, expires_at from doc_public_links
         where org_id = $1 and doc_id = $2",
    )
    .bind(org_id)
    .bind(doc_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(LinkRow {
            created_by: r.try_get(0)?,
            created_at: r.try_get(1)?,
            expires_at: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Publishes the document under `token_hash`, replacing any link it had.
pub async fn replace(
    tx: &mut Tx,
    org_id: &str,
    doc_id: &str,
    token_hash: &str,
    created_by: &str,
    expires_at: Option<i64>,
) -> Result<LinkRow, sqlx::Error> {
    sqlx::query("delete from doc_public_links where org_id = $1 and doc_id = $2")
        .bind(org_id)
        .bind(doc_id)
        .execute(&mut **tx)
        .await?;
    let created_at = now_ms();
    sqlx::query(
        "insert into doc_public_links (doc_id, org_id, token_hash, created_by, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(doc_id)
    .bind(org_id)
    .bind(token_hash)
    .bind(created_by)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(LinkRow {
        created_by: created_by.to_owned(),
        created_at,
        expires_at,
    })
}

/// Revokes the document's link; false when it had none.
pub async fn delete(tx: &mut Tx, org_id: &str, doc_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from doc_public_links where org_id = $1 and doc_id = $2")
        .bind(org_id)
        .bind(doc_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The document a token opens now, with its title: the link exists and has not expired, the
/// document is not in the trash, and its organisation still allows public links.
pub async fn resolve(db: &Db, token_hash: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select d.id, d.title from doc_public_links l
         join docs d on d.id = l.doc_id and d.org_id = l.org_id
         join orgs o on o.id = l.org_id
         where l.token_hash = $1 and d.trashed_at is null and o.public_doc_links <> 0
           and (l.expires_at is null or l.expires_at > $2)",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}
