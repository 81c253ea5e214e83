//! Presence: who is online, from their event sockets.
//!
//! A user is online while any of their sockets is active, away while every socket they have
//! says so (the browser reports idleness), and offline when none is open. Transitions are
//! announced to the members of the user's organisations as ephemeral `presence` events; the
//! time a user was last seen is written when their last socket closes.

use std::collections::HashMap;
use std::sync::Mutex;

use atrium_client::wire::PresenceStatus;

/// Presence of this node's users.
#[derive(Debug, Default)]
pub struct Presence {
    /// user id → their sockets' connection ids and whether each is away.
    users: Mutex<HashMap<String, HashMap<u64, bool>>>,
}

impl Presence {
    /// Registers a socket; answers the user's status before and after.
    pub fn connect(&self, user_id: &str, connection: u64) -> (PresenceStatus, PresenceStatus) {
        self.update(user_id, |sockets| {
            sockets.insert(connection, false);
        })
    }

    /// Records whether a socket's tab is idle.
    pub fn set_away(
        &self,
        user_id: &str,
        connection: u64,
        away: bool,
    ) -> (PresenceStatus, PresenceStatus) {
        self.update(user_id, |sockets| {
            if let Some(state) = sockets.get_mut(&connection) {
                *state = away;
            }
        })
    }

    /// Forgets a socket.
    pub fn disconnect(&self, user_id: &str, connection: u64) -> (PresenceStatus, PresenceStatus) {
        self.update(user_id, |sockets| {
            sockets.remove(&connection);
        })
    }

    /// The user's status on this node.
    pub fn status(&self, user_id: &str) -> PresenceStatus {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .get(user_id)
            .map_or(PresenceStatus::Offline, status_of)
    }

    fn update(
        &self,
        user_id: &str,
        change: impl FnOnce(&mut HashMap<u64, bool>),
    ) -> (PresenceStatus, PresenceStatus) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let sockets = users.entry(user_id.to_owned()).or_default();
        let before = status_of(sockets);
        change(sockets);
        let after = status_of(sockets);
        if sockets.is_empty() {
            users.remove(user_id);
        }
        (before, after)
    }
}

fn status_of(sockets: &HashMap<u64, bool>) -> PresenceStatus {
    if sockets.is_empty() {
        PresenceStatus::Offline
    } else if sockets.values().all(|away| *away) {
        PresenceStatus::Away
    } else {
        PresenceStatus::Online
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_while_any_tab_is_active() {
        let presence = Presence::default();
        assert_eq!(
            presence.connect("u", 1),
            (PresenceStatus::Offline, PresenceStatus::Online)
        );
        presence.connect("u", 2);
        assert_eq!(presence.set_away("u", 1, true).1, PresenceStatus::Online);
        assert_eq!(presence.set_away("u", 2, true).1, PresenceStatus::Away);
        assert_eq!(
            presence.disconnect("u", 2),
            (PresenceStatus::Away, PresenceStatus::Away)
        );
        assert_eq!(presence.disconnect("u", 1).1, PresenceStatus::Offline);
        assert_eq!(presence.status("u"), PresenceStatus::Offline);
    }
}
