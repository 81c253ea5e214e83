//! The e-mail digest: notifications a user got while offline, one e-mail per interval.
//!
//! A notification created while its user had no open event socket is marked `pending`. Every
//! interval the worker finds users whose oldest pending notification is at least one interval
//! old, and for each, in one transaction, takes their pending notifications (those read
//! meanwhile are skipped) and queues one e-mail in the outbox. Taking and queueing commit
//! together, so several nodes never send the same notification twice. Users who turned digests
//! off (`/api/v1/me/notification-settings`) have theirs skipped.

use std::time::Duration;

use atrium_client::wire::{Notification, NotificationKind};
use tokio_util::sync::CancellationToken;

use super::store;
use crate::db::now_ms;
use crate::mail::{self, templates};
use crate::write::Writes;

/// Users handled per pass.
const USERS_PER_PASS: i64 = 100;

/// Starts the digest worker; it stops with `stop`.
pub fn spawn(
    writes: Writes,
    public_url: String,
    interval: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = stop.cancelled() => return,
            }
            let age = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
            match pass(&writes, &public_url, now_ms().saturating_sub(age)).await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "queued notification digests"),
                Err(error) => tracing::warn!(%error, "notification digest pass failed"),
            }
        }
    })
}

/// One pass: a digest for every user with pending notifications older than `before`.
async fn pass(writes: &Writes, public_url: &str, before: i64) -> Result<usize, mail::Error> {
    let db = writes.db();
    let mut queued = 0;
    for user_id in store::digest_due(db, before, USERS_PER_PASS).await? {
        let Some(user) = crate::users::store::find_many(db, std::slice::from_ref(&user_id))
            .await?
            .pop()
        else {
            continue;
        };
        let mut work = writes.begin().await?;
        if !crate::users::store::email_digest(db, &user_id).await? {
            store::skip_digest(work.tx(), &user_id).await?;
            work.commit().await?;
            continue;
        }
        let taken = store::take_digest(work.tx(), &user_id).await?;
        if !taken.is_empty() {
            let lines: Vec<(String, &'static str, &Notification)> = taken
                .iter()
                .map(|n| {
                    let actor = n.actor.as_ref().map_or("Someone", |a| a.name.as_str());
                    (actor.to_owned(), what(n.kind), n)
                })
                .collect();
            let items: Vec<templates::DigestItem<'_>> = lines
                .iter()
                .map(|(actor, what, n)| templates::DigestItem {
                    actor,
                    what,
                    snippet: &n.snippet,
                    message_id: n.message_id.as_deref().unwrap_or_default(),
                })
                .collect();
            let mail = templates::notification_digest(&templates::Digest {
                public_url,
                to: &user.email,
                name: &user.name,
                items: &items,
            });
            mail::outbox::enqueue(&mut work, None, &mail).await?;
            queued += 1;
        }
        work.commit().await?;
    }
    Ok(queued)
}

fn what(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention => "mentioned you",
        NotificationKind::Reply => "replied in a thread you follow",
        NotificationKind::Dm => "sent you a direct message",
        NotificationKind::Message => "posted",
        NotificationKind::TaskAssigned => "assigned you a task",
        NotificationKind::TaskDueSoon => "a task of yours is due tomorrow",
        NotificationKind::TaskBlockerDone => "finished a task yours waited for",
        NotificationKind::TimesheetSubmitted => "submitted a timesheet for your approval",
        NotificationKind::TimesheetApproved => "approved your timesheet",
        NotificationKind::TimesheetRejected => "rejected your timesheet",
        NotificationKind::TimesheetDue => "last week's timesheet is due",
        NotificationKind::WebhookDisabled => "a webhook was disabled after failing deliveries",
        NotificationKind::Automation => "an automation rule notified you",
        NotificationKind::DocComment => "commented on a document",
    }
}
