//! The y-websocket wire protocol: decoding incoming frames and encoding outgoing ones.
//!
//! A frame is one WebSocket binary message holding one or more protocol messages back to back:
//! `sync` (SyncStep1 / SyncStep2 / Update), `awareness`, `auth` and `query-awareness`, as
//! defined by `yrs::sync::protocol` (the same tags as y-protocols in JavaScript).
//!
//! Incoming frames are hostile until proven otherwise. yrs's decoders reserve memory from
//! length prefixes before reading the data (a 5-byte prefix can ask for hundreds of MB of hash
//! table), recurse without a depth limit on nested `Any` values (a stack overflow aborts the
//! process), and use unchecked arithmetic on clocks (a panic in debug builds). So every
//! payload is first walked by a small validating scanner here that bounds every count by the
//! bytes left in the frame, bounds nesting depth, rejects over-long varints and checks clock
//! arithmetic; only then is it handed to yrs. It also refuses what yrs decodes but cannot
//! integrate safely: client ids wider than 53 bits, a client's blocks split over two sections,
//! and a gap (a skip followed by blocks) inside a client's blocks — each made yrs panic (debug
//! builds) or corrupt its block store (release builds); the last two were found by the fuzzer
//! in `collab/tests/fuzz.rs`. Decoding never panics: it returns [`ProtocolError`].
//!
//! Decoding allocates little beyond the frame itself: update payloads are slices of the frame,
//! and state vectors and awareness updates stay encoded (validated, then read entry by entry
//! where they are used), so a frame full of entries costs what it weighs, not a hash map of
//! them. How many messages one frame may hold is the caller's limit ([`decode_frame`]).
//!
//! Outgoing frames always carry exactly one message: the stock JavaScript client reads only the
//! first message of each frame.

use bytes::{BufMut, Bytes, BytesMut};
use yrs::StateVector;
use yrs::sync::protocol::{
    MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_1, MSG_SYNC_STEP_2,
    MSG_SYNC_UPDATE, PERMISSION_DENIED,
};
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

/// Why a frame or an update was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The frame had no bytes at all.
    #[error("empty frame")]
    Empty,
    /// The data ended in the middle of a value.
    #[error("unexpected end of data at byte {0}")]
    EndOfData(usize),
    /// A variable-length integer was longer than its type allows.
    #[error("invalid varint at byte {0}")]
    InvalidVarint(usize),
    /// A count or length claims more items than the remaining bytes could hold.
    #[error("length {len} at byte {at} exceeds the {remaining} bytes left")]
    LengthOverflow {
        /// Where the length was read.
        at: usize,
        /// The claimed length.
        len: u64,
        /// Bytes left after it.
        remaining: usize,
    },
    /// A value was out of range (unknown tag, clock overflow, zero-length block, …).
    #[error("invalid value at byte {at}: {what}")]
    Invalid {
        /// Where it was found.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// Values nested deeper than [`MAX_ANY_DEPTH`].
    #[error("values nested too deeply")]
    TooDeep,
    /// A string was not UTF-8.
    #[error("invalid UTF-8 at byte {0}")]
    Utf8(usize),
    /// yrs rejected data the scanner let through (or panicked while decoding it).
    #[error("yrs could not decode the payload: {0}")]
    Yrs(String),
    /// A frame held more messages than the connection allows (see [`decode_frame`]).
    #[error("more than {limit} messages in one frame")]
    TooManyMessages {
        /// The most messages a frame may hold.
        limit: usize,
    },
}

type PResult<T> = std::result::Result<T, ProtocolError>;

/// How deeply `Any` values (arrays and maps inside Yjs content) may nest. Real documents nest a
/// few levels; this keeps yrs's recursive decoder far from the end of the stack.
pub const MAX_ANY_DEPTH: usize = 32;

/// The info byte of a Skip block.
const BLOCK_SKIP: u8 = 10;

