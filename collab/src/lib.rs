//! Atrium's CRDT sync hub: rooms, the y-websocket protocol, awareness, the durable update log
//! and compaction. No HTTP framework in it: the server hands it frames.
//!
//! A socket for `WS /collab/{doc}` becomes a [`Connection`] (frames in) and an [`Outbox`]
//! (frames and a close instruction out) through [`Hub::connect`]. Every document update from a
//! writer is applied to the room's `yrs::Doc`, sent at once to the room's other connections,
//! appended to the update log by the group committer, and echoed to its sender only after the
//! commit, so the stock y-websocket client's "synced" means "on disk". The REST side uses
//! [`Hub::encode_state`], [`Hub::apply_update`], [`Hub::content`] and the version methods.
//!
//! # Many nodes
//!
//! Several hubs (one per server node) may serve the same documents from one database. The
//! design, and why:
//!
//! - **The database's update log is the only truth; it hands out the sequence numbers.** A
//!   commit raises the document's head row by the number of its updates in the same
//!   transaction, and its rows take the numbers below the new head. Nodes never collide (an
//!   in-memory counter per node did: two nodes wrote the same keys, the batch failed and rooms
//!   reset), nothing is stored twice, and the durable echo still means "committed". The head
//!   row's lock orders a document's commits, so they become visible in sequence order and "read
//!   everything after n" never skips a row that commits late. The alternative, an owner lease
//!   per document with updates forwarded to its owner, adds a hop to every edit and a
//!   hand-over protocol on failure; the head row costs one upsert per document per group
//!   commit, in a transaction that exists anyway.
//! - **Peers only make others know sooner** ([`peers`]). After a commit the hub publishes the
//!   committed range (with the updates when small); a node holding the document applies ranges
//!   in order, keeps a range past a gap aside, and reads a gap still open after
//!   [`HubConfig::gap_wait`] from the database. Every [`HubConfig::peer_sync_interval`] (and
//!   on [`Hub::sync_heads`] after a reconnect) the open documents' heads are compared with the
//!   database in one batched query: lost messages or a link that is down delay convergence by
//!   about that interval, never break it.
//! - **No node's memory is ever merged into the log.** A node applies only what the database
//!   committed; compaction folds the database's rows (not the in-memory document, which may
//!   hold uncommitted updates) into the snapshot, one node at a time under a lease in the head
//!   row; and a node that loaded the document before a compaction, finding the entries it lacks
//!   deleted, reads the snapshot (a committed state) and continues from there. Trusting a
//!   peer's full state instead is how stale nodes delete content in other servers.
//! - Awareness crosses nodes through the same link and is never stored: each node relays its
//!   own connections' changes and keeps the others' without an owner, expiring them by the
//!   same timeout; a node that loads a document asks the others for their states.
//!
//! # Layout
//!
//! - [`protocol`]: y-websocket frame decoding (hostile-input safe) and encoding.
//! - `room`: one loaded document: doc, presence, connections, fan-out, durability bookkeeping,
//!   the log prefix it holds and catching up with other nodes' entries.
//! - `presence`: a room's awareness table (owned client ids, bounded, shared snapshot).
//! - `answers`: a room's encoded answers to state requests, shared per document version.
//! - [`queue`]: the byte budget of a connection's send queue ([`SendBudget`]).
//! - `hub`: [`Hub`] (rooms by id, shared loads, idle unloading, shutdown, REST API),
//!   [`Connection`] / [`Outbox`], and the group committer.
//! - [`store`]: the [`Store`] trait and [`SqlStore`] over SQLite or PostgreSQL (update log
//!   numbered by head rows, snapshots, the compaction lease, versions; schema in
//!   `migrations/*/0003_collab.sql` and `0022_collab_heads.sql`; automatic snapshots `0028_doc_history.sql`).
//! - [`peers`]: the [`Peers`] link to other nodes and the [`CommittedRange`]s it carries.
//! - [`authorship`]: who edited which document since its last automatic snapshot
//!   ([`EditSpan`]), for the server's automatic history.
//! - [`content`]: text / Markdown / JSON from the `default` fragment and `text`, version restore.
//! - [`config`]: [`HubConfig`] limits and timings, the injectable [`Clock`].
//! - [`close_codes`]: the WebSocket close codes the hub uses.
//! - [`metrics`]: metric names (`atrium_collab_*`).
//! - `error`: [`Error`] and [`Result`].

mod answers;
pub mod authorship;
pub mod close_codes;
pub mod config;
pub mod content;
mod error;
mod hub;
pub mod metrics;
pub mod peers;
mod presence;
pub mod protocol;
pub mod queue;
mod room;
pub mod store;

pub use authorship::EditSpan;
pub use config::{Clock, HubConfig, Rate};
pub use content::{ContentFormat, DocChange};
pub use error::{Error, Result};
pub use hub::{Access, Closing, Connection, Hub, Outbox, Outgoing};
pub use peers::{CommittedRange, Peers};
pub use queue::SendBudget;
pub use room::{FrameSink, RoomStats, SinkFull};
pub use store::{Dialect, SqlStore, Store, VersionInfo, VersionKind};
