//! Every SQL statement of document comments (`doc_comments`).

use atrium_client::wire::{CommentAnchor, DocComment, SuggestionOutcome, UserRef};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};

const COLUMNS: &str = "c.id, c.doc_id, c.thread_id, c.body, c.anchor_from, c.anchor_to, c.quote, \
     c.resolved_at, c.created_at, c.author_id, a.handle as author_handle, a.name as author_name, \
     c.resolved_by, r.handle as resolver_handle, r.name as resolver_name, c.suggestion, c.outcome";

const FROM: &str = "doc_comments c join users a on a.id = c.author_id \
     left join users r on r.id = c.resolved_by";

fn comment_from(row: &AnyRow) -> Result<DocComment, sqlx::Error> {
    let from: Option<String> = row.try_get("anchor_from")?;
    let to: Option<String> = row.try_get("anchor_to")?;
    let resolver: Option<String> = row.try_get("resolved_by")?;
    Ok(DocComment {
        id: row.try_get("id")?,
        doc_id: row.try_get("doc_id")?,
        thread: row.try_get("thread_id")?,
        author: UserRef {
            id: row.try_get("author_id")?,
            handle: row.try_get("author_handle")?,
            name: row.try_get("author_name")?,
        },
        text: row.try_get("body")?,
        anchor: from.zip(to).map(|(from, to)| CommentAnchor { from, to }),
        quote: row.try_get("quote")?,
        resolved_at: row.try_get("resolved_at")?,
        resolved_by: match resolver {
            Some(id) => Some(UserRef {
                id,
                handle: row.try_get("resolver_handle")?,
                name: row.try_get("resolver_name")?,
            }),
            None => None,
        },
        suggestion: row.try_get("suggestion")?,
        outcome: match row.try_get::<Option<String>, _>("outcome")?.as_deref() {
            Some("accepted") => Some(SuggestionOutcome::Accepted),
            Some("rejected") => Some(SuggestionOutcome::Rejected),
            _ => None,
        },
        created_at: row.try_get("created_at")?,
    })
}

fn outcome_text(outcome: SuggestionOutcome) -> &'static str {
    match outcome {
        SuggestionOutcome::Accepted => "accepted",
        SuggestionOutcome::Rejected => "rejected",
    }
}

/// A comment to store.
pub struct NewComment<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub doc_id: &'a str,
    /// Its own id for a thread's first comment.
    pub thread_id: &'a str,
    pub author_id: &'a str,
    pub body: &'a str,
    pub anchor: Option<&'a CommentAnchor>,
    pub quote: Option<&'a str>,
    pub suggestion: Option<&'a str>,
    pub created_at: i64,
}

pub async fn insert(tx: &mut Tx, c: &NewComment<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into doc_comments (id, org_id, doc_id, thread_id, author_id, body, anchor_from, \
         anchor_to, quote, suggestion, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(c.id)
    .bind(c.org_id)
    .bind(c.doc_id)
    .bind(c.thread_id)
    .bind(c.author_id)
    .bind(c.body)
    .bind(c.anchor.map(|a| a.from.as_str()))
    .bind(c.anchor.map(|a| a.to.as_str()))
    .bind(c.quote)
    .bind(c.suggestion)
    .bind(c.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The document's comments: threads in the order they were started, each followed by its
/// replies, oldest first.
pub async fn list(db: &Db, doc_id: &str) -> Result<Vec<DocComment>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from {FROM} join doc_comments t on t.id = c.thread_id \
         where c.doc_id = $1 order by t.created_at, t.id, c.created_at, c.id"
    ));
    let rows = sqlx::query(sql).bind(doc_id).fetch_all(db.pool()).await?;
    rows.iter().map(comment_from).collect()
}

/// One comment, read inside `tx` (after a write, to answer with it).
pub async fn find(tx: &mut Tx, id: &str) -> Result<Option<DocComment>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from {FROM} where c.id = $1"));
    let row = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(comment_from).transpose()
}

/// One comment, read outside a transaction.
pub async fn find_in(db: &Db, id: &str) -> Result<Option<DocComment>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from {FROM} where c.id = $1"));
    let row = sqlx::query(sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(comment_from).transpose()
}

/// The document a comment belongs to (the lookup that establishes its tenant).
pub async fn doc_of(db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select doc_id from doc_comments where id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// How many comments the document has.
pub async fn count(tx: &mut Tx, doc_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select count(*) from doc_comments where doc_id = $1")
        .bind(doc_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}

/// Whether `thread` is the first comment of a thread of `doc_id`.
pub async fn is_thread(tx: &mut Tx, doc_id: &str, thread: &str) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("select 1 from doc_comments where id = $1 and doc_id = $2 and thread_id = id")
            .bind(thread)
            .bind(doc_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.is_some())
}

/// Who wrote in a thread, each once.
pub async fn participants(tx: &mut Tx, thread: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select distinct author_id from doc_comments where thread_id = $1")
        .bind(thread)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Marks an open thread resolved by `by` at `at` (a suggestion with its `outcome`); whether
/// it was open.
pub async fn resolve(
    tx: &mut Tx,
    thread: &str,
    by: &str,
    at: i64,
    outcome: Option<SuggestionOutcome>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update doc_comments set resolved_by = $2, resolved_at = $3, outcome = $4 \
         where id = $1 and thread_id = id and resolved_at is null",
    )
    .bind(thread)
    .bind(by)
    .bind(at)
    .bind(outcome.map(outcome_text))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Opens a resolved thread again; whether it was resolved.
pub async fn reopen(tx: &mut Tx, thread: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update doc_comments set resolved_by = null, resolved_at = null, outcome = null \
         where id = $1 and thread_id = id and resolved_at is not null",
    )
    .bind(thread)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
