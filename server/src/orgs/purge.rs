//! The job `org.purge`: removes everything a deleted organisation left, and the daily pass
//! `org.exports.expire` that removes exports past their seven days.
//!
//! The purge runs a little after the deletion commits ([`PURGE_DELAY_MS`]), so every node's
//! event dispatcher has read the `access.changed` of the deletion (and closed the
//! organisation's collaboration sockets) before the organisation's event rows go. It works
//! in steps that each only delete, so a purge cut off part-way (a crash, a restart) is simply
//! run again by the queue and carries on:
//!
//! 1. each document's collaboration state (update log, head, snapshot, versions) through the
//!    hub — which also closes this node's room — then the document's row;
//! 2. each blob's object in the file store, then its rows; each export's ZIP, then its row
//!    (an export is deleted with the organisation: its download needs the organisation, so
//!    it is to be downloaded before the deletion, which the browser says);
//! 3. the rows of the tables whose `org_id` no foreign key ties to `orgs`, then the
//!    organisation's row, which cascades to all the others (jobs of the organisation, webhook
//!    deliveries, records, boards…).
//!
//! The job is system work (no organisation), so it is not among the rows it deletes, and it
//! refuses to touch an organisation that is not marked deleted.
//!
//! Search: every node keeps its own index, so each removes the organisation's entries from
//! its own ([`forget_deleted_orgs`]) — the node that purges right after the purge, every node
//! at start-up and every [`SEARCH_SWEEP_EVERY`] ([`spawn_search_sweep`]), which also covers a
//! node that was down during the deletion. Until then no query reaches them: every search is
//! scoped to an organisation the caller belongs to.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{archive, export_store as store};
use crate::db::now_ms;
use crate::files::storage::blob_key;
use crate::jobs::{Handler, Job, NewJob, Outcome};
use crate::state::AppState;
use crate::write::{UnitOfWork, Writes};

/// The purge job's kind.
pub const KIND: &str = "org.purge";
/// The expiry pass's kind.
pub const EXPIRE_KIND: &str = "org.exports.expire";
/// How often the expiry pass runs.
pub const EXPIRE_EVERY: Duration = Duration::from_secs(3600);
/// How often each node looks for deleted organisations in its search index.
pub const SEARCH_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long after the deletion the purge starts.
pub const PURGE_DELAY_MS: i64 = 10_000;
/// Documents or blobs handled per query.
const BATCH: i64 = 200;

/// Queues the purge of `org_id` with the deletion's unit of work.
pub async fn enqueue(work: &mut UnitOfWork, org_id: &str) -> Result<String, sqlx::Error> {
    let job = NewJob {
        run_at: Some(now_ms() + PURGE_DELAY_MS),
        max_attempts: Some(20),
        ..NewJob::new(None, KIND, json!({ "org": org_id }))
    };
    work.enqueue(&job).await
}

/// The purge handler; it deletes documents through the hub, so it gets the state once the
/// server has built it.
#[derive(Clone, Default)]
pub struct PurgeHandler {
    state: crate::jobs::LateState,
}

impl PurgeHandler {
    /// Gives the handler the application state (before the job runner runs its jobs).
    pub fn set_state(&self, state: AppState) {
        self.state.set(state);
    }
}

impl Handler for PurgeHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn keeps_payload(&self) -> bool {
        true
    }

    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let state = match self.state.get() {
                Ok(state) => state,
                Err(starting) => return starting,
            };
            let Some(org_id) = job.payload.get("org").and_then(Value::as_str) else {
                return Outcome::Permanent("the job names no organisation".into());
            };
            match purge(state, org_id).await {
                Ok(()) => Outcome::Done,
                Err(error) => {
                    tracing::warn!(%org_id, %error, "organisation purge failed; it will be retried");
                    Outcome::Retry(error)
                }
            }
        })
    }
}

