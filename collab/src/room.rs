//! One loaded document: its `yrs::Doc`, presence, connections and durability bookkeeping.
//!
//! Everything mutable sits behind one short-held `std::sync::Mutex`: applying an update,
//! fanning it out to the connections' byte-bounded queues (never awaiting) and handing it to
//! the committer all happen under it, so this node's updates reach the log in apply order and
//! no frame is ever sent out of order. Nothing under the lock awaits.
//!
//! Other nodes append to the same log (see [`crate::peers`]). The room knows the prefix of the
//! log its document holds (`known_seq`): its own commits and the ranges peers publish extend
//! it when they are next in line, and are kept aside otherwise; a gap that is still open after
//! [`crate::HubConfig::gap_wait`] is read from the database (`catch_up`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc, oneshot};
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::answers::SyncAnswers;
use crate::close_codes;
use crate::hub::{Commit, HubInner};
use crate::metrics as m;
use crate::presence::Presence;
use crate::protocol::{self, AwarenessEntries, EncodedStateVector};
use crate::queue::SendBudget;
use crate::store::{AppendRecord, StoredDoc, now_ms};

/// Most ranges from peers kept aside while waiting for the gap before them; past it they are
/// dropped (the database has them: the gap's catch-up reads them too).
const MAX_RANGES_AHEAD: usize = 1024;
use crate::{Error, Result};

/// What happened when an update was applied.
#[derive(Debug)]
pub(crate) enum ApplyError {
    /// The update starts past the document's clock of a client ([`Gaps::Refuse`]); nothing
    /// was applied.
    Gap,
    /// yrs rejected the update.
    Rejected(String),
    /// yrs panicked while integrating it; the document may be inconsistent.
    Panicked,
}

/// Whether an update may leave a gap in a client's clock range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gaps {
    /// Refuse it: live updates from peers and HTTP.
    Refuse,
    /// Apply it as yrs does: what is already stored is loaded as it is.
    Allow,
}

/// Applies `update` to `doc`, catching yrs panics. Returns whether the document changed.
///
/// With [`Gaps::Refuse`], an update whose blocks for some client start past what the document
/// has of that client is refused before anything is applied. yrs integrates such blocks out of
/// order, with a skip block standing for the missing range, and when later blocks fill
/// that range without fitting it exactly its clock arithmetic underflows: a panic in debug
/// builds, a corrupt block store (and crashes on later updates) in release ones. A peer sends
/// its own changes in order and the room relays them in order, so on one node only a forged
/// update has a gap (the validating scanner refuses gaps inside an update: a skip followed by
/// blocks). With several nodes a legitimate client can send one: it moved here from another
/// node, and its last updates there (or a peer's that it saw there) are not here yet.
pub(crate) fn apply_guarded(doc: &Doc, update: Update, gaps: Gaps) -> Result<bool, ApplyError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut txn = doc.transact_mut();
        if gaps == Gaps::Refuse {
            // The state before the transaction is computed by yrs anyway.
            let before = txn.before_state();
            let gap = update
                .state_vector_lower()
                .iter()
                .any(|(client, start)| *start > before.get(client));
            if gap {
                return Err(ApplyError::Gap);
            }
        }
        txn.apply_update(update)
            .map_err(|e| ApplyError::Rejected(e.to_string()))?;
        Ok(txn.before_state() != txn.after_state()
            || !txn.delete_set().is_empty()
            || txn.has_missing_updates())
    }));
    outcome.unwrap_or(Err(ApplyError::Panicked))
}

/// State shared between a [`crate::Connection`], its [`crate::Outbox`] and the room: the close
/// instruction and, for an [`crate::Outbox`], the queue of frames to write.
#[derive(Debug)]
pub(crate) struct ConnShared {
    pub(crate) close: Mutex<Option<(u16, String)>>,
    pub(crate) notify: Notify,
    /// Frames for the [`crate::Outbox`] (unused by a [`FrameSink`] connection).
    pub(crate) queue: Mutex<OutQueue>,
    /// The room let go of the connection: the queue gets nothing more.
    pub(crate) detached: AtomicBool,
    /// The [`crate::Outbox`] was dropped: frames for it are discarded.
    pub(crate) outbox_gone: AtomicBool,
}

/// An [`crate::Outbox`]'s frames and their byte budget.
#[derive(Debug)]
pub(crate) struct OutQueue {
    frames: VecDeque<Bytes>,
    budget: SendBudget,
}

impl ConnShared {
    /// Shared state for a connection whose queue may hold `send_queue_bytes` (see
    /// [`SendBudget`]).
    pub(crate) fn new(send_queue_bytes: usize) -> Self {
        Self {
            close: Mutex::new(None),
            notify: Notify::new(),
            queue: Mutex::new(OutQueue {
                frames: VecDeque::new(),
                budget: SendBudget::new(send_queue_bytes),
            }),
            detached: AtomicBool::new(false),
            outbox_gone: AtomicBool::new(false),
        }
    }

