//! Sockets outside the event router that must re-check their access when it may have changed.
//!
//! A collaboration socket checks the caller's access once, when it opens. Access can end while
//! it stays open: the user is removed from the organisation or project, their role is lowered,
//! or the session or token it was opened with is revoked (log-out, password reset, token
//! revocation). Every such change appends an event to the log (`access.changed`,
//! `session.revoked`), which each node's dispatcher reads in order — so it reaches every node,
//! within the dispatcher's wake-up (Redis) or poll interval. The dispatcher hands those events
//! to [`AccessWatch::notify`], which wakes exactly the registered sockets the event may concern;
//! each then checks its access again and closes (or reconnects with less) if it lost any.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::{Audience, Delivery};

/// Registered sockets of this node, by user.
#[derive(Default)]
pub struct AccessWatch {
    sockets: Mutex<HashMap<String, Vec<Arc<Entry>>>>,
}

/// One registered socket: the scope it was opened in, and how to wake it.
struct Entry {
    org_id: String,
    project_id: String,
    wake: Notify,
}

/// A socket's registration; dropping it unregisters the socket.
pub struct Watched {
    watch: Arc<AccessWatch>,
    user_id: String,
    entry: Arc<Entry>,
}

impl Watched {
    /// Resolves when the socket's access may have changed since the last call (a wake-up that
    /// arrived meanwhile is kept, so none is missed between two checks).
    pub async fn changed(&self) {
        self.entry.wake.notified().await;
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut sockets = self.watch.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entries) = sockets.get_mut(&self.user_id) {
            entries.retain(|entry| !Arc::ptr_eq(entry, &self.entry));
            if entries.is_empty() {
                sockets.remove(&self.user_id);
            }
        }
    }
}

impl AccessWatch {
    /// Registers a socket of `user_id` opened on something in `org_id` / `project_id`.
    pub fn register(self: &Arc<Self>, user_id: &str, org_id: &str, project_id: &str) -> Watched {
        let entry = Arc::new(Entry {
            org_id: org_id.to_owned(),
            project_id: project_id.to_owned(),
            wake: Notify::new(),
        });
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(user_id.to_owned())
            .or_default()
            .push(entry.clone());
        Watched {
            watch: self.clone(),
            user_id: user_id.to_owned(),
            entry,
        }
    }

    /// Wakes the sockets a delivery may concern, if it is one that changes access.
    pub fn notify(&self, delivery: &Delivery) {
        if !concerns_access(&delivery.kind) {
            return;
        }
        let sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let wake = |entry: &Arc<Entry>| entry.wake.notify_one();
        match &delivery.audience {
            Audience::User(user_id) => sockets.get(user_id).into_iter().flatten().for_each(wake),
            Audience::Org(org_id) => sockets
                .values()
                .flatten()
                .filter(|entry| entry.org_id == *org_id)
                .for_each(wake),
            Audience::Project(project_id) => sockets
                .values()
                .flatten()
                .filter(|entry| entry.project_id == *project_id)
                .for_each(wake),
            // Channel membership does not decide access to documents, nor is access ever
            // changed through a discussion.
            Audience::Channel(_) | Audience::TaskDiscussion(_) => {}
        }
    }

    /// How many sockets are registered (for tests and metrics).
    pub fn len(&self) -> usize {
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }

    /// Whether no socket is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether events of this kind can take access away.
fn concerns_access(kind: &str) -> bool {
    kind == super::access::ACCESS_CHANGED || kind == super::access::SESSION_REVOKED
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn delivery(kind: &str, audience: Audience) -> Delivery {
        Delivery::ephemeral("o1", audience, kind, serde_json::Value::Null, None)
    }

    async fn woken(watched: &Watched) -> bool {
        tokio::time::timeout(Duration::from_millis(50), watched.changed())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn wakes_only_the_sockets_concerned() {
        let watch = Arc::new(AccessWatch::default());
        let alice_p1 = watch.register("alice", "o1", "p1");
        let alice_p2 = watch.register("alice", "o1", "p2");
        let bob_p1 = watch.register("bob", "o1", "p1");
        let carol_o2 = watch.register("carol", "o2", "p9");

        watch.notify(&delivery(
            super::super::access::ACCESS_CHANGED,
            Audience::User("alice".into()),
        ));
        assert!(woken(&alice_p1).await && woken(&alice_p2).await);
        assert!(!woken(&bob_p1).await && !woken(&carol_o2).await);

        watch.notify(&delivery(
            super::super::access::ACCESS_CHANGED,
            Audience::Project("p1".into()),
        ));
        assert!(woken(&alice_p1).await && woken(&bob_p1).await);
        assert!(!woken(&alice_p2).await && !woken(&carol_o2).await);

        watch.notify(&delivery(
            super::super::access::SESSION_REVOKED,
            Audience::Org("o2".into()),
        ));
        assert!(woken(&carol_o2).await && !woken(&bob_p1).await);

        // Other kinds never wake anyone.
        watch.notify(&delivery("message.created", Audience::User("alice".into())));
        assert!(!woken(&alice_p1).await);
    }

    #[test]
    fn dropping_unregisters() {
        let watch = Arc::new(AccessWatch::default());
        let a = watch.register("alice", "o1", "p1");
        let b = watch.register("alice", "o1", "p2");
        assert_eq!(watch.len(), 2);
        drop(a);
        assert_eq!(watch.len(), 1);
        drop(b);
        assert!(watch.is_empty());
        assert!(watch.sockets.lock().unwrap().is_empty());
    }
}
