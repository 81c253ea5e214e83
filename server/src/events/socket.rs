//! `WS /api/v1/events`: the app event socket.
//!
//! On connect the server sends `hello` with the newest event id. A client that reconnects with
//! `?last_event_id=N` first gets the events after N it may see, from the log, then live ones —
//! in log order, with no gap and no duplicate; if N is older than the retention window (or too
//! far behind) it gets `resync` and should refetch. A socket that falls more than the queue
//! behind is closed with 4508 (reconnect with the last id: nothing is skipped). The server
//! pings every heartbeat interval and closes a socket silent for three. Clients may send
//! `{"type":"typing","channel":…,"thread"?:…}`, `{"type":"presence","status":"active"|"away"}`
//! and `{"type":"ping"}` — checked, within a budget, and closed with 4400 or 4429 when they keep
//! sending junk or too much ([`super::client_frames`]). A socket whose session or token is
//! revoked closes with 4401.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atrium_client::wire::{
    AppEvent, EventFrame, Hello, PresenceStatus, Resync, SocketError, Typing,
};
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::ConnectionAccess;
use super::client_frames::{self, ClientFrame, FrameBudget, Recent, Refusal};
use super::fanout;
use super::presence::Transition;
use super::routing::{Ended, Subscription};
use super::{Delivery, Events, store};
use crate::auth::CurrentUser;
use crate::db::now_ms;
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::ws::close;
use crate::state::AppState;
use crate::telemetry::metrics::OpenSocket;

/// Close codes of the event socket (the 45xx ones mean "reconnect").
pub mod close_codes {
    /// The client sent something the protocol does not allow, or kept sending frames that
    /// were refused (malformed, unknown, about channels or threads it may not see).
    pub const PROTOCOL_ERROR: u16 = 4400;
    /// The session or token the socket was opened with was revoked (log-out, password reset,
    /// token revocation): log in again.
    pub const SESSION_ENDED: u16 = 4401;
    /// The client answered no ping for three heartbeats.
    pub const TIMEOUT: u16 = 4408;
    /// The client kept sending frames faster than its budget allows.
    pub const TOO_MANY_FRAMES: u16 = 4429;
    /// The server could not read what the client may see.
    pub const SERVER_ERROR: u16 = 4500;
    /// The server is shutting down.
    pub const SHUTTING_DOWN: u16 = 4503;
    /// The client fell too far behind; reconnect with the last event id.
    pub const SLOW_CONSUMER: u16 = 4508;
}

/// The largest frame a client may send.
const MAX_CLIENT_FRAME: usize = 4 * 1024;
/// A send that takes longer than this means the client stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Typing indicators per channel (or thread) are forwarded at most this often per socket.
const TYPING_INTERVAL: Duration = Duration::from_secs(2);
/// Channels and threads a socket remembers forwarding typing for (only the last
/// `TYPING_INTERVAL` matters; the frame budget allows far fewer in that time).
const TYPING_REMEMBERED: usize = 16;
/// Threads a socket remembers having checked, so a typist is not a query per frame.
const THREADS_REMEMBERED: usize = 16;
/// Events read from the log per query while replaying.
const REPLAY_BATCH: i64 = 500;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// The event socket route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events_socket))
}

/// Query parameters of the event socket.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventsParams {
    /// The last event id the client saw: missed events are replayed first.
    pub last_event_id: Option<i64>,
}

/// The app event socket: JSON frames `{"id"?, "type", "data"}` of everything the caller may see
/// (each an `EventFrame`; the client sends `ClientFrame`s).
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsParams), responses(
    (status = 101, description = "Switching to the event socket"),
    (status = 401, description = "Not authenticated"),
    (status = 403, description = "A session cookie sent from a page of another origin"),
    (status = 429, description = "Too many requests from this caller")))]
async fn events_socket(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Query(params): Query<EventsParams>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let user = match user {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let _open = OpenSocket::new("events");
            let connection = Connection::run(
                socket,
                state,
                user.user.id,
                user.token_id,
                params.last_event_id,
            );
            // Off the request workers, so that a burst of deliveries never holds up a request.
            if let Err(error) = fanout::spawn(connection).await
                && error.is_panic()
            {
                tracing::error!(%error, "an event socket panicked");
            }
        })
}

