//! Text extraction as a job: turns an uploaded version into text for search, off the request
//! path.
//!
//! An upload queues one job of kind [`KIND`] per version in its own transaction ([`enqueue`])
//! and wakes the job runner. [`ExtractionHandler`] reads the version from the object store
//! with a size bound, extracts it in a child process under memory, CPU and time limits
//! ([`super::sandbox`]), and records it: the text and state on the version and, when it is
//! still the file's current version and the file is not in the trash, an upsert in the change
//! feed. A file that cannot be extracted is marked `failed` with the reason; the upload is
//! unaffected, and the job is done (trying again would fail the same way).
//!
//! A node that dies mid-extraction loses its lease; another claim (counted) retries the job,
//! and after [`MAX_ATTEMPTS`] interrupted claims the job is dead and the version `failed`, so
//! a file that brings the server down cannot do so forever. A graceful stop kills the child
//! and gives the job back uncounted.

use std::time::Instant;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::extract::{self, MAX_INPUT_BYTES};
use super::sandbox::{self, Limits};
use super::storage::{ByteStream, Store, blob_key};
use super::{feed, metrics, store};
use crate::db::Tx;
use crate::jobs::{GaveUp, Handler, Job, NewJob, Outcome};
use crate::write::{UnitOfWork, Writes};

/// The job kind of a text extraction.
pub const KIND: &str = "extract";
/// Claims of one extraction, each cut off by its node stopping, after which it is failed.
pub const MAX_ATTEMPTS: i64 = 3;

/// What an extraction job names: the version (and its file, for the change feed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Payload {
    file_id: String,
    version_id: String,
}

/// Queues the extraction of a version with the upload.
pub async fn enqueue(
    work: &mut UnitOfWork,
    org_id: &str,
    file_id: &str,
    version_id: &str,
) -> Result<String, sqlx::Error> {
    let payload = Payload {
        file_id: file_id.to_owned(),
        version_id: version_id.to_owned(),
    };
    let job = NewJob {
        max_attempts: Some(MAX_ATTEMPTS),
        ..NewJob::new(
            Some(org_id),
            KIND,
            serde_json::to_value(payload).unwrap_or_default(),
        )
    };
    work.enqueue(&job).await
}

/// Runs jobs of kind [`KIND`], one at a time per node (each runs a memory-bounded child).
pub struct ExtractionHandler {
    writes: Writes,
    store: Store,
    limits: Limits,
}

impl ExtractionHandler {
    /// A handler reading files from `store` and extracting them under `limits`.
    pub fn new(writes: Writes, store: Store, limits: Limits) -> Self {
        Self {
            writes,
            store,
            limits,
        }
    }

    async fn attempt(&self, job: &Job, stop: &CancellationToken) -> Outcome {
        let (Some(org_id), Ok(payload)) = (
            job.org_id.as_deref(),
            serde_json::from_value::<Payload>(job.payload.clone()),
        ) else {
            return Outcome::Permanent("the job's payload is not an extraction".to_owned());
        };
        let input =
            match store::extraction_input(self.writes.db(), org_id, &payload.version_id).await {
                // The version was purged meanwhile: nothing left to extract.
                Ok(None) => return Outcome::Done,
                Ok(Some(input)) => input,
                Err(error) => return Outcome::Retry(error.to_string()),
            };
        if let Err(error) =
            store::set_extraction_state(self.writes.db(), org_id, &input.version_id, "running")
                .await
        {
            return Outcome::Retry(error.to_string());
        }
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = run(&self.store, &input, &self.limits) => outcome,
            // Dropping the extraction kills its child; the job goes back uncounted.
            () = stop.cancelled() => {
                if let Err(error) = store::set_extraction_state(self.writes.db(), org_id, &input.version_id, "pending").await {
                    tracing::warn!(version_id = %input.version_id, %error, "cannot put an interrupted extraction back");
                }
                return Outcome::Interrupted;
            }
        };
        metrics::extraction(outcome.state(), started.elapsed());
        if let Err(error) = record(&self.writes, &input, &outcome).await {
            tracing::error!(version_id = %input.version_id, %error, "cannot record a text extraction");
            // Text the database refuses must not leave the version running.
            let failed = Extracted::Failed("the extracted text could not be stored".to_owned());
            if let Err(error) = record(&self.writes, &input, &failed).await {
                return Outcome::Retry(format!("cannot record the extraction: {error}"));
            }
        }
        Outcome::Done
    }
}

