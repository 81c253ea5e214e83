//! Metric names, recorded through the `metrics` facade (the server installs the exporter).

/// Gauge: open connections.
pub const CONNECTIONS: &str = "atrium_collab_connections";
/// Gauge: rooms loaded in memory.
pub const ROOMS: &str = "atrium_collab_rooms_loaded";
/// Counter: document updates accepted (rate = updates/s).
pub const UPDATES: &str = "atrium_collab_updates_total";
/// Counter: bytes of accepted document updates.
pub const UPDATE_BYTES: &str = "atrium_collab_update_bytes_total";
/// Counter: bytes queued to connections.
pub const SENT_BYTES: &str = "atrium_collab_sent_bytes_total";
/// Counter: document updates refused from read-only connections.
pub const REFUSED: &str = "atrium_collab_refused_updates_total";
/// Counter: awareness messages relayed.
pub const AWARENESS: &str = "atrium_collab_awareness_total";
/// Counter: awareness messages dropped by the rate limit.
pub const AWARENESS_DROPPED: &str = "atrium_collab_awareness_dropped_total";
/// Counter: QueryAwareness messages left unanswered by the rate limit.
pub const AWARENESS_QUERIES_DROPPED: &str = "atrium_collab_awareness_queries_dropped_total";
/// Histogram: seconds per group commit of the update log.
pub const COMMIT_SECONDS: &str = "atrium_collab_commit_seconds";
/// Histogram: updates per group commit.
pub const COMMIT_BATCH: &str = "atrium_collab_commit_batch_updates";
/// Counter: failed group commits.
pub const COMMIT_FAILURES: &str = "atrium_collab_commit_failures_total";
/// Counter: compactions done.
pub const COMPACTIONS: &str = "atrium_collab_compactions_total";
/// Histogram: seconds per compaction.
pub const COMPACTION_SECONDS: &str = "atrium_collab_compaction_seconds";
/// Counter: connections closed by the hub, labelled by close code.
pub const CLOSES: &str = "atrium_collab_closes_total";
/// Counter: log entries other nodes committed, applied here.
pub const REMOTE_UPDATES: &str = "atrium_collab_remote_updates_total";
/// Counter: reads of the log to fill a gap (a peer's range lost or late, or a head behind).
pub const CATCH_UPS: &str = "atrium_collab_catch_ups_total";
/// Counter: committed ranges published to other nodes.
pub const PUBLISHED_RANGES: &str = "atrium_collab_published_ranges_total";
