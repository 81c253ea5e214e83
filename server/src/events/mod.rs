//! The app event bus and the `/api/v1/events` socket.
//!
//! Writes queue their events on their unit of work ([`crate::write`]), which appends them to
//! the `events` table inside the write's transaction and calls [`Events::committed`] after the
//! commit. One dispatcher task per
//! node then reads the log in sequence order and hands each event to the open sockets of the
//! node that may see it ([`routing`]); each socket sends only what its user may see
//! ([`access`]). Reading the
//! log, rather than handing events over in memory, gives every socket the same order as the
//! database — the order a reconnecting client replays from — so a client that remembers the
//! last id it saw can resume with no gap and no duplicate. Ephemeral events (typing, presence)
//! skip the log.
//!
//! # Layout
//! - this module — [`Events`]: the handle (commit wake-ups, ephemeral publishing, the
//!   dispatcher and the retention task), [`Audience`], [`NewEvent`].
//! - [`store`] — the event log's SQL.
//! - [`access`] — what one connection may receive, and how membership changes update it.
//! - [`routing`] — which sockets a delivery is queued to.
//! - [`presence`] — online/away/offline per user from their sockets.
//! - [`relay`] — wake-ups and ephemeral events between nodes through Redis.
//! - [`watch`] — wakes sockets outside the router (collaboration) whose access may have ended.
//! - [`socket`] — the WebSocket: hello, resume, live events, heartbeats, slow consumers.
//! - [`fanout`] — the thread the sockets run on, apart from the request workers.
//! - [`client_frames`] — what clients may send on it, and how much.

pub mod access;
pub mod client_frames;
mod fanout;
pub mod presence;
pub mod relay;
mod routing;
pub mod socket;
pub mod store;
pub mod watch;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use atrium_client::wire::{Presence, PresenceStatus};
use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::horizon::{Horizon, Log};
use crate::db::{Db, now_ms};

/// How soon the dispatcher reads again when events past its horizon wait on open transactions.
const HORIZON_RETRY: Duration = Duration::from_millis(10);

/// How long a user must stay offline before others are told.
const OFFLINE_GRACE: Duration = Duration::from_secs(1);

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Everyone who can see the channel.
    Channel(String),
    /// Everyone who can see the project.
    Project(String),
    /// Everyone who can see the project, for the discussion of one of its tasks (whose channel
    /// is open to exactly them). Kept apart from [`Audience::Project`], whose newest event is
    /// the version of the project's board ([`crate::boards::cache`]), which a comment does
    /// not change.
    TaskDiscussion(String),
    /// Every member of the organisation.
    Org(String),
    /// One user (all their tabs).
    User(String),
}

impl Audience {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Channel(_) => "channel",
            Self::Project(_) => "project",
            Self::TaskDiscussion(_) => "task_discussion",
            Self::Org(_) => "org",
            Self::User(_) => "user",
        }
    }

    pub(crate) fn target(&self) -> &str {
        match self {
            Self::Channel(id)
            | Self::Project(id)
            | Self::TaskDiscussion(id)
            | Self::Org(id)
            | Self::User(id) => id,
        }
    }

    pub(crate) fn parse(kind: &str, target: String) -> Option<Self> {
        Some(match kind {
            "channel" => Self::Channel(target),
            "project" => Self::Project(target),
            "task_discussion" => Self::TaskDiscussion(target),
            "org" => Self::Org(target),
            "user" => Self::User(target),
            _ => return None,
        })
    }
}

/// An event to append to the log.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub org_id: String,
    pub audience: Audience,
    /// The frame's `type`, e.g. `message.created`.
    pub kind: &'static str,
    pub data: serde_json::Value,
}

