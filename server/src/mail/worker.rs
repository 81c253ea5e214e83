//! The delivery worker: a background task that sends due outbox rows through the [`Mailer`].
//!
//! It runs a pass whenever [`MailWorker::wake`] is called (right after a mail was enqueued
//! and committed) and every [`WorkerOptions::poll_interval`] as a fallback (retries falling
//! due, mail enqueued on another node). A failed attempt is retried after an exponential
//! back-off (5 s, 10 s, 20 s … capped at an hour); after [`WorkerOptions::max_attempts`] the
//! row is given up. A malformed mail is given up at once, as retrying cannot fix it.
//!
//! Shutdown never interrupts a send: the worker finishes the mail in hand, then stops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::outbox::{self, OutboxEntry};
use super::{METRIC_FAILURES, METRIC_PENDING, METRIC_SENT, Mailer, Result};
use crate::db::{Db, now_ms};

/// Tuning of the worker; [`Default`] is what the server runs with.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Time between passes when nobody wakes the worker.
    pub poll_interval: Duration,
    /// Rows read per query; a full batch is followed by another pass at once.
    pub batch_size: i64,
    /// Attempts before a mail is given up.
    pub max_attempts: i64,
    /// Wait before the second attempt; doubled for each further one.
    pub base_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// How long a claim keeps other workers off a row. Longer than any send can take
    /// (lettre's per-command timeout is 30 s), so it only expires when a node died mid-send.
    pub lease: Duration,
    /// Sent and given-up rows are deleted once they are this old.
    pub retention: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            batch_size: 20,
            max_attempts: 10,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            lease: Duration::from_secs(300),
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl WorkerOptions {
    /// The wait after failed attempt number `attempt` (1-based): base × 2^(attempt − 1),
    /// capped at `max_backoff`.
    pub fn backoff(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.base_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Rows read as due.
    pub due: usize,
    /// Delivered.
    pub sent: usize,
    /// Failed and scheduled for another attempt.
    pub retrying: usize,
    /// Failed for the last time.
    pub given_up: usize,
    /// Claimed by another worker first.
    pub skipped: usize,
}

/// The handle to a running worker: cheap to clone, kept in the application state.
#[derive(Debug, Clone)]
pub struct MailWorker {
    notify: Arc<Notify>,
}

impl MailWorker {
    /// Asks for a pass now, e.g. after committing a transaction that enqueued mail. Wakes
    /// that arrive while a pass runs lead to one more pass right after it.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// Starts the worker with the default options. It stops after `shutdown` is cancelled, once
/// the mail being sent (if any) is done; await the handle to know when.
pub fn spawn(db: Db, mailer: Mailer, shutdown: CancellationToken) -> (MailWorker, JoinHandle<()>) {
    spawn_with(db, mailer, WorkerOptions::default(), shutdown)
}

/// Starts the worker with the given options.
pub fn spawn_with(
    db: Db,
    mailer: Mailer,
    options: WorkerOptions,
    shutdown: CancellationToken,
) -> (MailWorker, JoinHandle<()>) {
    describe_metrics();
    let notify = Arc::new(Notify::new());
    let worker = MailWorker {
        notify: Arc::clone(&notify),
    };
    let task = tokio::spawn(run(db, mailer, options, notify, shutdown));
    (worker, task)
}

fn describe_metrics() {
    metrics::describe_counter!(METRIC_SENT, "e-mails delivered");
    metrics::describe_counter!(
        METRIC_FAILURES,
        "failed e-mail delivery attempts, by outcome (retry, gave_up)"
    );
    metrics::describe_gauge!(METRIC_PENDING, "e-mails waiting in the outbox");
}

async fn run(
    db: Db,
    mailer: Mailer,
    options: WorkerOptions,
    notify: Arc<Notify>,
    shutdown: CancellationToken,
) {
    tracing::info!(mailer = mailer.kind(), "mail worker started");
    let mut last_purge: Option<Instant> = None;
    while !shutdown.is_cancelled() {
        // Keep going while batches come back full: more mail may be due right away.
        loop {
            match pass(&db, &mailer, &options, now_ms(), &shutdown).await {
                Ok(report) if report.due as i64 >= options.batch_size => {
                    if shutdown.is_cancelled() {
                        break;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "mail worker pass failed; retrying at the next poll");
                    break;
                }
            }
        }
        update_pending_gauge(&db).await;
        if last_purge.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
            purge(&db, &options).await;
            last_purge = Some(Instant::now());
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = notify.notified() => {}
            () = tokio::time::sleep(options.poll_interval) => {}
        }
    }
    tracing::info!("mail worker stopped");
}

/// Runs one delivery pass over the mail due at `now`, as the worker does. Public so that a
/// one-off command (or a test, with a clock of its own) can drive delivery without the
/// background task. Time moves on from `now` by the real time the pass takes.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    options: &WorkerOptions,
    now: i64,
) -> Result<PassReport> {
    pass(db, mailer, options, now, &CancellationToken::new()).await
}

