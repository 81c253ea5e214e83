//! The hub: rooms by document id, connections, the group committer and the REST-side API.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{OnceCell, mpsc, oneshot};
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::authorship::{EditSpan, Edits};
use crate::close_codes;
use crate::config::{Bucket, HubConfig};
use crate::content::{self, ContentFormat, DocChange};
use crate::metrics as m;
use crate::peers::{CommittedRange, Peers};
use crate::protocol::{self, Incoming, ProtocolError};
use crate::room::{
    Ack, ConnEntry, ConnShared, FrameSink, Room, RoomState, RoomStats, Sink, doc_from_stored, lock,
};
use crate::store::{AppendRecord, Snapshot, Store, StoredDoc, VersionInfo, now_ms};
use crate::{Error, Result};

/// An update on its way to the database.
pub(crate) struct Commit {
    pub(crate) room: Arc<Room>,
    pub(crate) record: AppendRecord,
    pub(crate) ack: Ack,
}

/// A room being loaded or loaded; concurrent joiners share one load through the cell.
#[derive(Default)]
struct Slot {
    cell: OnceCell<Arc<Room>>,
}

pub(crate) struct HubInner {
    pub(crate) config: HubConfig,
    pub(crate) store: Arc<dyn Store>,
    rooms: Mutex<HashMap<Arc<str>, Arc<Slot>>>,
    pub(crate) commits: mpsc::UnboundedSender<Commit>,
    pub(crate) changes: Option<mpsc::UnboundedSender<DocChange>>,
    /// Rooms with a change-feed report due, to the one task that emits them (see
    /// [`change_scheduler`]).
    pub(crate) change_due: mpsc::UnboundedSender<(tokio::time::Instant, Arc<Room>)>,
    next_conn: AtomicU64,
    shutting_down: AtomicBool,
    /// The other nodes, when there are any (see [`crate::peers`]).
    pub(crate) peers: OnceLock<Arc<dyn Peers>>,
    /// This hub's identity towards the other nodes (the compaction lease's holder): one per
    /// process start.
    pub(crate) node: String,
    /// Who edited which document since its last automatic snapshot.
    pub(crate) edits: Edits,
}

/// What a connection may do with the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Editors: updates are applied, stored and broadcast.
    ReadWrite,
    /// Viewers and commenters: they receive everything and may share presence, but their
    /// document updates are refused (not applied, not broadcast, not stored).
    ReadOnly,
}

/// The CRDT sync hub. Cheap to clone; every clone is the same hub.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("rooms", &self.loaded_rooms())
            .finish()
    }
}

impl Hub {
    /// Starts a hub writing through `store`. Must be called inside a Tokio runtime: it spawns
    /// the committer and the maintenance task (both end when the last clone is dropped).
    pub fn new(store: Arc<dyn Store>, config: HubConfig) -> Self {
        Self::build(store, config, None)
    }

