//! The typed change feed: what changed, for the consumers that derive state from it.
//!
//! Each change names its organisation, kind, entity, operation and a payload its domain owns
//! ([`Payload`]: the document, message and file payloads are defined in `docs`, `chat` and
//! `files`). Domains queue changes on the unit of work of their write ([`crate::write`]), which
//! appends them in the same transaction and wakes this node's consumers ([`Wakers`]) after the
//! commit; consumers — the search indexer of every node, and next
//! webhooks, automation and notifications — each keep a cursor ([`Consumer`]), read after it
//! up to the safe horizon ([`crate::db::horizon`]), and acknowledge what they applied. No lock
//! spans organisations: writers of different organisations never wait on each other.
//!
//! # Layout
//! - this module — [`ChangeKind`], [`Payload`], [`Change`] and [`ChangeData`]: the types.
//! - [`cause`] — [`Cause`]: the automation run behind a change.
//! - [`consumer`] — [`Consumer`]: register, read a batch, acknowledge, rewind.
//! - [`paced`] — [`PacedConsumer`]: a consumer with idempotent applying that writes its cursor
//!   about once a second instead of after every batch.
//! - [`retention`] — the pruning task, and who still holds rows back.
//! - [`node`] — this node's stable identity (per-node consumers such as `search:<node>`).

pub mod cause;
pub mod consumer;
pub mod node;
pub mod paced;
pub mod retention;

pub use cause::Cause;
pub use consumer::{Batch, Consumer, FeedError, Start};
pub use paced::PacedConsumer;

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::boards::feed::TaskPayload;
use crate::chat::feed::MessagePayload;
use crate::docs::feed::DocPayload;
use crate::files::feed::FilePayload;
use crate::records::feed::RecordPayload;

/// Every change's lag behind the horizon, per consumer (labelled by role, e.g. `search`).
pub const CONSUMER_LAG: &str = "atrium_feed_consumer_lag";
/// Rows deleted by retention.
pub const PRUNED_TOTAL: &str = "atrium_feed_pruned_total";

/// What kind of entity a change is about. Boards' tasks and business records join here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Doc,
    Message,
    File,
    Task,
    Record,
}

impl ChangeKind {
    /// The name stored in the feed's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Doc => "doc",
            Self::Message => "message",
            Self::File => "file",
            Self::Task => "task",
            Self::Record => "record",
        }
    }

    /// The kind of a stored name; `None` for kinds this server does not know.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "doc" => Self::Doc,
            "message" => Self::Message,
            "file" => Self::File,
            "task" => Self::Task,
            "record" => Self::Record,
            _ => return None,
        })
    }
}

/// What happened to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Created or changed: the payload carries its current state.
    Upsert,
    /// Deleted, trashed or made invisible: consumers drop it.
    Delete,
}

impl Op {
    /// The name stored in the feed's `op` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Delete => "delete",
        }
    }
}

/// An entity's current state, as its domain describes it to consumers.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Doc(DocPayload),
    Message(MessagePayload),
    File(FilePayload),
    Task(TaskPayload),
    Record(RecordPayload),
}

impl Payload {
    /// The kind of entity it describes.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::Doc(_) => ChangeKind::Doc,
            Self::Message(_) => ChangeKind::Message,
            Self::File(_) => ChangeKind::File,
            Self::Task(_) => ChangeKind::Task,
            Self::Record(_) => ChangeKind::Record,
        }
    }

    /// The JSON stored in the feed's `payload` column.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            Self::Doc(p) => serde_json::to_string(p),
            Self::Message(p) => serde_json::to_string(p),
            Self::File(p) => serde_json::to_string(p),
            Self::Task(p) => serde_json::to_string(p),
            Self::Record(p) => serde_json::to_string(p),
        }
    }

    /// The payload of a stored row of `kind`.
    pub fn from_json(kind: ChangeKind, json: &str) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            ChangeKind::Doc => Self::Doc(serde_json::from_str(json)?),
            ChangeKind::Message => Self::Message(serde_json::from_str(json)?),
            ChangeKind::File => Self::File(serde_json::from_str(json)?),
            ChangeKind::Task => Self::Task(serde_json::from_str(json)?),
            ChangeKind::Record => Self::Record(serde_json::from_str(json)?),
        })
    }
}

/// What a removal records besides the entity: where it lived (for consumers that route by
/// project without having seen the entity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Removal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A change on its way into the feed, queued by the write path until its commit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    pub org_id: String,
    pub kind: ChangeKind,
    pub entity_id: String,
    pub op: Op,
    /// The payload's JSON (a [`Payload`] for an upsert, a [`Removal`] for a delete).
    pub payload: String,
    /// The automation run that made it, if one did ([`Cause::current`] when queued).
    pub cause: Option<Cause>,
}

impl NewChange {
    /// The entity's current state.
    pub fn upsert(
        org_id: &str,
        entity_id: &str,
        payload: &Payload,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            org_id: org_id.to_owned(),
            kind: payload.kind(),
            entity_id: entity_id.to_owned(),
            op: Op::Upsert,
            payload: payload.to_json()?,
            cause: Cause::current(),
        })
    }

    /// The entity's removal.
    pub fn delete(
        org_id: &str,
        kind: ChangeKind,
        entity_id: &str,
        removal: &Removal,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            org_id: org_id.to_owned(),
            kind,
            entity_id: entity_id.to_owned(),
            op: Op::Delete,
            payload: serde_json::to_string(removal)?,
            cause: Cause::current(),
        })
    }
}

/// Wakes the consumers of this node after a commit appended changes, so they read at once
/// instead of at their next poll. Each consumer rate-limits its own reading (the search
/// indexer commits at most every 250 ms when caught up), so frequent wakes cost little.
#[derive(Debug, Clone, Default)]
pub struct Wakers {
    consumers: Arc<Mutex<Vec<Arc<Notify>>>>,
}

impl Wakers {
    /// Adds a consumer's wake-up.
    pub fn register(&self, wake: Arc<Notify>) {
        self.consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(wake);
    }

    /// Wakes every registered consumer.
    pub fn wake_all(&self) {
        for wake in self
            .consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            wake.notify_one();
        }
    }
}

/// A committed change, as consumers read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub org_id: String,
    pub entity_id: String,
    /// UTC milliseconds of the append.
    pub created_at: i64,
    pub data: ChangeData,
    /// The automation run that made it; `None` for a person's change.
    pub cause: Option<Cause>,
}

/// The operation and its payload.
#[derive(Debug, Clone, PartialEq)]
// Nearly every change is an upsert: boxing its payload would only add an allocation per row.
#[allow(clippy::large_enum_variant)]
pub enum ChangeData {
    /// Created or changed: its current state.
    Upsert(Payload),
    /// Deleted, trashed or made invisible.
    Delete { kind: ChangeKind, removal: Removal },
    /// A kind (or payload) this server does not understand, written by a newer version:
    /// consumers pass over it.
    Unknown { kind: String },
}

impl Change {
    /// The kind's stored name.
    pub fn kind_name(&self) -> &str {
        match &self.data {
            ChangeData::Upsert(payload) => payload.kind().as_str(),
            ChangeData::Delete { kind, .. } => kind.as_str(),
            ChangeData::Unknown { kind } => kind,
        }
    }
}
