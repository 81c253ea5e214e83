//! Serving HTTP/1.1 connections on a TCP listener, with the limits that keep slow, idle or
//! too many clients from holding the server:
//!
//! - **header deadline**: a request's headers must arrive within
//!   [`ConnectionLimits::header_timeout`] — counted from the connection's start for its first
//!   request, and from the first byte of each later one on a kept-alive connection;
//! - **idle deadline**: a kept-alive connection waits at most
//!   [`ConnectionLimits::idle_timeout`] for its next request, and a request body that stalls
//!   (the server waiting for the next piece of it) is given as long;
//! - **connection cap**: at most [`ConnectionLimits::max_connections`] open at once, WebSockets
//!   included (a connection holds its slot until its socket closes, also after an upgrade); a
//!   connection past the cap is answered 503 and closed at once, without being read.
//!
//! hyper's own `header_read_timeout` starts when it begins waiting for a request, so a
//! kept-alive connection would be closed after the short header deadline too; so each
//! connection's activity is tracked here instead, as nginx and Go do it: the socket wrapper
//! ([`TrackedIo`]) sees bytes arrive, the service sees requests start, the response body's
//! drop sees them end, the request body sees the server wait for it. One task per connection
//! drives hyper and sleeps until the deadline of the connection's current phase.
//!
//! A connection that misses a deadline is dropped (its socket closed). No response is in
//! progress then — a request being answered has no deadline — so nothing is cut off. On
//! shutdown, accepting stops and every connection finishes its current request and closes;
//! [`serve`] returns when all have.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use crate::telemetry::metrics::{
    HTTP_CONNECTIONS_OPEN, HTTP_CONNECTIONS_REFUSED, HTTP_CONNECTIONS_TIMED_OUT,
};

/// The limits on client connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// How long a request's headers may take.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request, and the server for the
    /// next piece of a request body.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// The most a connection buffers while it reads a request's headers (hyper's default is
/// ~400 KiB): headers larger than this are answered 431. It bounds a connection's memory, so
/// the connection cap bounds the server's.
const MAX_READ_BUFFER: usize = 64 * 1024;

/// The whole answer to a connection past the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
    content-length: 25\r\nretry-after: 1\r\nconnection: close\r\n\r\ntoo many open connections";

