//! A client of the app event socket (`/api/v1/events`) for tests: connect (optionally resuming),
//! wait for frames of a type, and collect what arrived before a sentinel.
//!
//! Negative checks ("this socket never got that event") wait for a later sentinel event the
//! socket may see instead of sleeping: the server sends events in log order, so anything that
//! was going to arrive before the sentinel has arrived when it does.

use std::time::Duration;

use atrium_client::wire::EventFrame;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::TestServer;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for an expected frame.
const WAIT: Duration = Duration::from_secs(15);

/// One frame of the event socket.
#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<i64>,
    pub kind: String,
    pub data: Value,
}

impl Frame {
    /// Parses a frame the server sent, which must be exactly a documented
    /// [`EventFrame`]: it deserialises as one and serialises back to the same JSON. So every
    /// test that reads the socket also checks that no event's data has a field its wire type
    /// (and with it the OpenAPI document and the browser app's generated types) lacks, misses
    /// one, or carries it with another type, and that no frame has an undocumented `type`.
    fn parse(text: &str) -> Self {
        let value: Value = serde_json::from_str(text).expect("JSON frame");
        let typed: EventFrame = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("not a documented EventFrame ({e}): {text}"));
        let again = serde_json::to_value(&typed).expect("a typed frame serialises");
        assert_eq!(again, value, "the frame differs from its wire type: {text}");
        Self {
            id: value["id"].as_i64(),
            kind: value["type"].as_str().unwrap_or_default().to_owned(),
            data: value["data"].clone(),
        }
    }

    /// `data.id` as a string (the message, channel or notification id).
    pub fn data_id(&self) -> &str {
        self.data["id"].as_str().unwrap_or_default()
    }
}

/// An open event socket.
pub struct EventSocket {
    stream: Stream,
    /// The `hello` frame's data.
    pub hello: Value,
    /// The highest event id received.
    pub last_id: i64,
}

impl EventSocket {
    /// Connects with `token` and waits for `hello`.
    pub async fn connect(server: &TestServer, token: &str) -> Self {
        Self::connect_with(server, token, None).await
    }

    /// Connects, resuming after `last_event_id` when given.
    pub async fn connect_with(
        server: &TestServer,
        token: &str,
        last_event_id: Option<i64>,
    ) -> Self {
        let base = server.url().replacen("http", "ws", 1);
        let mut url = format!("{base}/api/v1/events?token={token}");
        if let Some(last) = last_event_id {
            url.push_str(&format!("&last_event_id={last}"));
        }
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("event socket connects");
        let mut socket = Self {
            stream,
            hello: Value::Null,
            last_id: last_event_id.unwrap_or(0),
        };
        let hello = socket.next().await;
        assert_eq!(hello.kind, "hello", "first frame: {hello:?}");
        socket.hello = hello.data;
        if last_event_id.is_none() {
            socket.last_id = socket.hello["last_event_id"].as_i64().unwrap_or(0);
        }
        socket
    }

    /// The next frame (pings are answered by the library); panics after the wait.
    pub async fn next(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("an event frame within the wait")
                .expect("the socket is open")
                .expect("a valid frame");
            match message {
                Message::Text(text) => {
                    let frame = Frame::parse(&text);
                    if let Some(id) = frame.id {
                        assert!(
                            id > self.last_id || self.last_id == 0,
                            "event ids go up: {id} after {}",
                            self.last_id
                        );
                        self.last_id = id;
                    }
                    return frame;
                }
                Message::Close(frame) => panic!("the server closed the socket: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Every frame until the server closes the socket, and the close code.
    pub async fn until_closed(&mut self) -> (Vec<Frame>, Option<u16>) {
        let mut frames = Vec::new();
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("frames or a close within the wait");
            match message {
                Some(Ok(Message::Text(text))) => frames.push(Frame::parse(&text)),
                Some(Ok(Message::Close(frame))) => {
                    return (frames, frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (frames, None),
            }
        }
    }

    /// Frames until one of `kind` matching `pred`; returns it.
    pub async fn expect(&mut self, kind: &str, pred: impl Fn(&Frame) -> bool) -> Frame {
        loop {
            let frame = self.next().await;
            if frame.kind == kind && pred(&frame) {
                return frame;
            }
        }
    }

    /// Every frame up to and including the first of `kind` matching `pred`.
    pub async fn until(&mut self, kind: &str, pred: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        let mut frames = Vec::new();
        loop {
            let frame = self.next().await;
            let done = frame.kind == kind && pred(&frame);
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// Sends a client frame.
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send a client frame");
    }

    /// Sends any WebSocket message (junk, binary, oversized); the error if the socket is gone.
    pub async fn send_message(
        &mut self,
        message: Message,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.stream.send(message).await
    }

    /// Queues a message without flushing (for floods; [`Self::send_message`] flushes).
    pub async fn feed_message(
        &mut self,
        message: Message,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.stream.feed(message).await
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// Whether any of `frames` mentions `needle` anywhere in its data.
pub fn any_mentions(frames: &[Frame], needle: &str) -> bool {
    frames.iter().any(|f| f.data.to_string().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::Frame;

    #[test]
    fn frames_must_be_exactly_their_documented_type() {
        let read = r#"{"id":3,"type":"read.updated","data":{"channel_id":"c","thread_id":null,"message_id":"m"}}"#;
        assert_eq!(Frame::parse(read).kind, "read.updated");
        assert_eq!(Frame::parse(r#"{"type":"pong"}"#).id, None);
        for drifted in [
            // A field the wire type lacks, one it has missing, one of another type.
            r#"{"id":3,"type":"read.updated","data":{"channel_id":"c","thread_id":null,"message_id":"m","extra":1}}"#,
            r#"{"id":3,"type":"read.updated","data":{"channel_id":"c","thread_id":null}}"#,
            r#"{"id":3,"type":"read.updated","data":{"channel_id":"c","thread_id":null,"message_id":7}}"#,
            // A type no one documented.
            r#"{"type":"read.moved","data":{}}"#,
        ] {
            assert!(
                std::panic::catch_unwind(|| Frame::parse(drifted)).is_err(),
                "accepted {drifted}"
            );
        }
    }
}
