//! The runner: one background loop per node that claims due jobs and runs them through the
//! [`Handler`] registered for their kind, up to [`RunnerOptions::concurrency`] at once.
//!
//! It claims whenever [`Jobs::wake`] is called (right after a producer's commit), whenever a job
//! in hand finishes, and every [`RunnerOptions::poll_interval`] as a fallback (retries falling
//! due, jobs queued on another node, leases of dead nodes running out). While a job runs, its
//! lease is renewed every third of [`RunnerOptions::lease`], so only a node that stopped
//! (crashed, killed, cut off) loses its jobs to others.
//!
//! Shutdown: the handlers see the shutdown token; those that can stop part-way (text
//! extraction) give their job back as [`Outcome::Interrupted`], the others (a mail being sent)
//! finish it. The runner returns once every job in hand is recorded.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::model::{Job, JobState, Outcome, after_failure};
use super::{metrics, store};
use crate::db::{Db, Tx, new_id, now_ms};

/// Runs the jobs of one kind.
pub trait Handler: Send + Sync + 'static {
    /// The kind this handler runs, as stored in `jobs.kind` (and used as a metric label).
    fn kind(&self) -> &'static str;

    /// Whether a finished (done or dead) job keeps its payload. By default it is cleared, as
    /// it may hold what has no reason to outlive the job (mail bodies with single-use links);
    /// a kind whose payload only names what it works on may keep it for operators.
    fn keeps_payload(&self) -> bool {
        false
    }

    /// Jobs of this kind one node runs at once (within the runner's overall concurrency).
    fn max_concurrent(&self) -> usize {
        usize::MAX
    }

    /// One attempt at `job`. `stop` is cancelled when the node shuts down: a handler that can
    /// stop part-way returns [`Outcome::Interrupted`], one that cannot finishes its work.
    fn run<'a>(&'a self, job: &'a Job, stop: &'a CancellationToken) -> BoxFuture<'a, Outcome>;

    /// Called in the transaction that marks `job` dead, so the domain can record the failure
    /// (e.g. a file version's extraction state) atomically with it.
    fn gave_up<'a>(
        &'a self,
        tx: &'a mut Tx,
        job: &'a Job,
        why: GaveUp<'a>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        let _ = (tx, job, why);
        Box::pin(async { Ok(()) })
    }
}

/// Why a job is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp<'a> {
    /// The handler's last attempt failed with this error (permanent, or the last one allowed).
    Failed(&'a str),
    /// Every attempt was cut off by its node stopping (crash, kill): `Job::attempt` of them.
    Interrupted,
}

/// Tuning of the runner; [`Default`] is what the server runs with unless configured.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Jobs one node runs at once.
    pub concurrency: usize,
    /// Time between claims when nobody wakes the runner.
    pub poll_interval: Duration,
    /// How long a claim keeps other nodes off a job without being renewed.
    pub lease: Duration,
    /// The wait between attempts.
    pub backoff: Backoff,
    /// Done jobs are deleted once finished this long ago.
    pub done_retention: Duration,
    /// Dead jobs are kept this long for admins to see, then deleted.
    pub dead_retention: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            backoff: Backoff::default(),
            done_retention: Duration::from_secs(7 * 24 * 3600),
            dead_retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl RunnerOptions {
    /// The runner's options from the server's configuration.
    pub fn from_config(config: &crate::Config) -> Self {
        Self {
            concurrency: usize::try_from(config.jobs_concurrency).unwrap_or(4).max(1),
            poll_interval: Duration::from_millis(config.jobs_poll_interval_ms.max(1)),
            lease: Duration::from_secs(config.jobs_lease_secs.max(1)),
            backoff: Backoff {
                base: Duration::from_millis(config.jobs_backoff_base_ms.max(1)),
                max: Duration::from_secs(config.jobs_backoff_max_secs.max(1)),
            },
            done_retention: Duration::from_secs(config.jobs_done_retention_hours * 3600),
            dead_retention: Duration::from_secs(config.jobs_dead_retention_hours * 3600),
        }
    }
}

/// The handle producers keep: cheap to clone, in the application state.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    notify: Arc<Notify>,
}

