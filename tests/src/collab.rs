//! Raw `/collab/{doc}` sockets, for tests that speak the y-websocket protocol frame by frame.

use std::time::Duration;

use futures::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;

use crate::TestServer;

/// A client's WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for the server's next frame before it fails.
const WAIT: Duration = Duration::from_secs(10);

/// Opens `/collab/{doc}` with `?token=` (nothing read yet).
pub async fn connect(server: &TestServer, doc: &str, token: &str) -> Socket {
    let url = format!(
        "{}/collab/{doc}?token={token}",
        server.url().replace("http://", "ws://")
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next binary frame, or the close frame's code (`None` when the connection ended without
/// one); panics when the server says nothing for 10 s.
pub async fn next_binary(socket: &mut Socket) -> Result<Vec<u8>, Option<u16>> {
    loop {
        match tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("the server answers")
        {
            Some(Ok(Message::Binary(bytes))) => return Ok(bytes.to_vec()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| f.code.into())),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}