impl Handler for ExtractionHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// The payload only names the file and version: kept, so operators can tell which file a
    /// dead extraction was.
    fn keeps_payload(&self) -> bool {
        true
    }

    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, job: &'a Job, stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(self.attempt(job, stop))
    }

    fn gave_up<'a>(
        &'a self,
        tx: &'a mut Tx,
        job: &'a Job,
        why: GaveUp<'a>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let (Some(org_id), Ok(payload)) = (
                job.org_id.as_deref(),
                serde_json::from_value::<Payload>(job.payload.clone()),
            ) else {
                return Ok(());
            };
            let error = match why {
                GaveUp::Interrupted => format!("extraction was interrupted {} times", job.attempt),
                GaveUp::Failed(error) => format!("extraction failed: {error}"),
            };
            ::metrics::counter!(metrics::EXTRACTIONS, "outcome" => "failed").increment(1);
            store::finish_extraction(
                tx,
                org_id,
                &payload.version_id,
                "failed",
                None,
                Some(&error),
            )
            .await
        })
    }
}

/// What an extraction came to.
enum Extracted {
    Done(String),
    Skipped(String),
    Failed(String),
}

impl Extracted {
    fn state(&self) -> &'static str {
        match self {
            Self::Done(_) => "done",
            Self::Skipped(_) => "skipped",
            Self::Failed(_) => "failed",
        }
    }
}

async fn run(store: &Store, job: &store::ExtractJob, limits: &Limits) -> Extracted {
    let Some(method) = extract::method_for(&job.content_type) else {
        return Extracted::Skipped(format!("no text in {}", job.content_type));
    };
    let size = u64::try_from(job.size).unwrap_or(u64::MAX);
    if size > MAX_INPUT_BYTES && !extract::accepts_prefix(method) {
        return Extracted::Skipped(format!(
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
            Err(error) => return Extracted::Failed(format!("cannot read the file: {error}")),
        }
    };
    match sandbox::extract(method, input, limit, limits).await {
        Ok(text) => Extracted::Done(text),
        Err(failure) => Extracted::Failed(failure.to_string()),
    }
}

async fn record(
    writes: &Writes,
    job: &store::ExtractJob,
    outcome: &Extracted,
) -> Result<(), sqlx::Error> {
    let mut work = writes.begin().await?;
    let (text, error) = match outcome {
        Extracted::Done(text) => (Some(text.as_str()), None),
        Extracted::Skipped(why) | Extracted::Failed(why) => (None, Some(why.as_str())),
    };
    store::finish_extraction(
        work.tx(),
        &job.org_id,
        &job.version_id,
        outcome.state(),
        text,
        error,
    )
    .await?;
    if let Some(text) = text
        && let Some(file) = store::find_in(work.tx(), &job.org_id, &job.file_id).await?
        && file.version_id == job.version_id
        && file.trashed_at.is_none()
    {
        feed::upsert(&mut work, &file, text)?;
    }
    work.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::extract::Method;

    #[test]
    fn outcome_states() {
        assert_eq!(Extracted::Done(String::new()).state(), "done");
        assert_eq!(Extracted::Failed(String::new()).state(), "failed");
        assert_eq!(Extracted::Skipped(String::new()).state(), "skipped");
        assert_eq!(extract::method_for("image/png"), None);
        assert_eq!(extract::method_for("application/pdf"), Some(Method::Pdf));
    }
}
