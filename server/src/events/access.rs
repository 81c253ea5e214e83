//! What one event-socket connection may receive.
//!
//! Loaded when the socket opens: the user's organisations, the projects they can read, and the
//! chat channels and direct messages they can see (the rule of [`crate::chat::access`]). Every
//! event is checked against it. Discussions are not listed — an org has one per task and per
//! record —: a task's discussion is open to whoever sees its project, and its events are
//! addressed to the project's readers ([`Audience::TaskDiscussion`]); a record's are addressed
//! to each of the record's readers. Membership changes arrive as `access.changed` events
//! addressed to the affected user (or their whole organisation); the socket reloads before it
//! looks at the next event, so a user removed from a channel or a project receives nothing of
//! it after the removal's event.

use std::collections::HashSet;

use atrium_client::wire::{AccessChanged, SessionRevoked};

use crate::db::Db;

use super::{Audience, Delivery, NewEvent};

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
    /// The chat channels and direct messages (not the discussions).
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
                crate::chat::access::socket_channels(db, user_id, &org.id, org.role).await?;
            access.channels.extend(channels);
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
            Audience::Project(id) | Audience::TaskDiscussion(id) => self.projects.contains(id),
            Audience::Org(id) => self.orgs.contains(id),
            Audience::User(id) => *id == self.user_id,
        }
    }

    /// Whether the (allowed) delivery changes what this connection may see.
    pub fn must_reload(delivery: &Delivery) -> bool {
        delivery.kind == ACCESS_CHANGED || delivery.kind == SESSION_REVOKED
    }

    /// Updates from events that reveal a channel without a reload: a public channel created in
    /// a project the user reads.
    pub fn observe(&mut self, delivery: &Delivery) {
        if !Self::reveals_channel(delivery) {
            return;
        }
        if let Some(id) = delivery.data.get("id").and_then(|v| v.as_str()) {
            self.channels.insert(id.to_owned());
        }
    }

    /// Whether the delivery can change a connection's access: a reload, or [`Self::observe`].
    pub fn affects(delivery: &Delivery) -> bool {
        Self::must_reload(delivery) || Self::reveals_channel(delivery)
    }

    fn reveals_channel(delivery: &Delivery) -> bool {
        delivery.kind == "channel.created" && matches!(delivery.audience, Audience::Project(_))
    }

    /// Where this connection's typing indicator in `channel_id` goes: the channel, or — for the
    /// discussion of a task in a project the user reads — the project's readers. `None` when
    /// the user cannot see such a channel.
    pub async fn typing_audience(
        &self,
        db: &Db,
        channel_id: &str,
    ) -> Result<Option<Audience>, sqlx::Error> {
        if self.channels.contains(channel_id) {
            return Ok(Some(Audience::Channel(channel_id.to_owned())));
        }
        let discussion = crate::chat::store::channels::task_discussion(db, channel_id).await?;
        Ok(discussion
            .filter(|(org_id, project_id)| {
                self.orgs.contains(org_id) && self.projects.contains(project_id)
            })
            .map(|(_, project_id)| Audience::TaskDiscussion(project_id)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::StoredEvent;

    async fn database() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        crate::db::migrate::run(&db).await.unwrap();
        (dir, db)
    }

    async fn exec(db: &Db, sql: &'static str) {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }

    fn delivery(audience: Audience) -> Delivery {
        Delivery::from_stored(StoredEvent {
            seq: 1,
            org_id: "o1".into(),
            audience,
            kind: "message.created".into(),
            data: "{}".into(),
        })
    }

    /// A member of an open project (p1), outside a private one (p2), in an org with a chat
    /// channel, a task discussion in each project and a record discussion.
    #[tokio::test]
    async fn discussions_are_not_listed_but_reach_their_audience() {
        let (_dir, db) = database().await;
        exec(
            &db,
            "insert into users (id, email, handle, name, password_hash, created_at, updated_at)
                   values ('u1', 'u1@example.com', 'u1', 'U', '', 0, 0)",
        )
        .await;
        exec(
            &db,
            "insert into auth_tokens (id, user_id, kind, name, token_hash, created_at,
                       last_seen_at)
                   values ('t1', 'u1', 'session', 's', 'h', 0, 0)",
        )
        .await;
        exec(
            &db,
            "insert into orgs (id, name, created_by, created_at, updated_at)
                   values ('o1', 'O', 'u1', 0, 0)",
        )
        .await;
        exec(
            &db,
            "insert into org_members (org_id, user_id, role, created_at)
                   values ('o1', 'u1', 'member', 0)",
        )
        .await;
        exec(
            &db,
            "insert into projects (id, org_id, name, visibility, default_role, created_by,
                       created_at, updated_at)
                   values ('p1', 'o1', 'Open', 'open', 'editor', 'u1', 0, 0),
                          ('p2', 'o1', 'Closed', 'private', 'editor', 'u1', 0, 0)",
        )
        .await;
        exec(
            &db,
            "insert into channels (id, org_id, project_id, kind, name, name_key, created_by,
                       created_at, updated_at)
                   values ('general', 'o1', 'p1', 'channel', 'general', 'general', 'u1', 0, 0),
                          ('task1', 'o1', 'p1', 'task', 'P-1', 'p-1', 'u1', 0, 0),
                          ('task2', 'o1', 'p2', 'task', 'C-1', 'c-1', 'u1', 0, 0),
                          ('rec1', 'o1', null, 'record', 'R-1', 'r-1', 'u1', 0, 0)",
        )
        .await;

        let access = ConnectionAccess::load(&db, "u1", "t1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.projects, HashSet::from(["p1".to_owned()]));
        assert_eq!(
            access.channels,
            HashSet::from(["general".to_owned()]),
            "discussions are not listed"
        );
        // A task discussion's messages go to its project's readers.
        assert!(access.allows(&delivery(Audience::TaskDiscussion("p1".into()))));
        assert!(!access.allows(&delivery(Audience::TaskDiscussion("p2".into()))));
        assert!(access.allows(&delivery(Audience::Channel("general".into()))));
        assert!(!access.allows(&delivery(Audience::Channel("task2".into()))));
        // Typing follows the same rule; a record discussion, or an unknown id, is no channel.
        let typing = |channel: &'static str| {
            let (access, db) = (&access, &db);
            async move { access.typing_audience(db, channel).await.unwrap() }
        };
        assert_eq!(
            typing("general").await,
            Some(Audience::Channel("general".into()))
        );
        assert_eq!(
            typing("task1").await,
            Some(Audience::TaskDiscussion("p1".into()))
        );
        assert_eq!(typing("task2").await, None);
        assert_eq!(typing("rec1").await, None);
        assert_eq!(typing("nope").await, None);
        db.close().await;
    }
}
