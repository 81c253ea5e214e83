//! Every SQL statement of the mail outbox (`mail_outbox`), portable between SQLite and
//! PostgreSQL.
//!
//! A row's life: [`enqueue`] (in the caller's transaction) → [`due`] lists it once
//! `next_attempt_at` has passed → a worker [`claim`]s it → [`mark_sent`], or
//! [`mark_failed_attempt`] (due again later), or [`give_up`].
//!
//! Claiming is an optimistic lease: the claim moves `next_attempt_at` to the end of the lease
//! with `update … where id = $1 and next_attempt_at = $old`. Of several workers that read the
//! same due row, exactly one update matches; the others see zero rows changed and skip it.
//! The lease end is also a fencing token: the outcome updates match on it, so a worker whose
//! lease ran out (and whose row another worker took over) cannot overwrite the newer state.
//! If a node dies mid-send, the row is due again when the lease ends.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Error, Result};
use crate::db::{Db, Tx, new_id, now_ms};

/// Longest accepted subject, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 998;
/// Longest accepted recipient, in bytes (RFC 5321 path limit).
pub const MAX_ADDRESS_BYTES: usize = 320;
/// Longest accepted body (each of text and HTML), in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The stored `last_error` is cut to this many bytes.
const MAX_ERROR_BYTES: usize = 1000;

/// A mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The recipient: `ann@example.com` or `Ann Lee <ann@example.com>`.
    pub to: String,
    pub subject: String,
    /// The text/plain body; always present.
    pub body_text: String,
    /// An HTML alternative; when set the message is multipart/alternative.
    pub body_html: Option<String>,
}

impl OutgoingMail {
    /// A plain-text mail.
    pub fn new(
        to: impl Into<String>,
        subject: impl Into<String>,
        body_text: impl Into<String>,
    ) -> Self {
        Self {
            to: to.into(),
            subject: subject.into(),
            body_text: body_text.into(),
            body_html: None,
        }
    }

    /// Adds an HTML alternative.
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.body_html = Some(html.into());
        self
    }

    /// Checks that the mail can be turned into a message: no line breaks in header values,
    /// a valid recipient, sizes within limits. [`enqueue`] calls it, so a bad mail fails the
    /// caller's request instead of sitting in the outbox.
    pub fn validate(&self) -> Result<()> {
        no_line_breaks("recipient", &self.to)?;
        no_line_breaks("subject", &self.subject)?;
        within("recipient", &self.to, MAX_ADDRESS_BYTES)?;
        within("subject", &self.subject, MAX_SUBJECT_BYTES)?;
        within("text body", &self.body_text, MAX_BODY_BYTES)?;
        if let Some(html) = &self.body_html {
            within("HTML body", html, MAX_BODY_BYTES)?;
        }
        self.to
            .parse::<lettre::message::Mailbox>()
            .map_err(|source| Error::InvalidAddress {
                field: "recipient",
                source,
            })?;
        Ok(())
    }
}

pub(crate) fn no_line_breaks(field: &'static str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n']) {
        return Err(Error::LineBreak { field });
    }
    Ok(())
}

fn within(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(Error::TooLong { field, max });
    }
    Ok(())
}

/// A row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: String,
    pub mail: OutgoingMail,
    pub created_at: i64,
    /// Delivery attempts started so far (a claim counts as one).
    pub attempts: i64,
    /// When the row is due next (or the end of the current lease).
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A row a worker holds the lease on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: String,
    /// The attempt this is, counting from 1.
    pub attempt: i64,
    /// The lease end written by the claim; the outcome updates match on it.
    pub lease_until: i64,
}

/// The columns [`entry`] reads, as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "id, to_address, subject, body_text, body_html, created_at, attempts, next_attempt_at, \
         sent_at, failed_at, last_error"
    };
}

fn entry(row: &AnyRow) -> Result<OutboxEntry, sqlx::Error> {
    Ok(OutboxEntry {
        id: row.try_get("id")?,
        mail: OutgoingMail {
            to: row.try_get("to_address")?,
            subject: row.try_get("subject")?,
            body_text: row.try_get("body_text")?,
            body_html: row.try_get("body_html")?,
        },
        created_at: row.try_get("created_at")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        sent_at: row.try_get("sent_at")?,
        failed_at: row.try_get("failed_at")?,
        last_error: row.try_get("last_error")?,
    })
}

