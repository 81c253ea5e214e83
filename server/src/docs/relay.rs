//! Collaborative documents across nodes: the collab hub's [`Peers`] over Redis pub/sub
//! (`ATRIUM_REDIS_URL`).
//!
//! The database's update log is the truth (see `atrium_collab::peers`): this link only makes
//! other nodes know sooner. After a commit the hub publishes each document's committed range
//! (with the updates when small); a node holding the document applies it in order, and reads
//! from the database whatever it lacks. Awareness (presence) goes the same way and is never
//! stored. When Redis is unreachable each node keeps serving its own sockets, messages are
//! dropped (the send queue is bounded) and the hub's once-a-second head comparison carries the
//! documents over; after every (re)subscription the heads are compared at once, since what was
//! published meanwhile is lost.
//!
//! One channel, `atrium:docs`, binary messages (documents' updates are bytes; JSON would
//! double them). Every message starts with the sender's node id, so a node ignores its own:
//!
//! ```text
//! kind u8 | node: len u8, bytes | doc: len u16 (big endian), bytes | body
//! kind 1, a committed range: from i64 | to i64 | count u32 (u32::MAX: no updates) |
//!         count × (len u32 | update)
//! kind 2, awareness: the y-websocket awareness frame
//! kind 3, a node loaded the document: nodes holding it answer with their clients' awareness
//! ```
//!
//! # Layout
//!
//! - [`DocRelay`]: the hub's [`Peers`], queueing messages for the publishing task.
//! - `publish` / `subscribe`: the tasks, each reconnecting with back-off.
//! - `Message`: encoding and (hostile-input safe) decoding.

use std::sync::Arc;
use std::time::Duration;

use atrium_collab::{CommittedRange, Hub, Peers};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The Redis channel of document messages.
const CHANNEL: &str = "atrium:docs";
/// Longest wait between reconnection attempts: short, since documents converge through the
/// database meanwhile but live delivery waits for it.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Messages waiting to be published; past it new ones are dropped (receivers catch up from the
/// database).
const QUEUE: usize = 10_000;

const RANGE: u8 = 1;
const AWARENESS: u8 = 2;
const AWARENESS_WANTED: u8 = 3;
/// `count` of a range published without its updates.
const NO_UPDATES: u32 = u32::MAX;

/// A message between nodes about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Message {
    Range(CommittedRange),
    Awareness { doc_id: String, frame: Bytes },
    AwarenessWanted { doc_id: String },
}

impl Message {
    fn doc_id(&self) -> &str {
        match self {
            Self::Range(r) => &r.doc_id,
            Self::Awareness { doc_id, .. } | Self::AwarenessWanted { doc_id } => doc_id,
        }
    }

    /// The bytes published for this message from `node`; `None` when an id is too long for
    /// its length prefix (never for the ids the server makes).
    fn encode(&self, node: &str) -> Option<Vec<u8>> {
        let kind = match self {
            Self::Range(_) => RANGE,
            Self::Awareness { .. } => AWARENESS,
            Self::AwarenessWanted { .. } => AWARENESS_WANTED,
        };
        let doc = self.doc_id().as_bytes();
        let mut out = Vec::with_capacity(64);
        out.push(kind);
        out.push(u8::try_from(node.len()).ok()?);
        out.extend_from_slice(node.as_bytes());
        out.extend_from_slice(&u16::try_from(doc.len()).ok()?.to_be_bytes());
        out.extend_from_slice(doc);
        match self {
            Self::Range(r) => {
                out.extend_from_slice(&r.from.to_be_bytes());
                out.extend_from_slice(&r.to.to_be_bytes());
                match &r.updates {
                    Some(updates) => {
                        out.extend_from_slice(&u32::try_from(updates.len()).ok()?.to_be_bytes());
                        for u in updates {
                            out.extend_from_slice(&u32::try_from(u.len()).ok()?.to_be_bytes());
                            out.extend_from_slice(u);
                        }
                    }
                    None => out.extend_from_slice(&NO_UPDATES.to_be_bytes()),
                }
            }
            Self::Awareness { frame, .. } => out.extend_from_slice(frame),
            Self::AwarenessWanted { .. } => {}
        }
        Some(out)
    }

