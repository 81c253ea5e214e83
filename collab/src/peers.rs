//! The hub's link to the other nodes serving the same documents ([`Peers`]), and what goes
//! over it.
//!
//! The database's update log is the only truth: a node's updates get their sequence numbers
//! from the database in the commit's transaction (see [`crate::store`]). The link only makes
//! the others know sooner. After each commit the hub publishes the committed range of every
//! document in it ([`CommittedRange`], with the updates when they are small); a node holding
//! the document applies ranges in sequence order, keeps a range that comes after a gap aside
//! and, when the gap is still open after [`crate::HubConfig::gap_wait`], reads what it lacks
//! from the database. Every [`crate::HubConfig::peer_sync_interval`] (and when the link comes
//! back, [`crate::Hub::sync_heads`]) the hub compares the heads of its open documents with the
//! database in one query per few hundred documents, so a node converges even when messages
//! are lost or the link is down; meanwhile it keeps serving its own connections.
//!
//! Nothing a peer holds in memory is ever written to the log: a node applies what the database
//! committed, and the snapshot a catch-up may read is the database's too.
//!
//! Awareness (presence) travels the same link and is never stored: each node relays the
//! changes of its own connections' clients, and keeps other nodes' states without an owner,
//! renewed by their relays and expired by the same timeout as its own.

use std::sync::Arc;

use bytes::Bytes;

/// Entries `from..=to` of a document's log, just committed by this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedRange {
    /// The document.
    pub doc_id: Arc<str>,
    /// The first sequence number of the range.
    pub from: i64,
    /// The last sequence number of the range.
    pub to: i64,
    /// The entries' Yjs v1 updates in order, when together they are at most
    /// [`crate::HubConfig::relay_inline_bytes`]; without them a receiver reads the range from
    /// the database.
    pub updates: Option<Vec<Bytes>>,
}

/// How the hub reaches the other nodes (the server implements it over Redis pub/sub). Every
/// method must return at once: it is called from the committer and under rooms' locks' callers,
/// so it queues what it sends. Messages may be lost; the hub converges anyway.
pub trait Peers: Send + Sync + 'static {
    /// Publishes a range this node committed.
    fn publish_range(&self, range: CommittedRange);

    /// Publishes an awareness frame about this node's clients of a document.
    fn publish_awareness(&self, doc_id: &str, frame: &Bytes);

    /// A document was loaded on this node: the nodes that hold it may send the states of
    /// their clients (see [`crate::Hub::local_awareness`]) rather than wait for their renewals.
    fn room_loaded(&self, doc_id: &str) {
        let _ = doc_id;
    }
}