impl NewEvent {
    /// An event with `data` serialised from any wire type.
    pub fn new(
        org_id: &str,
        audience: Audience,
        kind: &'static str,
        data: &impl Serialize,
    ) -> Self {
        Self {
            org_id: org_id.to_owned(),
            audience,
            kind,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// An event as read back from the log.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub org_id: String,
    pub audience: Audience,
    pub kind: String,
    /// JSON text.
    pub data: String,
}

/// An event on its way to the sockets: the frame is serialised once for all of them.
#[derive(Debug)]
pub struct Delivery {
    /// The log sequence; `None` for ephemeral events.
    pub seq: Option<i64>,
    pub org_id: String,
    pub audience: Audience,
    pub kind: String,
    /// Parsed data, for the sockets that update their access from membership events.
    pub data: serde_json::Value,
    /// Not sent to this user (the sender of a typing indicator).
    pub except_user: Option<String>,
    /// The whole frame, `{"id":…,"type":…,"data":…}`.
    pub frame: Utf8Bytes,
}

impl Delivery {
    fn from_stored(event: StoredEvent) -> Self {
        let data = serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null);
        let frame = format!(
            r#"{{"id":{},"type":{},"data":{}}}"#,
            event.seq,
            serde_json::Value::String(event.kind.clone()),
            event.data
        );
        Self {
            seq: Some(event.seq),
            org_id: event.org_id,
            audience: event.audience,
            kind: event.kind,
            data,
            except_user: None,
            frame: frame.into(),
        }
    }

    pub(crate) fn ephemeral(
        org_id: &str,
        audience: Audience,
        kind: &str,
        data: serde_json::Value,
        except_user: Option<String>,
    ) -> Self {
        let frame = serde_json::json!({ "type": kind, "data": data }).to_string();
        Self {
            seq: None,
            org_id: org_id.to_owned(),
            audience,
            kind: kind.to_owned(),
            data,
            except_user,
            frame: frame.into(),
        }
    }
}

/// Settings of the event bus and its sockets.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// How long events are kept for resuming clients.
    pub retention: Duration,
    /// A resume further behind than this many events is told to refetch instead.
    pub max_replay: i64,
    /// Events a socket may fall behind the dispatcher before it is closed as too slow.
    pub queue: usize,
    /// How often sockets are pinged; a socket silent for three intervals is closed.
    pub heartbeat: Duration,
    /// How often the dispatcher reads the log without a wake-up (writes of other nodes).
    pub poll: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(24 * 3600),
            max_replay: 10_000,
            queue: 4096,
            heartbeat: Duration::from_secs(25),
            poll: Duration::from_secs(1),
        }
    }
}

/// The event bus of this node. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: EventsConfig,
    wake: Notify,
    routes: Arc<routing::Routes>,
    /// The last sequence dispatched: sockets replay up to here from the log, then go live.
    dispatched: AtomicI64,
    presence: presence::Presence,
    /// Set once when Redis is configured (scale-out).
    relay: std::sync::OnceLock<relay::Relay>,
    /// Collaboration sockets to wake when access changes.
    watch: Arc<watch::AccessWatch>,
}

impl Events {
    /// Starts the dispatcher and the retention task; both stop with `stop`.
    pub async fn start(
        db: Db,
        config: EventsConfig,
        redis: Option<redis::Client>,
        stop: CancellationToken,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), sqlx::Error> {
        // Events up to the safe horizon were dispatched before this node started (or nobody
        // was there for them); the first that may still commit late are after it.
        let mut horizon = Horizon::new(Log::Events);
        let head = horizon.advance(&db).await?;
        let routes = Arc::new(routing::Routes::new(config.queue));
        let events = Self {
            inner: Arc::new(Inner {
                db,
                config,
                wake: Notify::new(),
                routes,
                dispatched: AtomicI64::new(head),
                presence: presence::Presence::default(),
                relay: std::sync::OnceLock::new(),
                watch: Arc::default(),
            }),
        };
        if let Some(client) = redis {
            let relay = relay::Relay::start(client, events.clone(), stop.clone());
            let _ = events.inner.relay.set(relay);
        }
        let dispatcher = tokio::spawn(events.clone().dispatch(horizon, stop.clone()));
        let retention = tokio::spawn(events.clone().prune(stop));
        let task = tokio::spawn(async move {
            let _ = tokio::join!(dispatcher, retention);
        });
        Ok((events, task))
    }

    /// Call after committing a transaction that appended events: the dispatchers (this node's,
    /// and through Redis every other node's) read them now.
    pub fn committed(&self) {
        self.inner.wake.notify_one();
        if let Some(relay) = self.inner.relay.get() {
            relay.wake();
        }
    }

    /// Wakes this node's dispatcher only (a wake-up relayed from another node).
    pub(crate) fn committed_locally(&self) {
        self.inner.wake.notify_one();
    }

    /// Hands an ephemeral event relayed from another node to this node's sockets.
    pub(crate) fn deliver_locally(&self, delivery: Delivery) {
        self.inner.routes.publish(delivery);
    }

    /// Sends an event that is not kept (typing, presence) to this node's sockets.
    pub fn publish_ephemeral(
        &self,
        org_id: &str,
        audience: Audience,
        kind: &str,
        data: serde_json::Value,
        except_user: Option<String>,
    ) {
        if let Some(relay) = self.inner.relay.get() {
            relay.ephemeral(org_id, &audience, kind, &data, except_user.as_deref());
        }
        let delivery = Delivery::ephemeral(org_id, audience, kind, data, except_user);
        self.inner.routes.publish(delivery);
    }

