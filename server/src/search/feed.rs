//! The change feed into the index: typed changes as index operations, the indexer task (a
//! feed consumer named `search:<node id>`), and the full rebuild.
//!
//! Document, message, file, task and record changes are indexed; any other kind is skipped (its
//! sequence still counts as read). A removal deletes the entity. Who may read an entity follows
//! from where it lives, failing closed: a private or project-less message only its channel's
//! members; anything else in a project whoever may read the project; a record the holders of
//! its grants ([`super::record_grants`]: its type's readers, its creator and owners where
//! "only own" rules apply); anything else in no project every non-guest member of the org.
//!
//! The index stores the last sequence it applied in its own commits, and reads on from there;
//! the consumer's cursor in the database follows the index's last commit, so retention keeps
//! every row the index still needs. When the feed was pruned past the index's position (the
//! node was away longer than the stale limit), the index is emptied and rebuilt from the
//! beginning of the feed, which still holds every live entity's last change.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use atrium_search::{
    Access, ChangeSource, FeedBatch, IndexOp, Kind, SearchDoc, SearchIndex, TailOptions,
};
use tokio_util::sync::CancellationToken;

use super::{INDEXED_TOTAL, LAG, Search};
use crate::db::{Db, change_feed};
use crate::feed::{Change, ChangeData, ChangeKind, Consumer, FeedError, Payload, Start};

/// Rows read per batch by `atrium search reindex`: bigger than the live indexer's, since it
/// only catches up.
const REBUILD_BATCH: usize = 5_000;
/// Pause of a rebuild whose read horizon waits on transactions still open.
const REBUILD_HORIZON_RETRY: Duration = Duration::from_millis(20);
/// First pause before reopening the index after an error; doubles up to [`MAX_REOPEN_DELAY`].
const REOPEN_DELAY: Duration = Duration::from_millis(500);
const MAX_REOPEN_DELAY: Duration = Duration::from_secs(30);

/// Why a rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Index(#[from] atrium_search::Error),
}

/// The change feed, read by this node's search consumer, as the indexer's [`ChangeSource`].
pub struct FeedSource {
    consumer: Consumer,
    index: Arc<SearchIndex>,
    /// The sequence last acknowledged to the feed.
    acked: AtomicI64,
}

impl FeedSource {
    /// Registers `consumer` (from the beginning of the feed when new) for `index`.
    pub async fn new(db: &Db, consumer: &str, index: Arc<SearchIndex>) -> Result<Self, FeedError> {
        let (consumer, cursor) = Consumer::register(db, consumer, Start::Beginning).await?;
        Ok(Self {
            consumer,
            index,
            acked: AtomicI64::new(cursor),
        })
    }

    /// Acknowledges the index's last commit if it moved: retention then lets go of what the
    /// index made durable, and nothing it has not.
    async fn acknowledge(&self) -> Result<(), FeedError> {
        let committed = self.index.last_seq();
        if self.acked.load(Ordering::Acquire) != committed {
            self.consumer.ack(committed).await?;
            self.acked.store(committed, Ordering::Release);
        }
        Ok(())
    }

    /// Empties the index for a rebuild from the beginning; the cursor goes back first, so
    /// retention keeps what the rebuild reads.
    async fn restart(&self) -> Result<(), RebuildError> {
        self.consumer.rewind(0).await?;
        self.acked.store(0, Ordering::Release);
        let index = Arc::clone(&self.index);
        blocking(move || index.reset()).await?;
        Ok(())
    }
}

impl ChangeSource for FeedSource {
    type Error = RebuildError;

    async fn read_after(&self, after: i64, limit: usize) -> Result<FeedBatch, RebuildError> {
        self.acknowledge().await?;
        let batch = match self.consumer.read_after(after, limit).await {
            Ok(batch) => batch,
            Err(FeedError::Behind { cursor, pruned }) => {
                tracing::warn!(
                    cursor,
                    pruned,
                    "the change feed was pruned past the search index; rebuilding it from the beginning"
                );
                self.restart().await?;
                return Ok(FeedBatch::empty(0));
            }
            Err(error) => return Err(error.into()),
        };
        metrics::gauge!(LAG).set((batch.horizon - batch.last_seq).max(0) as f64);
        let mut entries = Vec::with_capacity(batch.changes.len());
        for change in &batch.changes {
            if let Some(op) = to_op(change) {
                metrics::counter!(INDEXED_TOTAL, "kind" => change.kind_name().to_owned())
                    .increment(1);
                entries.push((change.seq, op));
            }
        }
        Ok(FeedBatch {
            entries,
            last_seq: batch.last_seq,
        })
    }
}