struct Connection {
    socket: WebSocket,
    events: Events,
    access: ConnectionAccess,
    id: u64,
    /// The last logged event sent (or skipped as not visible).
    delivered: i64,
    /// Typing forwarded recently, by channel and thread.
    typing_sent: Recent<(String, Option<String>)>,
    /// Threads checked to be roots of their channel, by channel and thread.
    threads_checked: Recent<(String, String)>,
    /// What the client may still send.
    budget: FrameBudget,
}

/// Why a connection ended: closed by the peer, or by us with a code.
enum End {
    Gone,
    Close(u16, &'static str),
}

impl Connection {
    async fn run(
        socket: WebSocket,
        state: AppState,
        user_id: String,
        token_id: String,
        last_event_id: Option<i64>,
    ) {
        let events = state.events.clone();
        let (mut subscription, dispatched) = events.subscribe();
        let access = match ConnectionAccess::load(&state.db, &user_id, &token_id).await {
            Ok(Some(access)) => access,
            // Revoked between the upgrade's authentication and now.
            Ok(None) => {
                close(socket, close_codes::SESSION_ENDED, "the session has ended").await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot load event access");
                close(socket, close_codes::SERVER_ERROR, "try again").await;
                return;
            }
        };
        // Loaded after subscribing, so it is current as of `dispatched` at least.
        subscription.publish_access(&access, dispatched);
        let mut connection = Self {
            socket,
            events: events.clone(),
            access,
            id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
            delivered: dispatched,
            typing_sent: Recent::new(TYPING_REMEMBERED),
            threads_checked: Recent::new(THREADS_REMEMBERED),
            budget: FrameBudget::new(),
        };
        let joined = events
            .presence()
            .connect(&user_id, connection.id, &connection.org_list());
        connection.announce(joined, None);
        let end = match connection
            .start(&subscription, dispatched, last_event_id)
            .await
        {
            Ok(()) => connection.serve(&mut subscription, &state).await,
            Err(end) => end,
        };
        let left = events.presence().disconnect(&user_id, connection.id);
        let seen = now_ms();
        if left.after == PresenceStatus::Offline
            && let Err(error) = store::set_last_seen(&state.db, &user_id, seen).await
        {
            tracing::warn!(%error, "cannot record last seen");
        }
        connection.announce(left, Some(seen));
        if let End::Close(code, reason) = end {
            close(connection.socket, code, reason).await;
        }
    }

    /// Sends `hello`, then replays what a resuming client missed (or tells it to resync).
    async fn start(
        &mut self,
        subscription: &Subscription,
        dispatched: i64,
        last_event_id: Option<i64>,
    ) -> Result<(), End> {
        let hello = AppEvent::Hello(Hello {
            user_id: self.access.user_id.clone(),
            last_event_id: dispatched,
            heartbeat_ms: self.events.config().heartbeat.as_millis() as u64,
        });
        self.send(own_frame(hello)).await?;
        let Some(last) = last_event_id else {
            return Ok(());
        };
        let bounds = store::bounds(self.events.db())
            .await
            .map_err(|_| End::Close(close_codes::SERVER_ERROR, "try again"))?;
        let resync = match bounds {
            _ if last < 0 => Some("invalid last_event_id"),
            Some((min, _)) if last < min - 1 => {
                Some("events after last_event_id are no longer kept")
            }
            Some((_, max)) if last > max.max(dispatched) => Some("unknown last_event_id"),
            None if last > dispatched => Some("unknown last_event_id"),
            _ if dispatched - last > self.events.config().max_replay => {
                Some("too many events were missed")
            }
            _ => None,
        };
        if let Some(reason) = resync {
            let frame = AppEvent::Resync(Resync {
                reason: reason.to_owned(),
                last_event_id: dispatched,
            });
            self.delivered = dispatched;
            return self.send(own_frame(frame)).await;
        }
        self.delivered = last;
        loop {
            // Only up to what was dispatched: later events reach the socket through its route,
            // and may not all have committed yet.
            let batch =
                store::read_between(self.events.db(), self.delivered, dispatched, REPLAY_BATCH)
                    .await
                    .map_err(|_| End::Close(close_codes::SERVER_ERROR, "try again"))?;
            let done = (batch.len() as i64) < REPLAY_BATCH;
            for event in batch {
                self.deliver(subscription, &Delivery::from_stored(event))
                    .await?;
            }
            if done {
                return Ok(());
            }
        }
    }

