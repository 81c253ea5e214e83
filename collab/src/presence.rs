//! The presence (y-protocols awareness) of one room: which client ids are here, with what
//! state, owned by which connection.
//!
//! The rules are y-protocols' (a state replaces one with a lower clock; `null` with the same
//! clock removes it; a removal keeps the clock, so a stale copy cannot come back), plus what a
//! server must add when clients are not trusted:
//! - every client id is owned by the connection that introduced it, at most
//!   `max_clients` per connection; entries for ids another connection owns are dropped (stock
//!   clients relay every change they receive, other people's included);
//! - nothing is kept for an id the room never knew: a removal of an unknown client is dropped,
//!   not remembered (y-protocols keeps a clock for it forever);
//! - a removed state is remembered (its clock, to refuse stale relays) only for the retention
//!   period once its connection is gone, then forgotten.
//!
//! So the table holds at most `max_clients` entries per open connection plus those of
//! connections closed within the retention period, and the states other nodes relay
//! ([`Presence::apply_remote`]: kept without an owner, at most 10,000). The frame of every current state, sent to
//! joiners and in answer to QueryAwareness, is encoded once per change and shared.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::sync::Arc;

use bytes::Bytes;

use crate::protocol::{AwarenessEntries, encode_awareness_entries};

const NULL: &str = "null";
/// Most states a room takes from other nodes (each node bounds its own connections' states;
/// this bounds what a room holds whatever the number of nodes).
const MAX_REMOTE_PRESENT: usize = 10_000;

/// One client id's presence.
#[derive(Debug)]
struct Client {
    clock: u32,
    /// When it last changed (clock milliseconds): renewal for a state, removal for none.
    updated: u64,
    /// The JSON state; `None` once removed.
    state: Option<Arc<str>>,
    /// The connection that introduced it; `None` once that connection is gone.
    owner: Option<u64>,
}

/// The presence table of a room.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    clients: HashMap<u64, Client>,
    /// Entries with a state.
    present: usize,
    /// The awareness frame of every current state, until the next change.
    snapshot: Option<Bytes>,
}

impl Presence {
    /// Applies an awareness update from connection `from`, which owns the ids in `owned` and
    /// may introduce new ones up to `max_clients`. Returns the frame telling everyone what
    /// changed, if anything did.
    pub(crate) fn apply(
        &mut self,
        from: u64,
        owned: &mut Vec<u64>,
        max_clients: usize,
        update: &AwarenessEntries,
        now: u64,
    ) -> Option<Bytes> {
        // At most `max_clients` distinct ids can change: the ones this connection owns.
        let mut changed: Vec<u64> = Vec::new();
        for entry in update.iter() {
            let removal = entry.is_removal();
            let applied = match self.clients.entry(entry.client) {
                MapEntry::Occupied(mut slot) => {
                    let client = slot.get_mut();
                    match client.owner {
                        Some(owner) if owner == from => {
                            let newer = entry.clock > client.clock
                                || (entry.clock == client.clock
                                    && removal
                                    && client.state.is_some());
                            newer && Self::set(&mut self.present, client, &entry, removal, now)
                        }
                        // Another connection's client: a relayed copy.
                        Some(_) => false,
                        // Its connection is gone. Only a newer state can come from the client
                        // itself (reconnected); a relay of its last state or of its removal
                        // must neither apply nor claim the id, or a peer would own it.
                        None => {
                            if removal || entry.clock <= client.clock || owned.len() >= max_clients
                            {
                                false
                            } else {
                                client.owner = Some(from);
                                owned.push(entry.client);
                                Self::set(&mut self.present, client, &entry, false, now)
                            }
                        }
                    }
                }
                MapEntry::Vacant(slot) => {
                    // A removal of a client the room never knew is not remembered.
                    if removal || owned.len() >= max_clients {
                        false
                    } else {
                        slot.insert(Client {
                            clock: entry.clock,
                            updated: now,
                            state: Some(entry.json.into()),
                            owner: Some(from),
                        });
                        self.present += 1;
                        owned.push(entry.client);
                        true
                    }
                }
            };
            if applied && !changed.contains(&entry.client) {
                changed.push(entry.client);
            }
        }
        self.announce(&changed)
    }

