//! Retention: deletes the change-feed rows no consumer needs any more, periodically.
//!
//! A row goes when every live consumer has passed it, it is older than the retention window,
//! and it is a removal or a later row of the same entity supersedes it — so the feed keeps each
//! live entity's last change and a consumer starting from the beginning still rebuilds
//! everything. A consumer that has not acknowledged within the stale limit (a node that is gone)
//! no longer counts as live; if it returns behind what was pruned it rebuilds (see
//! [`super::Consumer`]).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::PRUNED_TOTAL;
use crate::db::{Db, change_feed, now_ms};

/// Rows deleted per statement, so one prune never holds a long transaction.
const PRUNE_BATCH: i64 = 10_000;
/// How often the task prunes (and once at start).
const EVERY: Duration = Duration::from_secs(600);

/// Retention settings.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// Rows younger than this are kept whatever consumers did.
    pub window: Duration,
    /// A consumer that has not acknowledged for this long no longer holds rows back.
    pub stale_after: Duration,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Prunes once; returns how many rows went.
pub async fn prune_once(db: &Db, config: RetentionConfig) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    // Without live consumers, nothing after the horizon is decided yet; everything before it
    // is only kept for the window.
    let safe = db.change_feed_horizon().advance(db).await?;
    let through = change_feed::lowest_live_cursor(db, now.saturating_sub(ms(config.stale_after)))
        .await?
        .map_or(safe, |lowest| lowest.min(safe));
    let before = now.saturating_sub(ms(config.window));
    let mut total = 0;
    loop {
        let removed = change_feed::prune(db, through, before, PRUNE_BATCH).await?;
        total += removed;
        if removed == 0 || removed < PRUNE_BATCH as u64 {
            break;
        }
    }
    if total > 0 {
        metrics::counter!(PRUNED_TOTAL).increment(total);
    }
    Ok(total)
}

/// Prunes every ten minutes (and once at start) until `stop`.
pub fn spawn(
    db: Db,
    config: RetentionConfig,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    metrics::describe_counter!(PRUNED_TOTAL, "change-feed rows deleted by retention");
    metrics::describe_gauge!(
        super::CONSUMER_LAG,
        "change-feed rows up to the safe horizon a consumer has not read yet"
    );
    tokio::spawn(async move {
        loop {
            match prune_once(&db, config).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "pruned the change feed"),
                Err(error) => tracing::warn!(%error, "cannot prune the change feed"),
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                () = stop.cancelled() => return,
            }
        }
    })
}