    /// Asks the socket to close; the first instruction wins.
    pub(crate) fn close(&self, code: u16) {
        let mut c = lock(&self.close);
        if c.is_none() {
            *c = Some((code, close_codes::reason(code).to_owned()));
            metrics::counter!(m::CLOSES, "code" => code.to_string()).increment(1);
        }
        drop(c);
        self.notify.notify_one();
    }

    /// Queues a frame for the [`crate::Outbox`]; `Err(SinkFull)` when it does not fit its budget.
    fn push(&self, frame: &Bytes) -> std::result::Result<(), SinkFull> {
        if self.outbox_gone.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut q = lock(&self.queue);
        let queued = q.frames.len();
        if !q.budget.admit(queued, frame.len()) {
            return Err(SinkFull);
        }
        q.frames.push_back(frame.clone());
        drop(q);
        self.notify.notify_one();
        Ok(())
    }

    /// The next frame for the [`crate::Outbox`].
    pub(crate) fn pop(&self) -> Option<Bytes> {
        let mut q = lock(&self.queue);
        let frame = q.frames.pop_front()?;
        let next = q.frames.front().map(Bytes::len);
        q.budget.advance(next);
        Some(frame)
    }

    /// The [`crate::Outbox`] is gone: what it did not take is dropped, and so is what follows.
    pub(crate) fn discard(&self) {
        self.outbox_gone.store(true, Ordering::Relaxed);
        let mut q = lock(&self.queue);
        q.frames.clear();
        q.budget.reset();
    }

    /// The room let go of the connection.
    fn detach(&self) {
        self.detached.store(true, Ordering::Release);
        self.notify.notify_one();
    }
}

/// A socket writer that takes frames directly, for [`crate::Hub::connect_with`]: the room
/// calls [`FrameSink::send`] under its lock for every frame of the connection, in order, so it
/// must not block — write what the socket takes now and queue the rest.
pub trait FrameSink: Send + Sync + 'static {
    /// Writes or queues `frame` after everything sent before. `Err` when the sink's queue is
    /// full (in bytes: [`crate::HubConfig::send_queue_bytes`], accounted with a
    /// [`crate::SendBudget`]); the connection is then closed as a slow consumer and sent
    /// nothing more.
    fn send(&self, frame: &Bytes) -> std::result::Result<(), SinkFull>;
}

/// A [`FrameSink`]'s queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkFull;

/// Where a connection's frames go.
pub(crate) enum Sink {
    /// The [`crate::Outbox`] queue in [`ConnShared`], drained by the socket's task.
    Queue,
    /// Written by the room itself (no task wake-up per frame).
    Direct(Arc<dyn FrameSink>),
}

/// A connection as the room sees it.
pub(crate) struct ConnEntry {
    pub(crate) sink: Sink,
    pub(crate) shared: Arc<ConnShared>,
    /// Awareness client ids this connection owns.
    pub(crate) client_ids: Vec<u64>,
    /// Closed (queue full or instruction sent): receives nothing more.
    pub(crate) dead: bool,
}

impl Drop for ConnEntry {
    fn drop(&mut self) {
        self.shared.detach();
    }
}

impl ConnEntry {
    /// Queues a frame; a full queue disconnects the consumer instead of skipping the frame.
    fn send(&mut self, frame: &Bytes) {
        if self.dead {
            return;
        }
        let full = match &self.sink {
            Sink::Queue => self.shared.push(frame).is_err(),
            Sink::Direct(sink) => sink.send(frame).is_err(),
        };
        if full {
            self.dead = true;
            self.shared.close(close_codes::SLOW_CONSUMER);
        } else {
            metrics::counter!(m::SENT_BYTES).increment(frame.len() as u64);
        }
    }

    fn close(&mut self, code: u16) {
        self.dead = true;
        self.shared.close(code);
    }
}

/// How a committed update is acknowledged.
pub(crate) enum Ack {
    /// Echo `frame` to connection `conn` (the sender) once durable.
    Echo { conn: u64, frame: Bytes },
    /// Tell an HTTP caller.
    Notify(oneshot::Sender<Result<()>>),
}