    /// Live events, client frames, heartbeats, until one side ends it.
    async fn serve(&mut self, subscription: &mut Subscription, state: &AppState) -> End {
        let heartbeat = self.events.config().heartbeat;
        let mut ticker = tokio::time::interval(heartbeat);
        ticker.tick().await;
        let mut last_heard = Instant::now();
        loop {
            let step = tokio::select! {
                delivery = subscription.recv() => match delivery {
                    Ok(delivery) => self.deliver(subscription, &delivery).await,
                    Err(Ended::Lagged) => Err(End::Close(
                        close_codes::SLOW_CONSUMER,
                        "too far behind; reconnect with your last event id",
                    )),
                    Err(Ended::Closed) => Err(End::Close(close_codes::SHUTTING_DOWN, "the server is restarting")),
                },
                incoming = self.socket.recv() => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => self.client_frame(&text).await,
                        Some(Ok(Message::Binary(_))) => Err(End::Close(close_codes::PROTOCOL_ERROR, "JSON text frames only")),
                        Some(Ok(Message::Close(_)) | Err(_)) | None => Err(End::Gone),
                        Some(Ok(Message::Ping(_))) => self.websocket_ping(),
                        Some(Ok(_)) => Ok(()),
                    }
                }
                _ = ticker.tick() => {
                    if last_heard.elapsed() > heartbeat * 3 {
                        Err(End::Close(close_codes::TIMEOUT, "no answer to pings"))
                    } else {
                        self.send_message(Message::Ping(Default::default())).await
                    }
                }
                () = state.shutdown.cancelled() => Err(End::Close(close_codes::SHUTTING_DOWN, "the server is restarting")),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Sends one delivery if the user may see it, updating access from membership events (and
    /// telling the route what it now is, so only what it may see is queued to it).
    async fn deliver(
        &mut self,
        subscription: &Subscription,
        delivery: &Delivery,
    ) -> Result<(), End> {
        if let Some(seq) = delivery.seq {
            if seq <= self.delivered {
                return Ok(());
            }
            self.delivered = seq;
        }
        let allowed = self.access.allows(delivery);
        if allowed && ConnectionAccess::must_reload(delivery) {
            let reloaded = ConnectionAccess::load(
                self.events.db(),
                &self.access.user_id,
                &self.access.token_id,
            )
            .await
            .map_err(|_| End::Close(close_codes::SERVER_ERROR, "try again"))?;
            self.access = reloaded.ok_or(End::Close(
                close_codes::SESSION_ENDED,
                "the session has ended",
            ))?;
        }
        if allowed {
            self.access.observe(delivery);
        }
        // Also when not allowed: an open route is waiting for the socket to get this far.
        if ConnectionAccess::affects(delivery)
            && let Some(seq) = delivery.seq
        {
            subscription.publish_access(&self.access, seq);
        }
        if !allowed {
            return Ok(());
        }
        self.send(delivery.frame.clone()).await
    }

    async fn client_frame(&mut self, text: &str) -> Result<(), End> {
        if !self.budget.take_frame() {
            return self.refuse(Refusal::RATE_LIMITED).await;
        }
        let frame = match client_frames::parse(text) {
            Ok(frame) => frame,
            Err(refusal) => return self.refuse(refusal).await,
        };
        match frame {
            ClientFrame::Ping => self.send(r#"{"type":"pong"}"#.into()).await,
            ClientFrame::Typing { channel, thread } => self.typing(channel, thread).await,
            ClientFrame::Presence { away } => {
                let changed = self
                    .events
                    .presence()
                    .set_away(&self.access.user_id, self.id, away);
                self.announce(changed, None);
                Ok(())
            }
        }
    }

    /// Forwards a typing indicator to the channel (or thread), at most every
    /// [`TYPING_INTERVAL`] each, once the channel and thread are known to be ones the user sees.
    async fn typing(&mut self, channel: String, thread: Option<String>) -> Result<(), End> {
        let audience = self
            .access
            .typing_audience(self.events.db(), &channel)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "cannot check a typing frame's channel");
                End::Close(close_codes::SERVER_ERROR, "try again")
            })?;
        let Some(audience) = audience else {
            return self.refuse(Refusal::UNKNOWN_CHANNEL).await;
        };
        if let Some(thread) = &thread
            && !self.thread_in_channel(&channel, thread).await?
        {
            return self.refuse(Refusal::UNKNOWN_THREAD).await;
        }
        let key = (channel, thread);
        let now = Instant::now();
        if self
            .typing_sent
            .get(&key)
            .is_some_and(|at| now.duration_since(at) < TYPING_INTERVAL)
        {
            return Ok(());
        }
        self.typing_sent.put(key.clone(), now);
        let (channel, thread) = key;
        let data = Typing {
            channel_id: channel,
            thread_id: thread,
            user_id: self.access.user_id.clone(),
        };
        self.events.publish_ephemeral(
            "",
            audience,
            "typing",
            serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
            Some(self.access.user_id.clone()),
        );
        Ok(())
    }