    /// Applies an awareness change relayed from another node (the states of its clients,
    /// which that node's rules admitted). A relayed state is kept without an owner: it renews
    /// and expires like any other, and a client that reconnects here takes its id back with a
    /// newer clock. Ids a connection of this node owns are left alone (their client is here
    /// now). Returns the frame telling this node's connections what changed.
    pub(crate) fn apply_remote(&mut self, update: &AwarenessEntries, now: u64) -> Option<Bytes> {
        let mut changed: Vec<u64> = Vec::new();
        for entry in update.iter() {
            let removal = entry.is_removal();
            let applied = match self.clients.entry(entry.client) {
                MapEntry::Occupied(mut slot) => {
                    let client = slot.get_mut();
                    let newer = entry.clock > client.clock
                        || (entry.clock == client.clock && removal && client.state.is_some());
                    client.owner.is_none()
                        && newer
                        && Self::set(&mut self.present, client, &entry, removal, now)
                }
                MapEntry::Vacant(slot) => {
                    if removal || self.present >= MAX_REMOTE_PRESENT {
                        false
                    } else {
                        slot.insert(Client {
                            clock: entry.clock,
                            updated: now,
                            state: Some(entry.json.into()),
                            owner: None,
                        });
                        self.present += 1;
                        true
                    }
                }
            };
            if applied && !changed.contains(&entry.client) {
                changed.push(entry.client);
            }
        }
        self.announce(&changed)
    }

    /// Sets an applied entry; returns whether others must be told.
    fn set(
        present: &mut usize,
        client: &mut Client,
        entry: &crate::protocol::AwarenessEntry<'_>,
        removal: bool,
        now: u64,
    ) -> bool {
        client.clock = entry.clock;
        client.updated = now;
        if removal {
            let had = client.state.take().is_some();
            *present -= usize::from(had);
            had
        } else {
            // A renewal with the same state is announced too: the sender's own state coming
            // back is the stock client's keepalive.
            if client.state.replace(entry.json.into()).is_none() {
                *present += 1;
            }
            true
        }
    }

    /// The frame announcing the current entries of `ids`.
    fn announce(&mut self, ids: &[u64]) -> Option<Bytes> {
        if ids.is_empty() {
            return None;
        }
        self.snapshot = None;
        let entries: Vec<(u64, u32, &str)> = ids
            .iter()
            .filter_map(|id| {
                let c = self.clients.get(id)?;
                Some((*id, c.clock, c.state.as_deref().unwrap_or(NULL)))
            })
            .collect();
        Some(encode_awareness_entries(entries.into_iter()))
    }

    /// Removes the states of `ids` (their connection left, or they expired), keeping their
    /// clocks. Returns the frame telling everyone, if any had a state.
    pub(crate) fn remove(&mut self, ids: &[u64], now: u64) -> Option<Bytes> {
        let mut removed = Vec::new();
        for id in ids {
            if let Some(c) = self.clients.get_mut(id) {
                if c.state.take().is_some() {
                    self.present -= 1;
                    c.updated = now;
                    removed.push(*id);
                }
            }
        }
        self.announce(&removed)
    }

    /// The connection owning `ids` is gone: they are remembered without an owner for the
    /// retention period (see [`Presence::expire`]).
    pub(crate) fn disown(&mut self, ids: &[u64], now: u64) {
        for id in ids {
            if let Some(c) = self.clients.get_mut(id) {
                c.owner = None;
                c.updated = now;
            }
        }
    }

    /// Removes the states not renewed within `timeout_ms` (returning the frame telling
    /// everyone), and forgets the ownerless removed entries older than `retention_ms`.
    pub(crate) fn expire(&mut self, now: u64, timeout_ms: u64, retention_ms: u64) -> Option<Bytes> {
        let expired: Vec<u64> = self
            .clients
            .iter()
            .filter(|(_, c)| c.state.is_some() && now.saturating_sub(c.updated) >= timeout_ms)
            .map(|(id, _)| *id)
            .collect();
        let frame = self.remove(&expired, now);
        self.clients.retain(|_, c| {
            c.state.is_some() || c.owner.is_some() || now.saturating_sub(c.updated) < retention_ms
        });
        frame
    }