/// Significant bits of a Yjs client id (see [`Reader::var_client`]).
const MAX_CLIENT_BITS: u32 = 53;

/// One decoded message of an incoming frame. Payloads are slices of the frame (no copies).
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The peer's state vector: it wants what it misses (answered with SyncStep2).
    SyncStep1(EncodedStateVector),
    /// What the peer has that we miss, in answer to our SyncStep1 (a validated v1 update).
    SyncStep2(Bytes),
    /// A live document change (a validated v1 update).
    Update(Bytes),
    /// Presence states, validated (client ids, clocks, JSON states) and read on demand.
    Awareness(AwarenessEntries),
    /// An auth message; `Some(reason)` is a permission-denied.
    Auth(Option<String>),
    /// The peer asks for every current awareness state.
    QueryAwareness,
    /// A message with a tag this protocol does not define; ignored, kept for logging.
    Custom(u8),
}

/// A validated, still encoded Yjs state vector: `(client, clock)` pairs read on demand, so a
/// huge one never becomes a huge hash map (the room keeps only the clients its document knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedStateVector {
    payload: Bytes,
    len: usize,
}

impl EncodedStateVector {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no entry (the peer has nothing: it gets the whole document).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `(client, clock)` entries, in the order sent.
    pub fn entries(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let mut r = Reader::new(&self.payload);
        let n = r.var_u32().unwrap_or(0);
        (0..n).map_while(move |_| Some((r.var_client().ok()?, r.var_u32().ok()?)))
    }

    /// The whole state vector as yrs's type (every entry; for peers and tests, not the room).
    pub fn decode(&self) -> StateVector {
        self.entries()
            .map(|(client, clock)| (yrs::ClientID::new(client), clock))
            .collect()
    }
}

/// One entry of an awareness update: a client's presence state as JSON text, or its removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwarenessEntry<'a> {
    /// The awareness client id (the peer's Yjs client id).
    pub client: u64,
    /// The client's awareness clock: a state replaces one with a lower clock.
    pub clock: u32,
    /// The state as JSON text; `null` removes the client's state.
    pub json: &'a str,
}

impl AwarenessEntry<'_> {
    /// Whether this entry removes the client's state (its JSON is `null`).
    pub fn is_removal(&self) -> bool {
        self.json.trim_matches([' ', '\t', '\n', '\r']) == "null"
    }
}

/// A validated, still encoded awareness update (see [`AwarenessEntry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntries {
    payload: Bytes,
    len: usize,
}

impl AwarenessEntries {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = AwarenessEntry<'_>> + '_ {
        let mut r = Reader::new(&self.payload);
        let n = r.var_u32().unwrap_or(0);
        (0..n).map_while(move |_| {
            Some(AwarenessEntry {
                client: r.var_client().ok()?,
                clock: r.var_u32().ok()?,
                json: r.string().ok()?,
            })
        })
    }

