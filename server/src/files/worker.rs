//! The extraction worker: a background task that turns uploaded versions into text for search,
//! off the request path.
//!
//! Uploads leave their version `pending` and wake the worker ([`Extractor::wake`]); it also
//! polls, for versions uploaded on another node. Each job is claimed (so two nodes never do the
//! same one; the claim counts an attempt), read from the object store with a size bound,
//! extracted in a child process under memory, CPU and time limits ([`super::sandbox`]), and
//! recorded: the text and state on the version and, when it is still the file's current
//! version and the file is not in the trash, an upsert in the change feed. A file that cannot
//! be extracted is marked `failed` with the reason; the upload is unaffected.
//!
//! Jobs found `running` at start-up were interrupted by a crash: they are retried until they
//! have been claimed [`MAX_ATTEMPTS`] times, then marked failed, so a file that brings the
//! server down cannot do so on every start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::extract::{self, MAX_INPUT_BYTES};
use super::sandbox::{self, Limits};
use super::storage::{ByteStream, Store, blob_key};
use super::{feed, metrics, store};
use crate::db::Db;

/// Time between passes when nobody wakes the worker.
const POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Jobs read per query.
const BATCH: i64 = 8;
/// Claims of one job, interrupted each time, after which it is failed rather than retried.
pub const MAX_ATTEMPTS: i64 = 3;

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

/// Starts the worker; it stops after `shutdown` (a job in hand is stopped and put back).
pub fn spawn(
    db: Db,
    store: Store,
    extractor: Extractor,
    limits: Limits,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        match store::recover_interrupted_extractions(&db, MAX_ATTEMPTS).await {
            Ok(recovered) => {
                if recovered.requeued > 0 {
                    tracing::info!(
                        count = recovered.requeued,
                        "requeued interrupted text extractions"
                    );
                }
                if recovered.failed > 0 {
                    tracing::warn!(
                        count = recovered.failed,
                        attempts = MAX_ATTEMPTS,
                        "text extractions interrupted too often are marked failed"
                    );
                    ::metrics::counter!(metrics::EXTRACTIONS, "outcome" => "failed")
                        .increment(recovered.failed);
                }
            }
            Err(error) => tracing::warn!(%error, "cannot recover interrupted extractions"),
        }
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match pass(&db, &store, &limits, &shutdown).await {
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
async fn pass(
    db: &Db,
    store: &Store,
    limits: &Limits,
    shutdown: &CancellationToken,
) -> Result<bool, sqlx::Error> {
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
        let outcome = tokio::select! {
            outcome = run(store, &job, limits) => outcome,
            // Dropping the extraction kills its child; the job goes back uncounted.
            () = shutdown.cancelled() => {
                store::release_extraction(db, &job.org_id, &job.version_id).await?;
                return Ok(false);
            }
        };
        metrics::extraction(outcome.state(), started.elapsed());
        if let Err(error) = record(db, &job, &outcome).await {
            tracing::error!(version_id = %job.version_id, %error, "cannot record a text extraction");
            // Text the database refuses must not leave the job running until a restart.
            let failed = Outcome::Failed("the extracted text could not be stored".to_owned());
            if let Err(error) = record(db, &job, &failed).await {
                tracing::error!(version_id = %job.version_id, %error, "cannot record a failed text extraction");
            }
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

async fn run(store: &Store, job: &store::ExtractJob, limits: &Limits) -> Outcome {
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
    // The bytes go from the store to the child as they come: the server never holds the file.
    let limit = size.min(MAX_INPUT_BYTES);
    let input = if limit == 0 {
        Box::pin(futures::stream::empty()) as ByteStream
    } else {
        match store
            .read(&blob_key(&job.org_id, &job.sha256), Some((0, limit - 1)))
            .await
        {
            Ok(stream) => stream,
            Err(error) => return Outcome::Failed(format!("cannot read the file: {error}")),
        }
    };
    match sandbox::extract(method, input, limit, limits).await {
        Ok(text) => Outcome::Done(text),
        Err(failure) => Outcome::Failed(failure.to_string()),
    }
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