/// The index operation of a change, or `None` for kinds search does not index.
pub fn to_op(change: &Change) -> Option<IndexOp> {
    let id = change.entity_id.clone();
    let payload = match &change.data {
        ChangeData::Upsert(payload) => payload,
        ChangeData::Delete { kind, .. } => {
            return Some(IndexOp::Delete {
                kind: kind_of(*kind),
                id,
            });
        }
        ChangeData::Unknown { .. } => return None,
    };
    let doc = |kind, project: Option<&str>, channel: Option<&str>, private: bool| {
        let project = project.filter(|s| !s.is_empty()).map(str::to_owned);
        let channel = channel.filter(|s| !s.is_empty()).map(str::to_owned);
        let access = derived_access(kind, project.is_some(), channel.is_some(), private);
        SearchDoc {
            kind,
            id: id.clone(),
            org: change.org_id.clone(),
            project,
            channel,
            title: String::new(),
            body: String::new(),
            author: None,
            created: change.created_at,
            updated: change.created_at,
            access,
        }
    };
    let author = |a: &str| Some(a.to_owned()).filter(|a| !a.is_empty());
    let search_doc = match payload {
        Payload::Doc(p) => SearchDoc {
            title: p.title.clone(),
            body: p.body.clone(),
            author: author(&p.author),
            created: p.created,
            updated: p.updated,
            ..doc(Kind::Doc, Some(&p.project), None, false)
        },
        Payload::File(p) => SearchDoc {
            title: p.title.clone(),
            body: p.body.clone(),
            author: author(&p.author),
            created: p.created,
            updated: p.updated,
            ..doc(Kind::File, Some(&p.project), None, false)
        },
        Payload::Task(p) => SearchDoc {
            title: p.title.clone(),
            body: p.body.clone(),
            author: author(&p.author),
            created: p.created,
            updated: p.updated,
            ..doc(Kind::Task, Some(&p.project), None, false)
        },
        Payload::Message(p) => SearchDoc {
            title: p.title.clone(),
            body: p.body.clone(),
            author: author(&p.author),
            created: p.created,
            updated: p.updated,
            ..doc(
                Kind::Message,
                p.project.as_deref(),
                Some(&p.channel),
                p.private,
            )
        },
        Payload::Record(p) => SearchDoc {
            title: p.name.clone(),
            body: p.body.clone(),
            author: author(&p.author),
            created: p.created,
            updated: p.updated,
            access: Access::AnyGrant(super::record_grants::for_record(
                &p.record_type,
                &p.author,
                p.owners.iter().chain(&p.assignee).map(String::as_str),
            )),
            ..doc(Kind::Record, None, None, false)
        },
    };
    Some(IndexOp::Upsert(search_doc))
}

fn kind_of(kind: ChangeKind) -> Kind {
    match kind {
        ChangeKind::Doc => Kind::Doc,
        ChangeKind::Message => Kind::Message,
        ChangeKind::File => Kind::File,
        ChangeKind::Task => Kind::Task,
        ChangeKind::Record => Kind::Record,
    }
}

/// A grant nobody holds: the audience of a message we know nothing about, so the entity is
/// indexed (its later upserts and deletes still apply) but matched by no one.
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

