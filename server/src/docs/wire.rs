//! WebSocket (RFC 6455) for the collaboration socket, done here rather than through axum's
//! `WebSocket` so that frames are written by whoever produces them:
//!
//! - The room writes a connection's frames straight into its socket ([`Writer`] is the hub's
//!   [`FrameSink`]): a delivery is one non-blocking `writev`, with no queue hand-off and no task
//!   wake-up. Only what the socket does not take at once is queued, and the connection's own
//!   task writes that when the socket drains, many frames per `writev`.
//! - Frames are written from the hub's shared `Bytes` (a 10-byte header beside them), never
//!   copied per connection, so a large document sent to many joiners exists once in memory.
//!
//! - Everything queued — the hub's frames, pongs, the close frame — counts against one byte
//!   budget ([`SendBudget`], [`atrium_collab::HubConfig::send_queue_bytes`]): a client that
//!   does not read what it is sent, or pings without reading the pongs, is closed as a slow
//!   consumer instead of being buffered for without bound.
//!
//! Only what the socket needs: the HTTP/1.1 upgrade, binary messages (fragmented or not),
//! ping/pong and the close handshake; no extensions, no subprotocols.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use atrium_collab::{FrameSink, SendBudget, SinkFull};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use sha1::{Digest as _, Sha1};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
use tokio::sync::Notify;

type Io = TokioIo<Upgraded>;

/// How long a closing socket waits for the client's own close frame (as `http::ws::close`).
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(2);
/// Size of each worker thread's read buffer (see [`Reader::poll_fill`]).
const SCRATCH: usize = 16 * 1024;

thread_local! {
    /// Sockets read into this buffer of their thread, and keep only the bytes of a frame not
    /// yet complete: a socket waiting for its client holds no buffer of its own. (A buffer per
    /// socket, even at 1 KiB, was a fifth of an open connection's memory.)
    static READ_SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH]);
}

/// Frames up to this size are written by whoever sends them; larger ones by the connection's
/// task.
const DIRECT_MAX: usize = 64 * 1024;
/// Slices per `writev`.
const MAX_SLICES: usize = 64;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// RFC 6455's close code for a protocol violation.
pub const CLOSE_PROTOCOL: u16 = 1002;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A WebSocket upgrade request (HTTP/1.1), checked as axum's `WebSocketUpgrade` checks it.
pub struct Upgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request is not a WebSocket upgrade.
#[derive(Debug)]
pub struct NotUpgrade(StatusCode, &'static str);

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.version > Version::HTTP_11 {
            return Err(NotUpgrade(
                StatusCode::BAD_REQUEST,
                "WebSocket needs HTTP/1.1",
            ));
        }
        if parts.method != Method::GET {
            return Err(NotUpgrade(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request method must be `GET`",
            ));
        }
        if !header_has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(NotUpgrade(
                StatusCode::BAD_REQUEST,
                "Connection header did not include 'upgrade'",
            ));
        }
        if !header_has_token(&parts.headers, header::UPGRADE, "websocket") {
            return Err(NotUpgrade(
                StatusCode::BAD_REQUEST,
                "`Upgrade` header did not include 'websocket'",
            ));
        }
        if parts
            .headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|v| v.as_bytes() != b"13")
        {
            return Err(NotUpgrade(
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Version` header did not include '13'",
            ));
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .cloned()
            .ok_or(NotUpgrade(
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Key` header missing",
            ))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(NotUpgrade(
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket request couldn't be upgraded since no upgrade state was present",
        ))?;
        Ok(Self { key, on_upgrade })
    }
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and runs `callback` on the socket once upgraded.
    /// Incoming messages over `max_message` bytes close the socket; at most `send_queue_bytes`
    /// may wait to be written behind the frame being written (see [`SendBudget`]).
    pub fn on_upgrade<F, Fut>(
        self,
        max_message: usize,
        send_queue_bytes: usize,
        callback: F,
    ) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let (read, write) = tokio::io::split(TokioIo::new(upgraded));
            let writer = Arc::new(Writer {
                state: Mutex::new(WriteState {
                    io: write,
                    queue: VecDeque::new(),
                    written: 0,
                    budget: SendBudget::new(send_queue_bytes),
                    broken: false,
                    closing: false,
                }),
                backlog: Notify::new(),
            });
            let reader = Reader {
                io: read,
                buf: BytesMut::new(),
                max_message,
                partial: None,
                discard: 0,
                writer: writer.clone(),
            };
            callback(Socket { reader, writer }).await;
        });
        let mut sha = Sha1::new();
        sha.update(self.key.as_bytes());
        sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
        Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_ACCEPT, accept)
            .body(axum::body::Body::empty())
            .unwrap_or_default()
    }
}

