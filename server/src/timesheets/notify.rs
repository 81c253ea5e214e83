//! Timesheet notifications in the notification centre (and the e-mail digest when unread):
//! its approvers when it is submitted, its person when it is approved or rejected (with the
//! reason), and the person who has not submitted last week's by the deadline. Each links to
//! the timesheet: `channel_id` is its id.

use atrium_client::wire::{Notification, NotificationKind, UserRef};
use serde_json::Value;

use super::kind::states;
use crate::db::{Db, new_id, now_ms};
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::records::store::records::RecordRow;
use crate::write::UnitOfWork;

/// Notifies whom a committed step concerns.
pub async fn step_taken(
    db: &Db,
    work: &mut UnitOfWork,
    before: &RecordRow,
    after: &RecordRow,
    user_id: Option<&str>,
    comment: Option<&str>,
) -> Result<(), sqlx::Error> {
    if before.state == after.state {
        return Ok(());
    }
    let person = after
        .data
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let week = after
        .data
        .get("week")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (kind, users, snippet) = match after.state.as_deref() {
        Some(states::SUBMITTED) => {
            let approvers: Vec<String> = after
                .data
                .get("approvers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            (
                NotificationKind::TimesheetSubmitted,
                approvers,
                format!("Timesheet for the week of {week}"),
            )
        }
        Some(states::APPROVED) => (
            NotificationKind::TimesheetApproved,
            vec![person],
            format!("Timesheet for the week of {week} approved"),
        ),
        Some(states::REJECTED) => (
            NotificationKind::TimesheetRejected,
            vec![person],
            format!(
                "Timesheet for the week of {week} rejected: {}",
                comment.unwrap_or_default()
            ),
        ),
        _ => return Ok(()),
    };
    let actor = match user_id {
        Some(id) => crate::users::store::find_many(db, &[id.to_owned()])
            .await?
            .into_iter()
            .next()
            .map(|u| UserRef {
                id: u.id,
                handle: u.handle,
                name: u.name,
            }),
        None => None,
    };
    let users: Vec<String> = users
        .into_iter()
        .filter(|u| !u.is_empty() && Some(u.as_str()) != user_id)
        .collect();
    write(
        work,
        kind,
        &after.org_id,
        Some(&after.id),
        actor,
        &users,
        &snippet,
    )
    .await
}

/// Writes one notification per user and queues their events.
pub async fn write(
    work: &mut UnitOfWork,
    kind: NotificationKind,
    org_id: &str,
    timesheet_id: Option<&str>,
    actor: Option<UserRef>,
    users: &[String],
    snippet: &str,
) -> Result<(), sqlx::Error> {
    if users.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let snippet: String = snippet.chars().take(300).collect();
    let notifications: Vec<NewNotification> = users
        .iter()
        .map(|user_id| NewNotification {
            email: true,
            user_id: user_id.clone(),
            notification: Notification {
                id: new_id(),
                kind,
                org_id: org_id.to_owned(),
                channel_id: timesheet_id.map(str::to_owned),
                message_id: None,
                thread_id: None,
                actor: actor.clone(),
                snippet: snippet.clone(),
                created_at: now,
                read_at: None,
            },
        })
        .collect();
    notification_store::insert_many(work.tx(), &notifications).await?;
    work.emit_all(crate::chat::notify::events(&notifications));
    Ok(())
}