    /// Like [`Hub::new`], and also returns the change feed: after a document changes (debounced
    /// by [`HubConfig::change_debounce`]) its extracted title and text arrive here, for the
    /// search change-feed rows.
    pub fn with_change_feed(
        store: Arc<dyn Store>,
        config: HubConfig,
    ) -> (Self, mpsc::UnboundedReceiver<DocChange>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self::build(store, config, Some(tx)), rx)
    }

    fn build(
        store: Arc<dyn Store>,
        config: HubConfig,
        changes: Option<mpsc::UnboundedSender<DocChange>>,
    ) -> Self {
        let (commits, rx) = mpsc::unbounded_channel();
        let (change_due, due_rx) = mpsc::unbounded_channel();
        if changes.is_some() {
            tokio::spawn(change_scheduler(due_rx, config.change_debounce / 2));
        }
        let max_batch = config.max_commit_batch.max(1);
        let interval = config.maintenance_interval;
        let config_interval = config.commit_interval;
        let inner = Arc::new(HubInner {
            config,
            store: store.clone(),
            rooms: Mutex::new(HashMap::new()),
            commits,
            changes,
            change_due,
            next_conn: AtomicU64::new(1),
            shutting_down: AtomicBool::new(false),
            peers: OnceLock::new(),
            node: uuid::Uuid::now_v7().to_string(),
            edits: Edits::default(),
        });
        tokio::spawn(committer(
            Arc::downgrade(&inner),
            store,
            rx,
            max_batch,
            config_interval,
        ));
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                Hub { inner }.run_maintenance();
            }
        });
        Self { inner }
    }

    /// The configuration.
    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    /// Connects the hub to the other nodes serving the same database (see [`crate::peers`]):
    /// committed ranges and awareness go out through `peers`, and the heads of the open
    /// documents are compared with the database every
    /// [`HubConfig::peer_sync_interval`]. Once per hub; later calls are ignored.
    pub fn set_peers(&self, peers: Arc<dyn Peers>) {
        if self.inner.peers.set(peers).is_err() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let interval = self.inner.config.peer_sync_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                Hub { inner }.sync_heads().await;
            }
        });
    }

    /// This hub's node identity (one per process start).
    pub fn node_id(&self) -> &str {
        &self.inner.node
    }

    /// Compares the heads of every open document with the database (one query per few hundred
    /// documents) and catches up the documents that are behind. The hub does it every
    /// [`HubConfig::peer_sync_interval`] once it has peers; call it too when the link to them
    /// comes back, since messages sent meanwhile were lost.
    pub async fn sync_heads(&self) {
        let rooms: HashMap<Arc<str>, Arc<Room>> = self
            .inner
            .all_rooms()
            .into_iter()
            .map(|room| (room.doc_id.clone(), room))
            .collect();
        if rooms.is_empty() {
            return;
        }
        let ids: Vec<Arc<str>> = rooms.keys().cloned().collect();
        match self.inner.store.heads(&ids).await {
            Ok(heads) => {
                for (doc_id, head) in heads {
                    if let Some(room) = rooms.get(doc_id.as_str()) {
                        let mut st = room.lock();
                        if head > st.known_seq() && !st.closed {
                            room.note_target_locked(&self.inner, &mut st, head);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot compare document heads"),
        }
    }

    /// A range another node committed (see [`CommittedRange`]); ignored unless the document is
    /// loaded here.
    pub fn receive_range(&self, range: CommittedRange) {
        if let Some(room) = self.inner.loaded(&range.doc_id) {
            room.receive_range(&self.inner, range.from, range.to, range.updates);
        }
    }

    /// An awareness frame another node relayed about its clients of a document; ignored unless
    /// the document is loaded here, and when it is not a well-formed awareness message.
    pub fn receive_awareness(&self, doc_id: &str, frame: &Bytes) {
        let Some(room) = self.inner.loaded(doc_id) else {
            return;
        };
        let Ok(messages) = protocol::decode_frame(frame, 1) else {
            return;
        };
        for message in messages {
            if let Incoming::Awareness(update) = message {
                room.apply_remote_awareness(&update);
            }
        }
    }

    /// The awareness frame of this node's own clients of a document (`None` when it is not
    /// loaded or nobody here is present), for a node that just loaded it.
    pub fn local_awareness(&self, doc_id: &str) -> Option<Bytes> {
        let room = self.inner.loaded(doc_id)?;
        let st = room.lock();
        st.local_awareness()
    }

    /// The sequence number up to which a loaded document holds the log (`None` when it is not
    /// loaded). For tests and monitoring.
    pub fn known_seq(&self, doc_id: &str) -> Option<i64> {
        self.inner.loaded(doc_id).map(|room| room.known_seq())
    }

    /// Opens a connection to a document for a socket that has been authorized with `access`.
    /// The handshake (the server's SyncStep1 and the current awareness) is already queued in
    /// the returned [`Outbox`].
    pub async fn connect(&self, doc_id: &str, access: Access) -> Result<(Connection, Outbox)> {
        let (connection, shared) = self.open(doc_id, access, Sink::Queue).await?;
        Ok((
            connection,
            Outbox {
                shared,
                done: false,
            },
        ))
    }

    /// Like [`Hub::connect`], for a socket that writes frames itself: the room hands every
    /// frame for this connection to `sink` (the handshake before this returns), so a frame
    /// costs no queue hand-off and no task wake-up. The sink bounds its own queue (see
    /// [`HubConfig::send_queue_bytes`]). The returned [`Closing`] resolves when the hub closes
    /// the connection.
    pub async fn connect_with(
        &self,
        doc_id: &str,
        access: Access,
        sink: Arc<dyn FrameSink>,
    ) -> Result<(Connection, Closing)> {
        let (connection, shared) = self.open(doc_id, access, Sink::Direct(sink)).await?;
        Ok((connection, Closing { shared }))
    }

    async fn open(
        &self,
        doc_id: &str,
        access: Access,
        sink: Sink,
    ) -> Result<(Connection, Arc<ConnShared>)> {
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(ConnShared::new(self.inner.config.send_queue_bytes));
        let mut sink = Some(sink);
        let room = self
            .inner
            .room_for(doc_id, |room, st| {
                if let Some(sink) = sink.take() {
                    let entry = ConnEntry {
                        sink,
                        shared: shared.clone(),
                        client_ids: Vec::new(),
                        dead: false,
                    };
                    Room::add_conn(st, id, entry);
                }
                room.clone()
            })
            .await?;
        let config = &self.inner.config;
        Ok((
            Connection {
                id,
                room,
                read_only: access == Access::ReadOnly,
                updates: Bucket::new(config.update_rate),
                awareness: Bucket::new(config.awareness_rate),
                sync_requests: Bucket::new(config.sync_request_rate),
                awareness_queries: Bucket::new(config.awareness_query_rate),
                max_message_size: config.max_message_size,
                max_frame_messages: config.max_frame_messages,
                max_awareness_state: config.max_awareness_state,
                max_awareness_clients: config.max_awareness_clients,
                shared: shared.clone(),
                closed: None,
                author: None,
            },
            shared,
        ))
    }

    /// The document's whole state as a Yjs v1 update (`GET /api/v1/docs/{doc}/update`).
    pub async fn encode_state(&self, doc_id: &str) -> Result<Vec<u8>> {
        let used = self.use_room(doc_id).await?;
        let st = used.room.lock();
        Ok(st
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default()))
    }

    /// Applies a Yjs v1 update from HTTP (`POST /api/v1/docs/{doc}/update`): connected clients
    /// receive it at once, and this returns once it is durable. Returns whether the document
    /// changed (an update it already had is a no-op).
    pub async fn apply_update(&self, doc_id: &str, update: &[u8]) -> Result<bool> {
        let limit = self.inner.config.max_message_size;
        if update.len() > limit {
            return Err(Error::MessageTooLarge {
                size: update.len(),
                limit,
            });
        }
        protocol::validate_update_v1(update)?;
        let used = self.use_room(doc_id).await?;
        let (tx, rx) = oneshot::channel();
        let frame = protocol::encode_update(update.to_vec());
        let data = Bytes::copy_from_slice(update);
        let changed = used
            .room
            .apply_update(None, data, frame, move |_| Ack::Notify(tx))
            .map_err(|code| self.error_for(code))?;
        if changed {
            rx.await.map_err(|_| Error::RoomReset)??;
        }
        Ok(changed)
    }

    /// The document's content decoded as text, Markdown or JSON
    /// (`GET /api/v1/docs/{doc}/content`).
    pub async fn content(&self, doc_id: &str, format: ContentFormat) -> Result<String> {
        let used = self.use_room(doc_id).await?;
        let st = used.room.lock();
        Ok(content::render(&st.doc, format))
    }

    /// Notes that `author` changed the document through a path other than a connection (an
    /// HTTP update, a restore), for its next automatic snapshot.
    pub fn note_edit(&self, doc_id: &str, author: &str) {
        self.inner.edits.note(&Arc::from(doc_id), author, now_ms());
    }

    /// Takes the edit spans due for an automatic snapshot (see [`crate::authorship`]): those
    /// that began at least `interval_ms` ago, and those of documents nobody here has open any
    /// more whose last edit is at least `quiet_ms` old (the editing session ended).
    pub fn take_due_edits(&self, interval_ms: i64, quiet_ms: i64) -> Vec<(String, EditSpan)> {
        let open: std::collections::HashSet<Arc<str>> = self
            .inner
            .all_rooms()
            .into_iter()
            .filter(|room| !room.lock().conns.is_empty())
            .map(|room| room.doc_id.clone())
            .collect();
        let now = now_ms();
        self.inner.edits.take(|doc_id, span| {
            now - span.from >= interval_ms || (!open.contains(doc_id) && now - span.to >= quiet_ms)
        })
    }

    /// Stores the document's current state as an automatic snapshot of `span`'s edits, unless
    /// its content is that of the newest stored version (automatic or named): edits that were
    /// undone, or a document restored to a version, make no snapshot. `None` when none was made.
    pub async fn create_auto_version(
        &self,
        doc_id: &str,
        span: &EditSpan,
    ) -> Result<Option<VersionInfo>> {
        let state = self.state_for_snapshot(doc_id).await?;
        let current = doc_from_stored(
            doc_id,
            &StoredDoc {
                snapshot: Some(Snapshot {
                    state: state.clone(),
                    seq: 0,
                }),
                log: Vec::new(),
                head: 0,
            },
        )?;
        let versions = self.inner.store.list_versions(doc_id).await?;
        if let Some(newest) = versions.iter().max_by_key(|v| (v.created_at, v.id.clone())) {
            let previous = self.version_doc(doc_id, &newest.id).await?;
            if content::render(&previous, ContentFormat::Json)
                == content::render(&current, ContentFormat::Json)
            {
                return Ok(None);
            }
        } else if content::render(&current, ContentFormat::Json)
            == content::render(&Doc::new(), ContentFormat::Json)
        {
            return Ok(None);
        }
        self.inner
            .store
            .create_auto_version(doc_id, &state, span)
            .await
            .map(Some)
    }

    /// The state of a loaded document as it is, even while the hub shuts down (the last
    /// snapshots are taken after it flushed); otherwise loaded as for any reader.
    async fn state_for_snapshot(&self, doc_id: &str) -> Result<Vec<u8>> {
        if let Some(room) = self.inner.loaded(doc_id) {
            let st = room.lock();
            if !st.closed {
                return Ok(st
                    .doc
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()));
            }
        }
        self.encode_state(doc_id).await
    }

    /// Deletes versions of a document (the automatic history's thinning).
    pub async fn delete_versions(&self, doc_id: &str, version_ids: &[String]) -> Result<()> {
        self.inner.store.delete_versions(doc_id, version_ids).await
    }

    /// Stores the current state as a named version.
    pub async fn create_version(&self, doc_id: &str, name: &str) -> Result<VersionInfo> {
        let state = self.encode_state(doc_id).await?;
        self.inner.store.create_version(doc_id, name, &state).await
    }

    /// The document's versions, oldest first.
    pub async fn list_versions(&self, doc_id: &str) -> Result<Vec<VersionInfo>> {
        self.inner.store.list_versions(doc_id).await
    }

    /// A version's state as a Yjs v1 update.
    pub async fn version_state(&self, doc_id: &str, version_id: &str) -> Result<Vec<u8>> {
        self.inner
            .store
            .version_state(doc_id, version_id)
            .await?
            .ok_or(Error::VersionNotFound)
    }

    /// A version's content decoded as text, Markdown or JSON.
    pub async fn version_content(
        &self,
        doc_id: &str,
        version_id: &str,
        format: ContentFormat,
    ) -> Result<String> {
        let doc = self.version_doc(doc_id, version_id).await?;
        Ok(content::render(&doc, format))
    }

    async fn version_doc(&self, doc_id: &str, version_id: &str) -> Result<Doc> {
        let state = self.version_state(doc_id, version_id).await?;
        doc_from_stored(
            doc_id,
            &StoredDoc {
                snapshot: Some(Snapshot { state, seq: 0 }),
                log: Vec::new(),
                head: 0,
            },
        )
    }

    /// Makes the live document's content that of a version, for everyone connected, as a normal
    /// update on top of the current state (so the history keeps the restore and undoing it is
    /// another edit). Returns once durable.
    pub async fn restore_version(&self, doc_id: &str, version_id: &str) -> Result<()> {
        let version = self.version_doc(doc_id, version_id).await?;
        let used = self.use_room(doc_id).await?;
        let (tx, rx) = oneshot::channel();
        {
            let mut st = used.room.lock();
            if st.closed {
                return Err(Error::RoomReset);
            }
            let update = content::replace_content(&st.doc, &version);
            let Some(update) = update else {
                return Ok(());
            };
            let frame = protocol::encode_update(update.clone());
            used.room.accept_locked(
                &self.inner,
                &mut st,
                None,
                Bytes::from(update),
                frame,
                move |_| Ack::Notify(tx),
            );
        }
        rx.await.map_err(|_| Error::RoomReset)?
    }

    /// Closes every connection to a document with `code` ([`close_codes::IN_TRASH`] for a
    /// document moved to the trash, [`close_codes::FORBIDDEN`] otherwise) and unloads it once
    /// its pending updates are stored; what is stored stays (a document moved to the trash
    /// keeps its content).
    pub async fn close_document(&self, doc_id: &str, code: u16) {
        if let Some(room) = self.inner.loaded(doc_id) {
            {
                let mut st = room.lock();
                room.reset_locked(&mut st, code);
            }
            room.wait_drained().await;
            self.inner.remove_room(&room);
        }
    }

    /// Deletes a document for good: its connections are closed with
    /// [`close_codes::FORBIDDEN`] and everything stored for it is removed.
    pub async fn delete_document(&self, doc_id: &str) -> Result<()> {
        self.close_document(doc_id, close_codes::FORBIDDEN).await;
        self.inner.store.delete_doc(doc_id).await
    }

    /// Number of loaded rooms.
    pub fn loaded_rooms(&self) -> usize {
        lock(&self.inner.rooms)
            .values()
            .filter(|s| s.cell.get().is_some())
            .count()
    }

    /// What a loaded document's room holds (connections, presence, cached answers); `None`
    /// when it is not loaded. For tests and monitoring.
    pub fn room_stats(&self, doc_id: &str) -> Option<RoomStats> {
        self.inner.loaded(doc_id).map(|room| room.stats())
    }

    /// Number of open connections across rooms.
    pub fn connections(&self) -> usize {
        self.inner
            .all_rooms()
            .iter()
            .map(|r| r.lock().conns.len())
            .sum()
    }

    /// Waits until every update accepted so far is durable.
    pub async fn flush(&self) {
        for room in self.inner.all_rooms() {
            room.wait_drained().await;
        }
    }

    /// One maintenance pass (the hub runs it every [`HubConfig::maintenance_interval`]):
    /// expires awareness states not renewed within the timeout (and forgets departed clients
    /// after twice that), and flushes and unloads rooms idle for
    /// [`HubConfig::room_idle_timeout`]. Public so tests can drive it with an injected clock.
    pub fn run_maintenance(&self) {
        let config = &self.inner.config;
        let now = config.clock.now();
        let timeout = config.awareness_timeout.as_millis() as u64;
        // A stale relay of a departed client's state comes from a peer that has not yet timed
        // it out itself (after the same timeout): its clock is remembered until then.
        let retention = timeout.saturating_mul(2);
        let idle = config.room_idle_timeout.as_millis() as u64;
        for room in self.inner.all_rooms() {
            room.expire_awareness(now, timeout, retention);
            if room.lock().is_idle(now, idle) {
                room.emit_change();
                let mut rooms = lock(&self.inner.rooms);
                let mut st = room.lock();
                if st.is_idle(now, idle) {
                    st.closed = true;
                    drop(st);
                    metrics::gauge!(m::ROOMS).decrement(1.0);
                    remove_slot(&mut rooms, &room);
                    tracing::debug!(doc = %room.doc_id, "room unloaded");
                }
            }
        }
    }

    /// Stops accepting connections, closes every connection with
    /// [`close_codes::SHUTTING_DOWN`], waits for every accepted update to be durable and
    /// emits pending change-feed events.
    pub async fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        let rooms = self.inner.all_rooms();
        for room in &rooms {
            let mut st = room.lock();
            for id in st.conns.keys().copied().collect::<Vec<_>>() {
                if let Some(c) = st.conns.get_mut(&id) {
                    c.dead = true;
                    c.shared.close(close_codes::SHUTTING_DOWN);
                }
            }
        }
        for room in &rooms {
            room.wait_drained().await;
            room.emit_change();
        }
    }

    async fn use_room(&self, doc_id: &str) -> Result<RoomUse> {
        let room = self
            .inner
            .room_for(doc_id, |room, st| {
                st.users += 1;
                st.idle_since = None;
                room.clone()
            })
            .await?;
        Ok(RoomUse {
            room,
            hub: self.inner.clone(),
        })
    }

    fn error_for(&self, code: u16) -> Error {
        match code {
            close_codes::DOCUMENT_TOO_LARGE => Error::DocumentTooLarge {
                limit: self.inner.config.max_document_size,
            },
            close_codes::SHUTTING_DOWN => Error::ShuttingDown,
            close_codes::PROTOCOL_ERROR => Error::Protocol(ProtocolError::Invalid {
                at: 0,
                what: "update could not be integrated",
            }),
            _ => Error::RoomReset,
        }
    }
}