async fn pass(
    db: &Db,
    mailer: &Mailer,
    options: &WorkerOptions,
    now: i64,
    shutdown: &CancellationToken,
) -> Result<PassReport> {
    let started = Instant::now();
    let clock = || now.saturating_add(millis(started.elapsed()));
    let due = outbox::due(db, now, options.batch_size).await?;
    let mut report = PassReport {
        due: due.len(),
        ..PassReport::default()
    };
    for entry in &due {
        if shutdown.is_cancelled() {
            break;
        }
        deliver_one(db, mailer, options, entry, clock(), &mut report).await?;
    }
    Ok(report)
}

async fn deliver_one(
    db: &Db,
    mailer: &Mailer,
    options: &WorkerOptions,
    entry: &OutboxEntry,
    now: i64,
    report: &mut PassReport,
) -> Result<()> {
    let lease_until = now.saturating_add(millis(options.lease));
    let Some(claim) = outbox::claim(db, entry, lease_until).await? else {
        report.skipped += 1;
        return Ok(());
    };
    let sending = Instant::now();
    let outcome = mailer.send(&entry.id, &entry.mail).await;
    let done_at = now.saturating_add(millis(sending.elapsed()));
    match outcome {
        Ok(()) => {
            if !outbox::mark_sent(db, &claim, done_at).await? {
                tracing::warn!(mail_id = %entry.id, "mail sent after its lease ran out");
            }
            metrics::counter!(METRIC_SENT).increment(1);
            tracing::debug!(mail_id = %entry.id, attempt = claim.attempt, "mail sent");
            report.sent += 1;
        }
        Err(error) if error.is_permanent() || claim.attempt >= options.max_attempts => {
            outbox::give_up(db, &claim, &error.to_string(), done_at).await?;
            metrics::counter!(METRIC_FAILURES, "outcome" => "gave_up").increment(1);
            tracing::error!(
                mail_id = %entry.id,
                attempt = claim.attempt,
                error = %error,
                "giving up on a mail"
            );
            report.given_up += 1;
        }
        Err(error) => {
            let wait = options.backoff(claim.attempt);
            let next = done_at.saturating_add(millis(wait));
            outbox::mark_failed_attempt(db, &claim, &error.to_string(), next).await?;
            metrics::counter!(METRIC_FAILURES, "outcome" => "retry").increment(1);
            tracing::warn!(
                mail_id = %entry.id,
                attempt = claim.attempt,
                retry_in_secs = wait.as_secs(),
                error = %error,
                "mail delivery failed; will retry"
            );
            report.retrying += 1;
        }
    }
    Ok(())
}

async fn update_pending_gauge(db: &Db) {
    match outbox::pending_count(db).await {
        // Exact up to 2^53 pending mails.
        Ok(n) => metrics::gauge!(METRIC_PENDING).set(n as f64),
        Err(e) => tracing::debug!(error = %e, "cannot count pending mail"),
    }
}

async fn purge(db: &Db, options: &WorkerOptions) {
    let before = now_ms().saturating_sub(millis(options.retention));
    match outbox::purge_finished(db, before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "purged old outbox rows"),
        Err(e) => tracing::warn!(error = %e, "cannot purge old outbox rows"),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let o = WorkerOptions::default();
        let secs: Vec<u64> = (1..=12).map(|a| o.backoff(a).as_secs()).collect();
        assert_eq!(
            secs,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(o.backoff(0).as_secs(), 5);
        assert_eq!(o.backoff(1000).as_secs(), 3600);
    }
}