/// The mutable part of a room.
pub(crate) struct RoomState {
    pub(crate) doc: Doc,
    presence: Presence,
    pub(crate) conns: HashMap<u64, ConnEntry>,
    /// Encoded answers to state requests, shared until the next change.
    answers: SyncAnswers,
    /// The document holds every log entry up to this sequence number.
    known_seq: i64,
    /// The highest sequence number known to exist in the log (this node's commits, peers'
    /// ranges, heads read from the database); above `known_seq` there is a gap to fill.
    target_seq: i64,
    /// This node's committed updates past a gap (applied already; they join `known_seq` when
    /// the gap before them is filled).
    own_ahead: BTreeSet<i64>,
    /// Peers' ranges past a gap, by first sequence number: (last, updates).
    remote_ahead: BTreeMap<i64, (i64, Vec<Bytes>)>,
    /// A catch-up (a wait, then a read of the database) is under way.
    catching_up: bool,
    /// Updates handed to the committer and not yet answered.
    pub(crate) pending: usize,
    /// Log entries and bytes after the last snapshot.
    log_count: u64,
    log_bytes: u64,
    /// Approximate stored size (snapshot + log), checked against the document limit.
    approx_size: u64,
    /// Unloaded or reset: accepts nothing more; joiners wait for it to drain and load anew.
    pub(crate) closed: bool,
    /// HTTP callers currently using the room.
    pub(crate) users: usize,
    /// When the room last had no connection and no user (clock ms), for idle unloading.
    pub(crate) idle_since: Option<u64>,
    compacting: bool,
    /// A change-feed event is scheduled (debounced).
    change_scheduled: bool,
    /// The first edit the scheduled report will carry, and the latest one: the report waits
    /// for a quiet spell after the latest, but not past a bound after the first.
    change_first_edit: tokio::time::Instant,
    change_last_edit: tokio::time::Instant,
}

/// A loaded document.
pub(crate) struct Room {
    pub(crate) doc_id: Arc<str>,
    hub: Weak<HubInner>,
    state: Mutex<RoomState>,
    /// Signalled when `pending` drops to zero.
    drained: Notify,
}

/// Locks a mutex, recovering from poisoning: every critical section leaves the state consistent
/// before anything that could panic (yrs calls are guarded separately).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds a document from what is stored.
pub(crate) fn doc_from_stored(doc_id: &str, stored: &StoredDoc) -> Result<Doc> {
    let doc = Doc::new();
    let corrupt = |reason: String| Error::Corrupt {
        doc_id: doc_id.to_owned(),
        reason,
    };
    let parts = stored
        .snapshot
        .iter()
        .map(|s| &s.state)
        .chain(stored.log.iter().map(|e| &e.data));
    for data in parts {
        let update = protocol::decode_update(data).map_err(|e| corrupt(e.to_string()))?;
        apply_guarded(&doc, update, Gaps::Allow).map_err(|e| corrupt(format!("{e:?}")))?;
    }
    Ok(doc)
}

impl RoomState {
    /// Whether a compaction of this room is running.
    pub(crate) fn is_compacting(&self) -> bool {
        self.compacting
    }

    /// The sequence number up to which the document holds the log.
    pub(crate) fn known_seq(&self) -> i64 {
        self.known_seq
    }

    /// The states of this node's own clients (see [`Presence::local_snapshot`]).
    pub(crate) fn local_awareness(&self) -> Option<Bytes> {
        self.presence.local_snapshot()
    }
}

impl Room {
    /// Loads a room from the store.
    pub(crate) async fn load(hub: &Arc<HubInner>, doc_id: Arc<str>) -> Result<Arc<Self>> {
        let stored = hub.store.load(&doc_id).await?;
        let doc = doc_from_stored(&doc_id, &stored)?;
        let log_bytes: u64 = stored.log.iter().map(|e| e.data.len() as u64).sum();
        let snap_bytes = stored.snapshot.as_ref().map_or(0, |s| s.state.len() as u64);
        let last_seq = stored.last_seq();
        metrics::gauge!(m::ROOMS).increment(1.0);
        if let Some(peers) = hub.peers.get() {
            peers.room_loaded(&doc_id);
        }
        Ok(Arc::new(Self {
            doc_id,
            hub: Arc::downgrade(hub),
            state: Mutex::new(RoomState {
                doc,
                presence: Presence::default(),
                conns: HashMap::new(),
                answers: SyncAnswers::default(),
                known_seq: last_seq,
                target_seq: last_seq,
                own_ahead: BTreeSet::new(),
                remote_ahead: BTreeMap::new(),
                catching_up: false,
                pending: 0,
                log_count: stored.log.len() as u64,
                log_bytes,
                approx_size: snap_bytes + log_bytes,
                closed: false,
                users: 0,
                idle_since: None,
                compacting: false,
                change_scheduled: false,
                change_first_edit: tokio::time::Instant::now(),
                change_last_edit: tokio::time::Instant::now(),
            }),
            drained: Notify::new(),
        }))
    }