/// An upgraded connection.
pub struct Socket {
    pub reader: Reader,
    pub writer: Arc<Writer>,
}

impl Socket {
    /// Sends a close frame and waits (briefly) for the client's close, discarding what it sent
    /// meanwhile, then ends the connection. Dropping it at once would reset the TCP connection
    /// while the client's frames are unread, and the client would see 1006 instead of the code.
    pub async fn close(self, code: u16, reason: &str) {
        let Self { mut reader, writer } = self;
        writer.close(code, reason);
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
            loop {
                tokio::select! {
                    () = writer.drain() => return,
                    incoming = reader.next() => match incoming {
                        Ok(Incoming::Close(_)) | Err(_) => return,
                        Ok(_) => {}
                    },
                }
            }
        })
        .await;
        writer.finish().await;
    }

    /// Answers the client's close frame and ends the connection.
    pub async fn closed_by_client(self, code: Option<u16>) {
        self.writer.close(code.unwrap_or(1000), "");
        self.writer.finish().await;
    }
}

/// A message from the client.
#[derive(Debug)]
pub enum Incoming {
    Binary(Bytes),
    Text,
    /// The client's close frame, with its code if it gave one.
    Close(Option<u16>),
}

/// Why reading stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The connection ended or failed.
    Io,
    /// A frame broke the protocol (unmasked, reserved bits, bad fragmentation or control frame).
    Protocol,
    /// A message over the size limit.
    TooLarge,
    /// A ping's pong did not fit the send queue: the client does not read what it is sent.
    SlowConsumer,
}

/// The receiving half: frames from the client, decoded and unmasked.
pub struct Reader {
    io: ReadHalf<Io>,
    buf: BytesMut,
    max_message: usize,
    /// A fragmented binary message being assembled.
    partial: Option<Vec<u8>>,
    /// Bytes of an oversized frame still to discard: the socket is closing, and reading on
    /// to the client's close frame lets the client see the close code.
    discard: u64,
    /// Pings are answered through it.
    writer: Arc<Writer>,
}

/// One parsed frame.
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Bytes,
}

impl Reader {
    /// The next message. Cancel-safe: what was read stays buffered for the next call.
    pub async fn next(&mut self) -> Result<Incoming, ReadError> {
        loop {
            if self.discard > 0 {
                let n = usize::try_from(self.discard)
                    .unwrap_or(usize::MAX)
                    .min(self.buf.len());
                let _ = self.buf.split_to(n);
                self.discard -= n as u64;
            }
            if self.discard == 0 {
                while let Some(frame) = self.parse()? {
                    match frame.opcode {
                        OP_BINARY if self.partial.is_none() => {
                            if frame.fin {
                                return Ok(Incoming::Binary(frame.payload));
                            }
                            self.partial = Some(frame.payload.to_vec());
                        }
                        OP_CONTINUATION => {
                            let Some(partial) = &mut self.partial else {
                                return Err(ReadError::Protocol);
                            };
                            if partial.len() + frame.payload.len() > self.max_message {
                                return Err(ReadError::TooLarge);
                            }
                            partial.extend_from_slice(&frame.payload);
                            if frame.fin {
                                let message = self.partial.take().unwrap_or_default();
                                return Ok(Incoming::Binary(Bytes::from(message)));
                            }
                        }
                        OP_TEXT if self.partial.is_none() => return Ok(Incoming::Text),
                        OP_CLOSE => {
                            let code = (frame.payload.len() >= 2)
                                .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                            return Ok(Incoming::Close(code));
                        }
                        OP_PING => {
                            if !self.writer.control(OP_PONG, &frame.payload) {
                                return Err(ReadError::SlowConsumer);
                            }
                        }
                        OP_PONG => {}
                        _ => return Err(ReadError::Protocol),
                    }
                }
            }
            if self.buf.is_empty() && self.buf.capacity() > 0 {
                // Every frame read was complete: nothing to keep while the socket waits.
                self.buf = BytesMut::new();
            }
            match std::future::poll_fn(|cx| self.poll_fill(cx)).await {
                Ok(0) | Err(_) => return Err(ReadError::Io),
                Ok(_) => {}
            }
        }
    }

