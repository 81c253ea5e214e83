//! WebSocket close codes the hub asks the server to close a connection with.
//!
//! They live in the private-use range 4000–4999 and mirror HTTP status codes so they read
//! naturally in logs. The stock y-websocket client (3.x) treats 4400–4499 as permanent and stops
//! reconnecting, and reconnects after anything else, then resyncs (it sends its state vector and
//! receives what it misses). So the 44xx codes are kept for what retrying cannot fix (a
//! malformed or oversized message, no access), and every transient condition uses 45xx: nothing
//! is lost, only re-sent.

/// The client sent a frame that is not valid y-websocket protocol (truncated varint, length
/// prefix past the end of the frame, unknown sync message, malformed Yjs update…).
pub const PROTOCOL_ERROR: u16 = 4400;
/// The session or token the connection was opened with was revoked (log-out, password reset,
/// token revocation): the user must log in again.
pub const SESSION_ENDED: u16 = 4401;
/// The connection may not access the document (sent after the auth-denied message).
pub const FORBIDDEN: u16 = 4403;
/// The document was moved to the trash (or is in it): not a loss of access — the client may
/// say so, offer to restore it and reconnect once it is restored.
pub const IN_TRASH: u16 = 4410;
/// The client does not read its socket fast enough: its send queue filled up. It is closed
/// rather than skipped over, so it never misses an update silently; it resyncs on reconnect.
pub const SLOW_CONSUMER: u16 = 4508;
/// The room was reset because a write failed or an update could not be integrated; the client
/// should reconnect, which reloads the room from the database and resyncs.
pub const ROOM_RESET: u16 = 4509;
/// A single frame exceeded the maximum message size, or an awareness state its size limit.
pub const MESSAGE_TOO_LARGE: u16 = 4413;
/// Applying the client's update would make the document exceed the maximum document size.
pub const DOCUMENT_TOO_LARGE: u16 = 4414;
/// The user's access to the document changed while connected (e.g. lowered from editor to
/// viewer), or could not be checked again: reconnecting continues with the access they have now.
pub const ACCESS_CHANGED: u16 = 4510;
/// The client sent document updates faster than the per-connection rate limit.
pub const RATE_LIMITED: u16 = 4529;
/// The client's update could not be written to the database; it was not acknowledged and the
/// client will send it again when it resyncs.
pub const STORAGE_FAILURE: u16 = 4500;
/// The server is shutting down; every room was flushed first.
pub const SHUTTING_DOWN: u16 = 4503;

/// A short, stable reason text for a close code (sent as the close frame's reason).
pub fn reason(code: u16) -> &'static str {
    match code {
        PROTOCOL_ERROR => "protocol error",
        SESSION_ENDED => "session ended",
        FORBIDDEN => "forbidden",
        IN_TRASH => "in trash",
        SLOW_CONSUMER => "slow consumer",
        ROOM_RESET => "room reset",
        ACCESS_CHANGED => "access changed",
        MESSAGE_TOO_LARGE => "message too large",
        DOCUMENT_TOO_LARGE => "document too large",
        RATE_LIMITED => "rate limited",
        STORAGE_FAILURE => "storage failure",
        SHUTTING_DOWN => "server shutting down",
        _ => "closed",
    }
}
