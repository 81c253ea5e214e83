//! The hub's limits and timings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A source of wall-clock milliseconds. Awareness expiry reads it, so tests can move time
/// forward instead of sleeping.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock (milliseconds since the Unix epoch).
    pub fn system() -> Self {
        Self(Arc::new(|| {
            u64::try_from(crate::store::now_ms()).unwrap_or_default()
        }))
    }

    /// A clock reading `f`.
    pub fn from_fn(f: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The current time in milliseconds.
    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// A token bucket: `per_second` sustained, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket capacity.
    pub burst: f64,
}

/// Limits and timings of a [`crate::Hub`]. `Default` gives production values.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Largest incoming frame; bigger ones close the connection with
    /// [`crate::close_codes::MESSAGE_TOO_LARGE`].
    pub max_message_size: usize,
    /// Most protocol messages in one incoming frame (the stock client sends one per frame); a
    /// frame with more is refused whole, before any of it is answered, and closes the
    /// connection with [`crate::close_codes::PROTOCOL_ERROR`].
    pub max_frame_messages: usize,
    /// Largest document (approximated by its stored size: snapshot plus log); an update that
    /// would pass it closes its sender with [`crate::close_codes::DOCUMENT_TOO_LARGE`].
    pub max_document_size: usize,
    /// Document updates per connection; past it the connection is closed with
    /// [`crate::close_codes::RATE_LIMITED`] (dropping an update instead would leave a gap).
    pub update_rate: Rate,
    /// Awareness messages per connection; past it they are dropped (presence is lossy and the
    /// client renews it every 15 s).
    pub awareness_rate: Rate,
    /// SyncStep1 messages (state requests, each answered with up to the whole document) per
    /// connection; past it the connection is closed with
    /// [`crate::close_codes::RATE_LIMITED`] (the stock client sends one per connection, and
    /// resyncs when it reconnects).
    pub sync_request_rate: Rate,
    /// QueryAwareness messages per connection; past it they go unanswered.
    pub awareness_query_rate: Rate,
    /// Largest awareness state (JSON) of one client.
    pub max_awareness_state: usize,
    /// How many awareness client ids one connection may own (a tab normally owns one).
    pub max_awareness_clients: usize,
    /// Awareness states not renewed for this long are removed (y-protocols uses 30 s).
    pub awareness_timeout: Duration,
    /// How often rooms are swept for expired awareness and idleness.
    pub maintenance_interval: Duration,
    /// A room with no connection for this long is flushed and unloaded.
    pub room_idle_timeout: Duration,
    /// Bytes queued per connection behind the frame being written (each frame charged its
    /// length plus [`crate::queue::FRAME_OVERHEAD`], see [`crate::SendBudget`]); a consumer
    /// that lets it fill is disconnected with [`crate::close_codes::SLOW_CONSUMER`]. The frame
    /// being written is not charged, and one frame of any size is taken while nothing is
    /// charged, so a joiner of a document larger than this still gets it.
    pub send_queue_bytes: usize,
    /// Most updates committed in one transaction.
    pub max_commit_batch: usize,
    /// Under load, group commits start at most this often: updates arriving within the
    /// interval after a commit started wait for the next one, so one transaction (and one
    /// fsync) serves many. An update after a quiet period is committed at once. Peers receive
    /// updates before they are committed; only the sender's durable echo (and an HTTP update)
    /// waits, by at most this much. Zero commits whatever has arrived as soon as the previous
    /// commit ends.
    pub commit_interval: Duration,
    /// Compact a document when its log holds this many updates…
    pub compact_after_updates: u64,
    /// …or this many bytes.
    pub compact_after_bytes: u64,
    /// A [`crate::DocChange`] is reported when a document has had no edit for this long
    /// (a debounce), and each report reads the document as it is then. A report due within
    /// half the period of another one is sent with it (so it may come up to half the period
    /// early), which batches documents edited at the same time into one change-feed write.
    pub change_debounce: Duration,
    /// …but a document edited without a pause is still reported this long after the first
    /// edit not yet reported (so constant editing reports too).
    pub change_max_wait: Duration,
    /// With peers (other nodes, see [`crate::peers`]): how often the heads of the open
    /// documents are compared with the database, which bounds how late a node is when
    /// messages between nodes are lost.
    pub peer_sync_interval: Duration,
    /// How long a gap in the log (entries committed by another node and not yet received) may
    /// stay open before the room reads it from the database: the peer's message is usually
    /// just behind.
    pub gap_wait: Duration,
    /// Committed ranges are published with their updates when these are at most this many
    /// bytes together; larger ones are read from the database by the receivers.
    pub relay_inline_bytes: usize,
    /// How long a node may hold a document's compaction lease; a node that stopped while
    /// holding it delays the next compaction by at most this.
    pub compaction_lease: Duration,
    /// Time source for awareness.
    pub clock: Clock,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            max_message_size: 8 << 20,
            max_frame_messages: 64,
            max_document_size: 64 << 20,
            update_rate: Rate {
                per_second: 100.0,
                burst: 500.0,
            },
            awareness_rate: Rate {
                per_second: 30.0,
                burst: 60.0,
            },
            sync_request_rate: Rate {
                per_second: 1.0,
                burst: 10.0,
            },
            awareness_query_rate: Rate {
                per_second: 1.0,
                burst: 10.0,
            },
            max_awareness_state: 16 << 10,
            max_awareness_clients: 4,
            awareness_timeout: Duration::from_secs(30),
            maintenance_interval: Duration::from_secs(5),
            room_idle_timeout: Duration::from_secs(30),
            send_queue_bytes: 16 << 20,
            max_commit_batch: 1000,
            commit_interval: Duration::from_millis(5),
            compact_after_updates: 2000,
            compact_after_bytes: 4 << 20,
            change_debounce: Duration::from_secs(2),
            change_max_wait: Duration::from_secs(10),
            peer_sync_interval: Duration::from_secs(1),
            gap_wait: Duration::from_millis(100),
            relay_inline_bytes: 64 << 10,
            compaction_lease: Duration::from_secs(60),
            clock: Clock::system(),
        }
    }
}

/// A token bucket instance.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: Rate,
    tokens: f64,
    last: std::time::Instant,
}

impl Bucket {
    pub(crate) fn new(rate: Rate) -> Self {
        Self {
            rate,
            tokens: rate.burst,
            last: std::time::Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub(crate) fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