impl Jobs {
    /// Asks the runner to claim now, e.g. right after committing a transaction that queued a
    /// job. Wakes during a claim lead to one more claim right after it.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// What one [`Runner::run_due`] pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Jobs claimed.
    pub claimed: usize,
    /// Finished.
    pub done: usize,
    /// Failed and scheduled for another attempt.
    pub retrying: usize,
    /// Given up (including those whose node died on every attempt).
    pub dead: usize,
    /// Given back unfinished.
    pub interrupted: usize,
}

struct Inner {
    db: Db,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    options: RunnerOptions,
    /// This process's name in `lease_owner`: unique per start, so a restarted node never
    /// mistakes another node's (or its previous life's) jobs for its own.
    node: String,
}

/// The job runner of one node, with its handlers.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

impl Runner {
    /// A runner with no handlers yet.
    pub fn new(db: Db, options: RunnerOptions) -> Self {
        metrics::describe();
        Self {
            inner: Arc::new(Inner {
                db,
                handlers: HashMap::new(),
                options,
                node: new_id(),
            }),
        }
    }

    /// Adds the handler of one kind (a later one for the same kind replaces it).
    ///
    /// # Panics
    /// When called after the runner was cloned or spawned.
    pub fn register(mut self, handler: impl Handler) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("handlers are registered before start");
        inner.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }

    /// This node's lease-owner name.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Starts the background loop; it stops after `shutdown` once the jobs in hand are
    /// recorded. `jobs` is the handle whose [`Jobs::wake`] reaches it.
    pub fn spawn(self, jobs: Jobs, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(run(self.inner, jobs.notify, shutdown))
    }

    /// One pass at time `now`, jobs run one after another: buries the jobs out of attempts,
    /// claims up to the concurrency and runs them. For one-off commands and tests with a clock
    /// of their own; time moves on from `now` by the real time the pass takes.
    pub async fn run_due(&self, now: i64) -> Result<PassReport, sqlx::Error> {
        let inner = &self.inner;
        let started = Instant::now();
        let clock = move || now.saturating_add(millis(started.elapsed()));
        let mut report = PassReport {
            dead: inner.bury_out_of_attempts(clock()).await?,
            ..PassReport::default()
        };
        let kinds: Vec<&'static str> = inner.handlers.keys().copied().collect();
        let mut claimed = Vec::new();
        for kind in kinds {
            let room = inner.options.concurrency.saturating_sub(claimed.len());
            let limit = room.min(inner.handlers[kind].max_concurrent());
            claimed.extend(inner.claim(kind, clock(), limit).await?);
        }
        report.claimed = claimed.len();
        let never = CancellationToken::new();
        for job in claimed {
            match inner.execute(&job, &never, clock).await? {
                Recorded::Done => report.done += 1,
                Recorded::Retrying => report.retrying += 1,
                Recorded::Dead => report.dead += 1,
                Recorded::Interrupted => report.interrupted += 1,
            }
        }
        Ok(report)
    }
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    Done,
    Retrying,
    Dead,
    Interrupted,
}

impl Recorded {
    fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retrying => "retry",
            Self::Dead => "dead",
            Self::Interrupted => "interrupted",
        }
    }
}

impl Inner {
    async fn claim(&self, kind: &str, now: i64, limit: usize) -> Result<Vec<Job>, sqlx::Error> {
        let lease_until = now.saturating_add(millis(self.options.lease));
        store::claim(&self.db, &self.node, &[kind], now, lease_until, limit).await
    }

    /// Marks dead the running jobs whose lease ran out with no attempt left; returns how many.
    async fn bury_out_of_attempts(&self, now: i64) -> Result<usize, sqlx::Error> {
        let mut buried = 0;
        for job in store::out_of_attempts(&self.db, now, 100).await? {
            let error = format!(
                "interrupted {} times: the node running it stopped before it finished",
                job.attempt
            );
            let handler = self.handlers.get(job.kind.as_str());
            let payload = payload_rule(handler.map(AsRef::as_ref));
            let mut tx = self.db.begin().await?;
            if store::mark_dead(&mut tx, &job, None, &error, now, payload).await? {
                if let Some(handler) = handler {
                    handler.gave_up(&mut tx, &job, GaveUp::Interrupted).await?;
                    metrics::attempt(handler.kind(), "dead", Duration::ZERO);
                }
                tracing::warn!(job_id = %job.id, kind = %job.kind, attempts = job.attempt, "job given up: its node died on every attempt");
                buried += 1;
            }
            tx.commit().await?;
        }
        Ok(buried)
    }

