//! [`SearchIndex`]: the tantivy index, its single writer, and searching it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::UserOperation;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};
use tracing::{debug, warn};

use crate::analyzer::{ANALYZER, analyzer};
use crate::background::at_background_priority;
use crate::bitset_query::FilterCache;
use crate::collector::{RankCollector, Ranked};
use crate::cursor::Cursor;
use crate::model::{Hit, IndexOp, Kind, Scope, SearchDoc, SearchRequest, SearchResults, Snippet};
use crate::query;
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::snippet::{self, BODY_SNIPPET_BYTES, Matcher, TITLE_SNIPPET_BYTES};
use crate::{Error, Result};

/// Bodies are indexed and stored up to this many bytes; beyond it a huge extracted file would
/// cost memory and snippet time for little recall.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Titles are cut to this many bytes.
pub const MAX_TITLE_BYTES: usize = 4 * 1024;
/// Page size when the request names none.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page.
pub const MAX_LIMIT: usize = 100;

/// How much a brand-new entity's score is raised over an old one's (×1.5), and how fast
/// that advantage halves with age.
const RECENCY_WEIGHT: f32 = 0.5;
const RECENCY_HALF_LIFE_MS: f32 = 14.0 * 86_400_000.0;
/// Snapshots kept for cursors, and for how long: paging on this index within that time sees
/// exactly the snapshot of the first page even while the index changes. A cursor taken to
/// another node (or kept longer) pages through the current snapshot by its key instead.
const PINNED_SEARCHERS: usize = 8;
const PIN_TTL: Duration = Duration::from_secs(120);
/// Staged changes that force a commit in [`SearchIndex::commit_if_due`] whatever the delay.
const COMMIT_EVERY_OPS: usize = 50_000;
/// Most writer operations sent as one group by [`SearchIndex::apply`] (an upsert is two).
const OPERATIONS_PER_GROUP: usize = 512;
/// [`SearchIndex::compact`] merges everything when more segments than this are searchable.
pub const COMPACT_ABOVE_SEGMENTS: usize = 4;

/// How to open the index.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Memory for the writer's in-RAM segments, shared by its threads (tantivy needs at least
    /// 15 MB per thread). Larger means fewer, bigger segments.
    pub writer_heap_bytes: usize,
    /// Indexing threads; 0 means one per core, at most 2.
    pub writer_threads: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_heap_bytes: 128 * 1024 * 1024,
            writer_threads: 0,
        }
    }
}

/// What the commit payload records.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    version: u32,
    last_seq: i64,
}

struct WriterState {
    writer: IndexWriter,
    /// Highest change-feed sequence applied to the writer (committed or not).
    applied_seq: i64,
    /// Changes staged since the last commit.
    pending: usize,
    /// When the oldest uncommitted change was applied.
    dirty_since: Option<Instant>,
}

struct Pinned {
    generation: u64,
    used: Instant,
    searcher: Searcher,
}

/// The search index of one node: one writer, readers reloaded on every commit.
///
/// All methods are synchronous and may block on disk I/O or CPU for milliseconds (search) to
/// seconds (a large commit): call them from `tokio::task::spawn_blocking` in async code, or let
/// [`crate::tail`] drive the writing side.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    state: Mutex<WriterState>,
    applied_seq: AtomicI64,
    committed_seq: AtomicI64,
    pinned: Mutex<VecDeque<Pinned>>,
    /// This open index among all (random): cursors name it, so that only the index that pinned
    /// a snapshot looks it up (another node's generations are numbered on their own).
    instance: u64,
    /// Per-segment bitsets of recent scopes' org and permission filters.
    filters: Arc<FilterCache>,
    dir: PathBuf,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves nothing half-written that matters: tantivy's own
    // state is consistent, and the sequence counters are only advanced after success.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

/// The recency multiplier: 1 + weight · ½^(age / half-life), age clamped at 0.
fn recency(now: i64, updated: i64) -> f32 {
    let age = now.saturating_sub(updated).max(0) as f32;
    1.0 + RECENCY_WEIGHT * (-age / RECENCY_HALF_LIFE_MS).exp2()
}

