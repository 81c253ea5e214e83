//! Search across an organisation: the node's tantivy index (crate `atrium-search`), fed by the
//! change feed, and `GET /api/v1/orgs/{org}/search`.
//!
//! The index is derived data in `<data_dir>/search`. One indexer task per process follows the
//! change feed from the sequence stored in the index's last commit, so it catches up after a
//! crash or restart; `atrium search reindex` rebuilds it from sequence 0. Every query is limited
//! to what the caller may read, computed from the database at query time, so permission changes
//! apply to the next query.
//!
//! # Layout
//! - [`feed`] — change-feed rows as index operations, the indexer task (reopened after an index
//!   error), and the full rebuild.
//! - [`scope`] — what the caller may read: org membership and readable projects.
//! - [`record_grants`] — the grants a record is indexed with and those a member holds.
//! - [`routes`] — the search endpoint: parameters, hits, highlights as UTF-16 offsets.
//! - this module — [`Search`], the handle to the open index shared by the indexer and handlers.

pub mod feed;
pub mod record_grants;
pub mod routes;
pub mod scope;

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use atrium_search::{IndexOptions, SearchIndex};
use tokio::sync::Notify;

/// Change-feed entries handed to the index, by kind.
pub const INDEXED_TOTAL: &str = "atrium_search_indexed_total";
/// Change-feed rows the indexer has not read yet (feed head − highest sequence read).
pub const LAG: &str = "atrium_search_lag";
/// Time to answer a search from the index (scope and HTTP excluded), in seconds.
pub const QUERY_SECONDS: &str = "atrium_search_query_seconds";

/// The node's search index, shared by the indexer task and the handlers. Cheap to clone.
///
/// The index sits behind a slot rather than a plain `Arc` because the indexer reopens it after
/// an index error: while it does, searches answer 503 instead of reading a broken writer.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    options: IndexOptions,
    index: RwLock<Option<Arc<SearchIndex>>>,
    wake: Arc<Notify>,
}

impl Search {
    /// Opens (or creates) the index in `dir`, taking this process's single writer.
    pub async fn open(dir: impl AsRef<Path>) -> atrium_search::Result<Self> {
        describe_metrics();
        let dir = dir.as_ref().to_path_buf();
        let options = IndexOptions::default();
        let index = open_index(dir.clone(), options.clone()).await?;
        tracing::info!(dir = %dir.display(), last_seq = index.last_seq(), "search index open");
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                options,
                index: RwLock::new(Some(Arc::new(index))),
                wake: Arc::new(Notify::new()),
            }),
        })
    }

    /// The open index, or `None` while the indexer reopens it (or after shutdown).
    pub fn index(&self) -> Option<Arc<SearchIndex>> {
        self.inner
            .index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn wake(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.wake)
    }

    /// Empties the slot, handing back the index (to reopen or close it).
    fn take(&self) -> Option<Arc<SearchIndex>> {
        self.inner
            .index
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn put(&self, index: SearchIndex) -> Arc<SearchIndex> {
        let index = Arc::new(index);
        *self
            .inner
            .index
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&index));
        index
    }

    async fn reopen(&self) -> atrium_search::Result<SearchIndex> {
        open_index(self.inner.dir.clone(), self.inner.options.clone()).await
    }
}

/// Opening reads and may wipe a directory: off the async threads.
async fn open_index(dir: PathBuf, options: IndexOptions) -> atrium_search::Result<SearchIndex> {
    tokio::task::spawn_blocking(move || SearchIndex::open(dir, options))
        .await
        .map_err(|e| atrium_search::Error::Task(e.to_string()))?
}

fn describe_metrics() {
    metrics::describe_counter!(
        INDEXED_TOTAL,
        "change-feed entries applied to the search index, by kind"
    );
    metrics::describe_gauge!(LAG, "change-feed rows the search indexer has not read yet");
    metrics::describe_histogram!(
        QUERY_SECONDS,
        metrics::Unit::Seconds,
        "search query latency in the index"
    );
}