    /// Reads what the socket has, through the thread's scratch buffer, onto the end of `buf`.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        READ_SCRATCH.with_borrow_mut(|scratch| {
            let mut read = ReadBuf::new(scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    self.buf.extend_from_slice(read.filled());
                    Poll::Ready(Ok(read.filled().len()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }

    /// A complete frame from the buffer, if there is one.
    fn parse(&mut self) -> Result<Option<Frame>, ReadError> {
        let buf = &self.buf[..];
        if buf.len() < 2 {
            return Ok(None);
        }
        let (b0, b1) = (buf[0], buf[1]);
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0f;
        if b0 & 0x70 != 0 || b1 & 0x80 == 0 {
            // Reserved bits (no extension was negotiated), or a client frame without a mask.
            return Err(ReadError::Protocol);
        }
        let (len, mut at) = match b1 & 0x7f {
            126 => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4)
            }
            127 => {
                if buf.len() < 10 {
                    return Ok(None);
                }
                let mut n = [0u8; 8];
                n.copy_from_slice(&buf[2..10]);
                (u64::from_be_bytes(n), 10)
            }
            n => (u64::from(n), 2),
        };
        if opcode >= 0x8 && (!fin || len > 125) {
            return Err(ReadError::Protocol);
        }
        let limit = if opcode == OP_CONTINUATION {
            self.max_message
                .saturating_sub(self.partial.as_ref().map_or(0, Vec::len))
        } else {
            self.max_message
        };
        if buf.len() < at + 4 {
            return Ok(None);
        }
        if len > limit as u64 {
            // Not read into memory: skipped as it arrives.
            let _ = self.buf.split_to(at + 4);
            self.discard = len;
            self.partial = None;
            return Err(ReadError::TooLarge);
        }
        let len = len as usize;
        let mask = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        if buf.len() < at + len {
            // Room for the rest of the frame, so the reads that follow complete it.
            self.buf.reserve(at + len - self.buf.len());
            return Ok(None);
        }
        let mut frame = self.buf.split_to(at + len);
        let payload = &mut frame[at..];
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i & 3];
        }
        // A copy of its own: the message outlives the read buffer (peers' frames, the log).
        let payload = Bytes::copy_from_slice(payload);
        Ok(Some(Frame {
            fin,
            opcode,
            payload,
        }))
    }
}

/// A frame waiting to be written: its header and its (shared) payload.
struct Queued {
    head: [u8; 10],
    head_len: u8,
    body: Bytes,
}

impl Queued {
    fn new(opcode: u8, body: Bytes) -> Self {
        let mut head = [0u8; 10];
        head[0] = 0x80 | opcode;
        let len = body.len();
        let head_len = if len < 126 {
            head[1] = len as u8;
            2
        } else if let Ok(short) = u16::try_from(len) {
            head[1] = 126;
            head[2..4].copy_from_slice(&short.to_be_bytes());
            4
        } else {
            head[1] = 127;
            head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        Self {
            head,
            head_len,
            body,
        }
    }

    fn head(&self) -> &[u8] {
        &self.head[..usize::from(self.head_len)]
    }

    fn len(&self) -> usize {
        usize::from(self.head_len) + self.body.len()
    }
}

struct WriteState {
    io: WriteHalf<Io>,
    queue: VecDeque<Queued>,
    /// Bytes of the first queued frame already written.
    written: usize,
    /// What the frames behind the first one may take.
    budget: SendBudget,
    /// The connection failed: frames are dropped.
    broken: bool,
    /// The close frame is queued: nothing more is accepted.
    closing: bool,
}

impl WriteState {
    /// Writes queued frames until the queue is empty or the socket would block (`cx`'s waker
    /// is then woken when it drains).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.broken {
                self.queue.clear();
                self.budget.reset();
                self.written = 0;
                return Poll::Ready(());
            }
            if self.queue.is_empty() {
                return Poll::Ready(());
            }
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut count = 0;
            let mut skip = self.written;
            'frames: for queued in &self.queue {
                for part in [queued.head(), &queued.body[..]] {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    slices[count] = IoSlice::new(&part[skip..]);
                    skip = 0;
                    count += 1;
                    if count == MAX_SLICES {
                        break 'frames;
                    }
                }
            }
            match Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..count]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0) | Err(_)) => self.broken = true,
                Poll::Ready(Ok(n)) => {
                    let mut done = self.written + n;
                    while let Some(front) = self.queue.front() {
                        let len = front.len();
                        if done < len {
                            break;
                        }
                        done -= len;
                        self.queue.pop_front();
                        self.budget
                            .advance(self.queue.front().map(|next| next.body.len()));
                    }
                    self.written = done;
                }
            }
        }
    }

    /// Charges a frame of `len` bytes to the budget; `false` when it does not fit.
    fn admit(&mut self, len: usize) -> bool {
        self.budget.admit(self.queue.len(), len)
    }

    /// Queues a frame (already charged) and writes what the socket takes now, without
    /// waiting. Returns whether something is left for the connection's task to write.
    fn push(&mut self, queued: Queued) -> bool {
        let large = queued.len() > DIRECT_MAX;
        self.queue.push_back(queued);
        if self.queue.len() > 1 || large {
            // The task is already writing the frames before it; or the frame is large, and
            // copying it into the socket is left to the connection's task rather than done
            // under the room's lock (joiners of a large document would queue on it).
            return true;
        }
        let mut cx = Context::from_waker(Waker::noop());
        self.poll_flush(&mut cx).is_pending()
    }
}