    /// As yrs's type (later entries for the same client win, as in yrs's decoder).
    pub fn decode(&self) -> AwarenessUpdate {
        let clients = self
            .iter()
            .map(|e| {
                (
                    yrs::ClientID::new(e.client),
                    yrs::sync::awareness::AwarenessUpdateEntry {
                        clock: e.clock,
                        json: e.json.into(),
                    },
                )
            })
            .collect();
        AwarenessUpdate { clients }
    }
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn u8(&mut self) -> PResult<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(ProtocolError::EndOfData(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 varint of at most `max_bits` significant bits.
    fn var(&mut self, max_bits: u32) -> PResult<u64> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if shift >= max_bits || (max_bits - shift < 7 && part >> (max_bits - shift) != 0) {
                return Err(ProtocolError::InvalidVarint(start));
            }
            value |= part << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn var_u32(&mut self) -> PResult<u32> {
        let at = self.pos;
        let v = self.var(32)?;
        u32::try_from(v).map_err(|_| ProtocolError::InvalidVarint(at))
    }

    /// A Yjs client id: yrs keeps 53 bits (what JavaScript numbers hold exactly) and asserts
    /// the rest are zero, so a wider id would panic in a debug build and be silently truncated
    /// (mixing two clients' items) in a release one.
    fn var_client(&mut self) -> PResult<u64> {
        self.var(MAX_CLIENT_BITS)
    }

    /// lib0's signed varint: 6 bits in the first byte (plus sign), then 7 bits per byte. Values
    /// must fit in 63 bits: beyond that yrs's decoder shifts or negates out of range.
    fn var_i64(&mut self) -> PResult<()> {
        let start = self.pos;
        let first = self.u8()?;
        if first & 0x80 == 0 {
            return Ok(());
        }
        let mut shift: u32 = 6;
        loop {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if shift > 62 || (shift + 7 > 63 && part >> (63 - shift) != 0) {
                return Err(ProtocolError::InvalidVarint(start));
            }
            if b & 0x80 == 0 {
                return Ok(());
            }
            shift += 7;
        }
    }

    /// A length that must fit in the remaining bytes, each item taking at least `min_item`.
    fn count(&mut self, min_item: usize) -> PResult<usize> {
        let at = self.pos;
        let len = self.var_u32()?;
        let remaining = self.remaining();
        let need = (len as usize).saturating_mul(min_item.max(1));
        if need > remaining {
            return Err(ProtocolError::LengthOverflow {
                at,
                len: u64::from(len),
                remaining,
            });
        }
        Ok(len as usize)
    }

    fn take(&mut self, len: usize) -> PResult<&'a [u8]> {
        if len > self.remaining() {
            return Err(ProtocolError::LengthOverflow {
                at: self.pos,
                len: len as u64,
                remaining: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(s)
    }

    fn buf(&mut self) -> PResult<&'a [u8]> {
        let len = self.count(1)?;
        self.take(len)
    }

    fn string(&mut self) -> PResult<&'a str> {
        let at = self.pos;
        let bytes = self.buf()?;
        std::str::from_utf8(bytes).map_err(|_| ProtocolError::Utf8(at))
    }

    fn f(&mut self, n: usize) -> PResult<()> {
        self.take(n).map(drop)
    }
}

/// Checks that `buf` is a Yjs v1 update yrs can decode without huge allocations, deep
/// recursion or arithmetic overflow. Mirrors `yrs::Update::decode` byte for byte.
pub fn validate_update_v1(buf: &[u8]) -> PResult<()> {
    let mut r = Reader::new(buf);
    // Each client section needs at least 3 bytes (block count, client, clock).
    let clients = r.count(3)?;
    // (A typical update has one client: no allocation for it.)
    let mut seen = Vec::with_capacity(if clients > 1 { clients } else { 0 });
    for _ in 0..clients {
        let blocks = r.count(1)?;
        let client = r.var_client()?;
        if clients > 1 {
            seen.push(client);
        }
        let mut clock = r.var_u32()?;
        for i in 0..blocks {
            let at = r.pos;
            // A skip (an unknown range) followed by blocks leaves a gap before them, which yrs
            // cannot be trusted to integrate (see `room::apply_guarded`).
            if r.buf.get(r.pos) == Some(&BLOCK_SKIP) && i + 1 < blocks {
                return Err(ProtocolError::Invalid {
                    at,
                    what: "a gap inside a client's blocks",
                });
            }
            let len = block(&mut r)?;
            clock = clock.checked_add(len).ok_or(ProtocolError::Invalid {
                at,
                what: "clock overflow",
            })?;
        }
    }
    // A client's blocks form one section. yrs appends a second section for the same client
    // after the first, and integrating blocks whose clocks go backwards underflows its clock
    // arithmetic (a panic in debug builds, a corrupt block store in release ones).
    if clients > 1 {
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(ProtocolError::Invalid {
                at: 0,
                what: "a client listed twice",
            });
        }
    }
    delete_set(&mut r)
}

/// One block of an update; returns its clock length as yrs computes it.
fn block(r: &mut Reader<'_>) -> PResult<u32> {
    let at = r.pos;
    let info = r.u8()?;
    match info {
        // GC and Skip: a non-zero length.
        0 | 10 => {
            let len = r.var_u32()?;
            if len == 0 {
                return Err(ProtocolError::Invalid {
                    at,
                    what: "empty block",
                });
            }
            Ok(len)
        }
        _ => {
            let has_origin = info & 0x80 != 0;
            let has_right = info & 0x40 != 0;
            if has_origin {
                r.var_client()?;
                r.var_u32()?;
            }
            if has_right {
                r.var_client()?;
                r.var_u32()?;
            }
            if !has_origin && !has_right {
                if r.var_u32()? == 1 {
                    r.string()?;
                } else {
                    r.var_client()?;
                    r.var_u32()?;
                }
                if info & 0x20 != 0 {
                    r.string()?;
                }
            }
            content(r, info & 0x0f, at)
        }
    }
}

fn content(r: &mut Reader<'_>, kind: u8, at: usize) -> PResult<u32> {
    let invalid = |what| ProtocolError::Invalid { at, what };
    match kind {
        // Deleted
        1 => r.var_u32(),
        // JSON: yrs reads len + 1 strings.
        2 => {
            let n = r.count(1)?;
            for _ in 0..=n {
                r.string()?;
            }
            u32::try_from(n + 1).map_err(|_| invalid("too many values"))
        }
        // Binary
        3 => r.buf().map(|_| 1),
        // String: its length is counted in UTF-16 code units.
        4 => {
            let s = r.string()?;
            let units = s.encode_utf16().count();
            u32::try_from(units).map_err(|_| invalid("string too long"))
        }
        // Embed (JSON text; serde_json limits its own recursion)
        5 => r.string().map(|_| 1),
        // Format: key, JSON value
        6 => {
            r.string()?;
            r.string()?;
            Ok(1)
        }
        // Type
        7 => {
            let type_ref = r.u8()?;
            match type_ref {
                0 | 1 | 2 | 4 | 5 | 6 | 9 | 15 => Ok(1),
                3 => r.string().map(|_| 1),
                _ => Err(invalid("unknown type ref")),
            }
        }
        // Any values
        8 => {
            let n = r.count(1)?;
            for _ in 0..n {
                any(r, 0)?;
            }
            u32::try_from(n).map_err(|_| invalid("too many values"))
        }
        // Sub-document: guid, options
        9 => {
            r.string()?;
            any(r, 0)?;
            Ok(1)
        }
        _ => Err(invalid("unknown content kind")),
    }
}

/// One lib0 `Any` value, nested at most [`MAX_ANY_DEPTH`] deep.
fn any(r: &mut Reader<'_>, depth: usize) -> PResult<()> {
    if depth > MAX_ANY_DEPTH {
        return Err(ProtocolError::TooDeep);
    }
    let at = r.pos;
    match r.u8()? {
        127 | 126 | 121 | 120 => Ok(()),
        125 => r.var_i64(),
        124 => r.f(4),
        123 | 122 => r.f(8),
        119 => r.string().map(drop),
        118 => {
            // Each entry: at least a key length byte and a value tag.
            let n = r.count(2)?;
            for _ in 0..n {
                r.string()?;
                any(r, depth + 1)?;
            }
            Ok(())
        }
        117 => {
            let n = r.count(1)?;
            for _ in 0..n {
                any(r, depth + 1)?;
            }
            Ok(())
        }
        116 => r.buf().map(drop),
        _ => Err(ProtocolError::Invalid {
            at,
            what: "unknown value tag",
        }),
    }
}

fn delete_set(r: &mut Reader<'_>) -> PResult<()> {
    // Each client: client id, range count (at least 2 bytes).
    let clients = r.count(2)?;
    for _ in 0..clients {
        r.var_client()?;
        let ranges = r.count(2)?;
        for _ in 0..ranges {
            let at = r.pos;
            let clock = r.var_u32()?;
            let len = r.var_u32()?;
            clock.checked_add(len).ok_or(ProtocolError::Invalid {
                at,
                what: "delete range overflow",
            })?;
        }
    }
    Ok(())
}

/// Checks a state vector; returns its number of entries.
fn validate_state_vector(buf: &[u8]) -> PResult<usize> {
    let mut r = Reader::new(buf);
    let n = r.count(2)?;
    for _ in 0..n {
        r.var_client()?;
        r.var_u32()?;
    }
    Ok(n)
}

/// Checks an awareness update; returns its number of entries. Every state must be JSON: peers
/// parse what the room relays, and a stock client's message handler throws on anything else.
fn validate_awareness(buf: &[u8]) -> PResult<usize> {
    let mut r = Reader::new(buf);
    // Each entry: client id, clock, string length (at least 3 bytes).
    let n = r.count(3)?;
    for _ in 0..n {
        r.var_client()?;
        r.var_u32()?;
        let at = r.pos;
        let json = r.string()?;
        if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
            return Err(ProtocolError::Invalid {
                at,
                what: "awareness state is not JSON",
            });
        }
    }
    Ok(n)
}