    /// The sender's node id and the message; `None` for anything malformed.
    fn decode(bytes: &[u8]) -> Option<(String, Self)> {
        let mut r = Reader(bytes);
        let kind = r.u8()?;
        let node_len = usize::from(r.u8()?);
        let node = String::from_utf8(r.take(node_len)?.to_vec()).ok()?;
        let doc_len = usize::from(u16::from_be_bytes(r.take(2)?.try_into().ok()?));
        let doc_id = String::from_utf8(r.take(doc_len)?.to_vec()).ok()?;
        let message = match kind {
            RANGE => {
                let from = i64::from_be_bytes(r.take(8)?.try_into().ok()?);
                let to = i64::from_be_bytes(r.take(8)?.try_into().ok()?);
                let count = r.u32()?;
                let updates = if count == NO_UPDATES {
                    None
                } else {
                    // Each update takes at least its 4-byte length: a count beyond what the
                    // message holds is refused before anything is allocated for it.
                    if usize::try_from(count).ok()? > r.0.len() / 4 {
                        return None;
                    }
                    let mut updates = Vec::with_capacity(count as usize);
                    for _ in 0..count {
                        let len = usize::try_from(r.u32()?).ok()?;
                        updates.push(Bytes::copy_from_slice(r.take(len)?));
                    }
                    Some(updates)
                };
                if !r.0.is_empty() {
                    return None;
                }
                Self::Range(CommittedRange {
                    doc_id: Arc::from(doc_id),
                    from,
                    to,
                    updates,
                })
            }
            AWARENESS => Self::Awareness {
                doc_id,
                frame: Bytes::copy_from_slice(r.0),
            },
            AWARENESS_WANTED if r.0.is_empty() => Self::AwarenessWanted { doc_id },
            _ => return None,
        };
        Some((node, message))
    }
}

/// A cursor over a message's bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// This node's side of the document relay: the hub's [`Peers`].
#[derive(Debug, Clone)]
pub struct DocRelay {
    node: String,
    outbox: mpsc::Sender<Vec<u8>>,
}

impl DocRelay {
    /// Connects `hub` to the other nodes through Redis: publishing and subscribing tasks that
    /// stop with `stop`, and the hub's periodic head comparison.
    pub fn start(client: redis::Client, hub: Hub, stop: CancellationToken) -> Self {
        let node = hub.node_id().to_owned();
        let (outbox, queue) = mpsc::channel(QUEUE);
        tokio::spawn(publish(client.clone(), queue, stop.clone()));
        let relay = Self { node, outbox };
        tokio::spawn(subscribe(client, relay.clone(), hub.clone(), stop));
        hub.set_peers(Arc::new(relay.clone()));
        relay
    }

    fn send(&self, message: &Message) {
        if let Some(bytes) = message.encode(&self.node) {
            if self.outbox.try_send(bytes).is_err() {
                metrics::counter!("atrium_collab_relay_dropped_total").increment(1);
            }
        }
    }
}

impl Peers for DocRelay {
    fn publish_range(&self, range: CommittedRange) {
        self.send(&Message::Range(range));
    }

    fn publish_awareness(&self, doc_id: &str, frame: &Bytes) {
        self.send(&Message::Awareness {
            doc_id: doc_id.to_owned(),
            frame: frame.clone(),
        });
    }

    fn room_loaded(&self, doc_id: &str) {
        self.send(&Message::AwarenessWanted {
            doc_id: doc_id.to_owned(),
        });
    }
}

async fn publish(
    client: redis::Client,
    mut queue: mpsc::Receiver<Vec<u8>>,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    'connect: loop {
        let mut connection = tokio::select! {
            connected = client.get_multiplexed_async_connection() => match connected {
                Ok(connection) => connection,
                Err(error) => {
                    tracing::warn!(%error, "cannot reach Redis to publish document updates; retrying");
                    // What queued meanwhile is stale: receivers read the database instead.
                    while queue.try_recv().is_ok() {}
                    if sleep_or_stop(&mut backoff, &stop).await { return; }
                    continue 'connect;
                }
            },
            () = stop.cancelled() => return,
        };
        backoff = Duration::from_millis(100);
        loop {
            let bytes = tokio::select! {
                next = queue.recv() => match next { Some(bytes) => bytes, None => return },
                () = stop.cancelled() => return,
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(&bytes)
                .query_async(&mut connection)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, "cannot publish document updates to Redis; reconnecting");
                continue 'connect;
            }
        }
    }
}

