//! The change feed into the index: row mapping, the indexer task, and the full rebuild.
//!
//! # What a row must carry to be searchable
//!
//! Rows of kind `doc`, `message`, `task`, `record` and `file` are indexed; any other kind is
//! skipped (its sequence still counts as read). A `delete` row removes the entity. An `upsert`
//! row's JSON payload gives the entity's current state, every field optional:
//!
//! | field      | meaning                                                              |
//! |------------|----------------------------------------------------------------------|
//! | `project`  | the project it lives in                                              |
//! | `channel`  | the channel, for messages                                            |
//! | `title`    | title, name or subject (ranks higher)                                |
//! | `body`     | the searchable text                                                  |
//! | `author`   | the author's user id                                                 |
//! | `created`, `updated` | UTC milliseconds (default: the row's time)                  |
//! | `private`  | `true` for messages of a private channel or a direct conversation   |
//! | `access`   | overrides who may read it: `"project"`, `"channel"`, `"org"`, or `{"grant": "name"}` |
//!
//! Without `access`, who may read an entity follows from where it lives, failing closed:
//! a private or project-less message only its channel's members; anything else in a project
//! whoever may read the project; anything in no project every non-guest member of the org.

use std::sync::Arc;
use std::time::Duration;

use atrium_search::{
    Access, ChangeSource, FeedBatch, IndexOp, Kind, SearchDoc, SearchIndex, TailOptions,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{INDEXED_TOTAL, LAG, Search};
use crate::db::Db;
use crate::db::change_feed::{self, Change, Op};

/// Rows read per batch by `atrium search reindex`: bigger than the live indexer's, since it
/// only catches up.
const REBUILD_BATCH: usize = 5_000;
/// First pause before reopening the index after an error; doubles up to [`MAX_REOPEN_DELAY`].
const REOPEN_DELAY: Duration = Duration::from_millis(500);
const MAX_REOPEN_DELAY: Duration = Duration::from_secs(30);

/// Why a rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("cannot read the change feed: {0}")]
    Feed(#[from] sqlx::Error),
    #[error(transparent)]
    Index(#[from] atrium_search::Error),
}

/// The server's change-feed table as the indexer's [`ChangeSource`].
#[derive(Clone)]
pub struct FeedSource {
    db: Db,
}

impl FeedSource {
    /// Reads the feed of `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl ChangeSource for FeedSource {
    type Error = sqlx::Error;

    async fn read_after(&self, after: i64, limit: usize) -> Result<FeedBatch, sqlx::Error> {
        let limit_rows = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = change_feed::read_after(&self.db, after, limit_rows).await?;
        let last_seq = rows.last().map_or(after, |c| c.seq);
        // A short read reached the head; only a full one needs to ask how far behind we are.
        let head = if rows.len() < limit {
            last_seq
        } else {
            change_feed::head(&self.db).await?
        };
        metrics::gauge!(LAG).set((head - last_seq).max(0) as f64);
        let mut entries = Vec::with_capacity(rows.len());
        for change in &rows {
            if let Some(op) = to_op(change) {
                metrics::counter!(INDEXED_TOTAL, "kind" => change.kind.clone()).increment(1);
                entries.push((change.seq, op));
            }
        }
        Ok(FeedBatch { entries, last_seq })
    }
}

/// The index operation of a change-feed row, or `None` for kinds search does not index.
pub fn to_op(change: &Change) -> Option<IndexOp> {
    let kind: Kind = change.kind.parse().ok()?;
    let id = change.entity_id.clone();
    if change.op == Op::Delete {
        return Some(IndexOp::Delete { kind, id });
    }
    let p = &change.payload;
    let text = |field: &str| p.get(field).and_then(Value::as_str).map(str::to_owned);
    let time = |field: &str| {
        p.get(field)
            .and_then(Value::as_i64)
            .unwrap_or(change.created_at)
    };
    let project = text("project").filter(|s| !s.is_empty());
    let channel = text("channel").filter(|s| !s.is_empty());
    let private = p.get("private").and_then(Value::as_bool).unwrap_or(false);
    let access = match p.get("access") {
        Some(explicit) => explicit_access(explicit),
        None => derived_access(kind, project.is_some(), channel.is_some(), private),
    };
    Some(IndexOp::Upsert(SearchDoc {
        kind,
        id,
        org: change.org_id.clone(),
        project,
        channel,
        title: text("title").unwrap_or_default(),
        body: text("body").unwrap_or_default(),
        author: text("author").filter(|s| !s.is_empty()),
        created: time("created"),
        updated: time("updated"),
        access,
    }))
}

/// An `access` field the feature wrote. One this server does not understand makes the entity
/// readable by nobody rather than guessing who may read it.
fn explicit_access(value: &Value) -> Access {
    let understood = match value {
        Value::String(s) => match s.as_str() {
            "project" => Some(Access::Project),
            "channel" => Some(Access::Channel),
            "org" => Some(Access::Org),
            _ => None,
        },
        Value::Object(map) => map
            .get("grant")
            .and_then(Value::as_str)
            .filter(|g| !g.is_empty())
            .map(|g| Access::Grant(g.to_owned())),
        _ => None,
    };
    understood.unwrap_or_else(|| Access::Grant(UNREADABLE.to_owned()))
}

/// A grant nobody holds: what an unrecognised `access` value becomes, so the entity is indexed
/// (its later upserts and deletes still apply) but matched by no one.
const UNREADABLE: &str = "\u{0}unreadable";

fn derived_access(kind: Kind, in_project: bool, in_channel: bool, private: bool) -> Access {
    match (kind, in_project, in_channel) {
        (Kind::Message, _, true) if private => Access::Channel,
        (Kind::Message, false, true) => Access::Channel,
        (_, true, _) => Access::Project,
        // A channel-less, project-less message has no audience we know of: nobody's scope
        // holds this grant, so it is never shown.
        (Kind::Message, false, false) => Access::Grant(UNREADABLE.to_owned()),
        (_, false, _) => Access::Org,
    }
}

/// Spawns the indexer: it follows the change feed into the index until `stop` is cancelled,
/// then commits, closes the index and ends. After an index error it reopens the index and
/// resumes from its last commit.
pub fn spawn(db: Db, search: Search, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = REOPEN_DELAY;
        loop {
            let index = match search.index() {
                Some(index) => index,
                None => match reopen(&search, &stop, &mut delay).await {
                    Some(index) => index,
                    None => break,
                },
            };
            let outcome = atrium_search::tail(
                index,
                FeedSource::new(db.clone()),
                TailOptions::default(),
                search.wake(),
                stop.clone().cancelled_owned(),
            )
            .await;
            match outcome {
                Ok(()) => break,
                Err(error) => {
                    tracing::error!(%error, "search indexer stopped; reopening the index");
                    // Searches get 503 until the index is back, not a broken writer.
                    drop(search.take());
                    if stop.is_cancelled() {
                        break;
                    }
                }
            }
        }
        close(&search).await;
    })
}