    /// The hub, unless it is being dropped.
    pub(crate) fn hub(&self) -> Option<Arc<HubInner>> {
        self.hub.upgrade()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, RoomState> {
        lock(&self.state)
    }

    /// Waits until no update of this room is in flight.
    pub(crate) async fn wait_drained(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().pending == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Registers a connection and queues the server's handshake: SyncStep1 and, when anyone
    /// is present, the current awareness (both shared frames).
    pub(crate) fn add_conn(st: &mut RoomState, id: u64, mut entry: ConnEntry) {
        entry.send(&st.answers.step1(&st.doc));
        if st.presence.present() > 0 {
            entry.send(&st.presence.snapshot());
        }
        st.conns.insert(id, entry);
        st.idle_since = None;
        metrics::gauge!(m::CONNECTIONS).increment(1.0);
    }

    /// Removes a connection, its awareness states (telling the others) and notes idleness.
    pub(crate) fn remove_conn(&self, id: u64) {
        let now = self.hub.upgrade().map_or(0, |h| h.config.clock.now());
        let mut st = self.lock();
        let Some(entry) = st.conns.remove(&id) else {
            return;
        };
        metrics::gauge!(m::CONNECTIONS).decrement(1.0);
        let removed = st.presence.remove(&entry.client_ids, now);
        if let Some(frame) = &removed {
            broadcast(&mut st, frame);
        }
        st.presence.disown(&entry.client_ids, now);
        if st.conns.is_empty() && st.users == 0 {
            st.idle_since = Some(now);
        }
        drop(st);
        if let Some(frame) = removed {
            self.publish_awareness(&frame);
        }
    }

    /// Answers a SyncStep1 with the SyncStep2 the peer misses (see [`SyncAnswers`]).
    pub(crate) fn sync_step2(st: &mut RoomState, request: &EncodedStateVector) -> Bytes {
        let RoomState { doc, answers, .. } = st;
        answers.step2(doc, request)
    }

    /// Every current awareness state, for a QueryAwareness (a shared frame).
    pub(crate) fn awareness_snapshot(st: &mut RoomState) -> Bytes {
        st.presence.snapshot()
    }

    /// Sends a frame to one connection.
    pub(crate) fn send_to(st: &mut RoomState, conn: u64, frame: &Bytes) {
        if let Some(c) = st.conns.get_mut(&conn) {
            c.send(frame);
        }
    }

    /// Applies a document update from connection `from` (or from HTTP when `None`), fans it out
    /// at once to every other connection and hands it to the committer; the sender is
    /// acknowledged by `ack` once the update is durable. A no-op update is neither stored nor
    /// broadcast (and not acknowledged, like the reference server).
    ///
    /// Returns the close code for the sender when the update is refused.
    pub(crate) fn apply_update(
        self: &Arc<Self>,
        from: Option<u64>,
        data: Bytes,
        frame: Bytes,
        ack: impl FnOnce(&Bytes) -> Ack,
    ) -> Result<bool, u16> {
        let Some(hub) = self.hub.upgrade() else {
            return Err(close_codes::SHUTTING_DOWN);
        };
        // Every caller has validated `data` (the frame decoder, the HTTP route).
        let update = match protocol::decode_validated_update(&data) {
            Ok(u) => u,
            Err(_) => return Err(close_codes::PROTOCOL_ERROR),
        };
        let mut st = self.lock();
        if st.closed {
            return Err(close_codes::ROOM_RESET);
        }
        if st.approx_size + data.len() as u64 > hub.config.max_document_size as u64 {
            return Err(close_codes::DOCUMENT_TOO_LARGE);
        }
        let changed = match apply_guarded(&st.doc, update, Gaps::Refuse) {
            Ok(changed) => changed,
            // A client that moved here from another node can be ahead of this node's document
            // (its updates committed there have not arrived yet, nor has what it saw there).
            // Closing it would be final for the stock client (4400 is not retried): it is
            // asked for what this node lacks instead, as at connect — its SyncStep2 answer
            // carries everything missing, in order. The update is neither applied nor
            // acknowledged, and the answer brings it again. Over HTTP it is refused.
            Err(ApplyError::Gap) => {
                let Some(conn) = from else {
                    return Err(close_codes::PROTOCOL_ERROR);
                };
                tracing::debug!(doc = %self.doc_id, "update past this node's state; asking the client to sync");
                let ask = protocol::encode_sync_step1(st.doc.transact().state_vector());
                Self::send_to(&mut st, conn, &ask);
                return Ok(false);
            }
            Err(ApplyError::Rejected(reason)) => {
                tracing::debug!(doc = %self.doc_id, %reason, "update rejected by yrs");
                return Err(close_codes::PROTOCOL_ERROR);
            }
            Err(ApplyError::Panicked) => {
                // The document may be half-integrated: drop it and reload from the database.
                tracing::error!(doc = %self.doc_id, "yrs panicked applying an update; resetting room");
                if let Some(from) = from {
                    if let Some(c) = st.conns.get_mut(&from) {
                        c.close(close_codes::PROTOCOL_ERROR);
                    }
                }
                self.reset_locked(&mut st, close_codes::ROOM_RESET);
                return Err(close_codes::PROTOCOL_ERROR);
            }
        };
        if !changed {
            return Ok(false);
        }
        self.accept_locked(&hub, &mut st, from, data, frame, ack);
        Ok(true)
    }

    /// Fans out and commits an update already applied to the document.
    pub(crate) fn accept_locked(
        self: &Arc<Self>,
        hub: &Arc<HubInner>,
        st: &mut RoomState,
        from: Option<u64>,
        data: Bytes,
        frame: Bytes,
        ack: impl FnOnce(&Bytes) -> Ack,
    ) {
        st.answers.invalidate();
        st.pending += 1;
        st.approx_size += data.len() as u64;
        for (id, c) in st.conns.iter_mut() {
            if Some(*id) != from {
                c.send(&frame);
            }
        }
        metrics::counter!(m::UPDATES).increment(1);
        metrics::counter!(m::UPDATE_BYTES).increment(data.len() as u64);
        let ack = ack(&frame);
        let commit = Commit {
            room: self.clone(),
            record: AppendRecord {
                doc_id: self.doc_id.clone(),
                data,
                created_at: now_ms(),
            },
            ack,
        };
        if let Err(mpsc::error::SendError(commit)) = hub.commits.send(commit) {
            // The committer is gone (the hub is being dropped): never pretend it was stored.
            st.pending -= 1;
            match commit.ack {
                Ack::Echo { conn, .. } => {
                    if let Some(c) = st.conns.get_mut(&conn) {
                        c.close(close_codes::STORAGE_FAILURE);
                    }
                }
                Ack::Notify(tx) => {
                    let _ = tx.send(Err(Error::ShuttingDown));
                }
            }
        }
    }

    /// Called by the committer once `record` is durable as log entry `seq`.
    pub(crate) fn committed(self: &Arc<Self>, seq: i64, record: &AppendRecord, ack: Ack) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let mut st = self.lock();
        st.pending -= 1;
        st.log_count += 1;
        st.log_bytes += record.data.len() as u64;
        match ack {
            Ack::Echo { conn, frame } => Self::send_to(&mut st, conn, &frame),
            Ack::Notify(tx) => {
                let _ = tx.send(Ok(()));
            }
        }
        if st.pending == 0 {
            self.drained.notify_waiters();
        }
        if st.closed {
            return;
        }
        // Applied already: it extends what the document holds once the entries before it
        // (other nodes' commits, if any) are in.
        if seq > st.known_seq {
            st.own_ahead.insert(seq);
        }
        self.note_target_locked(&hub, &mut st, seq);
        self.maybe_compact_locked(&hub, &mut st);
        self.schedule_change_locked(&hub, &mut st);
    }

    /// Starts a compaction when the log has grown enough since the last one.
    fn maybe_compact_locked(self: &Arc<Self>, hub: &Arc<HubInner>, st: &mut RoomState) {
        if !st.compacting
            && (st.log_count >= hub.config.compact_after_updates
                || st.log_bytes >= hub.config.compact_after_bytes)
        {
            st.compacting = true;
            let room = self.clone();
            tokio::spawn(async move { room.compact().await });
        }
    }

    /// Notes an edit for the debounced change-feed report, and schedules the report if none
    /// is (see [`crate::HubConfig::change_debounce`]).
    fn schedule_change_locked(self: &Arc<Self>, hub: &Arc<HubInner>, st: &mut RoomState) {
        if hub.changes.is_none() {
            return;
        }
        let now = tokio::time::Instant::now();
        st.change_last_edit = now;
        if !st.change_scheduled {
            st.change_scheduled = true;
            st.change_first_edit = now;
            let _ = hub
                .change_due
                .send((now + hub.config.change_debounce, self.clone()));
        }
    }

    /// The scheduler's call when the report falls due, with the reports due before `horizon`
    /// going out together: while edits keep coming the report waits for a quiet spell of
    /// [`crate::HubConfig::change_debounce`], but at most
    /// [`crate::HubConfig::change_max_wait`] after the first edit it carries. A document typed
    /// into without pause is then read and re-indexed once per `change_max_wait` instead of
    /// once per `change_debounce` (the search index's commits were a fifth of the server's
    /// CPU under continuous editing), and a pause still makes it searchable at once.
    pub(crate) fn change_due(self: &Arc<Self>, horizon: tokio::time::Instant) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        {
            let st = self.lock();
            if !st.change_scheduled {
                return;
            }
            let quiet = st.change_last_edit + hub.config.change_debounce;
            let at = quiet.min(st.change_first_edit + hub.config.change_max_wait);
            if at > horizon {
                let _ = hub.change_due.send((at, self.clone()));
                return;
            }
        }
        self.emit_change();
    }