/// Queues a mail inside the caller's transaction, due at once; returns its id. The mail is
/// validated first, so nothing is written for a mail that could never be sent.
pub async fn enqueue(tx: &mut Tx, mail: &OutgoingMail) -> Result<String> {
    mail.validate()?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into mail_outbox (id, to_address, subject, body_text, body_html, created_at,
                                  attempts, next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(&id)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.body_text)
    .bind(mail.body_html.as_deref())
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Up to `limit` rows due at `now` (neither sent nor given up), oldest due first.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<OutboxEntry>> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from mail_outbox
         where sent_at is null and failed_at is null and next_attempt_at <= $1
         order by next_attempt_at, id limit $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// One row by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<OutboxEntry>> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from mail_outbox where id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(entry).transpose()?)
}

/// Takes the lease on a row read by [`due`] until `lease_until` and counts the attempt.
/// `None` when another worker got there first (or the row is no longer pending).
pub async fn claim(db: &Db, entry: &OutboxEntry, lease_until: i64) -> Result<Option<Claim>> {
    let done = sqlx::query(
        "update mail_outbox set next_attempt_at = $1, attempts = attempts + 1
         where id = $2 and next_attempt_at = $3 and sent_at is null and failed_at is null",
    )
    .bind(lease_until)
    .bind(&entry.id)
    .bind(entry.next_attempt_at)
    .execute(db.pool())
    .await?;
    Ok((done.rows_affected() == 1).then(|| Claim {
        id: entry.id.clone(),
        attempt: entry.attempts + 1,
        lease_until,
    }))
}

/// Records a delivery. The bodies are cleared: they may hold single-use links (password
/// reset, invitation) that have no reason to outlive delivery in the database.
/// `false` when the lease was lost to another worker.
pub async fn mark_sent(db: &Db, claim: &Claim, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "update mail_outbox set sent_at = $1, last_error = null, body_text = '', body_html = null
         where id = $2 and next_attempt_at = $3 and sent_at is null and failed_at is null",
    )
    .bind(now)
    .bind(&claim.id)
    .bind(claim.lease_until)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt and when to try again. `false` when the lease was lost.
pub async fn mark_failed_attempt(
    db: &Db,
    claim: &Claim,
    error: &str,
    next_attempt_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "update mail_outbox set next_attempt_at = $1, last_error = $2
         where id = $3 and next_attempt_at = $4 and sent_at is null and failed_at is null",
    )
    .bind(next_attempt_at)
    .bind(truncate(error, MAX_ERROR_BYTES))
    .bind(&claim.id)
    .bind(claim.lease_until)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up on a row after its last failed attempt; the bodies are cleared as in
/// [`mark_sent`]. `false` when the lease was lost.
pub async fn give_up(db: &Db, claim: &Claim, error: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "update mail_outbox set failed_at = $1, last_error = $2, body_text = '', body_html = null
         where id = $3 and next_attempt_at = $4 and sent_at is null and failed_at is null",
    )
    .bind(now)
    .bind(truncate(error, MAX_ERROR_BYTES))
    .bind(&claim.id)
    .bind(claim.lease_until)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Rows neither sent nor given up (including those waiting for a retry).
pub async fn pending_count(db: &Db) -> Result<i64> {
    let row =
        sqlx::query("select count(*) from mail_outbox where sent_at is null and failed_at is null")
            .fetch_one(db.pool())
            .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Deletes rows sent or given up before `before`; returns how many.
pub async fn purge_finished(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query("delete from mail_outbox where sent_at < $1 or failed_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rejects_header_injection() {
        let ok = OutgoingMail::new("Ann <ann@example.com>", "Hello", "Hi");
        ok.validate().unwrap();
        let bad_subject = OutgoingMail::new("ann@example.com", "Hi\r\nBcc: x@evil.test", "b");
        assert!(matches!(
            bad_subject.validate(),
            Err(Error::LineBreak { field: "subject" })
        ));
        let bad_to = OutgoingMail::new("ann@example.com\nBcc: x@evil.test", "s", "b");
        assert!(matches!(
            bad_to.validate(),
            Err(Error::LineBreak { field: "recipient" })
        ));
        let not_address = OutgoingMail::new("not an address", "s", "b");
        assert!(matches!(
            not_address.validate(),
            Err(Error::InvalidAddress { .. })
        ));
        let long = OutgoingMail::new("ann@example.com", "x".repeat(MAX_SUBJECT_BYTES + 1), "b");
        assert!(matches!(long.validate(), Err(Error::TooLong { .. })));
    }

    #[test]
    fn truncate_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