    /// Runs one claimed job, renewing its lease, and records the outcome.
    async fn execute(
        &self,
        job: &Job,
        stop: &CancellationToken,
        clock: impl Fn() -> i64,
    ) -> Result<Recorded, sqlx::Error> {
        let started = Instant::now();
        let Some(handler) = self.handlers.get(job.kind.as_str()) else {
            // Claims name registered kinds only; a job is never claimed without its handler.
            return Ok(Recorded::Interrupted);
        };
        let renew_every = (self.options.lease / 3).max(Duration::from_millis(100));
        let mut renewals =
            tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        let run = handler.run(job, stop);
        tokio::pin!(run);
        let outcome = loop {
            tokio::select! {
                outcome = &mut run => break outcome,
                _ = renewals.tick() => {
                    let now = clock();
                    let until = now.saturating_add(millis(self.options.lease));
                    match store::renew(&self.db, job, &self.node, until, now).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job_id = %job.id, "lost the lease of a running job"),
                        Err(error) => tracing::warn!(job_id = %job.id, %error, "cannot renew a job's lease"),
                    }
                }
            }
        };
        let recorded = self.record(handler.as_ref(), job, outcome, clock()).await?;
        metrics::attempt(handler.kind(), recorded.label(), started.elapsed());
        Ok(recorded)
    }

    async fn record(
        &self,
        handler: &dyn Handler,
        job: &Job,
        outcome: Outcome,
        now: i64,
    ) -> Result<Recorded, sqlx::Error> {
        let kept = match outcome {
            Outcome::Done => {
                let payload = payload_rule(Some(handler));
                let kept = store::finish_done(&self.db, job, &self.node, now, payload).await?;
                tracing::debug!(job_id = %job.id, kind = %job.kind, attempt = job.attempt, "job done");
                (kept, Recorded::Done)
            }
            Outcome::Interrupted => {
                let kept = store::release(&self.db, job, &self.node, now).await?;
                tracing::info!(job_id = %job.id, kind = %job.kind, "job given back unfinished");
                (kept, Recorded::Interrupted)
            }
            Outcome::Retry(error) | Outcome::Permanent(error)
                if after_failure(job.attempt, job.max_attempts, false) == JobState::Dead =>
            {
                (self.bury(handler, job, &error, now).await?, Recorded::Dead)
            }
            Outcome::Permanent(error) => {
                (self.bury(handler, job, &error, now).await?, Recorded::Dead)
            }
            Outcome::Retry(error) => {
                let wait = self.options.backoff.next_delay(job.attempt);
                let run_at = now.saturating_add(millis(wait));
                let kept =
                    store::schedule_retry(&self.db, job, &self.node, &error, run_at, now).await?;
                tracing::warn!(
                    job_id = %job.id,
                    kind = %job.kind,
                    attempt = job.attempt,
                    retry_in_ms = millis(wait),
                    error = %error,
                    "job failed; will retry"
                );
                (kept, Recorded::Retrying)
            }
        };
        if !kept.0 {
            tracing::warn!(job_id = %job.id, kind = %job.kind, "job finished after its lease was taken over; outcome not recorded");
        }
        Ok(kept.1)
    }

    async fn bury(
        &self,
        handler: &dyn Handler,
        job: &Job,
        error: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let payload = payload_rule(Some(handler));
        let kept = store::mark_dead(&mut tx, job, Some(&self.node), error, now, payload).await?;
        if kept {
            handler.gave_up(&mut tx, job, GaveUp::Failed(error)).await?;
        }
        tx.commit().await?;
        tracing::error!(job_id = %job.id, kind = %job.kind, attempt = job.attempt, %error, "job given up");
        Ok(kept)
    }

    /// Refreshes the gauge, buries jobs out of attempts and prunes old ones (hourly).
    async fn maintain(&self, last_prune: &mut Option<Instant>) {
        if let Err(error) = self.bury_out_of_attempts(now_ms()).await {
            tracing::warn!(%error, "cannot bury jobs out of attempts");
        }
        let kinds: Vec<&'static str> = self.handlers.keys().copied().collect();
        match store::counts(&self.db).await {
            Ok(counts) => metrics::set_counts(&kinds, &counts),
            Err(error) => tracing::debug!(%error, "cannot count jobs"),
        }
        if last_prune.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
            let now = now_ms();
            let done_before = now.saturating_sub(millis(self.options.done_retention));
            let dead_before = now.saturating_sub(millis(self.options.dead_retention));
            match store::prune(&self.db, done_before, dead_before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned finished jobs"),
                Err(error) => tracing::warn!(%error, "cannot prune finished jobs"),
            }
            *last_prune = Some(Instant::now());
        }
    }
}