    /// Records that the log reaches `seq`, extends what the document holds as far as the
    /// entries at hand allow, and starts a catch-up if a gap remains.
    pub(crate) fn note_target_locked(
        self: &Arc<Self>,
        hub: &Arc<HubInner>,
        st: &mut RoomState,
        seq: i64,
    ) {
        st.target_seq = st.target_seq.max(seq);
        self.advance_locked(hub, st);
        if st.known_seq < st.target_seq && !st.catching_up && !st.closed {
            st.catching_up = true;
            let room = self.clone();
            let wait = hub.config.gap_wait;
            tokio::spawn(async move { room.catch_up(wait).await });
        }
    }

    /// Moves `known_seq` over the entries that are next in line: this node's own commits, and
    /// peers' ranges (applied and sent to the connections now).
    fn advance_locked(self: &Arc<Self>, hub: &Arc<HubInner>, st: &mut RoomState) {
        loop {
            let next = st.known_seq + 1;
            if st.own_ahead.remove(&next) {
                st.known_seq = next;
                continue;
            }
            let Some((&from, _)) = st.remote_ahead.first_key_value() else {
                break;
            };
            if from > next {
                break;
            }
            let Some((from, (to, updates))) = st.remote_ahead.pop_first() else {
                break;
            };
            if to < next {
                continue;
            }
            for (i, data) in updates.iter().enumerate() {
                let seq = from + i as i64;
                if seq < next {
                    continue;
                }
                if !self.apply_remote_locked(hub, st, data) {
                    return;
                }
                st.known_seq = seq;
                st.own_ahead.remove(&seq);
            }
            st.known_seq = st.known_seq.max(to);
        }
        let known = st.known_seq;
        st.own_ahead = st.own_ahead.split_off(&(known + 1));
    }