/// The sending half, shared by the room (which writes frames into it) and the connection's
/// task (which writes what the socket did not take at once).
pub struct Writer {
    state: Mutex<WriteState>,
    /// Frames are left in the queue for the task.
    backlog: Notify,
}

impl FrameSink for Writer {
    fn send(&self, frame: &Bytes) -> Result<(), SinkFull> {
        let mut st = lock(&self.state);
        if st.broken || st.closing {
            return Ok(());
        }
        if !st.admit(frame.len()) {
            return Err(SinkFull);
        }
        if st.push(Queued::new(OP_BINARY, frame.clone())) {
            drop(st);
            self.backlog.notify_one();
        }
        Ok(())
    }
}

impl Writer {
    /// Sends a control frame (a pong). `false` when it does not fit the send queue's budget:
    /// the client pings without reading, and the connection must be closed.
    fn control(&self, opcode: u8, payload: &[u8]) -> bool {
        let mut st = lock(&self.state);
        if st.broken || st.closing {
            return true;
        }
        if !st.admit(payload.len()) {
            return false;
        }
        if st.push(Queued::new(opcode, Bytes::copy_from_slice(payload))) {
            drop(st);
            self.backlog.notify_one();
        }
        true
    }

    /// Queues the close frame in place of the frames not yet started (a client being closed
    /// resyncs anyway); nothing is accepted after it.
    pub fn close(&self, code: u16, reason: &str) {
        let mut st = lock(&self.state);
        if st.broken || st.closing {
            return;
        }
        st.closing = true;
        let keep = usize::from(st.written > 0);
        st.queue.truncate(keep);
        // At most the frame on the wire is left, and it is not charged.
        st.budget.reset();
        let mut reason = reason;
        while reason.len() > 123 {
            let mut end = 123;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason = &reason[..end];
        }
        let mut payload = Vec::with_capacity(2 + reason.len());
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(reason.as_bytes());
        let queued = st.queue.len();
        st.budget.force(queued, payload.len());
        if st.push(Queued::new(OP_CLOSE, Bytes::from(payload))) {
            drop(st);
            self.backlog.notify_one();
        }
    }

    /// Writes queued frames as the socket drains. Returns only when the connection failed
    /// (use it in a `select!` beside reading). It starts with what is already queued: a
    /// `select!` drops it whenever another branch wins, possibly in the middle of a frame.
    pub async fn drain(&self) {
        loop {
            let notified = self.backlog.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let broken = std::future::poll_fn(|cx| {
                let mut st = lock(&self.state);
                st.poll_flush(cx).map(|()| st.broken)
            })
            .await;
            if broken {
                return;
            }
            notified.await;
        }
    }

    /// Writes what is queued (for at most the close handshake's time) and shuts the
    /// connection down.
    async fn finish(&self) {
        let _ = tokio::time::timeout(
            CLOSE_HANDSHAKE,
            std::future::poll_fn(|cx| {
                let mut st = lock(&self.state);
                if st.poll_flush(cx).is_pending() {
                    return Poll::Pending;
                }
                let st = &mut *st;
                st.broken = true;
                Pin::new(&mut st.io).poll_shutdown(cx).map(|_| ())
            }),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_encode_the_three_lengths() {
        assert_eq!(
            Queued::new(OP_BINARY, Bytes::from(vec![0; 5])).head(),
            &[0x82, 5]
        );
        assert_eq!(
            Queued::new(OP_BINARY, Bytes::from(vec![0; 300])).head(),
            &[0x82, 126, 1, 44]
        );
        let big = Queued::new(OP_BINARY, Bytes::from(vec![0; 70_000]));
        assert_eq!(big.head(), &[0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        assert_eq!(big.len(), 70_010);
    }
}