impl RoomState {
    /// Whether the room can be unloaded: nobody uses it, nothing is in flight, idle long enough.
    pub(crate) fn is_idle(&self, now: u64, idle_ms: u64) -> bool {
        !self.closed
            && self.conns.is_empty()
            && self.users == 0
            && self.pending == 0
            && !self.is_compacting()
            && self
                .idle_since
                .is_some_and(|t| now.saturating_sub(t) >= idle_ms)
    }
}

fn remove_slot(rooms: &mut HashMap<Arc<str>, Arc<Slot>>, room: &Arc<Room>) {
    let same = rooms
        .get(&room.doc_id)
        .and_then(|s| s.cell.get())
        .is_some_and(|r| Arc::ptr_eq(r, room));
    if same {
        rooms.remove(&room.doc_id);
    }
}

impl HubInner {
    /// Finds or loads the room and runs `register` under its lock, retrying when the room found
    /// was just retired.
    async fn room_for<T>(
        self: &Arc<Self>,
        doc_id: &str,
        mut register: impl FnMut(&Arc<Room>, &mut RoomState) -> T,
    ) -> Result<T> {
        loop {
            if self.shutting_down.load(Ordering::SeqCst) {
                return Err(Error::ShuttingDown);
            }
            let slot = lock(&self.rooms)
                .entry(Arc::from(doc_id))
                .or_default()
                .clone();
            let loaded = slot
                .cell
                .get_or_try_init(|| Room::load(self, Arc::from(doc_id)))
                .await;
            let room = match loaded {
                Ok(room) => room.clone(),
                Err(e) => {
                    let mut rooms = lock(&self.rooms);
                    if rooms.get(doc_id).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                        rooms.remove(doc_id);
                    }
                    return Err(e);
                }
            };
            {
                let mut st = room.lock();
                if !st.closed {
                    return Ok(register(&room, &mut st));
                }
            }
            room.wait_drained().await;
            self.remove_room(&room);
        }
    }

    pub(crate) fn remove_room(&self, room: &Arc<Room>) {
        remove_slot(&mut lock(&self.rooms), room);
    }

    fn loaded(&self, doc_id: &str) -> Option<Arc<Room>> {
        lock(&self.rooms)
            .get(doc_id)
            .and_then(|s| s.cell.get().cloned())
    }

    fn all_rooms(&self) -> Vec<Arc<Room>> {
        lock(&self.rooms)
            .values()
            .filter_map(|s| s.cell.get().cloned())
            .collect()
    }
}