/// Removes everything of a deleted organisation; safe to run again after any step.
async fn purge(state: &AppState, org_id: &str) -> Result<(), String> {
    let db = &state.db;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    if !store::is_marked_deleted(db, org_id)
        .await
        .map_err(|e| err(&e))?
    {
        // Already purged (a repeated run), or never deleted: nothing to touch.
        return Ok(());
    }
    loop {
        let docs = store::doc_ids(db, org_id, BATCH)
            .await
            .map_err(|e| err(&e))?;
        if docs.is_empty() {
            break;
        }
        for doc_id in docs {
            state
                .collab
                .delete_document(&doc_id)
                .await
                .map_err(|e| err(&e))?;
            store::delete_doc(db, org_id, &doc_id)
                .await
                .map_err(|e| err(&e))?;
        }
    }
    loop {
        let hashes = store::blob_hashes(db, org_id, BATCH)
            .await
            .map_err(|e| err(&e))?;
        if hashes.is_empty() {
            break;
        }
        for sha256 in hashes {
            state
                .files
                .store
                .delete(&blob_key(org_id, &sha256))
                .await
                .map_err(|e| err(&e))?;
            store::delete_blob(db, org_id, &sha256)
                .await
                .map_err(|e| err(&e))?;
        }
    }
    for export_id in store::ids(db, org_id).await.map_err(|e| err(&e))? {
        state
            .files
            .store
            .delete(&archive::export_key(org_id, &export_id))
            .await
            .map_err(|e| err(&e))?;
        store::delete(db, org_id, &export_id)
            .await
            .map_err(|e| err(&e))?;
    }
    store::delete_rows(db, org_id).await.map_err(|e| err(&e))?;
    tracing::info!(%org_id, "organisation purged");
    // This node's index at once; the others' in their next sweep.
    if let Err(error) = forget_deleted_orgs(db, &state.search).await {
        tracing::warn!(%org_id, %error, "cannot remove the organisation from the search index");
    }
    Ok(())
}

/// Removes from this node's search index every organisation in it that is gone or marked
/// deleted; returns how many.
pub async fn forget_deleted_orgs(
    db: &crate::db::Db,
    search: &crate::search::Search,
) -> Result<usize, String> {
    let Some(index) = search.index() else {
        return Ok(0);
    };
    let listed = {
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.orgs())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let mut gone = Vec::new();
    for org in listed {
        if !store::is_live(db, &org).await.map_err(|e| e.to_string())? {
            gone.push(org);
        }
    }
    if gone.is_empty() {
        return Ok(0);
    }
    let count = gone.len();
    tokio::task::spawn_blocking(move || index.forget_orgs(&gone))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tracing::info!(count, "search index: deleted organisations removed");
    Ok(count)
}

/// This node's search sweep: [`forget_deleted_orgs`] at start-up, then every
/// [`SEARCH_SWEEP_EVERY`], until `stop`.
pub fn spawn_search_sweep(
    db: crate::db::Db,
    search: crate::search::Search,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SEARCH_SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(error) = forget_deleted_orgs(&db, &search).await {
                tracing::warn!(%error, "search index sweep of deleted organisations failed");
            }
        }
    })
}

/// The handler of the expiry pass: a recurring job over every organisation's exports.
pub struct ExpireHandler {
    writes: Writes,
    files: crate::files::storage::Store,
}

impl ExpireHandler {
    pub fn new(writes: Writes, files: crate::files::storage::Store) -> Self {
        Self { writes, files }
    }

    /// One pass: the ZIP, then the row, of each export past its time.
    async fn pass(&self) -> Result<(), String> {
        let db = self.writes.db();
        loop {
            let expired = store::expired(db, now_ms(), BATCH)
                .await
                .map_err(|e| e.to_string())?;
            if expired.is_empty() {
                return Ok(());
            }
            for (org_id, export_id) in expired {
                self.files
                    .delete(&archive::export_key(&org_id, &export_id))
                    .await
                    .map_err(|e| e.to_string())?;
                store::delete(db, &org_id, &export_id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
}

impl Handler for ExpireHandler {
    fn kind(&self) -> &'static str {
        EXPIRE_KIND
    }

    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, _job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(crate::jobs::recurring::run_then_requeue(
            &self.writes,
            EXPIRE_KIND,
            EXPIRE_EVERY,
            self.pass(),
        ))
    }
}