async fn run(inner: Arc<Inner>, notify: Arc<Notify>, shutdown: CancellationToken) {
    tracing::info!(node = %inner.node, kinds = ?inner.handlers.keys().collect::<Vec<_>>(), "job runner started");
    let mut in_hand: JoinSet<&'static str> = JoinSet::new();
    let mut per_kind: HashMap<&'static str, usize> = HashMap::new();
    let mut last_maintenance: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    while !shutdown.is_cancelled() {
        if last_maintenance.is_none_or(|at| at.elapsed() >= inner.options.poll_interval) {
            inner.maintain(&mut last_prune).await;
            last_maintenance = Some(Instant::now());
        }
        let mut claimed = 0;
        // Only the kinds with something due are claimed (each claim is a write); when the
        // look-up fails every kind is tried, as before it existed.
        let due = match store::due_kinds(&inner.db, now_ms()).await {
            Ok(due) => Some(due),
            Err(error) => {
                tracing::warn!(%error, "cannot list the due job kinds; claiming every kind");
                None
            }
        };
        for (&kind, handler) in &inner.handlers {
            if due.as_ref().is_some_and(|due| !due.contains(kind)) {
                continue;
            }
            let room = inner.options.concurrency.saturating_sub(in_hand.len());
            let running = per_kind.get(kind).copied().unwrap_or(0);
            let limit = room.min(handler.max_concurrent().saturating_sub(running));
            if limit == 0 {
                continue;
            }
            let jobs = match inner.claim(kind, now_ms(), limit).await {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::warn!(%error, kind, "cannot claim jobs; retrying at the next poll");
                    continue;
                }
            };
            claimed += jobs.len();
            for job in jobs {
                *per_kind.entry(kind).or_default() += 1;
                let inner = Arc::clone(&inner);
                let stop = shutdown.clone();
                in_hand.spawn(async move {
                    // In both failures the lease runs out and another claim retries the job.
                    match AssertUnwindSafe(inner.execute(&job, &stop, now_ms))
                        .catch_unwind()
                        .await
                    {
                        Ok(Ok(_)) => {}
                        Ok(Err(error)) => {
                            tracing::warn!(job_id = %job.id, %error, "cannot record a job's outcome");
                        }
                        Err(_) => tracing::error!(job_id = %job.id, "a job handler panicked"),
                    }
                    kind
                });
            }
        }
        if claimed > 0 && in_hand.len() < inner.options.concurrency {
            // More may be due right away.
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = notify.notified() => {}
            () = tokio::time::sleep(inner.options.poll_interval) => {}
            Some(finished) = in_hand.join_next(), if !in_hand.is_empty() => {
                release_slot(&mut per_kind, finished);
            }
        }
    }
    // Handlers see the cancelled token: the jobs in hand finish or are given back.
    while let Some(finished) = in_hand.join_next().await {
        release_slot(&mut per_kind, finished);
    }
    tracing::info!("job runner stopped");
}

fn release_slot(
    per_kind: &mut HashMap<&'static str, usize>,
    finished: Result<&'static str, tokio::task::JoinError>,
) {
    match finished {
        Ok(kind) => {
            if let Some(n) = per_kind.get_mut(kind) {
                *n = n.saturating_sub(1);
            }
        }
        // Tasks catch their panics and are never aborted, so this is not expected.
        Err(error) => tracing::error!(%error, "a job task ended abnormally"),
    }
}

/// Whether a finished job of this handler keeps its payload (cleared for unknown kinds).
fn payload_rule(handler: Option<&dyn Handler>) -> store::Payload {
    match handler {
        Some(handler) if handler.keeps_payload() => store::Payload::Keep,
        _ => store::Payload::Clear,
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