    /// Applies a committed log entry another node wrote (or a snapshot) to the document and
    /// sends it to every connection. `false`: yrs failed on it and the room was reset.
    fn apply_remote_locked(
        self: &Arc<Self>,
        hub: &Arc<HubInner>,
        st: &mut RoomState,
        data: &Bytes,
    ) -> bool {
        let update = match protocol::decode_update(data) {
            Ok(u) => u,
            Err(e) => {
                // Stored by a node that validated it: nothing a client can cause.
                tracing::error!(doc = %self.doc_id, error = %e, "undecodable log entry skipped");
                return true;
            }
        };
        match apply_guarded(&st.doc, update, Gaps::Allow) {
            Ok(false) => true,
            Ok(true) => {
                st.answers.invalidate();
                st.approx_size += data.len() as u64;
                st.log_count += 1;
                st.log_bytes += data.len() as u64;
                broadcast(st, &protocol::encode_update(data.to_vec()));
                metrics::counter!(m::REMOTE_UPDATES).increment(1);
                self.maybe_compact_locked(hub, st);
                self.schedule_change_locked(hub, st);
                true
            }
            Err(e) => {
                tracing::error!(doc = %self.doc_id, error = ?e, "a peer's update failed; resetting room");
                self.reset_locked(st, close_codes::ROOM_RESET);
                false
            }
        }
    }

    /// A range of log entries another node committed (`updates`, when it sent them, are the
    /// entries `from..=to` in order).
    pub(crate) fn receive_range(
        self: &Arc<Self>,
        hub: &Arc<HubInner>,
        from: i64,
        to: i64,
        updates: Option<Vec<Bytes>>,
    ) {
        let mut st = self.lock();
        if st.closed || to <= st.known_seq || from > to {
            return;
        }
        if let Some(updates) = updates.filter(|u| u.len() as i64 == to - from + 1) {
            if st.remote_ahead.len() < MAX_RANGES_AHEAD {
                st.remote_ahead.insert(from, (to, updates));
            }
        }
        self.note_target_locked(hub, &mut st, to);
    }

    /// Waits `wait` for the entries missing before the target to arrive from peers, then reads
    /// whatever is still missing from the database, until the document holds the target.
    async fn catch_up(self: Arc<Self>, wait: std::time::Duration) {
        tokio::time::sleep(wait).await;
        loop {
            let Some(hub) = self.hub.upgrade() else {
                return;
            };
            let after = {
                let mut st = self.lock();
                if st.closed || st.known_seq >= st.target_seq {
                    st.catching_up = false;
                    return;
                }
                st.known_seq
            };
            metrics::counter!(m::CATCH_UPS).increment(1);
            let read = hub.store.read_after(&self.doc_id, after).await;
            let done = {
                let mut st = self.lock();
                let done = match read {
                    Ok(stored) => {
                        self.apply_stored_locked(&hub, &mut st, stored);
                        st.closed || st.known_seq >= st.target_seq
                    }
                    Err(e) => {
                        // The periodic head comparison tries again.
                        tracing::warn!(doc = %self.doc_id, error = %e, "cannot read the log to catch up");
                        true
                    }
                };
                if done {
                    st.catching_up = false;
                }
                done
            };
            if done {
                return;
            }
            // Entries committed after the read: give their ranges a moment again.
            tokio::time::sleep(wait).await;
        }
    }

