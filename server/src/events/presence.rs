//! Presence: who is online, from their event sockets — on every node.
//!
//! A user is online while any of their sockets is active, away while every socket they have
//! says so (the browser reports idleness), and offline when none is open. Transitions are
//! announced to the members of the user's organisations as ephemeral `presence` events; the
//! time a user was last seen is written when their last socket closes.
//!
//! With several nodes, a user's sockets may be spread over them. Each node keeps its own
//! sockets here and learns the other nodes' view through the relay ([`super::relay`]): every
//! change of a user's status on a node is sent to the others, and each node sends its whole
//! table periodically, so a node that starts late learns it and a node that stops sending (it
//! died) is forgotten after [`REMOTE_TTL`]. The status of a user is the strongest over all
//! nodes, so closing a tab on one node does not report offline a user still active on another.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use atrium_client::wire::PresenceStatus;
use serde::{Deserialize, Serialize};

/// A node whose table has not been heard for this long is taken to be gone.
pub const REMOTE_TTL: Duration = Duration::from_secs(30);

/// A user's status on one node, with the organisations to announce changes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub status: PresenceStatus,
    pub orgs: Vec<String>,
}

/// A change of a user's status: over all nodes, and on this node (what the other nodes are
/// told), before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub before: PresenceStatus,
    pub after: PresenceStatus,
    pub local_before: PresenceStatus,
    pub local: PresenceStatus,
}

/// A user whose status over all nodes changed because another node went quiet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapsed {
    pub user_id: String,
    pub after: PresenceStatus,
    pub orgs: Vec<String>,
}

/// Presence of users on this node and, as last heard, on the others.
#[derive(Debug, Default)]
pub struct Presence {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// user id → their sockets on this node (connection id → away) and their organisations.
    local: HashMap<String, LocalUser>,
    /// node id → its users, and when it was last heard.
    remote: HashMap<String, RemoteNode>,
}

#[derive(Debug, Default)]
struct LocalUser {
    sockets: HashMap<u64, bool>,
    orgs: Vec<String>,
}

#[derive(Debug)]
struct RemoteNode {
    users: HashMap<String, NodeStatus>,
    heard: Instant,
}

impl Presence {
    /// Registers a socket of a member of `orgs`.
    pub fn connect(&self, user_id: &str, connection: u64, orgs: &[String]) -> Transition {
        self.update(user_id, |user| {
            user.sockets.insert(connection, false);
            user.orgs = orgs.to_vec();
        })
    }

    /// Records whether a socket's tab is idle.
    pub fn set_away(&self, user_id: &str, connection: u64, away: bool) -> Transition {
        self.update(user_id, |user| {
            if let Some(state) = user.sockets.get_mut(&connection) {
                *state = away;
            }
        })
    }

    /// Forgets a socket.
    pub fn disconnect(&self, user_id: &str, connection: u64) -> Transition {
        self.update(user_id, |user| {
            user.sockets.remove(&connection);
        })
    }

    /// The user's status over all nodes.
    pub fn status(&self, user_id: &str) -> PresenceStatus {
        self.lock().status(user_id)
    }

    /// This node's users and their statuses (the table sent to the other nodes).
    pub fn local_table(&self) -> HashMap<String, NodeStatus> {
        self.lock()
            .local
            .iter()
            .map(|(user_id, user)| {
                let status = NodeStatus {
                    status: status_of(&user.sockets),
                    orgs: user.orgs.clone(),
                };
                (user_id.clone(), status)
            })
            .collect()
    }

    /// Another node's change of one user's status.
    pub fn remote_change(&self, node: &str, user_id: &str, status: NodeStatus) {
        let mut state = self.lock();
        let entry = state
            .remote
            .entry(node.to_owned())
            .or_insert_with(|| RemoteNode {
                users: HashMap::new(),
                heard: Instant::now(),
            });
        entry.heard = Instant::now();
        if status.status == PresenceStatus::Offline {
            entry.users.remove(user_id);
        } else {
            entry.users.insert(user_id.to_owned(), status);
        }
    }

    /// Another node's whole table.
    pub fn remote_table(&self, node: &str, users: HashMap<String, NodeStatus>) {
        let mut state = self.lock();
        state.remote.insert(
            node.to_owned(),
            RemoteNode {
                users,
                heard: Instant::now(),
            },
        );
    }