/// Runs a yrs decoder, turning an error or a panic into a [`ProtocolError::Yrs`].
fn guarded<T>(f: impl FnOnce() -> Result<T, yrs::encoding::read::Error>) -> PResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ProtocolError::Yrs(e.to_string())),
        Err(_) => Err(ProtocolError::Yrs("decoder panicked".into())),
    }
}

/// Decodes a v1 update into a [`yrs::Update`] after validating it, never panicking.
pub fn decode_update(buf: &[u8]) -> PResult<yrs::Update> {
    validate_update_v1(buf)?;
    decode_validated_update(buf)
}

/// Decodes a v1 update [`validate_update_v1`] (or [`decode_frame`]) has already accepted.
pub(crate) fn decode_validated_update(buf: &[u8]) -> PResult<yrs::Update> {
    guarded(|| yrs::Update::decode_v1(buf))
}

/// Decodes every message of an incoming frame, at most `max_messages` of them: a frame with
/// more is refused whole ([`ProtocolError::TooManyMessages`]) as soon as the one past the
/// limit starts, before anything of it is answered. (The stock client sends one message per
/// frame.) Sync and awareness payloads are validated, not yet applied; the whole frame is
/// rejected if any message is malformed. Payloads are slices of `frame`.
pub fn decode_frame(frame: &Bytes, max_messages: usize) -> PResult<Vec<Incoming>> {
    if frame.is_empty() {
        return Err(ProtocolError::Empty);
    }
    let mut r = Reader::new(frame);
    let mut out = Vec::with_capacity(1);
    let slice = |payload: &[u8]| frame.slice_ref(payload);
    while !r.is_empty() {
        if out.len() >= max_messages {
            return Err(ProtocolError::TooManyMessages {
                limit: max_messages,
            });
        }
        let at = r.pos;
        let tag = r.var_u32()?;
        let tag = u8::try_from(tag).map_err(|_| ProtocolError::Invalid {
            at,
            what: "message tag",
        })?;
        match tag {
            MSG_SYNC => {
                let at = r.pos;
                let sub = r.var_u32()?;
                let payload = r.buf()?;
                match u8::try_from(sub).unwrap_or(u8::MAX) {
                    MSG_SYNC_STEP_1 => {
                        let len = validate_state_vector(payload)?;
                        out.push(Incoming::SyncStep1(EncodedStateVector {
                            payload: slice(payload),
                            len,
                        }));
                    }
                    MSG_SYNC_STEP_2 => {
                        validate_update_v1(payload)?;
                        out.push(Incoming::SyncStep2(slice(payload)));
                    }
                    MSG_SYNC_UPDATE => {
                        validate_update_v1(payload)?;
                        out.push(Incoming::Update(slice(payload)));
                    }
                    _ => {
                        return Err(ProtocolError::Invalid {
                            at,
                            what: "sync message type",
                        });
                    }
                }
            }
            MSG_AWARENESS => {
                let payload = r.buf()?;
                let len = validate_awareness(payload)?;
                out.push(Incoming::Awareness(AwarenessEntries {
                    payload: slice(payload),
                    len,
                }));
            }
            MSG_AUTH => {
                let kind = r.var_u32()?;
                if kind == u32::from(PERMISSION_DENIED) {
                    out.push(Incoming::Auth(Some(r.string()?.to_owned())));
                } else {
                    out.push(Incoming::Auth(None));
                }
            }
            MSG_QUERY_AWARENESS => out.push(Incoming::QueryAwareness),
            // yrs (and lib0 peers) frame unknown messages as a tag and a byte buffer.
            other => {
                r.buf()?;
                out.push(Incoming::Custom(other));
            }
        }
    }
    Ok(out)
}