    /// The awareness frame of every current state (empty when nobody is present), encoded once
    /// per change and shared.
    pub(crate) fn snapshot(&mut self) -> Bytes {
        if let Some(frame) = &self.snapshot {
            return frame.clone();
        }
        let entries: Vec<(u64, u32, &str)> = self
            .clients
            .iter()
            .filter_map(|(id, c)| Some((*id, c.clock, c.state.as_deref()?)))
            .collect();
        let frame = encode_awareness_entries(entries.into_iter());
        self.snapshot = Some(frame.clone());
        frame
    }

    /// The awareness frame of the current states of this node's own connections' clients
    /// (`None` when there are none), for a node that just loaded the room.
    pub(crate) fn local_snapshot(&self) -> Option<Bytes> {
        let entries: Vec<(u64, u32, &str)> = self
            .clients
            .iter()
            .filter(|(_, c)| c.owner.is_some())
            .filter_map(|(id, c)| Some((*id, c.clock, c.state.as_deref()?)))
            .collect();
        (!entries.is_empty()).then(|| encode_awareness_entries(entries.into_iter()))
    }

    /// How many client ids have a state.
    pub(crate) fn present(&self) -> usize {
        self.present
    }

    /// How many client ids are remembered (with a state or removed).
    pub(crate) fn remembered(&self) -> usize {
        self.clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Incoming, decode_frame};

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessEntries {
        let frame = encode_awareness_entries(entries.iter().copied());
        match decode_frame(&frame, 1).unwrap().pop() {
            Some(Incoming::Awareness(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    fn states(frame: &Bytes) -> Vec<(u64, u32, String)> {
        match decode_frame(frame, 1).unwrap().pop() {
            Some(Incoming::Awareness(e)) => {
                let mut v: Vec<_> = e
                    .iter()
                    .map(|e| (e.client, e.clock, e.json.to_owned()))
                    .collect();
                v.sort();
                v
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn owners_renew_and_remove_their_own_clients_only() {
        let mut p = Presence::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let f = p.apply(1, &mut a, 4, &update(&[(10, 1, r#"{"n":"a"}"#)]), 0);
        assert_eq!(states(&f.unwrap()), vec![(10, 1, r#"{"n":"a"}"#.into())]);
        assert_eq!(a, vec![10]);
        // b relays a's state, then a's removal: neither applies, nothing is claimed.
        assert!(
            p.apply(2, &mut b, 4, &update(&[(10, 5, "{}")]), 0)
                .is_none()
        );
        assert!(
            p.apply(2, &mut b, 4, &update(&[(10, 5, "null")]), 0)
                .is_none()
        );
        assert!(b.is_empty());
        // A renewal with the same state is announced (the keepalive); an older one is not.
        assert!(
            p.apply(1, &mut a, 4, &update(&[(10, 2, r#"{"n":"a"}"#)]), 0)
                .is_some()
        );
        assert!(
            p.apply(1, &mut a, 4, &update(&[(10, 1, "{}")]), 0)
                .is_none()
        );
        // The owner's removal with the same clock removes it.
        let f = p
            .apply(1, &mut a, 4, &update(&[(10, 2, "null")]), 0)
            .unwrap();
        assert_eq!(states(&f), vec![(10, 2, "null".into())]);
        assert_eq!(p.present(), 0);
        assert_eq!(states(&p.snapshot()), vec![]);
    }

    #[test]
    fn unknown_removals_are_not_remembered_and_claims_are_bounded() {
        let mut p = Presence::default();
        let mut a = Vec::new();
        let nulls: Vec<(u64, u32, &str)> = (0..10_000).map(|i| (i, 1, "null")).collect();
        assert!(p.apply(1, &mut a, 4, &update(&nulls), 0).is_none());
        assert_eq!(p.remembered(), 0);
        let states: Vec<(u64, u32, &str)> = (100..200).map(|i| (i, 1, "{}")).collect();
        let f = p.apply(1, &mut a, 4, &update(&states), 0).unwrap();
        assert_eq!(super::tests::states(&f).len(), 4);
        assert_eq!((p.present(), p.remembered(), a.len()), (4, 4, 4));
    }

    #[test]
    fn a_departed_client_is_remembered_for_the_retention_then_forgotten() {
        let mut p = Presence::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        p.apply(1, &mut a, 4, &update(&[(10, 3, "{}")]), 1_000);
        let f = p.remove(&a, 2_000).unwrap();
        assert_eq!(states(&f), vec![(10, 3, "null".into())]);
        p.disown(&a, 2_000);
        // A peer's stale relay of the last state neither applies nor claims the id…
        assert!(
            p.apply(2, &mut b, 4, &update(&[(10, 3, "{}")]), 2_500)
                .is_none()
        );
        // …but the client itself, reconnected with a newer clock, takes it back.
        let mut a2 = Vec::new();
        assert!(
            p.apply(3, &mut a2, 4, &update(&[(10, 4, "{}")]), 3_000)
                .is_some()
        );
        assert_eq!(a2, vec![10]);
        p.remove(&a2, 4_000);
        p.disown(&a2, 4_000);
        // Expiry: not before the retention period.
        assert!(p.expire(10_000, 30_000, 60_000).is_none());
        assert_eq!(p.remembered(), 1);
        p.expire(64_000, 30_000, 60_000);
        assert_eq!(p.remembered(), 0);
    }

    #[test]
    fn states_not_renewed_expire_but_stay_owned() {
        let mut p = Presence::default();
        let mut a = Vec::new();
        p.apply(1, &mut a, 4, &update(&[(10, 1, "{}")]), 0);
        assert!(p.expire(29_999, 30_000, 60_000).is_none());
        let f = p.expire(30_000, 30_000, 60_000).unwrap();
        assert_eq!(states(&f), vec![(10, 1, "null".into())]);
        // Owned by an open connection: kept however long, and renewable.
        p.expire(1_000_000, 30_000, 60_000);
        assert_eq!(p.remembered(), 1);
        assert!(
            p.apply(1, &mut a, 4, &update(&[(10, 2, "{}")]), 1_000_000)
                .is_some()
        );
    }

    #[test]
    fn relayed_states_renew_expire_and_yield_to_a_local_owner() {
        let mut p = Presence::default();
        let f = p.apply_remote(&update(&[(10, 1, "{}")]), 0).unwrap();
        assert_eq!(states(&f), vec![(10, 1, "{}".into())]);
        // A stale relay changes nothing; a renewal is announced.
        assert!(p.apply_remote(&update(&[(10, 1, "{}")]), 0).is_none());
        assert!(p.apply_remote(&update(&[(10, 2, "{}")]), 10_000).is_some());
        // Not renewed within the timeout, it expires here too.
        assert!(p.expire(39_999, 30_000, 60_000).is_none());
        assert!(p.expire(40_000, 30_000, 60_000).is_some());
        assert!(p.apply_remote(&update(&[(10, 3, "{}")]), 41_000).is_some());
        // The client reconnects to this node: it takes its id with a newer clock, and relays
        // from elsewhere no longer touch it.
        let mut a = Vec::new();
        assert!(
            p.apply(1, &mut a, 4, &update(&[(10, 4, "{}")]), 42_000)
                .is_some()
        );
        assert_eq!(a, vec![10]);
        assert!(
            p.apply_remote(&update(&[(10, 9, "null")]), 42_000)
                .is_none()
        );
        assert_eq!(p.present(), 1);
        // A relayed removal removes a relayed state.
        p.apply_remote(&update(&[(11, 1, "{}")]), 42_000);
        let f = p.apply_remote(&update(&[(11, 1, "null")]), 42_000).unwrap();
        assert_eq!(states(&f), vec![(11, 1, "null".into())]);
    }

    #[test]
    fn the_snapshot_is_shared_until_a_change() {
        let mut p = Presence::default();
        let mut a = Vec::new();
        p.apply(1, &mut a, 4, &update(&[(10, 1, "{}"), (11, 1, "[1]")]), 0);
        let s1 = p.snapshot();
        let s2 = p.snapshot();
        assert_eq!(s1.as_ptr(), s2.as_ptr());
        assert_eq!(states(&s1).len(), 2);
        p.apply(1, &mut a, 4, &update(&[(11, 2, "null")]), 0);
        assert_eq!(states(&p.snapshot()), vec![(10, 1, "{}".into())]);
    }
}
