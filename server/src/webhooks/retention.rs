//! Retention of the delivery log: a delivered row is kept for [`KEEP`] after its delivery, so
//! managers can look at what was sent and redeliver it, and then deleted by a recurring job
//! (`webhooks.retention`, hourly). Pending rows are the queue and stay until delivered or given
//! up; given-up rows stay so that reactivating their subscription can send them again.

use std::time::Duration;

use futures::future::BoxFuture;

use super::store;
use crate::db::now_ms;
use crate::error::ApiError;
use crate::jobs::recurring::RecurringHandler;
use crate::write::Writes;

/// The recurring job's kind.
pub const KIND: &str = "webhooks.retention";
/// How long a delivered row is kept.
pub const KEEP: Duration = Duration::from_secs(30 * 24 * 3600);
/// How often the job runs: often enough that each run deletes about an hour of deliveries.
const INTERVAL: Duration = Duration::from_secs(3600);
/// Rows deleted per statement, so one subscription's backlog is never one huge transaction.
const CHUNK: i64 = 1000;

/// The job runner's handler of [`KIND`].
pub fn handler(writes: Writes) -> RecurringHandler {
    RecurringHandler::new(writes, KIND, INTERVAL, pass_now)
}

/// One run: deletes the deliveries delivered more than [`KEEP`] ago.
pub fn pass_now(writes: &Writes) -> BoxFuture<'_, Result<(), ApiError>> {
    Box::pin(async move {
        let keep = i64::try_from(KEEP.as_millis()).unwrap_or(i64::MAX);
        let deleted = prune(writes, now_ms().saturating_sub(keep)).await?;
        if deleted > 0 {
            tracing::info!(deleted, "webhook deliveries past retention deleted");
        }
        Ok(())
    })
}

/// Deletes the deliveries delivered before `cutoff` (UTC ms); how many.
pub async fn prune(writes: &Writes, cutoff: i64) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for hook in store::hook_ids(writes.db()).await? {
        loop {
            let n = store::delete_delivered_before(writes.db(), &hook, cutoff, CHUNK).await?;
            deleted += n;
            if n < u64::try_from(CHUNK).unwrap_or(u64::MAX) {
                break;
            }
        }
    }
    Ok(deleted)
}