async fn subscribe(client: redis::Client, relay: DocRelay, hub: Hub, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let pubsub = tokio::select! {
            connected = client.get_async_pubsub() => connected,
            () = stop.cancelled() => return,
        };
        let mut pubsub = match pubsub {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "cannot reach Redis to receive document updates; retrying");
                if sleep_or_stop(&mut backoff, &stop).await {
                    return;
                }
                continue;
            }
        };
        if let Err(error) = pubsub.subscribe(CHANNEL).await {
            tracing::warn!(%error, "cannot subscribe to document updates; retrying");
            if sleep_or_stop(&mut backoff, &stop).await {
                return;
            }
            continue;
        }
        tracing::info!("receiving document updates of other nodes through Redis");
        backoff = Duration::from_millis(100);
        // What was published while this node was not subscribed is lost: compare heads now.
        let resync = hub.clone();
        tokio::spawn(async move { resync.sync_heads().await });
        let mut messages = pubsub.into_on_message();
        loop {
            let message = tokio::select! {
                message = messages.next() => message,
                () = stop.cancelled() => return,
            };
            let Some(message) = message else {
                tracing::warn!("lost the Redis subscription for document updates; reconnecting");
                break;
            };
            let Some((node, message)) = Message::decode(message.get_payload_bytes()) else {
                continue;
            };
            if node == relay.node {
                continue;
            }
            match message {
                Message::Range(range) => hub.receive_range(range),
                Message::Awareness { doc_id, frame } => hub.receive_awareness(&doc_id, &frame),
                Message::AwarenessWanted { doc_id } => {
                    if let Some(frame) = hub.local_awareness(&doc_id) {
                        relay.publish_awareness(&doc_id, &frame);
                    }
                }
            }
        }
    }
}

/// Sleeps for the back-off (doubling it); true when stopped meanwhile.
async fn sleep_or_stop(backoff: &mut Duration, stop: &CancellationToken) -> bool {
    let wait = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        () = stop.cancelled() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_malformed_ones_are_refused() {
        let messages = [
            Message::Range(CommittedRange {
                doc_id: Arc::from("doc-1"),
                from: 7,
                to: 9,
                updates: Some(vec![
                    Bytes::from_static(b"a"),
                    Bytes::new(),
                    Bytes::from_static(b"ccc"),
                ]),
            }),
            Message::Range(CommittedRange {
                doc_id: Arc::from("doc-1"),
                from: 10,
                to: 400,
                updates: None,
            }),
            Message::Awareness {
                doc_id: "d".into(),
                frame: Bytes::from_static(&[1, 2, 3]),
            },
            Message::AwarenessWanted { doc_id: "d".into() },
        ];
        for message in messages {
            let bytes = message.encode("node-a").unwrap();
            assert_eq!(
                Message::decode(&bytes),
                Some(("node-a".to_owned(), message.clone()))
            );
            // Every truncation of a range is refused (awareness frames are opaque here).
            if matches!(message, Message::Range(_)) {
                for cut in 0..bytes.len() {
                    assert_eq!(Message::decode(&bytes[..cut]), None, "cut at {cut}");
                }
            }
        }
        // A count far beyond the bytes is refused without allocating for it.
        let mut huge = Message::Range(CommittedRange {
            doc_id: Arc::from("d"),
            from: 1,
            to: 1,
            updates: Some(Vec::new()),
        })
        .encode("n")
        .unwrap();
        let at = huge.len() - 4;
        huge[at..].copy_from_slice(&(u32::MAX - 1).to_be_bytes());
        assert_eq!(Message::decode(&huge), None);
        assert_eq!(Message::decode(&[9, 0, 0, 0]), None);
    }
}
