//! App event sockets for benchmarks.

use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// An open `/api/v1/events` socket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/api/v1/events` and waits for `hello`.
pub async fn connect_events(base: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!(
        "{}/api/v1/events?token={token}",
        base.replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no hello within 30 s")?
        {
            Some(Ok(WsMessage::Text(text))) if text.contains(r#""type":"hello""#) => {
                return Ok(socket);
            }
            Some(Ok(WsMessage::Close(frame))) => bail!("closed before hello: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("closed before hello"),
        }
    }
}
