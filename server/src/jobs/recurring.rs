//! Recurring work on the job queue: a job that, when done, queues its next run. At start-up
//! [`ensure_scheduled`] queues the first run unless one is already waiting, so several nodes
//! starting together still leave one chain (the queue's claim runs each job once).

use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::{Handler, Job, NewJob, Outcome};
use crate::db::now_ms;
use crate::error::ApiError;
use crate::write::Writes;

/// One pass of a recurring job over the whole database (a daily sweep).
pub type Pass = for<'a> fn(&'a Writes) -> BoxFuture<'a, Result<(), ApiError>>;

/// Runs `pass` as the recurring job `kind`, every `interval`, one run at a time.
pub struct RecurringHandler {
    writes: Writes,
    kind: &'static str,
    interval: Duration,
    pass: Pass,
}

impl RecurringHandler {
    pub fn new(writes: Writes, kind: &'static str, interval: Duration, pass: Pass) -> Self {
        Self {
            writes,
            kind,
            interval,
            pass,
        }
    }
}

impl Handler for RecurringHandler {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, _job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(run_then_requeue(
            &self.writes,
            self.kind,
            self.interval,
            (self.pass)(&self.writes),
        ))
    }
}

/// Queues a run of `kind` now unless one is queued or running.
pub async fn ensure_scheduled(writes: &Writes, kind: &'static str) -> Result<(), sqlx::Error> {
    if super::store::has_unfinished(writes.db(), kind).await? {
        return Ok(());
    }
    let mut work = writes.begin().await?;
    work.enqueue(&NewJob::new(None, kind, serde_json::json!({})))
        .await?;
    work.commit().await
}

/// The outcome of one run of a recurring job: when `run` succeeded, the next run is queued
/// `interval` from now; when it failed, this run is retried with the queue's back-off.
pub async fn run_then_requeue<E: std::fmt::Display>(
    writes: &Writes,
    kind: &'static str,
    interval: Duration,
    run: impl Future<Output = Result<(), E>>,
) -> Outcome {
    if let Err(error) = run.await {
        return Outcome::Retry(error.to_string());
    }
    let next = async {
        let mut work = writes.begin().await?;
        let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        work.enqueue(&NewJob {
            run_at: Some(now_ms().saturating_add(interval)),
            ..NewJob::new(None, kind, serde_json::json!({}))
        })
        .await?;
        work.commit().await
    };
    match next.await {
        Ok(()) => Outcome::Done,
        Err(error) => Outcome::Retry(error.to_string()),
    }
}