/// An HTTP caller's hold on a room, keeping it loaded.
struct RoomUse {
    room: Arc<Room>,
    hub: Arc<HubInner>,
}

impl Drop for RoomUse {
    fn drop(&mut self) {
        let mut st = self.room.lock();
        st.users -= 1;
        if st.users == 0 && st.conns.is_empty() {
            st.idle_since = Some(self.hub.config.clock.now());
        }
    }
}

/// A room whose change-feed report is due at `at`.
struct DueChange {
    at: tokio::time::Instant,
    order: u64,
    room: Arc<Room>,
}

impl PartialEq for DueChange {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}

impl Eq for DueChange {}

impl PartialOrd for DueChange {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DueChange {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Earliest first out of the max-heap.
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

/// Emits the debounced change-feed reports: one task for the hub instead of a timer task per
/// report. When a report is due, the reports due within the next `slack` go with it, so the
/// documents edited at the same time reach the change feed (and the search indexer, which
/// commits its index once per batch it reads) together rather than each on its own schedule.
async fn change_scheduler(
    mut rx: mpsc::UnboundedReceiver<(tokio::time::Instant, Arc<Room>)>,
    slack: std::time::Duration,
) {
    let mut due = std::collections::BinaryHeap::new();
    let mut order = 0u64;
    loop {
        let next = due.peek().map(|d: &DueChange| d.at);
        let far = tokio::time::Instant::now() + std::time::Duration::from_secs(3600);
        tokio::select! {
            entry = rx.recv() => match entry {
                Some((at, room)) => {
                    order += 1;
                    due.push(DueChange { at, order, room });
                }
                None => return,
            },
            () = tokio::time::sleep_until(next.unwrap_or(far)), if next.is_some() => {
                let horizon = tokio::time::Instant::now() + slack;
                while due.peek().is_some_and(|d| d.at <= horizon) {
                    if let Some(d) = due.pop() {
                        d.room.change_due(horizon);
                    }
                }
            }
        }
    }
}

/// Group commit: whatever arrived while the previous transaction was committing goes into the
/// next one, so one fsync serves many updates across rooms. Under load commits start at most
/// once per `interval` (see [`HubConfig::commit_interval`]): without that, a commit (about
/// 0.5 ms on SQLite) is faster than updates arrive, and every update paid for a transaction and
/// an fsync of its own. The database numbers the updates; after the commit each document's
/// range goes to the peers, if any.
async fn committer(
    hub: std::sync::Weak<HubInner>,
    store: Arc<dyn Store>,
    mut rx: mpsc::UnboundedReceiver<Commit>,
    max_batch: usize,
    interval: std::time::Duration,
) {
    let mut batch = Vec::with_capacity(max_batch);
    let mut records = Vec::with_capacity(max_batch);
    let mut last_start: Option<tokio::time::Instant> = None;
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        if let Some(due) = last_start.map(|t| t + interval) {
            if batch.len() < max_batch && tokio::time::Instant::now() < due {
                tokio::time::sleep_until(due).await;
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok(c) => batch.push(c),
                        Err(_) => break,
                    }
                }
            }
        }
        last_start = Some(tokio::time::Instant::now());
        records.clear();
        records.extend(batch.iter().map(|c: &Commit| c.record.clone()));
        let started = Instant::now();
        let result = store.append(&records).await;
        metrics::histogram!(m::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::histogram!(m::COMMIT_BATCH).record(batch.len() as f64);
        match result {
            Ok(seqs) if seqs.len() == batch.len() => {
                if let Some(peers) = hub.upgrade().and_then(|h| h.peers.get().cloned()) {
                    let inline = hub.upgrade().map_or(0, |h| h.config.relay_inline_bytes);
                    publish_ranges(&*peers, &records, &seqs, inline);
                }
                for (c, seq) in batch.drain(..).zip(seqs) {
                    c.room.committed(seq, &c.record, c.ack);
                }
            }
            result => {
                let e = match result {
                    Err(e) => e,
                    Ok(_) => Error::Storage(sqlx::Error::Protocol(
                        "the append returned the wrong number of sequence numbers".into(),
                    )),
                };
                tracing::error!(error = %e, updates = batch.len(), "update log append failed");
                metrics::counter!(m::COMMIT_FAILURES).increment(1);
                for c in batch.drain(..) {
                    c.room.commit_failed(c.ack, &e);
                }
            }
        }
    }
}

