//! Task notifications in the notification centre: assigned to you, a task you wait for is done,
//! due tomorrow. They link to the task's discussion channel (its id is the task's).

use atrium_client::wire::{Notification, NotificationKind, PresenceStatus, UserRef};

use super::store::tasks::TaskRow;
use crate::db::{new_id, now_ms};
use crate::events::presence::Presence;
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::write::UnitOfWork;

/// Writes one notification per user about `task` and queues their events.
pub async fn write(
    work: &mut UnitOfWork,
    presence: Option<&Presence>,
    kind: NotificationKind,
    task: &TaskRow,
    actor: Option<UserRef>,
    users: &[String],
) -> Result<(), sqlx::Error> {
    if users.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let notifications: Vec<NewNotification> = users
        .iter()
        .map(|user_id| NewNotification {
            email: presence.is_some_and(|p| p.status(user_id) == PresenceStatus::Offline),
            user_id: user_id.clone(),
            notification: Notification {
                id: new_id(),
                kind,
                org_id: task.org_id.clone(),
                channel_id: Some(task.id.clone()),
                message_id: None,
                thread_id: None,
                actor: actor.clone(),
                snippet: format!("{} {}", task.key, task.title),
                created_at: now,
                read_at: None,
            },
        })
        .collect();
    notification_store::insert_many(work.tx(), &notifications).await?;
    work.emit_all(crate::chat::notify::events(&notifications));
    Ok(())
}
