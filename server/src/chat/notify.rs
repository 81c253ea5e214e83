//! Who is notified of a new message, and writing those notifications.
//!
//! One notification per user per message, of the strongest reason: a mention, then a direct
//! message, then a reply in a followed thread, then a message in a channel set to `all`. A
//! user's level for the channel filters them: `none` mutes everything, `mentions` keeps
//! mentions and replies. Users with no open socket when it happens get it by e-mail in the
//! next digest if they have not read it by then.

use std::collections::{BTreeMap, HashMap};

use atrium_client::wire::{
    ChannelKind, Message, Notification, NotificationKind, NotifyLevel, PresenceStatus, UserRef,
};

use super::model::{self, ChannelRow};
use crate::db::new_id;
use crate::events::presence::Presence;
use crate::events::{Audience, NewEvent};
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::write::UnitOfWork;

/// Why each user is notified.
#[derive(Debug, Default)]
pub struct Recipients(BTreeMap<String, NotificationKind>);

impl Recipients {
    /// Adds users for a reason, keeping a stronger earlier one.
    pub fn add<'a>(&mut self, users: impl IntoIterator<Item = &'a str>, kind: NotificationKind) {
        for user in users {
            self.0.entry(user.to_owned()).or_insert(kind);
        }
    }

    /// Drops users whose level for the channel excludes their reason, and the author.
    fn filter(
        self,
        levels: &[(String, NotifyLevel)],
        channel: &ChannelRow,
        author_id: &str,
    ) -> Vec<(String, NotificationKind)> {
        let levels: HashMap<&str, NotifyLevel> =
            levels.iter().map(|(u, l)| (u.as_str(), *l)).collect();
        let default = model::default_notify(channel.kind);
        self.0
            .into_iter()
            .filter(|(user, _)| user != author_id)
            .filter(
                |(user, kind)| match levels.get(user.as_str()).copied().unwrap_or(default) {
                    NotifyLevel::All => true,
                    NotifyLevel::Mentions => {
                        matches!(kind, NotificationKind::Mention | NotificationKind::Reply)
                    }
                    NotifyLevel::None => false,
                },
            )
            .collect()
    }
}

/// The users of `levels` who chose `all` (for the caller to check they can still see it).
pub fn all_level_users(levels: &[(String, NotifyLevel)]) -> Vec<String> {
    levels
        .iter()
        .filter(|(_, level)| *level == NotifyLevel::All)
        .map(|(user, _)| user.clone())
        .collect()
}

/// The notifications of `message`, one per recipient its level lets through; `email` is set
/// for users with no open socket (see [`crate::events::presence`]).
pub fn build(
    presence: &Presence,
    channel: &ChannelRow,
    message: &Message,
    recipients: Recipients,
    levels: &[(String, NotifyLevel)],
    now: i64,
) -> Vec<NewNotification> {
    let actor = UserRef {
        id: message.author.id.clone(),
        handle: message.author.handle.clone(),
        name: message.author.name.clone(),
    };
    let snippet = model::snippet(&message.text);
    recipients
        .filter(levels, channel, &message.author.id)
        .into_iter()
        .map(|(user_id, kind)| NewNotification {
            email: presence.status(&user_id) == PresenceStatus::Offline,
            user_id,
            notification: Notification {
                id: new_id(),
                kind,
                org_id: channel.org_id.clone(),
                channel_id: Some(channel.id.clone()),
                message_id: Some(message.id.clone()),
                thread_id: message.thread_id.clone(),
                actor: Some(actor.clone()),
                snippet: snippet.clone(),
                created_at: now,
                read_at: None,
            },
        })
        .collect()
}

/// The `notification.created` event of each notification, to its user alone.
pub fn events(notifications: &[NewNotification]) -> impl Iterator<Item = NewEvent> + '_ {
    notifications.iter().map(|new| {
        NewEvent::new(
            &new.notification.org_id,
            Audience::User(new.user_id.clone()),
            "notification.created",
            &new.notification,
        )
    })
}

/// Writes the notifications of `message` and queues their events, with the message's unit of
/// work.
pub async fn write(
    work: &mut UnitOfWork,
    presence: &Presence,
    channel: &ChannelRow,
    message: &Message,
    recipients: Recipients,
    levels: &[(String, NotifyLevel)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let notifications = build(presence, channel, message, recipients, levels, now);
    notification_store::insert_many(work.tx(), &notifications).await?;
    work.emit_all(events(&notifications));
    Ok(())
}

/// The reason direct-message members are notified, for a DM channel.
pub fn dm_kind(channel: &ChannelRow) -> Option<NotificationKind> {
    (channel.kind == ChannelKind::Dm).then_some(NotificationKind::Dm)
}