    /// Records a presence change of one of this node's sockets: tells the other nodes this
    /// node's status of the user, and the user's organisations the status over all nodes when
    /// it changed.
    pub(crate) fn presence_changed(
        &self,
        user_id: &str,
        orgs: &[String],
        transition: presence::Transition,
        last_seen: Option<i64>,
    ) {
        if let Some(relay) = self.inner.relay.get()
            && transition.local_before != transition.local
        {
            relay.presence(
                user_id,
                presence::NodeStatus {
                    status: transition.local,
                    orgs: orgs.to_vec(),
                },
            );
        }
        if transition.before == transition.after {
            return;
        }
        let data = presence_data(user_id, transition.after, last_seen);
        if transition.after != PresenceStatus::Offline {
            self.announce_presence(orgs, &data);
            return;
        }
        // A reloading tab, or a user whose socket moves to another node, is back within
        // moments: others are told "offline" only if it lasts (which also leaves time for
        // another node's news of the user to arrive through the relay).
        let events = self.clone();
        let user_id = user_id.to_owned();
        let orgs = orgs.to_vec();
        tokio::spawn(async move {
            tokio::time::sleep(OFFLINE_GRACE).await;
            if events.presence().status(&user_id) == PresenceStatus::Offline {
                events.announce_presence(&orgs, &data);
            }
        });
    }

    fn announce_presence(&self, orgs: &[String], data: &serde_json::Value) {
        for org in orgs {
            self.publish_ephemeral(
                org,
                Audience::Org(org.clone()),
                "presence",
                data.clone(),
                None,
            );
        }
    }

    /// Tells this node's sockets that a user of a node that went quiet changed status.
    pub(crate) fn announce_lapsed(&self, lapsed: &presence::Lapsed) {
        let data = presence_data(&lapsed.user_id, lapsed.after, Some(now_ms()));
        for org in &lapsed.orgs {
            self.deliver_locally(Delivery::ephemeral(
                org,
                Audience::Org(org.clone()),
                "presence",
                data.clone(),
                None,
            ));
        }
    }

    /// The settings.
    pub fn config(&self) -> &EventsConfig {
        &self.inner.config
    }

    /// Online state of users, from their sockets.
    pub fn presence(&self) -> &presence::Presence {
        &self.inner.presence
    }

    /// Where sockets outside the event router register to learn that their access may have
    /// ended (every node's dispatcher feeds it from the log).
    pub fn watch(&self) -> &Arc<watch::AccessWatch> {
        &self.inner.watch
    }

    /// The last sequence dispatched. Every event numbered up to it that will ever commit was
    /// visible before this returned (the dispatcher reads only up to a safe horizon), so a
    /// statement that starts afterwards sees all of them.
    pub fn dispatched(&self) -> i64 {
        self.inner.dispatched.load(Ordering::Acquire)
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// A route for a new socket (open until it publishes its access), and the last sequence
    /// dispatched before it.
    pub(crate) fn subscribe(&self) -> (routing::Subscription, i64) {
        self.inner.routes.subscribe(&self.inner.dispatched)
    }

    /// Reads the log in order up to its safe horizon (on SQLite: whatever is visible) and
    /// routes what it finds, on every wake-up and poll.
    async fn dispatch(self, mut horizon: Horizon, stop: CancellationToken) {
        const BATCH: i64 = 512;
        loop {
            let after = self.inner.dispatched.load(Ordering::Acquire);
            let read = match horizon.bound(&self.inner.db).await {
                Ok(through) => store::read_between(&self.inner.db, after, through, BATCH).await,
                Err(error) => Err(error),
            };
            match read {
                Ok(events) => {
                    let full = events.len() as i64 == BATCH;
                    for event in events {
                        let delivery = Delivery::from_stored(event);
                        self.inner.watch.notify(&delivery);
                        // The sequence is recorded under the routes' lock: a socket subscribing
                        // reads either this number (and replays the event from the log) or the
                        // one before (and is offered the event).
                        self.inner.routes.dispatch(delivery, &self.inner.dispatched);
                    }
                    if full {
                        continue;
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the event log"),
            }
            // Events beyond the horizon wait on transactions still open: look again soon.
            let pause = if horizon.waiting() {
                HORIZON_RETRY
            } else {
                self.inner.config.poll
            };
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// Deletes events past the retention window, hourly (and once at start).
    async fn prune(self, stop: CancellationToken) {
        let retention_ms =
            i64::try_from(self.inner.config.retention.as_millis()).unwrap_or(i64::MAX);
        loop {
            match store::prune(&self.inner.db, now_ms().saturating_sub(retention_ms)).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "pruned the event log"),
                Err(error) => tracing::warn!(%error, "cannot prune the event log"),
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                () = stop.cancelled() => return,
            }
        }
    }
}

/// The data of a `presence` event.
fn presence_data(
    user_id: &str,
    status: PresenceStatus,
    last_seen_at: Option<i64>,
) -> serde_json::Value {
    let presence = Presence {
        user_id: user_id.to_owned(),
        status,
        last_seen_at,
    };
    serde_json::to_value(presence).unwrap_or(serde_json::Value::Null)
}