/// Spawns the indexer: it follows the change feed into the index as the feed consumer named
/// `consumer` until `stop` is cancelled, then commits, closes the index and ends. After an
/// index error it reopens the index and resumes from its last commit.
pub fn spawn(
    db: Db,
    search: Search,
    consumer: String,
    wakers: &crate::feed::Wakers,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    // Commits that append changes wake the indexer, which otherwise polls.
    wakers.register(search.wake());
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
            let source = match FeedSource::new(&db, &consumer, Arc::clone(&index)).await {
                Ok(source) => source,
                Err(error) => {
                    tracing::warn!(%error, "cannot register the search indexer with the change feed; retrying");
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(REOPEN_DELAY) => continue,
                    }
                }
            };
            let outcome = atrium_search::tail(
                index,
                source,
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

/// Empties the index in `dir` and applies the whole change feed from its beginning as the feed
/// consumer `consumer`; returns the last sequence applied and how many entities are searchable.
/// Fails if a running server holds the index (stop it first).
pub async fn rebuild(
    db: &Db,
    dir: impl AsRef<std::path::Path>,
    consumer: &str,
) -> Result<(i64, u64), RebuildError> {
    let search = Search::open(dir).await?;
    let index = search
        .index()
        .ok_or_else(|| atrium_search::Error::Task("index not open".to_owned()))?;
    let source = FeedSource::new(db, consumer, Arc::clone(&index)).await?;
    source.restart().await?;
    // Everything committed before the rebuild started is applied before it ends, even while
    // the read horizon waits on transactions still open.
    let head = change_feed::head(db).await.map_err(FeedError::from)?;
    let mut after = 0;
    loop {
        let batch = source.read_after(after, REBUILD_BATCH).await?;
        if batch.last_seq <= after {
            if after >= head {
                break;
            }
            tokio::time::sleep(REBUILD_HORIZON_RETRY).await;
            continue;
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
    source.acknowledge().await?;
    drop(source);
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
    use crate::chat::feed::MessagePayload;
    use crate::docs::feed::DocPayload;
    use crate::feed::Removal;

    fn change(data: ChangeData) -> Change {
        Change {
            seq: 7,
            org_id: "o1".into(),
            entity_id: "e1".into(),
            created_at: 1_000,
            data,
            cause: None,
        }
    }

    fn message(project: Option<&str>, channel: &str, private: bool) -> Change {
        change(ChangeData::Upsert(Payload::Message(MessagePayload {
            project: project.map(str::to_owned),
            channel: channel.into(),
            title: "#general".into(),
            body: "hi".into(),
            author: "u1".into(),
            created: 5,
            updated: 9,
            private,
        })))
    }

    fn upserted(c: &Change) -> SearchDoc {
        match to_op(c) {
            Some(IndexOp::Upsert(doc)) => doc,
            other => panic!("expected an upsert, got {other:?}"),
        }
    }

    #[test]
    fn documents_map_with_their_project() {
        let doc = upserted(&change(ChangeData::Upsert(Payload::Doc(DocPayload {
            project: "p1".into(),
            title: "Plan".into(),
            body: "text".into(),
            author: "u1".into(),
            created: 5,
            updated: 9,
        }))));
        assert_eq!(doc.kind, Kind::Doc);
        assert_eq!(doc.org, "o1");
        assert_eq!(doc.project.as_deref(), Some("p1"));
        assert_eq!((doc.title.as_str(), doc.body.as_str()), ("Plan", "text"));
        assert_eq!(doc.author.as_deref(), Some("u1"));
        assert_eq!((doc.created, doc.updated), (5, 9));
        assert_eq!(doc.access, Access::Project);
    }

    #[test]
    fn records_carry_their_readers_grants() {
        let doc = upserted(&change(ChangeData::Upsert(Payload::Record(
            crate::records::feed::RecordPayload {
                record_type: "order".into(),
                name: "ORD-0001".into(),
                author: "u1".into(),
                owners: vec!["u2".into()],
                body: "Widgets".into(),
                created: 5,
                updated: 9,
                ..Default::default()
            },
        ))));
        assert_eq!((doc.kind, doc.project.as_deref()), (Kind::Record, None));
        assert_eq!(
            (doc.title.as_str(), doc.body.as_str()),
            ("ORD-0001", "Widgets")
        );
        assert_eq!(
            doc.access,
            Access::AnyGrant(vec![
                "record:order".into(),
                "record:order:own:u1".into(),
                "record:order:own:u2".into()
            ])
        );
    }

    #[test]
    fn deletes_and_unknown_kinds() {
        let removal = Removal {
            project: Some("p1".into()),
        };
        assert_eq!(
            to_op(&change(ChangeData::Delete {
                kind: ChangeKind::Doc,
                removal
            })),
            Some(IndexOp::Delete {
                kind: Kind::Doc,
                id: "e1".into()
            })
        );
        assert_eq!(
            to_op(&change(ChangeData::Unknown {
                kind: "webhook".into()
            })),
            None
        );
    }

    #[test]
    fn access_fails_closed() {
        assert_eq!(
            upserted(&message(Some("p1"), "c1", false)).access,
            Access::Project
        );
        assert_eq!(
            upserted(&message(Some("p1"), "c1", true)).access,
            Access::Channel
        );
        assert_eq!(
            upserted(&message(None, "c1", false)).access,
            Access::Channel
        );
        assert_eq!(
            upserted(&message(None, "", false)).access,
            Access::Grant(UNREADABLE.into())
        );
        assert_eq!(
            upserted(&message(Some("p1"), "c1", false))
                .channel
                .as_deref(),
            Some("c1")
        );
    }
}