    /// Applies what the database holds past `known_seq`: the snapshot when a compaction folded
    /// entries this room lacks (it holds only committed entries), then the log entries.
    fn apply_stored_locked(
        self: &Arc<Self>,
        hub: &Arc<HubInner>,
        st: &mut RoomState,
        stored: StoredDoc,
    ) {
        if st.closed {
            return;
        }
        if let Some(snapshot) = stored.snapshot.filter(|s| s.seq > st.known_seq) {
            if !self.apply_remote_locked(hub, st, &Bytes::from(snapshot.state)) {
                return;
            }
            st.known_seq = snapshot.seq;
            st.log_count = 0;
            st.log_bytes = 0;
        }
        for entry in stored.log {
            if entry.seq <= st.known_seq {
                continue;
            }
            // This node's own entries are in the document already.
            if !st.own_ahead.remove(&entry.seq)
                && !self.apply_remote_locked(hub, st, &Bytes::from(entry.data))
            {
                return;
            }
            st.known_seq = entry.seq;
        }
        st.target_seq = st.target_seq.max(stored.head);
        let known = st.known_seq;
        st.remote_ahead.retain(|_, (to, _)| *to > known);
        self.advance_locked(hub, st);
    }

    /// The sequence number up to which the document holds the log, and whether a catch-up is
    /// under way (for tests and monitoring).
    pub(crate) fn known_seq(&self) -> i64 {
        self.lock().known_seq
    }

    /// Called by the committer when the transaction holding `ack`'s update failed: the sender
    /// is closed with the storage code, the room reset (its memory is ahead of the database).
    pub(crate) fn commit_failed(self: &Arc<Self>, ack: Ack, error: &Error) {
        let mut st = self.lock();
        st.pending -= 1;
        match ack {
            Ack::Echo { conn, .. } => {
                if let Some(c) = st.conns.get_mut(&conn) {
                    c.close(close_codes::STORAGE_FAILURE);
                }
            }
            Ack::Notify(tx) => {
                let _ = tx.send(Err(Error::Storage(sqlx::Error::Protocol(
                    error.to_string(),
                ))));
            }
        }
        self.reset_locked(&mut st, close_codes::ROOM_RESET);
        if st.pending == 0 {
            self.drained.notify_waiters();
        }
    }

    /// Closes every connection with `code` and retires the room: it accepts nothing more, and
    /// the next joiner loads the document again from the database once in-flight writes are
    /// answered. Clients resync on reconnect and re-send whatever the database lacks.
    pub(crate) fn reset_locked(self: &Arc<Self>, st: &mut RoomState, code: u16) {
        if !st.closed {
            st.closed = true;
            metrics::gauge!(m::ROOMS).decrement(1.0);
        }
        for c in st.conns.values_mut() {
            c.close(code);
        }
        if let Some(hub) = self.hub.upgrade() {
            let room = self.clone();
            tokio::spawn(async move {
                room.wait_drained().await;
                hub.remove_room(&room);
            });
        }
    }

    /// Folds the log into a snapshot (background task), under the document's compaction
    /// lease: one node at a time, from what the database holds (never from memory, which may
    /// hold updates not yet committed).
    async fn compact(self: Arc<Self>) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let (count, bytes) = {
            let st = self.lock();
            (st.log_count, st.log_bytes)
        };
        let started = std::time::Instant::now();
        let result = self.compact_stored(&hub).await;
        let mut st = self.lock();
        st.compacting = false;
        // Done here or by another node (which holds the lease): either way the entries counted
        // so far are folded or about to be.
        st.log_count = st.log_count.saturating_sub(count);
        st.log_bytes = st.log_bytes.saturating_sub(bytes);
        match result {
            Ok(Some((upto, size))) => {
                st.approx_size = size as u64 + st.log_bytes;
                metrics::counter!(m::COMPACTIONS).increment(1);
                metrics::histogram!(m::COMPACTION_SECONDS).record(started.elapsed().as_secs_f64());
                tracing::debug!(doc = %self.doc_id, upto, size, "compacted");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(doc = %self.doc_id, error = %e, "compaction failed"),
        }
    }