/// Reopens the index with growing pauses until it opens or `stop` is cancelled.
async fn reopen(
    search: &Search,
    stop: &CancellationToken,
    delay: &mut Duration,
) -> Option<Arc<SearchIndex>> {
    loop {
        tokio::select! {
            () = stop.cancelled() => return None,
            () = tokio::time::sleep(*delay) => {}
        }
        // Searches that still hold the old index keep its writer lock a moment longer; the
        // next attempt gets it.
        match search.reopen().await {
            Ok(index) => {
                tracing::info!(last_seq = index.last_seq(), "search index reopened");
                *delay = REOPEN_DELAY;
                return Some(search.put(index));
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "cannot reopen the search index");
                *delay = (*delay * 2).min(MAX_REOPEN_DELAY);
            }
        }
    }
}

/// Waits for merges and releases the writer. The indexer's last commit already made
/// everything it applied durable, so this only tidies up.
async fn close(search: &Search) {
    let Some(mut index) = search.take() else {
        return;
    };
    // A search that began before shutdown may still hold the index for a few milliseconds.
    for _ in 0..50 {
        match Arc::try_unwrap(index) {
            Ok(owned) => {
                let closed = tokio::task::spawn_blocking(move || owned.close()).await;
                match closed {
                    Ok(Ok(())) => tracing::info!("search index closed"),
                    Ok(Err(error)) => tracing::warn!(%error, "closing the search index failed"),
                    Err(error) => tracing::warn!(%error, "closing the search index panicked"),
                }
                return;
            }
            Err(shared) => {
                index = shared;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    tracing::warn!("search index still in use at shutdown; dropped without waiting for merges");
}

/// Empties the index in `dir` and applies the whole change feed from sequence 0; returns the
/// last sequence applied and how many entities are searchable. Fails if a running server holds
/// the index (stop it first).
pub async fn rebuild(
    db: &Db,
    dir: impl AsRef<std::path::Path>,
) -> Result<(i64, u64), RebuildError> {
    let search = Search::open(dir).await?;
    let index = search
        .index()
        .ok_or_else(|| atrium_search::Error::Task("index not open".to_owned()))?;
    blocking({
        let index = Arc::clone(&index);
        move || index.reset()
    })
    .await?;
    let source = FeedSource::new(db.clone());
    let mut after = 0;
    loop {
        let batch = source.read_after(after, REBUILD_BATCH).await?;
        if batch.last_seq <= after {
            break;
        }
        after = batch.last_seq;
        let index = Arc::clone(&index);
        blocking(move || {
            index.apply(batch.entries)?;
            index.advance_to(batch.last_seq);
            // Commits along the way keep a crashed rebuild's progress.
            index.commit_if_due(Duration::from_secs(10))
        })
        .await?;
    }
    let counts = blocking({
        let index = Arc::clone(&index);
        move || {
            index.commit()?;
            Ok((index.last_seq(), index.num_docs()))
        }
    })
    .await?;
    drop(index);
    close(&search).await;
    Ok(counts)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> atrium_search::Result<T> + Send + 'static,
) -> atrium_search::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| atrium_search::Error::Task(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(kind: &str, op: Op, payload: Value) -> Change {
        Change {
            seq: 7,
            org_id: "o1".into(),
            kind: kind.into(),
            entity_id: "e1".into(),
            op,
            payload,
            created_at: 1_000,
        }
    }

    fn upserted(c: &Change) -> SearchDoc {
        match to_op(c) {
            Some(IndexOp::Upsert(doc)) => doc,
            other => panic!("expected an upsert, got {other:?}"),
        }
    }

    #[test]
    fn documents_map_with_their_project() {
        let doc = upserted(&change(
            "doc",
            Op::Upsert,
            json!({"project": "p1", "title": "Plan", "body": "text", "author": "u1", "created": 5, "updated": 9}),
        ));
        assert_eq!(doc.kind, Kind::Doc);
        assert_eq!(doc.org, "o1");
        assert_eq!(doc.project.as_deref(), Some("p1"));
        assert_eq!((doc.title.as_str(), doc.body.as_str()), ("Plan", "text"));
        assert_eq!((doc.created, doc.updated), (5, 9));
        assert_eq!(doc.access, Access::Project);
    }

    #[test]
    fn deletes_and_unknown_kinds() {
        assert_eq!(
            to_op(&change("doc", Op::Delete, json!({"project": "p1"}))),
            Some(IndexOp::Delete {
                kind: Kind::Doc,
                id: "e1".into()
            })
        );
        assert_eq!(to_op(&change("webhook", Op::Upsert, json!({}))), None);
    }

    #[test]
    fn access_fails_closed() {
        let public = upserted(&change(
            "message",
            Op::Upsert,
            json!({"project": "p1", "channel": "c1", "body": "hi"}),
        ));
        assert_eq!(public.access, Access::Project);
        let private = upserted(&change(
            "message",
            Op::Upsert,
            json!({"project": "p1", "channel": "c1", "private": true}),
        ));
        assert_eq!(private.access, Access::Channel);
        let direct = upserted(&change("message", Op::Upsert, json!({"channel": "c1"})));
        assert_eq!(direct.access, Access::Channel);
        let orphan = upserted(&change("message", Op::Upsert, json!({"body": "x"})));
        assert_eq!(orphan.access, Access::Grant(UNREADABLE.into()));
        let record = upserted(&change("record", Op::Upsert, json!({"title": "Client"})));
        assert_eq!(record.access, Access::Org);
        let granted = upserted(&change(
            "record",
            Op::Upsert,
            json!({"access": {"grant": "record:invoice"}}),
        ));
        assert_eq!(granted.access, Access::Grant("record:invoice".into()));
        let unknown = upserted(&change("task", Op::Upsert, json!({"access": "everyone"})));
        assert_eq!(unknown.access, Access::Grant(UNREADABLE.into()));
        // Missing times fall back to the row's; wrong types are ignored.
        let odd = upserted(&change(
            "file",
            Op::Upsert,
            json!({"project": "p1", "title": 3, "updated": "yesterday"}),
        ));
        assert_eq!((odd.title.as_str(), odd.updated), ("", 1_000));
    }
}
