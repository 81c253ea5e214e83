//! The extraction worker: a background task that turns uploaded versions into text for search,
//! off the request path.
//!
//! Uploads leave their version `pending` and wake the worker ([`Extractor::wake`]); it also
//! polls, for versions uploaded on another node. Each job is claimed (so two nodes never do the
//! same one), read from the object store with a size bound, extracted on the blocking pool with
//! a deadline, and recorded: the text and state on the version and, when it is still the
//! file's current version and the file is not in the trash, an upsert in the change feed. A
//! file that cannot be extracted is marked `failed` with the reason; the upload is unaffected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::extract::{self, MAX_INPUT_BYTES};
use super::storage::{Store, blob_key};
use super::{feed, metrics, store};
use crate::db::Db;

/// Time between passes when nobody wakes the worker.
const POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Jobs read per query.
const BATCH: i64 = 8;
/// Longest one extraction may run.
const DEADLINE: Duration = Duration::from_secs(30);

/// Wakes the extraction worker.
#[derive(Clone, Default)]
pub struct Extractor {
    notify: Arc<Notify>,
}

impl Extractor {
    /// Asks for a pass now, e.g. right after an upload committed.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// Starts the worker; it stops after `shutdown`, once the job in hand is recorded.
pub fn spawn(
    db: Db,
    store: Store,
    extractor: Extractor,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        match store::reset_running_extractions(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "requeued interrupted text extractions"),
            Err(error) => tracing::warn!(%error, "cannot requeue interrupted extractions"),
        }
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match pass(&db, &store, &shutdown).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "text extraction pass failed"),
            }
            tokio::select! {
                () = extractor.notify.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                () = shutdown.cancelled() => return,
            }
        }
    })
}

/// One batch; `true` when the batch was full (more may be waiting).
async fn pass(db: &Db, store: &Store, shutdown: &CancellationToken) -> Result<bool, sqlx::Error> {
    let jobs = store::pending_extractions(db, BATCH).await?;
    let full = jobs.len() as i64 == BATCH;
    for job in jobs {
        if shutdown.is_cancelled() {
            return Ok(false);
        }
        if !store::claim_extraction(db, &job.org_id, &job.version_id).await? {
            continue;
        }
        let started = Instant::now();
        let outcome = run(store, &job).await;
        metrics::extraction(outcome.state(), started.elapsed());
        if let Err(error) = record(db, &job, &outcome).await {
            tracing::error!(version_id = %job.version_id, %error, "cannot record a text extraction");
        }
    }
    Ok(full)
}

/// What an extraction came to.
enum Outcome {
    Done(String),
    Skipped(String),
    Failed(String),
}

impl Outcome {
    fn state(&self) -> &'static str {
        match self {
            Self::Done(_) => "done",
            Self::Skipped(_) => "skipped",
            Self::Failed(_) => "failed",
        }
    }
}

async fn run(store: &Store, job: &store::ExtractJob) -> Outcome {
    let Some(method) = extract::method_for(&job.content_type) else {
        return Outcome::Skipped(format!("no text in {}", job.content_type));
    };
    let size = u64::try_from(job.size).unwrap_or(u64::MAX);
    if size > MAX_INPUT_BYTES && !extract::accepts_prefix(method) {
        return Outcome::Skipped(format!(
            "larger than the {} MiB extraction limit",
            MAX_INPUT_BYTES / (1024 * 1024)
        ));
    }
    let bytes = match read_bounded(store, job, size.min(MAX_INPUT_BYTES)).await {
        Ok(bytes) => bytes,
        Err(error) => return Outcome::Failed(format!("cannot read the file: {error}")),
    };
    let task = tokio::task::spawn_blocking(move || extract::extract(method, &bytes));
    match tokio::time::timeout(DEADLINE, task).await {
        Ok(Ok(Ok(text))) => Outcome::Done(text),
        Ok(Ok(Err(error))) => Outcome::Failed(error.to_string()),
        // A panic in a parser on hostile input stays in its thread.
        Ok(Err(_)) => Outcome::Failed("the extractor crashed on this file".to_owned()),
        Err(_) => Outcome::Failed(format!(
            "extraction took longer than {} s",
            DEADLINE.as_secs()
        )),
    }
}

async fn read_bounded(
    store: &Store,
    job: &store::ExtractJob,
    limit: u64,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let key = blob_key(&job.org_id, &job.sha256);
    let range = if limit == 0 {
        return Ok(Vec::new());
    } else {
        Some((0, limit - 1))
    };
    let mut stream = store.read(&key, range).await?;
    let mut bytes = Vec::with_capacity(usize::try_from(limit).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
        if bytes.len() as u64 >= limit {
            break;
        }
    }
    Ok(bytes)
}

async fn record(db: &Db, job: &store::ExtractJob, outcome: &Outcome) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let (text, error) = match outcome {
        Outcome::Done(text) => (Some(text.as_str()), None),
        Outcome::Skipped(why) | Outcome::Failed(why) => (None, Some(why.as_str())),
    };
    store::finish_extraction(
        &mut tx,
        &job.org_id,
        &job.version_id,
        outcome.state(),
        text,
        error,
    )
    .await?;
    if let Some(text) = text
        && let Some(file) = store::find_in(&mut tx, &job.org_id, &job.file_id).await?
        && file.version_id == job.version_id
        && file.trashed_at.is_none()
    {
        feed::upsert(&mut tx, &file, text).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::extract::Method;

    #[test]
    fn outcome_states() {
        assert_eq!(Outcome::Done(String::new()).state(), "done");
        assert_eq!(Outcome::Failed(String::new()).state(), "failed");
        assert_eq!(Outcome::Skipped(String::new()).state(), "skipped");
        assert_eq!(extract::method_for("image/png"), None);
        assert_eq!(extract::method_for("application/pdf"), Some(Method::Pdf));
    }
}