    /// Takes the lease, reads the snapshot and log, writes their merged state as the new
    /// snapshot and gives the lease back. `None`: another node holds the lease, or there was
    /// nothing to fold.
    async fn compact_stored(&self, hub: &Arc<HubInner>) -> Result<Option<(i64, usize)>> {
        let now = now_ms();
        let lease = i64::try_from(hub.config.compaction_lease.as_millis()).unwrap_or(i64::MAX);
        if !hub
            .store
            .lease_compaction(&self.doc_id, &hub.node, now, now.saturating_add(lease))
            .await?
        {
            return Ok(None);
        }
        let result = async {
            let stored = hub.store.load(&self.doc_id).await?;
            if stored.log.is_empty() {
                return Ok(None);
            }
            let upto = stored.log.last().map_or(0, |e| e.seq);
            // On this task, as loading does: a few milliseconds for a log of the compaction
            // thresholds' size (a blocking-pool thread would cost a malloc arena of its own).
            let state = doc_from_stored(&self.doc_id, &stored)?
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            drop(stored);
            hub.store.compact(&self.doc_id, &state, upto).await?;
            Ok(Some((upto, state.len())))
        }
        .await;
        if let Err(e) = hub.store.release_compaction(&self.doc_id, &hub.node).await {
            tracing::warn!(doc = %self.doc_id, error = %e, "cannot release the compaction lease");
        }
        result
    }

    /// Emits the debounced change-feed event now, if one is scheduled (unloading and shutdown
    /// do not wait for the debounce).
    pub(crate) fn emit_change(&self) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let Some(tx) = &hub.changes else { return };
        let change = {
            let mut st = self.lock();
            if !st.change_scheduled {
                return;
            }
            st.change_scheduled = false;
            crate::content::doc_change(&self.doc_id, &st.doc)
        };
        let _ = tx.send(change);
    }

    /// Applies an awareness update from connection `from` (see [`Presence`]) and sends what
    /// actually changed to every connection, the sender included (its own renewal coming back
    /// is the stock client's keepalive).
    pub(crate) fn apply_awareness(&self, from: u64, update: &AwarenessEntries, max_clients: usize) {
        let now = self.hub.upgrade().map_or(0, |h| h.config.clock.now());
        let mut st = self.lock();
        if st.closed {
            return;
        }
        let RoomState {
            presence, conns, ..
        } = &mut *st;
        let Some(conn) = conns.get_mut(&from) else {
            return;
        };
        let frame = presence.apply(from, &mut conn.client_ids, max_clients, update, now);
        if let Some(frame) = frame {
            broadcast(&mut st, &frame);
            metrics::counter!(m::AWARENESS).increment(1);
            drop(st);
            self.publish_awareness(&frame);
        }
    }

    /// Passes an awareness change of this node's clients to the other nodes.
    fn publish_awareness(&self, frame: &Bytes) {
        if let Some(peers) = self.hub.upgrade().and_then(|h| h.peers.get().cloned()) {
            peers.publish_awareness(&self.doc_id, frame);
        }
    }

    /// Applies an awareness change of other nodes' clients (see [`Presence::apply_remote`])
    /// and sends what changed to every connection.
    pub(crate) fn apply_remote_awareness(&self, update: &AwarenessEntries) {
        let now = self.hub.upgrade().map_or(0, |h| h.config.clock.now());
        let mut st = self.lock();
        if st.closed {
            return;
        }
        if let Some(frame) = st.presence.apply_remote(update, now) {
            broadcast(&mut st, &frame);
        }
    }

    /// Removes awareness states not renewed within `timeout_ms` and tells everyone; forgets
    /// departed clients after `retention_ms`.
    pub(crate) fn expire_awareness(&self, now: u64, timeout_ms: u64, retention_ms: u64) {
        let mut st = self.lock();
        if let Some(frame) = st.presence.expire(now, timeout_ms, retention_ms) {
            broadcast(&mut st, &frame);
        }
    }

    /// Sizes of what the room holds, for tests and monitoring.
    pub(crate) fn stats(&self) -> RoomStats {
        let st = self.lock();
        RoomStats {
            connections: st.conns.len(),
            awareness_present: st.presence.present(),
            awareness_remembered: st.presence.remembered(),
            cached_answer_bytes: st.answers.cached_bytes(),
        }
    }
}

/// What a loaded room holds (see [`crate::Hub::room_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomStats {
    /// Open connections.
    pub connections: usize,
    /// Awareness client ids with a state.
    pub awareness_present: usize,
    /// Awareness client ids remembered, with a state or removed (kept for their clock).
    pub awareness_remembered: usize,
    /// Bytes of encoded answers to state requests kept for the current document version.
    pub cached_answer_bytes: usize,
}

/// Sends `frame` to every connection of the room.
fn broadcast(st: &mut RoomState, frame: &Bytes) {
    for c in st.conns.values_mut() {
        c.send(frame);
    }
}