impl SearchIndex {
    /// Opens the index in `dir` (created if missing), taking this process's single writer.
    ///
    /// The directory belongs to the index. An index written with another schema version is
    /// wiped and recreated empty ([`SearchIndex::last_seq`] is then 0), since it is derived
    /// data the change feed rebuilds. Fails if another process holds the writer lock.
    pub fn open(dir: impl AsRef<Path>, options: IndexOptions) -> Result<SearchIndex> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let (schema, fields) = Fields::schema();
        let index = match Self::open_existing(&dir, &schema)? {
            Some(index) => index,
            None => {
                if std::fs::read_dir(&dir)?.next().is_some() {
                    warn!(dir = %dir.display(), "search index is of another version; rebuilding it from scratch");
                    std::fs::remove_dir_all(&dir)?;
                    std::fs::create_dir_all(&dir)?;
                }
                Index::create(
                    MmapDirectory::open(&dir).map_err(tantivy::TantivyError::from)?,
                    schema,
                    IndexSettings::default(),
                )?
            }
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let last_seq = read_payload(&index)?.map_or(0, |p| p.last_seq);

        let threads = match options.writer_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            n => n,
        };
        let heap = options.writer_heap_bytes.max(threads * 16 * 1024 * 1024);
        // Its indexing, merge and segment-updater threads start here: behind requests.
        let writer: IndexWriter =
            at_background_priority(|| index.writer_with_num_threads(threads, heap))?;
        // Commits reload the reader themselves (so a change is searchable when `commit`
        // returns); the reload on meta changes also brings in segments that background merges
        // finish while no commit follows, e.g. after a bulk catch-up when the feed goes quiet.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let this = SearchIndex {
            index,
            reader,
            fields,
            analyzer: analyzer(),
            state: Mutex::new(WriterState {
                writer,
                applied_seq: last_seq,
                pending: 0,
                dirty_since: None,
            }),
            applied_seq: AtomicI64::new(last_seq),
            committed_seq: AtomicI64::new(last_seq),
            pinned: Mutex::new(VecDeque::new()),
            instance: instance_id(),
            filters: Arc::default(),
            dir,
        };
        if read_payload(&this.index)?.is_none() {
            // Stamp a new index at once, so a later open can tell it is ours and current.
            this.commit_locked(&mut lock(&this.state), true)?;
        }
        debug!(dir = %this.dir.display(), last_seq, "search index open");
        Ok(this)
    }

    /// The index in `dir` if it exists with this schema and version.
    fn open_existing(dir: &Path, schema: &tantivy::schema::Schema) -> Result<Option<Index>> {
        let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        if !Index::exists(&directory).map_err(tantivy::TantivyError::from)? {
            return Ok(None);
        }
        let index = match Index::open(directory) {
            Ok(index) => index,
            Err(e) => {
                warn!(error = %e, "search index unreadable");
                return Ok(None);
            }
        };
        let current = index.schema() == *schema
            && read_payload(&index)
                .ok()
                .flatten()
                .is_some_and(|p| p.version == SCHEMA_VERSION);
        Ok(current.then_some(index))
    }

    /// The directory the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The change-feed sequence of the last commit: every change up to it is searchable and
    /// survives a crash. Read the feed after it on start-up; 0 for an empty index.
    pub fn last_seq(&self) -> i64 {
        self.committed_seq.load(Ordering::Acquire)
    }

    /// The highest sequence applied, committed or not: where a running tailer reads on from.
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::Acquire)
    }

    /// Documents visible to searches (all orgs).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Segments visible to searches; many small ones (before merges catch up) slow queries.
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Stages change-feed entries in sequence order: an upsert replaces the entity with the
    /// same kind and id, a delete removes it. Nothing is visible until [`SearchIndex::commit`].
    ///
    /// An upsert that breaks a rule ([`Error::InvalidDoc`]) removes any older version of the
    /// entity instead (failing closed) and is logged; it does not stop the batch, so one bad
    /// row cannot stall the feed. Returns how many entries were staged as given.
    pub fn apply(&self, entries: impl IntoIterator<Item = (i64, IndexOp)>) -> Result<usize> {
        let mut state = lock(&self.state);
        let mut staged = 0;
        let mut operations = Vec::new();
        for (seq, op) in entries {
            match op {
                IndexOp::Upsert(doc) => {
                    let key = schema::key(doc.kind, &doc.id);
                    operations.push(UserOperation::Delete(Term::from_field_text(
                        self.fields.key,
                        &key,
                    )));
                    match self.document(&doc, &key) {
                        Ok(document) => {
                            operations.push(UserOperation::Add(document));
                            staged += 1;
                        }
                        Err(e) => warn!(seq, error = %e, "search: entity not indexed"),
                    }
                }
                IndexOp::Delete { kind, id } => {
                    let key = schema::key(kind, &id);
                    operations.push(UserOperation::Delete(Term::from_field_text(
                        self.fields.key,
                        &key,
                    )));
                    staged += 1;
                }
            }
            state.pending += 1;
            state.dirty_since.get_or_insert_with(Instant::now);
            if seq > state.applied_seq {
                state.applied_seq = seq;
                self.applied_seq.store(seq, Ordering::Release);
            }
        }
        // Operations go to the writer in groups; a group's documents go to one indexing thread
        // and so into one segment. A live trickle (a few edited documents every half second)
        // then costs one new segment per commit instead of one per indexing thread, while a
        // bulk catch-up's many groups still spread over the threads.
        let mut operations = operations.into_iter().peekable();
        while operations.peek().is_some() {
            let group: Vec<_> = operations.by_ref().take(OPERATIONS_PER_GROUP).collect();
            state.writer.run(group)?;
        }
        Ok(staged)
    }

    /// Records that every change up to `seq` has been seen, for feed rows that concern no
    /// searchable entity; the next commit stores it.
    pub fn advance_to(&self, seq: i64) {
        let mut state = lock(&self.state);
        if seq > state.applied_seq {
            state.applied_seq = seq;
            state.dirty_since.get_or_insert_with(Instant::now);
            self.applied_seq.store(seq, Ordering::Release);
        }
    }

    /// Makes every staged change searchable and durable, recording the applied sequence in the
    /// commit payload. Returns whether there was anything to commit.
    ///
    /// Latency: a commit flushes the in-RAM segment and fsyncs, typically 5–50 ms for a small
    /// batch; readers are reloaded before this returns, so a change is searchable as soon as
    /// the commit that follows its `apply` returns. After an error the index should be
    /// reopened (staged changes are lost and replayed from [`SearchIndex::last_seq`]).
    pub fn commit(&self) -> Result<bool> {
        self.commit_locked(&mut lock(&self.state), false)
    }

    /// Commits when the oldest staged change has waited `max_delay` or many changes are
    /// staged; a loop calling this after each batch bounds change-to-search latency to about
    /// `max_delay` plus the commit time while keeping commits few under load.
    pub fn commit_if_due(&self, max_delay: Duration) -> Result<bool> {
        let mut state = lock(&self.state);
        let due = state.pending >= COMMIT_EVERY_OPS
            || state.dirty_since.is_some_and(|t| t.elapsed() >= max_delay);
        if due {
            self.commit_locked(&mut state, false)
        } else {
            Ok(false)
        }
    }

    fn commit_locked(&self, state: &mut WriterState, force: bool) -> Result<bool> {
        if !force && state.dirty_since.is_none() {
            return Ok(false);
        }
        let seq = state.applied_seq;
        let payload = serde_json::to_string(&Payload {
            version: SCHEMA_VERSION,
            last_seq: seq,
        })
        .map_err(tantivy::TantivyError::from)?;
        let started = Instant::now();
        // A commit starts the next indexing threads: behind requests, as the first ones.
        at_background_priority(|| -> Result<()> {
            let mut prepared = state.writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        debug!(
            seq,
            ops = state.pending,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index committed"
        );
        state.pending = 0;
        state.dirty_since = None;
        self.committed_seq.store(seq, Ordering::Release);
        Ok(true)
    }

    /// Merges every searchable segment into one when there are more than
    /// 4 (`COMPACT_ABOVE_SEGMENTS`), waits for the merge, and makes the result searchable.
    /// Returns whether it merged.
    ///
    /// For after a bulk catch-up (the tailer calls it when it caught up from a large backlog):
    /// the commits of a catch-up leave segments of many sizes that background merges do not
    /// bring down, and each prefix or typo term is expanded once per segment at query time.
    /// Takes seconds on a million messages (one core); searches and indexing go on meanwhile,
    /// on the old segments until it ends. Fails if a background merge holds one of the
    /// segments; try again later.
    pub fn compact(&self) -> Result<bool> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() <= COMPACT_ABOVE_SEGMENTS {
            // A background merge may have just brought the count down; let searches see it.
            self.reader.reload()?;
            return Ok(false);
        }
        let started = Instant::now();
        let merging = lock(&self.state).writer.merge(&ids);
        merging.wait()?;
        self.reader.reload()?;
        debug!(
            segments = ids.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index compacted"
        );
        Ok(true)
    }

    /// Empties the index and sets its sequence to 0, committed at once: the start of a full
    /// rebuild (`atrium search reindex`), after which the feed is applied from the beginning.
    /// Searches see an emptier index until the rebuild catches up.
    pub fn reset(&self) -> Result<()> {
        let mut state = lock(&self.state);
        state.writer.delete_all_documents()?;
        state.applied_seq = 0;
        self.applied_seq.store(0, Ordering::Release);
        self.commit_locked(&mut state, true)?;
        lock(&self.pinned).clear();
        Ok(())
    }

    /// The organisations the index holds live entities of (a deleted organisation's stay
    /// until [`SearchIndex::forget_orgs`] removes them).
    pub fn orgs(&self) -> Result<std::collections::BTreeSet<String>> {
        let searcher = self.reader.searcher();
        let mut orgs = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.org)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                if let Ok(org) = std::str::from_utf8(terms.key()) {
                    orgs.insert(org.to_owned());
                }
            }
        }
        // The term dictionary still names organisations whose entities are all deleted but
        // not merged away: only those with a live entity are listed.
        let mut live = std::collections::BTreeSet::new();
        for org in orgs {
            let term = Term::from_field_text(self.fields.org, &org);
            let query =
                tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
            if searcher.search(&query, &tantivy::collector::Count)? > 0 {
                live.insert(org);
            }
        }
        Ok(live)
    }

    /// Removes every entity of the organisations `orgs` (deleted ones) and commits; returns
    /// whether there was anything to remove. Sequences are untouched: this is no feed change.
    pub fn forget_orgs(&self, orgs: &[String]) -> Result<bool> {
        if orgs.is_empty() {
            return Ok(false);
        }
        let mut state = lock(&self.state);
        let operations: Vec<UserOperation<TantivyDocument>> = orgs
            .iter()
            .map(|org| UserOperation::Delete(Term::from_field_text(self.fields.org, org)))
            .collect();
        state.writer.run(operations)?;
        state.pending += 1;
        self.commit_locked(&mut state, true)
    }

    /// Waits for background segment merges to finish, then releases the writer: for a clean
    /// shutdown after the final [`SearchIndex::commit`]. Uncommitted changes are dropped.
    pub fn close(self) -> Result<()> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        state.writer.wait_merging_threads()?;
        Ok(())
    }

    fn document(&self, doc: &SearchDoc, key: &str) -> Result<TantivyDocument> {
        let invalid = |reason| Error::InvalidDoc {
            kind: doc.kind,
            id: doc.id.clone(),
            reason,
        };
        if doc.id.is_empty() {
            return Err(invalid("empty id"));
        }
        if doc.org.is_empty() {
            return Err(invalid("empty org"));
        }
        let access =
            schema::access_terms(&doc.access, doc.project.as_deref(), doc.channel.as_deref())
                .ok_or_else(|| invalid("access needs the project, channel or grants it names"))?;
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.key, key);
        d.add_u64(f.key_hash, schema::key_hash(key));
        d.add_text(f.kind, doc.kind.as_str());
        d.add_text(f.id, &doc.id);
        d.add_text(f.org, &doc.org);
        for term in &access {
            d.add_text(f.access, term);
        }
        for (field, value) in [
            (f.project, &doc.project),
            (f.channel, &doc.channel),
            (f.author, &doc.author),
        ] {
            if let Some(v) = value {
                d.add_text(field, v);
            }
        }
        d.add_text(f.title, truncate(&doc.title, MAX_TITLE_BYTES));
        d.add_text(f.body, truncate(&doc.body, MAX_BODY_BYTES));
        d.add_i64(f.created, doc.created);
        d.add_i64(f.updated, doc.updated);
        Ok(d)
    }

    /// Searches what `scope` may read. Hits outside the scope are excluded inside the query,
    /// so they are never returned, counted or quoted in a snippet.
    ///
    /// Any query text is accepted; [`Error::BadQuery`] means over-long text (1 KiB), too many
    /// words (32), or a malformed cursor. Text with no searchable word gives no hits.
    pub fn search(&self, scope: &Scope, req: &SearchRequest) -> Result<SearchResults> {
        let mut analyzer = self.analyzer.clone();
        let clauses = query::parse(&mut analyzer, &req.query)?;
        let cursor = req.cursor.as_deref().map(Cursor::decode).transpose()?;
        let limit = match req.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let access = query::scope_terms(scope);
        if clauses.is_empty() || scope.org.is_empty() || access.is_empty() {
            return Ok(SearchResults {
                hits: Vec::new(),
                total: 0,
                next: None,
            });
        }
        let now = cursor.map(|c| c.now).or(req.now).unwrap_or_else(now_ms);
        let searcher = cursor
            .filter(|c| c.instance == self.instance)
            .and_then(|c| self.pinned(c.generation))
            .unwrap_or_else(|| self.reader.searcher());
        let query = query::build(
            &self.fields,
            &searcher,
            &clauses,
            scope,
            access,
            req,
            &self.filters,
        );

        let ranked = RankCollector {
            limit: limit + 1,
            now,
            cursor,
            recency,
        };
        let (mut top, total) = searcher.search(&*query, &ranked)?;
        let next = if top.len() > limit {
            top.truncate(limit);
            top.last().map(|last| {
                self.pin(&searcher);
                Cursor {
                    instance: self.instance,
                    generation: searcher.generation().generation_id(),
                    now,
                    score: last.score,
                    key_hash: last.key_hash,
                }
                .encode()
            })
        } else {
            None
        };

        let matcher = Matcher::new(&clauses);
        let mut hits = Vec::with_capacity(top.len());
        for Ranked { score, address, .. } in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(hit) = self.hit(&doc, score, &matcher, &mut analyzer) {
                hits.push(hit);
            }
        }
        Ok(SearchResults { hits, total, next })
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        matcher: &Matcher,
        analyzer: &mut TextAnalyzer,
    ) -> Option<Hit> {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let int = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
        let kind: Kind = text(f.kind)?.parse().ok()?;
        let title = text(f.title).unwrap_or_default();
        let body = text(f.body).unwrap_or_default();
        Some(Hit {
            kind,
            id: text(f.id)?,
            project: text(f.project),
            channel: text(f.channel),
            author: text(f.author),
            title: if title.is_empty() {
                Snippet::default()
            } else {
                snippet::snippet(analyzer, matcher, &title, TITLE_SNIPPET_BYTES)
            },
            snippet: snippet::snippet(analyzer, matcher, &body, BODY_SNIPPET_BYTES),
            score,
            created: int(f.created),
            updated: int(f.updated),
        })
    }

    /// Keeps `searcher` for later pages of the same search.
    fn pin(&self, searcher: &Searcher) {
        let generation = searcher.generation().generation_id();
        let mut pinned = lock(&self.pinned);
        pinned.retain(|p| p.used.elapsed() < PIN_TTL);
        if let Some(p) = pinned.iter_mut().find(|p| p.generation == generation) {
            p.used = Instant::now();
            return;
        }
        if pinned.len() >= PINNED_SEARCHERS {
            pinned.pop_front();
        }
        pinned.push_back(Pinned {
            generation,
            used: Instant::now(),
            searcher: searcher.clone(),
        });
    }

    /// The pinned snapshot of a cursor, if still kept.
    fn pinned(&self, generation: u64) -> Option<Searcher> {
        let mut pinned = lock(&self.pinned);
        pinned.retain(|p| p.used.elapsed() < PIN_TTL);
        pinned
            .iter_mut()
            .find(|p| p.generation == generation)
            .map(|p| {
                p.used = Instant::now();
                p.searcher.clone()
            })
    }
}

/// A random, non-zero id for an open index: the standard library's per-process random hash
/// keys (a fresh pair per call), over the clock and the process id.
fn instance_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish().max(1)
}

fn read_payload(index: &Index) -> Result<Option<Payload>> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recency_decays() {
        let now = 1_000 * 86_400_000;
        assert!((recency(now, now) - 1.5).abs() < 1e-6);
        assert!((recency(now, now - 14 * 86_400_000) - 1.25).abs() < 1e-4);
        assert!((recency(now, now + 5) - 1.5).abs() < 1e-6);
        assert!(recency(now, i64::MIN) >= 1.0);
    }
}
