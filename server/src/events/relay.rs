//! Fan-out between nodes through Redis pub/sub (`ATRIUM_REDIS_URL`).
//!
//! Logged events need no relay for correctness: every node's dispatcher reads the shared event
//! log, and polls it every second. The relay makes that immediate — a node that commits events
//! publishes a wake-up, and every other node reads the log at once — and carries the ephemeral
//! events (typing, presence), which exist nowhere else, and each node's presence table (see
//! [`super::presence`]). Messages carry the sending node's id so a node ignores its own. When
//! Redis is unreachable, nodes fall back to polling (and typing and presence stay local) and
//! reconnect with back-off.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::presence::NodeStatus;
use super::{Audience, Delivery, Events};

/// The Redis channel all nodes publish to.
const CHANNEL: &str = "atrium:events";
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How often each node sends its whole presence table (well inside `presence::REMOTE_TTL`).
const PRESENCE_TABLE_EVERY: Duration = Duration::from_secs(10);

/// What goes over the wire between nodes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: String,
    #[serde(flatten)]
    body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Body {
    /// New events are in the log.
    Wake,
    /// An event that is not logged.
    Ephemeral {
        org_id: String,
        audience: String,
        target: String,
        #[serde(rename = "type")]
        kind: String,
        data: serde_json::Value,
        except_user: Option<String>,
    },
    /// A user's status on the sending node changed.
    Presence { user_id: String, status: NodeStatus },
    /// The sending node's whole presence table.
    PresenceTable { users: HashMap<String, NodeStatus> },
    /// A node that just started asks the others for their tables.
    PresenceWanted,
}

/// This node's side of the relay.
#[derive(Debug, Clone)]
pub struct Relay {
    node: String,
    outbox: mpsc::UnboundedSender<String>,
}

impl Relay {
    /// Connects to Redis in the background: publishing and subscribing tasks that stop with
    /// `stop`.
    pub fn start(client: redis::Client, events: Events, stop: CancellationToken) -> Self {
        let node = uuid::Uuid::now_v7().to_string();
        let (outbox, queue) = mpsc::unbounded_channel();
        tokio::spawn(publish(client.clone(), queue, stop.clone()));
        let relay = Self { node, outbox };
        tokio::spawn(subscribe(
            client,
            relay.clone(),
            events.clone(),
            stop.clone(),
        ));
        tokio::spawn(keep_presence(relay.clone(), events, stop));
        relay
    }

    /// Tells the other nodes a user's status on this node.
    pub fn presence(&self, user_id: &str, status: NodeStatus) {
        self.send(Body::Presence {
            user_id: user_id.to_owned(),
            status,
        });
    }

    /// Tells the other nodes to read the log.
    pub fn wake(&self) {
        self.send(Body::Wake);
    }

    /// Passes an ephemeral event to the other nodes.
    pub fn ephemeral(
        &self,
        org_id: &str,
        audience: &Audience,
        kind: &str,
        data: &serde_json::Value,
        except_user: Option<&str>,
    ) {
        self.send(Body::Ephemeral {
            org_id: org_id.to_owned(),
            audience: audience.kind().to_owned(),
            target: audience.target().to_owned(),
            kind: kind.to_owned(),
            data: data.clone(),
            except_user: except_user.map(str::to_owned),
        });
    }

    fn send(&self, body: Body) {
        let envelope = Envelope {
            node: self.node.clone(),
            body,
        };
        if let Ok(text) = serde_json::to_string(&envelope) {
            let _ = self.outbox.send(text);
        }
    }
}

async fn publish(
    client: redis::Client,
    mut queue: mpsc::UnboundedReceiver<String>,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    'connect: loop {
        let mut connection = tokio::select! {
            connected = client.get_multiplexed_async_connection() => match connected {
                Ok(connection) => connection,
                Err(error) => {
                    tracing::warn!(%error, "cannot reach Redis to publish events; retrying");
                    if sleep_or_stop(&mut backoff, &stop).await { return; }
                    continue 'connect;
                }
            },
            () = stop.cancelled() => return,
        };
        backoff = Duration::from_millis(100);
        loop {
            let text = tokio::select! {
                next = queue.recv() => match next { Some(text) => text, None => return },
                () = stop.cancelled() => return,
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(&text)
                .query_async(&mut connection)
                .await;
            if let Err(error) = sent {
                // Dropped: other nodes still get logged events by polling.
                tracing::warn!(%error, "cannot publish to Redis; reconnecting");
                continue 'connect;
            }
        }
    }
}

/// Sends this node's presence table periodically, and forgets nodes that went quiet, telling
/// this node's sockets about their users.
async fn keep_presence(relay: Relay, events: Events, stop: CancellationToken) {
    loop {
        relay.send(Body::PresenceTable {
            users: events.presence().local_table(),
        });
        for lapsed in events.presence().forget_quiet_nodes(None) {
            events.announce_lapsed(&lapsed);
        }
        tokio::select! {
            () = tokio::time::sleep(PRESENCE_TABLE_EVERY) => {}
            () = stop.cancelled() => return,
        }
    }
}

async fn subscribe(client: redis::Client, relay: Relay, events: Events, stop: CancellationToken) {
    let node = relay.node.clone();
    let mut backoff = Duration::from_millis(100);
    loop {
        let pubsub = tokio::select! {
            connected = client.get_async_pubsub() => connected,
            () = stop.cancelled() => return,
        };
        let mut pubsub = match pubsub {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "cannot reach Redis to receive events; retrying");
                if sleep_or_stop(&mut backoff, &stop).await {
                    return;
                }
                continue;
            }
        };
        if let Err(error) = pubsub.subscribe(CHANNEL).await {
            tracing::warn!(%error, "cannot subscribe to Redis; retrying");
            if sleep_or_stop(&mut backoff, &stop).await {
                return;
            }
            continue;
        }
        tracing::info!("receiving events of other nodes through Redis");
        backoff = Duration::from_millis(100);
        // Whatever was published while we were away is in the log; presence is asked afresh.
        events.committed_locally();
        relay.send(Body::PresenceWanted);
        let mut messages = pubsub.into_on_message();
        loop {
            let message = tokio::select! {
                message = messages.next() => message,
                () = stop.cancelled() => return,
            };
            let Some(message) = message else {
                tracing::warn!("lost the Redis subscription; reconnecting");
                break;
            };
            let Ok(envelope) = serde_json::from_slice::<Envelope>(message.get_payload_bytes())
            else {
                continue;
            };
            if envelope.node == node {
                continue;
            }
            match envelope.body {
                Body::Wake => events.committed_locally(),
                Body::Ephemeral {
                    org_id,
                    audience,
                    target,
                    kind,
                    data,
                    except_user,
                } => {
                    if let Some(audience) = Audience::parse(&audience, target) {
                        events.deliver_locally(Delivery::ephemeral(
                            &org_id,
                            audience,
                            &kind,
                            data,
                            except_user,
                        ));
                    }
                }
                Body::Presence { user_id, status } => {
                    events
                        .presence()
                        .remote_change(&envelope.node, &user_id, status);
                }
                Body::PresenceTable { users } => {
                    events.presence().remote_table(&envelope.node, users);
                }
                Body::PresenceWanted => relay.send(Body::PresenceTable {
                    users: events.presence().local_table(),
                }),
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