fn encode(msg: Message) -> Bytes {
    Bytes::from(msg.encode_v1())
}

/// A SyncStep1 frame carrying `sv`.
pub fn encode_sync_step1(sv: StateVector) -> Bytes {
    encode(Message::Sync(SyncMessage::SyncStep1(sv)))
}

/// A SyncStep2 frame carrying the v1 update `update`.
pub fn encode_sync_step2(update: Vec<u8>) -> Bytes {
    encode(Message::Sync(SyncMessage::SyncStep2(update)))
}

/// An Update frame carrying the v1 update `update`.
pub fn encode_update(update: Vec<u8>) -> Bytes {
    encode(Message::Sync(SyncMessage::Update(update)))
}

/// An awareness frame.
pub fn encode_awareness(update: AwarenessUpdate) -> Bytes {
    encode(Message::Awareness(update))
}

/// An awareness frame of `(client, clock, JSON state)` entries (`"null"` removes a state), the
/// same bytes [`encode_awareness`] writes, without building yrs's hash map first.
pub fn encode_awareness_entries<'a>(
    entries: impl ExactSizeIterator<Item = (u64, u32, &'a str)> + Clone,
) -> Bytes {
    let text: usize = entries.clone().map(|(_, _, json)| json.len()).sum();
    let mut payload = BytesMut::with_capacity(5 + entries.len() * 20 + text);
    put_var(&mut payload, entries.len() as u64);
    for (client, clock, json) in entries {
        put_var(&mut payload, client);
        put_var(&mut payload, u64::from(clock));
        put_var(&mut payload, json.len() as u64);
        payload.put_slice(json.as_bytes());
    }
    let mut frame = BytesMut::with_capacity(payload.len() + 6);
    put_var(&mut frame, u64::from(MSG_AWARENESS));
    put_var(&mut frame, payload.len() as u64);
    frame.put_slice(&payload);
    frame.freeze()
}