    /// Whether `thread` is a message of `channel` that starts a thread (remembered once seen).
    async fn thread_in_channel(&mut self, channel: &str, thread: &str) -> Result<bool, End> {
        let key = (channel.to_owned(), thread.to_owned());
        if self.threads_checked.get(&key).is_some() {
            return Ok(true);
        }
        let messages = |e| {
            tracing::warn!(error = %e, "cannot check a typing frame's thread");
            End::Close(close_codes::SERVER_ERROR, "try again")
        };
        let db = self.events.db();
        let root = match crate::chat::store::messages::locate(db, thread)
            .await
            .map_err(messages)?
        {
            Some(org_id) => crate::chat::store::messages::find(db, &org_id, thread)
                .await
                .map_err(messages)?,
            None => None,
        };
        let found = root.is_some_and(|m| m.channel_id == channel && m.thread_id.is_none());
        if found {
            self.threads_checked.put(key, Instant::now());
        }
        Ok(found)
    }

    /// Answers a refused frame with an `error` frame, or closes the socket once it has sent
    /// too many: 4429 if the last was over the rate, 4400 if it was junk.
    async fn refuse(&mut self, refusal: Refusal) -> Result<(), End> {
        if !self.budget.refused() {
            return Err(if refusal == Refusal::RATE_LIMITED {
                End::Close(close_codes::TOO_MANY_FRAMES, "too many frames")
            } else {
                End::Close(close_codes::PROTOCOL_ERROR, "too many refused frames")
            });
        }
        self.error(refusal.code, refusal.message).await
    }

    /// A WebSocket-level ping (the library answers it) takes a frame from the budget too; one
    /// over the rate is a refusal, without an `error` frame.
    fn websocket_ping(&self) -> Result<(), End> {
        if self.budget.take_frame() || self.budget.refused() {
            Ok(())
        } else {
            Err(End::Close(close_codes::TOO_MANY_FRAMES, "too many frames"))
        }
    }

    /// Tells the user's organisations about a change of status.
    fn announce(&self, transition: Transition, last_seen: Option<i64>) {
        self.events.presence_changed(
            &self.access.user_id,
            &self.org_list(),
            transition,
            last_seen,
        );
    }

    /// The user's organisations, in a stable order.
    fn org_list(&self) -> Vec<String> {
        let mut orgs: Vec<String> = self.access.orgs.iter().cloned().collect();
        orgs.sort_unstable();
        orgs
    }

    async fn error(&mut self, code: &str, message: &str) -> Result<(), End> {
        let frame = AppEvent::Error(SocketError {
            code: code.to_owned(),
            message: message.to_owned(),
        });
        self.send(own_frame(frame)).await
    }

    async fn send(&mut self, frame: Utf8Bytes) -> Result<(), End> {
        self.send_message(Message::Text(frame)).await
    }

    async fn send_message(&mut self, message: Message) -> Result<(), End> {
        // Almost every send completes at once (the kernel buffer has room); only one that has
        // to wait gets a timer, which would otherwise cost more than the send itself across a
        // thousand sockets.
        let send = self.socket.send(message);
        tokio::pin!(send);
        let sent = match futures::poll!(&mut send) {
            std::task::Poll::Ready(sent) => sent,
            std::task::Poll::Pending => match tokio::time::timeout(SEND_TIMEOUT, send).await {
                Ok(sent) => sent,
                Err(_) => return Err(End::Close(close_codes::SLOW_CONSUMER, "not reading")),
            },
        };
        sent.map_err(|_| End::Gone)
    }
}

/// A frame the socket sends of its own accord (not an event of the log).
fn own_frame(event: AppEvent) -> Utf8Bytes {
    let frame = EventFrame { id: None, event };
    // A derived `Serialize` of strings and integers has nothing that can fail.
    serde_json::to_string(&frame).unwrap_or_default().into()
}
