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
//! # Layout
//!
//! - [`protocol`]: y-websocket frame decoding (hostile-input safe) and encoding.
//! - `room`: one loaded document: doc, presence, connections, fan-out, durability bookkeeping.
//! - `presence`: a room's awareness table (owned client ids, bounded, shared snapshot).
//! - `answers`: a room's encoded answers to state requests, shared per document version.
//! - [`queue`]: the byte budget of a connection's send queue ([`SendBudget`]).
//! - `hub`: [`Hub`] (rooms by id, shared loads, idle unloading, shutdown, REST API),
//!   [`Connection`] / [`Outbox`], and the group committer.
//! - [`store`]: the [`Store`] trait and [`SqlStore`] over SQLite or PostgreSQL (update log,
//!   snapshots, versions; schema in `migrations/*/0003_collab.sql`).
//! - [`content`]: text / Markdown / JSON from the `default` fragment and `text`, version restore.
//! - [`config`]: [`HubConfig`] limits and timings, the injectable [`Clock`].
//! - [`close_codes`]: the WebSocket close codes the hub uses.
//! - [`metrics`]: metric names (`atrium_collab_*`).
//! - `error`: [`Error`] and [`Result`].

mod answers;
pub mod close_codes;
pub mod config;
pub mod content;
mod error;
mod hub;
pub mod metrics;
mod presence;
pub mod protocol;
pub mod queue;
mod room;
pub mod store;

pub use config::{Clock, HubConfig, Rate};
pub use content::{ContentFormat, DocChange};
pub use error::{Error, Result};
pub use hub::{Access, Closing, Connection, Hub, Outbox, Outgoing};
pub use queue::SendBudget;
pub use room::{FrameSink, RoomStats, SinkFull};
pub use store::{Dialect, SqlStore, Store, VersionInfo};