/// lib0's unsigned varint.
fn put_var(out: &mut BytesMut, mut value: u64) {
    while value >= 0x80 {
        out.put_u8((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.put_u8(value as u8);
}

/// The auth "permission denied" frame the stock client reports through its `auth` handler;
/// send it, then close with [`crate::close_codes::FORBIDDEN`].
pub fn encode_permission_denied(reason: &str) -> Bytes {
    encode(Message::Auth(Some(reason.to_owned())))
}

/// A query-awareness frame.
pub fn encode_query_awareness() -> Bytes {
    encode(Message::AwarenessQuery)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, GetString, ReadTxn, Text, Transact};

    fn sample_update() -> Vec<u8> {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        let map = doc.get_or_insert_map("m");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "héllo wörld 👋");
        text.remove_range(&mut txn, 1, 2);
        use yrs::Map;
        map.insert(
            &mut txn,
            "k",
            yrs::Any::from(vec![yrs::Any::from(1.5), yrs::Any::Null, "x".into()]),
        );
        drop(txn);
        doc.transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    #[test]
    fn real_updates_validate_and_decode() {
        let u = sample_update();
        validate_update_v1(&u).unwrap();
        let decoded = decode_update(&u).unwrap();
        let doc = Doc::new();
        doc.transact_mut().apply_update(decoded).unwrap();
        let text = doc.get_or_insert_text("text");
        // yrs offsets default to UTF-8 bytes: the range removed "é".
        assert_eq!(text.get_string(&doc.transact()), "hllo wörld 👋");
        // The empty update is valid too.
        validate_update_v1(&[0, 0]).unwrap();
    }

    fn decode(frame: &[u8]) -> PResult<Vec<Incoming>> {
        decode_frame(&Bytes::copy_from_slice(frame), usize::MAX)
    }

    #[test]
    fn frames_with_several_messages_decode_in_order() {
        let u = sample_update();
        let mut frame = encode_update(u.clone()).to_vec();
        frame.extend_from_slice(&encode_query_awareness());
        frame.extend_from_slice(&encode_sync_step1(StateVector::default()));
        frame.extend_from_slice(&encode_permission_denied("no"));
        let msgs = decode(&frame).unwrap();
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs[0], Incoming::Update(Bytes::from(u)));
        assert_eq!(msgs[1], Incoming::QueryAwareness);
        assert!(matches!(&msgs[2], Incoming::SyncStep1(sv) if sv.is_empty()));
        assert_eq!(msgs[3], Incoming::Auth(Some("no".into())));
    }

    #[test]
    fn payloads_are_slices_of_the_frame() {
        let frame = encode_update(sample_update());
        let msgs = decode_frame(&frame, 1).unwrap();
        let [Incoming::Update(payload)] = &msgs[..] else {
            panic!("{msgs:?}")
        };
        assert_eq!(payload.as_ptr(), frame[3..].as_ptr(), "not copied");
    }

    #[test]
    fn a_frame_may_hold_at_most_the_limit_of_messages() {
        let one = encode_query_awareness();
        let frame: Bytes = one.repeat(8).into();
        assert_eq!(decode_frame(&frame, 8).unwrap().len(), 8);
        assert_eq!(
            decode_frame(&frame, 7),
            Err(ProtocolError::TooManyMessages { limit: 7 })
        );
        // Refused as soon as the message past the limit starts: a huge frame costs no more.
        let mut huge = one.repeat(1 << 20);
        huge.push(0xff);
        assert_eq!(
            decode_frame(&huge.into(), 64),
            Err(ProtocolError::TooManyMessages { limit: 64 })
        );
    }

    #[test]
    fn state_vectors_are_read_on_demand() {
        let sv: StateVector = [(yrs::ClientID::new(7), 3), (yrs::ClientID::new(1 << 40), 9)]
            .into_iter()
            .collect();
        let msgs = decode(&encode_sync_step1(sv.clone())).unwrap();
        let [Incoming::SyncStep1(encoded)] = &msgs[..] else {
            panic!("{msgs:?}")
        };
        assert_eq!(encoded.len(), 2);
        let mut entries: Vec<_> = encoded.entries().collect();
        entries.sort_unstable();
        assert_eq!(entries, vec![(7, 3), (1 << 40, 9)]);
        assert_eq!(encoded.decode(), sv);
    }

    #[test]
    fn awareness_entries_are_validated_and_encoded_as_yrs_does() {
        let frame = encode_awareness_entries(
            [(5u64, 2u32, r#"{"user":"ann"}"#), (9, 4, "null")].into_iter(),
        );
        let msgs = decode(&frame).unwrap();
        let [Incoming::Awareness(entries)] = &msgs[..] else {
            panic!("{msgs:?}")
        };
        let read: Vec<_> = entries.iter().collect();
        assert_eq!(read.len(), 2);
        assert_eq!((read[0].client, read[0].clock), (5, 2));
        assert!(!read[0].is_removal() && read[1].is_removal());
        // yrs reads the same bytes, and writes the same for one entry.
        let update = entries.decode();
        assert_eq!(update.clients.len(), 2);
        assert_eq!(
            encode_awareness_entries([(9u64, 4u32, "null")].into_iter()),
            encode_awareness(AwarenessUpdate {
                clients: [(
                    yrs::ClientID::new(9),
                    yrs::sync::awareness::AwarenessUpdateEntry {
                        clock: 4,
                        json: "null".into()
                    }
                )]
                .into()
            })
        );
        // A state that is not JSON is refused (peers would throw parsing it).
        let bad = encode_awareness_entries([(5u64, 1u32, "{user")].into_iter());
        assert!(matches!(decode(&bad), Err(ProtocolError::Invalid { .. })));
    }

    #[test]
    fn client_ids_past_53_bits_are_refused() {
        // yrs asserts (debug) or truncates (release) wider ids.
        let wide = 1u64 << 53;
        let mut sv = vec![MSG_SYNC, MSG_SYNC_STEP_1];
        let mut payload = BytesMut::new();
        put_var(&mut payload, 1);
        put_var(&mut payload, wide);
        put_var(&mut payload, 1);
        sv.push(payload.len() as u8);
        sv.extend_from_slice(&payload);
        assert!(matches!(decode(&sv), Err(ProtocolError::InvalidVarint(_))));
        let aw = encode_awareness_entries([(wide, 1u32, "{}")].into_iter());
        assert!(decode(&aw).is_err());
        let ok = encode_awareness_entries([(wide - 1, 1u32, "{}")].into_iter());
        assert!(decode(&ok).is_ok());
        // An update whose only client is too wide.
        let mut u = BytesMut::new();
        put_var(&mut u, 1); // one client
        put_var(&mut u, 1); // one block
        put_var(&mut u, wide);
        put_var(&mut u, 0); // clock
        u.put_slice(&[0, 1, 0]); // a GC block of length 1, empty delete set
        assert!(matches!(
            validate_update_v1(&u),
            Err(ProtocolError::InvalidVarint(_))
        ));
    }

    #[test]
    fn hostile_length_prefixes_are_rejected_before_allocating() {
        // Awareness update claiming ~250M clients.
        let mut frame = vec![MSG_AWARENESS, 4, 0xff, 0xff, 0xff, 0x7a];
        assert!(decode(&frame).is_err());
        // State vector claiming u32::MAX entries.
        frame = vec![MSG_SYNC, MSG_SYNC_STEP_1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            decode(&frame),
            Err(ProtocolError::LengthOverflow { .. })
        ));
        // Update claiming many clients / blocks.
        assert!(validate_update_v1(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(validate_update_v1(&[1, 0xff, 0xff, 0xff, 0x0f, 1, 0]).is_err());
        // Outer buffer length past the frame.
        assert!(decode(&[MSG_SYNC, MSG_SYNC_UPDATE, 0xff, 0xff, 0x03, 0]).is_err());
    }

    #[test]
    fn deep_nesting_and_overflows_are_rejected() {
        // An Any-content block nested 10k arrays deep.
        let mut u = vec![1, 1, 5, 0, 0x08, 1, 1, b't', 1];
        u.extend(std::iter::repeat_n([117u8, 1], 10_000).flatten());
        u.push(126);
        u.extend([0]);
        assert_eq!(validate_update_v1(&u), Err(ProtocolError::TooDeep));
        // Over-long varints.
        assert!(matches!(
            Reader::new(&[0xff; 12]).var(64),
            Err(ProtocolError::InvalidVarint(0))
        ));
        assert!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x10])
                .var_u32()
                .is_err()
        );
        assert_eq!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]).var_u32(),
            Ok(u32::MAX)
        );
        assert!(Reader::new(&[0xff; 11]).var_i64().is_err());
        // A delete range whose end overflows u32.
        let ds = [0, 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 2];
        assert!(validate_update_v1(&ds).is_err());
    }
}
