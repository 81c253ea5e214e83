//! Atrium's search: the tantivy schema, the indexer fed by the change feed, queries with
//! permission filters, and safe snippets.
//!
//! One [`SearchIndex`] lives per process over a directory the caller owns. The server feeds it
//! change-feed entries (`(seq, IndexOp)`) with [`SearchIndex::apply`], makes them visible with
//! [`SearchIndex::commit`] (or lets [`tail`] do both), and answers
//! `GET /api/v1/orgs/{org}/search` with [`SearchIndex::search`], passing the caller's [`Scope`].
//! The last applied sequence is stored in the index's commit payload, so after a crash the
//! server resumes from [`SearchIndex::last_seq`]; [`SearchIndex::reset`] empties the index for a
//! rebuild from sequence 0.
//!
//! ```no_run
//! use atrium_search::{IndexOp, IndexOptions, Kind, Access, Scope, SearchDoc, SearchIndex, SearchRequest};
//! # fn main() -> atrium_search::Result<()> {
//! let index = SearchIndex::open("data/search", IndexOptions::default())?;
//! let resume_from = index.last_seq(); // read the change feed after this sequence
//! index.apply(vec![(resume_from + 1, IndexOp::Upsert(SearchDoc {
//!     kind: Kind::Message, id: "m1".into(), org: "o1".into(),
//!     project: Some("p1".into()), channel: Some("c1".into()),
//!     title: String::new(), body: "the release café is open".into(),
//!     author: Some("u1".into()), created: 1_700_000_000_000, updated: 1_700_000_000_000,
//!     access: Access::Project,
//! }))])?;
//! index.commit()?; // searchable from here on; last_seq() is now resume_from + 1
//! let scope = Scope { org: "o1".into(), projects: vec!["p1".into()], ..Scope::default() };
//! let page = index.search(&scope, &SearchRequest::new("cafe relea"))?;
//! for hit in &page.hits {
//!     println!("{} {} {}", hit.kind, hit.id, hit.snippet.to_html());
//! }
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! - [`model`]: what goes in ([`SearchDoc`], [`IndexOp`]) and what comes out ([`Hit`], [`Snippet`]).
//! - `schema`: the one tantivy schema shared by every kind, and the permission terms.
//! - [`analyzer`]: the tokenizer for English, accented and CJK text, used at index and query time.
//! - `query`: turns user text, filters and a [`Scope`] into a tantivy query, never panicking.
//! - `bitset_query`, `union`, `collector`: the query's building blocks that keep common words
//!   cheap: cached per-segment scope filter bitsets, lazily scored word unions, and top-k
//!   ranking that reads recency only for matches that can make the page.
//! - `snippet`: picks and marks the passage to show, as plain text plus match ranges.
//! - `index`: [`SearchIndex`]: open, apply, commit, reset, search, cursors.
//! - `background`: the writer's threads run at a lower CPU priority than requests.
//! - `feed`: [`tail`], an async loop that follows a change source and commits within a deadline.
//! - [`corpus`]: deterministic synthetic text shared by the benchmarks.

pub mod analyzer;
mod background;
mod bitset_query;
mod collector;
pub mod corpus;
mod cursor;
mod feed;
mod index;
pub mod model;
mod query;
mod schema;
mod snippet;
mod union;

pub use feed::{ChangeSource, FeedBatch, TailOptions, tail};
pub use index::{IndexOptions, SearchIndex};
pub use model::{
    Access, Hit, IndexOp, Kind, Scope, SearchDoc, SearchRequest, SearchResults, Snippet, TimeRange,
};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query text, a filter or the cursor is unusable; the server answers 400.
    #[error("bad query: {0}")]
    BadQuery(String),
    /// A document handed to the indexer breaks a rule (e.g. `Access::Channel` without a channel).
    #[error("invalid document {kind}/{id}: {reason}")]
    InvalidDoc {
        /// The document's kind.
        kind: Kind,
        /// The document's id.
        id: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// tantivy failed (I/O, a corrupt segment, another process holding the writer lock).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be prepared.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking task of the tailer panicked or was cancelled.
    #[error("search indexer task failed: {0}")]
    Task(String),
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