    /// Forgets nodes not heard within [`REMOTE_TTL`] (or at all, for `node` when it says it
    /// stops); returns the users whose status changed with it.
    pub fn forget_quiet_nodes(&self, stopped: Option<&str>) -> Vec<Lapsed> {
        let mut state = self.lock();
        let gone: Vec<String> = state
            .remote
            .iter()
            .filter(|(node, remote)| {
                Some(node.as_str()) == stopped || remote.heard.elapsed() > REMOTE_TTL
            })
            .map(|(node, _)| node.clone())
            .collect();
        let mut lapsed = Vec::new();
        for node in gone {
            let Some(remote) = state.remote.get(&node) else {
                continue;
            };
            let users: Vec<(String, NodeStatus)> = remote
                .users
                .iter()
                .map(|(user, status)| (user.clone(), status.clone()))
                .collect();
            let before: Vec<PresenceStatus> = users.iter().map(|(u, _)| state.status(u)).collect();
            state.remote.remove(&node);
            for ((user_id, status), before) in users.into_iter().zip(before) {
                let after = state.status(&user_id);
                if after != before {
                    lapsed.push(Lapsed {
                        user_id,
                        after,
                        orgs: status.orgs,
                    });
                }
            }
        }
        lapsed
    }

    fn update(&self, user_id: &str, change: impl FnOnce(&mut LocalUser)) -> Transition {
        let mut state = self.lock();
        let before = state.status(user_id);
        let user = state.local.entry(user_id.to_owned()).or_default();
        let local_before = status_of(&user.sockets);
        change(user);
        let local = status_of(&user.sockets);
        if user.sockets.is_empty() {
            state.local.remove(user_id);
        }
        Transition {
            before,
            after: state.status(user_id),
            local_before,
            local,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// The strongest status over this node and the others: online, then away, then offline.
    fn status(&self, user_id: &str) -> PresenceStatus {
        let local = self
            .local
            .get(user_id)
            .map_or(PresenceStatus::Offline, |user| status_of(&user.sockets));
        self.remote
            .values()
            .filter_map(|node| node.users.get(user_id))
            .map(|remote| remote.status)
            .fold(local, strongest)
    }
}

fn strongest(a: PresenceStatus, b: PresenceStatus) -> PresenceStatus {
    let rank = |s: PresenceStatus| match s {
        PresenceStatus::Online => 2,
        PresenceStatus::Away => 1,
        PresenceStatus::Offline => 0,
    };
    if rank(b) > rank(a) { b } else { a }
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

    fn orgs() -> Vec<String> {
        vec!["org".to_owned()]
    }

    #[test]
    fn online_while_any_tab_is_active() {
        let presence = Presence::default();
        let t = presence.connect("u", 1, &orgs());
        assert_eq!(
            (t.before, t.after),
            (PresenceStatus::Offline, PresenceStatus::Online)
        );
        presence.connect("u", 2, &orgs());
        assert_eq!(
            presence.set_away("u", 1, true).after,
            PresenceStatus::Online
        );
        assert_eq!(presence.set_away("u", 2, true).after, PresenceStatus::Away);
        let t = presence.disconnect("u", 2);
        assert_eq!(
            (t.before, t.after),
            (PresenceStatus::Away, PresenceStatus::Away)
        );
        assert_eq!(presence.disconnect("u", 1).after, PresenceStatus::Offline);
        assert_eq!(presence.status("u"), PresenceStatus::Offline);
    }

    #[test]
    fn a_user_active_on_another_node_stays_online_when_a_local_tab_closes() {
        let presence = Presence::default();
        presence.connect("u", 1, &orgs());
        let online = NodeStatus {
            status: PresenceStatus::Online,
            orgs: orgs(),
        };
        presence.remote_change("b", "u", online.clone());
        let t = presence.disconnect("u", 1);
        assert_eq!(t.local, PresenceStatus::Offline);
        assert_eq!(
            (t.before, t.after),
            (PresenceStatus::Online, PresenceStatus::Online)
        );
        // A user only on the other node is online here too, until that node says otherwise.
        presence.remote_change("b", "v", online);
        assert_eq!(presence.status("v"), PresenceStatus::Online);
        presence.remote_change(
            "b",
            "v",
            NodeStatus {
                status: PresenceStatus::Offline,
                orgs: orgs(),
            },
        );
        assert_eq!(presence.status("v"), PresenceStatus::Offline);
    }

    #[test]
    fn a_node_that_stops_is_forgotten_and_its_users_lapse() {
        let presence = Presence::default();
        presence.connect("both", 1, &orgs());
        let away = NodeStatus {
            status: PresenceStatus::Away,
            orgs: orgs(),
        };
        let mut table = HashMap::new();
        table.insert("only-there".to_owned(), away.clone());
        table.insert("both".to_owned(), away);
        presence.remote_table("b", table);
        assert_eq!(presence.status("only-there"), PresenceStatus::Away);
        assert!(
            presence.forget_quiet_nodes(None).is_empty(),
            "heard just now"
        );
        let lapsed = presence.forget_quiet_nodes(Some("b"));
        assert_eq!(
            lapsed,
            vec![Lapsed {
                user_id: "only-there".to_owned(),
                after: PresenceStatus::Offline,
                orgs: orgs(),
            }]
        );
        assert_eq!(presence.status("both"), PresenceStatus::Online);
    }
}