/// How long accepting pauses after an error that is not about one connection (such as running
/// out of file descriptors), which would otherwise repeat at once.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `stop` is cancelled, then lets every connection finish its
/// current request and returns when all are closed. Upgraded connections (WebSockets) are
/// their handlers' from the upgrade on and close on their own.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_READ_BUFFER);
    let connections = TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if is_connection_error(&error) {
                        continue;
                    }
                    tracing::error!(%error, "cannot accept connections");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                        () = stop.cancelled() => break,
                    }
                }
            },
            () = stop.cancelled() => break,
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            refuse(&tcp);
            continue;
        };
        // Frames are small and latency-bound (collaboration updates, awareness): with Nagle's
        // algorithm a frame written while the previous one is unacknowledged waits for the
        // peer's delayed ACK (40 ms on Linux), which was the whole p99 of edit-to-peer latency.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let activity = Arc::new(Activity::new());
        let io = TrackedIo {
            tcp,
            activity: Arc::clone(&activity),
            _slot: Slot::take(permit),
        };
        let service = {
            let (app, activity) = (app.clone(), Arc::clone(&activity));
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let guard = RequestGuard::start(Arc::clone(&activity));
                let (parts, incoming) = request.into_parts();
                let body = TrackedRequestBody {
                    incoming,
                    activity: Arc::clone(&activity),
                };
                let mut request = Request::from_parts(parts, Body::new(body));
                request.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
                    Ok::<_, Infallible>(response.map(|body| TrackedBody {
                        body,
                        _guard: guard,
                    }))
                }
            })
        };
        let connection = http
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let (limits, stop) = (Arc::clone(&limits), stop.clone());
        connections.spawn(async move {
            tokio::pin!(connection);
            let mut stopping = false;
            loop {
                let deadline = activity.deadline(&limits);
                tokio::select! {
                    finished = connection.as_mut() => {
                        if let Err(error) = finished {
                            tracing::debug!(%error, %peer, "connection ended with an error");
                        }
                        return;
                    }
                    () = stop.cancelled(), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    () = activity.changed.notified() => {}
                    () = sleep_until(deadline) => {
                        if let Some(phase) = activity.expired(&limits) {
                            tracing::debug!(%peer, phase, "closing a connection past its deadline");
                            metrics::counter!(HTTP_CONNECTIONS_TIMED_OUT, "phase" => phase).increment(1);
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Errors of one connection (it was reset before it was accepted): accepting goes on.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// Answers a connection past the cap without reading it, if its send buffer takes the answer
/// at once (it always has room on a fresh socket), and closes it.
fn refuse(tcp: &TcpStream) {
    let _ = tcp.try_write(REFUSAL);
    metrics::counter!(HTTP_CONNECTIONS_REFUSED).increment(1);
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// One connection slot, counted in the open-connections gauge while held.
struct Slot(#[allow(dead_code, reason = "held for its drop")] OwnedSemaphorePermit);

impl Slot {
    fn take(permit: OwnedSemaphorePermit) -> Self {
        metrics::gauge!(HTTP_CONNECTIONS_OPEN).increment(1.0);
        Self(permit)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        metrics::gauge!(HTTP_CONNECTIONS_OPEN).decrement(1.0);
    }
}

/// Where a connection is, and since when: what its deadline is.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Reading a request's headers (a new connection starts here).
    Head(Instant),
    /// Between requests, kept alive.
    Idle(Instant),
    /// Serving a request; `Some` while the server waits for more of its body.
    Busy(Option<Instant>),
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// Requests being served (one at a time on HTTP/1.1; counted for safety).
    in_flight: usize,
}

/// A connection's activity, shared by its socket, its requests and its driving task.
struct Activity {
    /// Set while idle: the next byte read begins a request's head (one atomic load per read
    /// otherwise).
    idle: AtomicBool,
    state: Mutex<State>,
    /// Wakes the driving task when the phase changes.
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            idle: AtomicBool::new(false),
            state: Mutex::new(State {
                phase: Phase::Head(Instant::now()),
                in_flight: 0,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived on the socket.
    fn bytes_read(&self) {
        if !self.idle.load(Ordering::Acquire) || !self.idle.swap(false, Ordering::AcqRel) {
            return;
        }
        let mut state = self.lock();
        if let Phase::Idle(_) = state.phase {
            state.phase = Phase::Head(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        let mut state = self.lock();
        state.in_flight += 1;
        state.phase = Phase::Busy(None);
        self.idle.store(false, Ordering::Release);
    }

    fn request_finished(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.phase = Phase::Idle(Instant::now());
            self.idle.store(true, Ordering::Release);
            drop(state);
            self.changed.notify_one();
        }
    }

    /// The server waits for more of a request's body (`true`), or got some (`false`).
    fn waiting_for_body(&self, waiting: bool) {
        let mut state = self.lock();
        let Phase::Busy(since) = state.phase else {
            return;
        };
        match (since, waiting) {
            (None, true) => {
                state.phase = Phase::Busy(Some(Instant::now()));
                drop(state);
                self.changed.notify_one();
            }
            (Some(_), false) => state.phase = Phase::Busy(None),
            _ => {}
        }
    }

    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        match self.lock().phase {
            Phase::Head(since) => Some(since + limits.header_timeout),
            Phase::Idle(since) | Phase::Busy(Some(since)) => Some(since + limits.idle_timeout),
            Phase::Busy(None) => None,
        }
    }

    /// The phase whose deadline has passed, if one has.
    fn expired(&self, limits: &ConnectionLimits) -> Option<&'static str> {
        let deadline = self.deadline(limits)?;
        if Instant::now() < deadline {
            return None;
        }
        Some(match self.lock().phase {
            Phase::Head(_) => "header",
            Phase::Idle(_) => "idle",
            Phase::Busy(_) => "body",
        })
    }
}

/// The connection's socket, telling its activity when bytes arrive, and holding its slot for as
/// long as the socket is open (through an upgrade too).
struct TrackedIo {
    tcp: TcpStream,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_read();
        }
        read
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// A request in progress, from its headers until its response body is dropped (written out,
/// or abandoned with the request).
struct RequestGuard(Arc<Activity>);

impl RequestGuard {
    fn start(activity: Arc<Activity>) -> Self {
        activity.request_started();
        Self(activity)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that ends its request when dropped.
struct TrackedBody {
    body: Body,
    _guard: RequestGuard,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that tells the connection when the server waits for more of it.
struct TrackedRequestBody {
    incoming: Incoming,
    activity: Arc<Activity>,
}

impl hyper::body::Body for TrackedRequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.incoming).poll_frame(cx);
        this.activity
            .waiting_for_body(matches!(polled, Poll::Pending));
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
