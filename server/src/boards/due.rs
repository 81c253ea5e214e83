//! Due-soon notifications: a recurring job on the job queue scans for open tasks due tomorrow
//! (UTC) and tells their assignees once per due date (`tasks.due_notified` remembers which date
//! was announced, so moving the due date announces the new one). Each run queues the next.

use std::time::Duration;

use atrium_client::wire::NotificationKind;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::model::utc_date;
use super::notify;
use super::store::relations::{self, Link};
use super::store::tasks;
use crate::jobs::{Handler, Job, Outcome};
use crate::write::Writes;

/// The job kind.
pub const KIND: &str = "tasks.due_soon";
/// Tasks announced per unit of work.
const BATCH: i64 = 200;

/// Runs the scan.
pub struct DueSoonHandler {
    writes: Writes,
    /// Time between scans.
    interval: Duration,
}

impl DueSoonHandler {
    pub fn new(writes: Writes, interval: Duration) -> Self {
        Self { writes, interval }
    }
}

/// Queues the first scan unless one is already waiting (at start-up).
pub async fn ensure_scheduled(writes: &Writes) -> Result<(), sqlx::Error> {
    crate::jobs::recurring::ensure_scheduled(writes, KIND).await
}

/// Announces every open task due on `date` not yet announced for that date; returns how many.
pub async fn announce(writes: &Writes, date: &str) -> Result<usize, sqlx::Error> {
    let mut total = 0;
    loop {
        let due = tasks::due_unannounced(writes.db(), date, BATCH).await?;
        if due.is_empty() {
            return Ok(total);
        }
        let mut work = writes.begin().await?;
        for (org_id, task_id) in &due {
            if !tasks::mark_due_notified(work.tx(), org_id, task_id, date).await? {
                continue;
            }
            let Some(task) = tasks::find(work.tx(), org_id, task_id).await? else {
                continue;
            };
            let assignees = relations::values(work.tx(), Link::Assignees, task_id).await?;
            notify::write(
                &mut work,
                Some(writes.events().presence()),
                NotificationKind::TaskDueSoon,
                &task,
                None,
                &assignees,
            )
            .await?;
            total += 1;
        }
        work.commit().await?;
    }
}

impl DueSoonHandler {
    async fn attempt(&self) -> Outcome {
        let scan = async { announce(&self.writes, &utc_date(1)).await.map(drop) };
        crate::jobs::recurring::run_then_requeue(&self.writes, KIND, self.interval, scan).await
    }
}

impl Handler for DueSoonHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, _job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(self.attempt())
    }
}