/// Publishes each document's range of a committed append (a document's updates in one append
/// have consecutive numbers), with the updates when they are at most `inline` bytes together.
fn publish_ranges(peers: &dyn Peers, records: &[AppendRecord], seqs: &[i64], inline: usize) {
    let mut ranges: HashMap<&str, (i64, i64, Vec<Bytes>, usize)> = HashMap::new();
    for (record, &seq) in records.iter().zip(seqs) {
        let range = ranges
            .entry(&record.doc_id)
            .or_insert_with(|| (seq, seq, Vec::new(), 0));
        range.0 = range.0.min(seq);
        range.1 = range.1.max(seq);
        range.3 += record.data.len();
        if range.3 <= inline {
            range.2.push(record.data.clone());
        }
    }
    for (doc_id, (from, to, updates, bytes)) in ranges {
        metrics::counter!(m::PUBLISHED_RANGES).increment(1);
        peers.publish_range(CommittedRange {
            doc_id: Arc::from(doc_id),
            from,
            to,
            updates: (bytes <= inline).then_some(updates),
        });
    }
}

/// The receiving half of a socket's session: feed it every binary frame the client sends.
/// Dropping it disconnects (its presence is removed and the others are told).
pub struct Connection {
    id: u64,
    room: Arc<Room>,
    read_only: bool,
    updates: Bucket,
    awareness: Bucket,
    /// SyncStep1 messages (each answered with up to the whole document).
    sync_requests: Bucket,
    /// QueryAwareness messages.
    awareness_queries: Bucket,
    max_message_size: usize,
    max_frame_messages: usize,
    max_awareness_state: usize,
    max_awareness_clients: usize,
    shared: Arc<ConnShared>,
    closed: Option<u16>,
    /// The user whose updates these are, for the automatic history (see [`crate::authorship`]).
    author: Option<Arc<str>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("doc", &self.room.doc_id)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl Connection {
    /// Handles one binary frame from the client. On `Err(code)` the connection is finished:
    /// the [`Outbox`] yields [`Outgoing::Close`] with that code, and further frames are ignored.
    /// The same holds once the hub has closed the connection itself (`Err` with its code).
    pub fn receive(&mut self, frame: impl Into<Bytes>) -> Result<(), u16> {
        if let Some(code) = self.closed {
            return Err(code);
        }
        // Closed by the hub (shutdown, slow consumer, reset, document closed): a frame the
        // socket still delivers is ignored too, or an update would be accepted after
        // `Hub::shutdown` has flushed and emitted the change feed.
        if let Some((code, _)) = *lock(&self.shared.close) {
            self.closed = Some(code);
            return Err(code);
        }
        let frame: Bytes = frame.into();
        if frame.len() > self.max_message_size {
            return self.fail(close_codes::MESSAGE_TOO_LARGE);
        }
        let messages = match protocol::decode_frame(&frame, self.max_frame_messages) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(conn = self.id, error = %e, "malformed frame");
                return self.fail(close_codes::PROTOCOL_ERROR);
            }
        };
        let single = messages.len() == 1;
        for message in messages {
            match message {
                Incoming::SyncStep1(sv) => {
                    // Answered with up to the whole document: a stock client asks once per
                    // connection, and a peer asking more often than the limit reconnects.
                    if !self.sync_requests.take() {
                        return self.fail(close_codes::RATE_LIMITED);
                    }
                    let mut st = self.room.lock();
                    if st.closed {
                        drop(st);
                        return self.fail(close_codes::ROOM_RESET);
                    }
                    let reply = Room::sync_step2(&mut st, &sv);
                    Room::send_to(&mut st, self.id, &reply);
                }
                Incoming::SyncStep2(update) | Incoming::Update(update) if self.read_only => {
                    drop(update);
                    metrics::counter!(m::REFUSED).increment(1);
                }
                Incoming::SyncStep2(update) => self.update(update, None)?,
                Incoming::Update(update) => {
                    let reuse = single.then(|| frame.clone());
                    self.update(update, reuse)?;
                }
                Incoming::Awareness(update) => {
                    // The rate first: a dropped message costs nothing more.
                    if !self.awareness.take() {
                        metrics::counter!(m::AWARENESS_DROPPED).increment(1);
                        continue;
                    }
                    if update
                        .iter()
                        .any(|e| e.json.len() > self.max_awareness_state)
                    {
                        return self.fail(close_codes::MESSAGE_TOO_LARGE);
                    }
                    self.room
                        .apply_awareness(self.id, &update, self.max_awareness_clients);
                }
                Incoming::QueryAwareness => {
                    // Presence is lossy: past the limit a query goes unanswered.
                    if !self.awareness_queries.take() {
                        metrics::counter!(m::AWARENESS_QUERIES_DROPPED).increment(1);
                        continue;
                    }
                    let mut st = self.room.lock();
                    let snapshot = Room::awareness_snapshot(&mut st);
                    Room::send_to(&mut st, self.id, &snapshot);
                }
                Incoming::Auth(_) | Incoming::Custom(_) => {}
            }
        }
        Ok(())
    }

    fn update(&mut self, data: Bytes, frame: Option<Bytes>) -> Result<(), u16> {
        if !self.updates.take() {
            return self.fail(close_codes::RATE_LIMITED);
        }
        // Peers get it as a sync Update, whichever sync message carried it.
        let frame = frame.unwrap_or_else(|| protocol::encode_update(data.to_vec()));
        let id = self.id;
        match self
            .room
            .apply_update(Some(id), data, frame, |f| Ack::Echo {
                conn: id,
                frame: f.clone(),
            }) {
            Ok(changed) => {
                if let (true, Some(author)) = (changed, &self.author) {
                    if let Some(hub) = self.room.hub() {
                        hub.edits.note(&self.room.doc_id, author, now_ms());
                    }
                }
                Ok(())
            }
            Err(code) => self.fail(code),
        }
    }

    /// Names the user whose document updates arrive on this connection: the hub notes them
    /// among the authors of the document's next automatic snapshot.
    pub fn set_author(&mut self, user_id: &str) {
        self.author = Some(Arc::from(user_id));
    }

    fn fail(&mut self, code: u16) -> Result<(), u16> {
        self.closed = Some(code);
        self.shared.close(code);
        Err(code)
    }

    /// Whether this connection's document updates are refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The document this connection is attached to.
    pub fn doc_id(&self) -> &str {
        &self.room.doc_id
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.room.remove_conn(self.id);
    }
}

