//! WebSocket helpers shared by the collaboration and event sockets.

use axum::extract::ws::{CloseFrame, Message, WebSocket};

/// How long a closing socket waits for the client's own close frame.
const CLOSE_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(2);

/// Sends a close frame and waits (briefly) for the client's close, discarding what it sent
/// meanwhile. Dropping the socket at once would reset the TCP connection while the client's
/// frames are unread, and the client would see 1006 instead of the code — a client then
/// retries forever where the code said not to.
pub async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}
