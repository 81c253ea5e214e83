//! Every SQL statement of the notification centre.

use atrium_client::wire::{Notification, NotificationKind, UserRef};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, values_rows};

const COLUMNS: &str = "n.id, n.kind, n.org_id, n.channel_id, n.message_id, n.thread_id, n.snippet, \
     n.created_at, n.read_at, n.actor_id, a.handle as actor_handle, a.name as actor_name";

fn kind_name(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention => "mention",
        NotificationKind::Reply => "reply",
        NotificationKind::Dm => "dm",
        NotificationKind::Message => "message",
        NotificationKind::TaskAssigned => "task_assigned",
        NotificationKind::TaskDueSoon => "task_due_soon",
        NotificationKind::TaskBlockerDone => "task_blocker_done",
        NotificationKind::TimesheetSubmitted => "timesheet_submitted",
        NotificationKind::TimesheetApproved => "timesheet_approved",
        NotificationKind::TimesheetRejected => "timesheet_rejected",
        NotificationKind::TimesheetDue => "timesheet_due",
        NotificationKind::WebhookDisabled => "webhook_disabled",
        NotificationKind::Automation => "automation",
        NotificationKind::DocComment => "doc_comment",
    }
}

fn parse_kind(name: &str) -> Option<NotificationKind> {
    Some(match name {
        "mention" => NotificationKind::Mention,
        "reply" => NotificationKind::Reply,
        "dm" => NotificationKind::Dm,
        "message" => NotificationKind::Message,
        "task_assigned" => NotificationKind::TaskAssigned,
        "task_due_soon" => NotificationKind::TaskDueSoon,
        "task_blocker_done" => NotificationKind::TaskBlockerDone,
        "timesheet_submitted" => NotificationKind::TimesheetSubmitted,
        "timesheet_approved" => NotificationKind::TimesheetApproved,
        "timesheet_rejected" => NotificationKind::TimesheetRejected,
        "timesheet_due" => NotificationKind::TimesheetDue,
        "webhook_disabled" => NotificationKind::WebhookDisabled,
        "automation" => NotificationKind::Automation,
        "doc_comment" => NotificationKind::DocComment,
        _ => return None,
    })
}

fn notification_from(row: &AnyRow) -> Result<Notification, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let actor_id: Option<String> = row.try_get("actor_id")?;
    let actor = match actor_id {
        Some(id) => Some(UserRef {
            id,
            handle: row.try_get("actor_handle")?,
            name: row.try_get("actor_name")?,
        }),
        None => None,
    };
    Ok(Notification {
        id: row.try_get("id")?,
        kind: parse_kind(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("notification kind {kind}").into()))?,
        org_id: row.try_get("org_id")?,
        channel_id: row.try_get("channel_id")?,
        message_id: row.try_get("message_id")?,
        thread_id: row.try_get("thread_id")?,
        actor,
        snippet: row.try_get("snippet")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// A notification to create: whose it is, whether it may go out by e-mail, and what it says.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: String,
    /// Whether the user should get it by e-mail if still unread at digest time.
    pub email: bool,
    pub notification: Notification,
}

/// Inserts notifications, a few hundred per statement.
pub async fn insert_many(tx: &mut Tx, new: &[NewNotification]) -> Result<(), sqlx::Error> {
    for chunk in new.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into notifications (id, org_id, user_id, kind, actor_id, channel_id, message_id,
                 thread_id, snippet, created_at, email_state)
             values {}",
            values_rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for new in chunk {
            let n = &new.notification;
            query = query
                .bind(&n.id)
                .bind(&n.org_id)
                .bind(&new.user_id)
                .bind(kind_name(n.kind))
                .bind(n.actor.as_ref().map(|a| a.id.as_str()))
                .bind(n.channel_id.as_deref())
                .bind(n.message_id.as_deref())
                .bind(n.thread_id.as_deref())
                .bind(&n.snippet)
                .bind(n.created_at)
                .bind(if new.email { "pending" } else { "none" });
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A page of the user's notifications, newest first, after the cursor id.
pub async fn list(
    db: &Db,
    user_id: &str,
    unread_only: bool,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    let unread = if unread_only {
        "and n.read_at is null"
    } else {
        ""
    };
    let before = if before_id.is_some() {
        "and n.id < $3"
    } else {
        ""
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from notifications n left join users a on a.id = n.actor_id
         where n.user_id = $1 {unread} {before} order by n.id desc limit $2"
    ));
    let mut query = sqlx::query(sql).bind(user_id).bind(limit);
    if let Some(id) = before_id {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(notification_from).collect()
}

/// Marks the given notifications of the user read; returns the ids that changed.
pub async fn mark_read(
    tx: &mut Tx,
    user_id: &str,
    ids: &[String],
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut changed = Vec::new();
    for id in ids {
        let done = sqlx::query(
            "update notifications set read_at = $3 where id = $1 and user_id = $2 and read_at is null",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() > 0 {
            changed.push(id.clone());
        }
    }
    Ok(changed)
}

/// Marks every unread notification of the user read; how many changed.
pub async fn mark_all_read(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("update notifications set read_at = $2 where user_id = $1 and read_at is null")
            .bind(user_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected())
}

/// Marks read the user's unread notifications of messages in a channel (or one thread) up to
/// and including `upto` (message ids sort by time); returns their ids.
pub async fn mark_read_upto(
    tx: &mut Tx,
    user_id: &str,
    channel_id: &str,
    thread_id: Option<&str>,
    upto: &str,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let scope = if thread_id.is_some() {
        "thread_id = $4"
    } else {
        "thread_id is null"
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select id from notifications where user_id = $1 and channel_id = $2 and message_id <= $3
             and read_at is null and {scope}"
    ));
    let mut query = sqlx::query(sql).bind(user_id).bind(channel_id).bind(upto);
    if let Some(thread_id) = thread_id {
        query = query.bind(thread_id);
    }
    let ids: Vec<String> = query
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    mark_read(tx, user_id, &ids, now).await
}

/// Users with e-mail-pending notifications created before `before`.
pub async fn digest_due(db: &Db, before: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select user_id from notifications where email_state = 'pending' and created_at < $1
         group by user_id order by min(created_at) limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// Takes a user's pending e-mail notifications: unread ones become `sent` and are returned
/// (oldest first), read ones `skipped`. Run in the transaction that queues the digest, so two
/// nodes never send the same notification.
pub async fn take_digest(tx: &mut Tx, user_id: &str) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query(
        "update notifications set email_state = 'skipped'
         where user_id = $1 and email_state = 'pending' and read_at is not null",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from notifications n left join users a on a.id = n.actor_id
         where n.user_id = $1 and n.email_state = 'pending' order by n.id"
    ));
    let rows = sqlx::query(sql).bind(user_id).fetch_all(&mut **tx).await?;
    let taken: Vec<Notification> = rows
        .iter()
        .map(notification_from)
        .collect::<Result<_, _>>()?;
    // By id: a notification committed meanwhile stays pending for the next digest.
    for notification in &taken {
        sqlx::query("update notifications set email_state = 'sent' where id = $1")
            .bind(&notification.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(taken)
}

/// Drops a user's pending e-mail notifications (they turned digests off).
pub async fn skip_digest(tx: &mut Tx, user_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update notifications set email_state = 'skipped' where user_id = $1 and email_state = 'pending'",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
