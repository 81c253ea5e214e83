//! Document changes into the change feed: what search indexes.
//!
//! The hub reports a document's extracted text after edits settle (debounced); metadata changes
//! (rename, trash, restore) report here directly. Each becomes one change-feed row, in the same
//! transaction as the metadata change where there is one.

use atrium_client::wire::Doc;
use atrium_collab::{ContentFormat, DocChange, Hub};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use super::store;
use crate::feed::{ChangeKind, Payload, Removal};
use crate::write::{UnitOfWork, Writes};

/// What a consumer (the search indexer) gets for a document: its state after the change.
// Fields missing from a stored row read as empty: rows of older versions and hand-fed ones
// (the search benchmark) still index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DocPayload {
    pub project: String,
    pub title: String,
    /// The document's plain text.
    pub body: String,
    /// The creator's user id.
    pub author: String,
    /// UTC milliseconds.
    pub created: i64,
    pub updated: i64,
}

impl DocPayload {
    /// The payload of `doc` whose text is `text`.
    pub fn new(doc: &Doc, text: &str) -> Self {
        Self {
            project: doc.project_id.clone(),
            title: doc.title.clone(),
            body: text.to_owned(),
            author: doc.created_by.clone(),
            created: doc.created_at,
            updated: doc.updated_at,
        }
    }
}

/// Queues the document's current state.
pub fn upsert(work: &mut UnitOfWork, doc: &Doc, text: &str) -> Result<(), sqlx::Error> {
    let payload = Payload::Doc(DocPayload::new(doc, text));
    work.feed(&doc.org_id, &doc.id, &payload)
}

/// Queues the document's removal (it went to the trash).
pub fn delete(work: &mut UnitOfWork, doc: &Doc) -> Result<(), sqlx::Error> {
    let removal = Removal {
        project: Some(doc.project_id.clone()),
    };
    work.feed_removal(&doc.org_id, ChangeKind::Doc, &doc.id, &removal)
}

/// The document's plain text as the hub has it.
pub async fn text(hub: &Hub, doc_id: &str) -> String {
    hub.content(doc_id, ContentFormat::Text)
        .await
        .unwrap_or_default()
}

/// Most reports written in one transaction.
const BATCH: usize = 64;

/// Turns the hub's debounced content reports into change-feed rows until shutdown. The reports
/// queued together (the hub sends those of documents edited at the same time together) are
/// written in one transaction, so the indexer reads and commits them as one batch.
pub fn spawn(
    writes: Writes,
    mut changes: UnboundedReceiver<DocChange>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let open = tokio::select! {
                n = changes.recv_many(&mut batch, BATCH) => n > 0,
                () = shutdown.cancelled() => {
                    // The hub flushes its last reports while shutting down: take what is queued.
                    while batch.len() < BATCH {
                        match changes.try_recv() {
                            Ok(change) => batch.push(change),
                            Err(_) => break,
                        }
                    }
                    false
                }
            };
            if !batch.is_empty() {
                if let Err(error) = record_all(&writes, &batch).await {
                    tracing::error!(documents = batch.len(), %error, "cannot record document changes in the change feed");
                }
                batch.clear();
            }
            if !open {
                return;
            }
        }
    })
}

/// Reports again the documents whose last edits never reached the change feed (the process
/// died inside the debounce window), so search catches up after a crash. Runs at start-up.
pub fn spawn_reconcile(writes: Writes, hub: Hub) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ids = match store::changed_since_reported(writes.db()).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(%error, "cannot look for documents to report again");
                return;
            }
        };
        if !ids.is_empty() {
            tracing::info!(
                documents = ids.len(),
                "reporting documents whose last edits were not in the change feed"
            );
        }
        for doc_id in ids {
            let change = DocChange {
                text: text(&hub, &doc_id).await,
                title: String::new(),
                doc_id,
            };
            if let Err(error) = record(&writes, &change).await {
                tracing::error!(doc_id = %change.doc_id, %error, "cannot report a document again");
            }
        }
    })
}

async fn record(writes: &Writes, change: &DocChange) -> Result<(), sqlx::Error> {
    record_all(writes, std::slice::from_ref(change)).await
}

/// Writes a change-feed row for each live document in `changes`, in one transaction. A task's
/// description reports as its task (search finds the text through the task).
async fn record_all(writes: &Writes, changes: &[DocChange]) -> Result<(), sqlx::Error> {
    let db = writes.db();
    let mut docs = Vec::with_capacity(changes.len());
    let mut descriptions = Vec::new();
    for change in changes {
        let Some(org_id) = store::locate(db, &change.doc_id).await? else {
            continue;
        };
        if let Some(task) = crate::boards::feed::description_of(db, &org_id, &change.doc_id).await?
        {
            descriptions.push((task, &change.text));
            continue;
        }
        if let Some(doc) = store::find(db, &org_id, &change.doc_id).await? {
            if doc.trashed_at.is_none() {
                docs.push((doc, &change.text));
            }
        }
    }
    if docs.is_empty() && descriptions.is_empty() {
        return Ok(());
    }
    let mut work = writes.begin().await?;
    for (task, text) in descriptions {
        store::touch(work.tx(), &task.org_id, &task.id).await?;
        crate::boards::feed::upsert_description(&mut work, &task, text).await?;
    }
    for (doc, text) in docs {
        store::touch(work.tx(), &doc.org_id, &doc.id).await?;
        let doc = Doc {
            updated_at: crate::db::now_ms(),
            ..doc
        };
        upsert(&mut work, &doc, text)?;
    }
    work.commit().await
}