/// What to do on the socket next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Send this binary frame.
    Frame(Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close {
        /// One of [`close_codes`].
        code: u16,
        /// A short reason.
        reason: String,
    },
}

/// The sending half of a socket's session: frames to write, then possibly a close instruction.
/// Its queue is bounded in bytes ([`HubConfig::send_queue_bytes`]); a consumer that lets it
/// fill is closed as a slow consumer.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<ConnShared>,
    done: bool,
}

impl Outbox {
    /// The next thing to write; `None` once the session is over. A close instruction takes
    /// precedence over queued frames: a client being closed resyncs anyway.
    pub async fn next(&mut self) -> Option<Outgoing> {
        loop {
            if self.done {
                return None;
            }
            if let Some((code, reason)) = lock(&self.shared.close).clone() {
                self.done = true;
                return Some(Outgoing::Close { code, reason });
            }
            if let Some(frame) = self.shared.pop() {
                return Some(Outgoing::Frame(frame));
            }
            if self.shared.detached.load(Ordering::Acquire) {
                self.done = true;
                return None;
            }
            // One waiter (this outbox): a notification given since the checks above is kept
            // as a permit, so none is missed.
            self.shared.notify.notified().await;
        }
    }

    /// A frame already queued, without waiting (`None` when the queue is empty or the session
    /// is closing).
    pub fn try_next(&mut self) -> Option<Bytes> {
        if lock(&self.shared.close).is_some() {
            return None;
        }
        self.shared.pop()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.shared.discard();
    }
}

/// Resolves when the hub closes a connection opened with [`Hub::connect_with`] (shutdown, slow
/// consumer, a refused frame, a room reset, the document closed).
#[derive(Debug)]
pub struct Closing {
    shared: Arc<ConnShared>,
}

impl Closing {
    /// The close code and reason, once the hub has decided to close the connection.
    pub async fn closed(&self) -> (u16, String) {
        loop {
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(close) = lock(&self.shared.close).clone() {
                return close;
            }
            notified.await;
        }
    }

    /// The close instruction, if the hub has given one.
    pub fn get(&self) -> Option<(u16, String)> {
        lock(&self.shared.close).clone()
    }
}
