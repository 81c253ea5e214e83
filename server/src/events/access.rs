//! What one event-socket connection may receive.
//!
//! Loaded when the socket opens: the user's organisations, the projects they can read, and the
//! channels they can see (the rule of [`crate::chat::access`]). Every event is checked against
//! it. Membership changes arrive as `access.changed` events addressed to the affected user (or
//! their whole organisation); the socket reloads before it looks at the next event, so a user
//! removed from a channel receives nothing of it after the removal's event.

use std::collections::HashSet;

use atrium_client::wire::{AccessChanged, SessionRevoked};

use crate::db::Db;

use super::{Audience, Delivery, NewEvent};

/// A new task: its discussion channel is visible wherever the task is.
const TASK_CREATED: &str = "task.created";
/// The event kind that makes sockets reload their access.
pub const ACCESS_CHANGED: &str = "access.changed";
/// The event kind that tells a user's sockets that one of their credentials was revoked: each
/// checks that the one it was opened with is still valid.
pub const SESSION_REVOKED: &str = "session.revoked";

/// One connection's view of what it may receive.
#[derive(Debug, Clone, Default)]
pub struct ConnectionAccess {
    pub user_id: String,
    /// The session or API token the socket was opened with.
    pub token_id: String,
    pub orgs: HashSet<String>,
    pub projects: HashSet<String>,
    pub channels: HashSet<String>,
}

impl ConnectionAccess {
    /// Loads the user's access from the database; `None` when the credential the socket was
    /// opened with is no longer valid (revoked or expired).
    pub async fn load(db: &Db, user_id: &str, token_id: &str) -> Result<Option<Self>, sqlx::Error> {
        if !crate::auth::store::token_is_live(db, user_id, token_id).await? {
            return Ok(None);
        }
        let mut access = Self {
            user_id: user_id.to_owned(),
            token_id: token_id.to_owned(),
            ..Self::default()
        };
        for org in crate::orgs::store::memberships(db, user_id).await? {
            let (channels, projects) =
                crate::chat::access::visible_channels(db, user_id, &org.id, org.role).await?;
            access
                .channels
                .extend(channels.into_iter().map(|entry| entry.channel.id));
            access.projects.extend(projects.into_keys());
            access.orgs.insert(org.id);
        }
        Ok(Some(access))
    }

    /// Whether the delivery is for this connection.
    pub fn allows(&self, delivery: &Delivery) -> bool {
        if delivery.except_user.as_deref() == Some(self.user_id.as_str()) {
            return false;
        }
        match &delivery.audience {
            Audience::Channel(id) => self.channels.contains(id),
            Audience::Project(id) => self.projects.contains(id),
            Audience::Org(id) => self.orgs.contains(id),
            Audience::User(id) => *id == self.user_id,
        }
    }

    /// Whether the (allowed) delivery changes what this connection may see.
    pub fn must_reload(delivery: &Delivery) -> bool {
        delivery.kind == ACCESS_CHANGED || delivery.kind == SESSION_REVOKED
    }

    /// Updates from events that reveal a channel without a reload: a public channel created in
    /// a project the user reads, or a task created there (its discussion has the task's id).
    pub fn observe(&mut self, delivery: &Delivery) {
        if !Self::reveals_channel(delivery) {
            return;
        }
        let id = if delivery.kind == TASK_CREATED {
            delivery.data.get("task").and_then(|t| t.get("id"))
        } else {
            delivery.data.get("id")
        };
        if let Some(id) = id.and_then(|v| v.as_str()) {
            self.channels.insert(id.to_owned());
        }
    }

    /// Whether the delivery can change a connection's access: a reload, or [`Self::observe`].
    pub fn affects(delivery: &Delivery) -> bool {
        Self::must_reload(delivery) || Self::reveals_channel(delivery)
    }

    fn reveals_channel(delivery: &Delivery) -> bool {
        (delivery.kind == "channel.created" || delivery.kind == TASK_CREATED)
            && matches!(delivery.audience, Audience::Project(_))
    }
}

/// The `access.changed` event for `audience` (a user, or a whole org).
pub fn changed(org_id: &str, audience: Audience, reason: &str) -> NewEvent {
    let data = AccessChanged {
        org_id: org_id.to_owned(),
        reason: reason.to_owned(),
    };
    NewEvent::new(org_id, audience, ACCESS_CHANGED, &data)
}

/// The `session.revoked` event for a user's sockets; tied to no organisation.
pub fn sessions_revoked(user_id: &str, reason: &str) -> NewEvent {
    let data = SessionRevoked {
        reason: reason.to_owned(),
    };
    NewEvent::new(
        "",
        Audience::User(user_id.to_owned()),
        SESSION_REVOKED,
        &data,
    )
}
