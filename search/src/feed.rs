//! [`tail`]: follows a change source into the index and keeps it searchable within a deadline.
//!
//! The server implements [`ChangeSource`] over its change-feed table (mapping each row to an
//! [`IndexOp`], or to nothing for rows of other consumers) and spawns `tail` once per process.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tracing::{debug, warn};

use crate::model::IndexOp;
use crate::{Error, Result, SearchIndex};

/// Changes read from the feed in one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedBatch {
    /// The searchable changes, in sequence order.
    pub entries: Vec<(i64, IndexOp)>,
    /// The highest sequence this read covered, including rows that map to no entry; equal to
    /// `after` when there was nothing new.
    pub last_seq: i64,
}

/// Where [`tail`] reads changes from: the server's change feed.
pub trait ChangeSource: Send + Sync + 'static {
    /// The source's error; logged, then the read is retried.
    type Error: std::fmt::Display + Send;

    /// Up to `limit` feed rows with a sequence above `after`, in order.
    fn read_after(
        &self,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<FeedBatch, Self::Error>> + Send;
}

/// Tuning of [`tail`].
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// Rows read per call.
    pub batch: usize,
    /// While catching up, staged changes are committed at least this often.
    pub max_commit_delay: Duration,
    /// When caught up, how often to look for new rows without a wake-up.
    pub poll: Duration,
    /// Commits are at least this far apart. A commit flushes a segment and fsyncs, and the next
    /// segment writer allocates (and the kernel zeroes) its hash table afresh; under a steady
    /// trickle of writes (each waking the tailer, which then catches up at once) it would
    /// otherwise commit many times a second and cost more than the writes themselves (at 50 ms,
    /// a chat channel at 50 messages/s spent a fifth of the server's CPU in the indexer).
    pub min_commit_interval: Duration,
    /// While commits keep following each other at the interval (a steady trickle of writes),
    /// the interval doubles up to this; a quiet spell of twice the interval brings it back to
    /// `min_commit_interval`. Each commit writes a segment's files and later merges delete them:
    /// at 4 commits a second under a stream of board moves, creating those files (ext4's inode
    /// allocation skipping the inodes it had just freed) and merging the small segments took a
    /// quarter of the server's CPU. A lone change after a quiet spell is still searchable
    /// within `min_commit_interval`; under sustained writes, within about this — which must
    /// stay well under the one second in which a change is promised to be searchable (at 1 s,
    /// a change made right after a commit under a stream of writes took longer than that).
    pub busy_commit_interval: Duration,
    /// Pause after a failed read.
    pub retry: Duration,
}

impl Default for TailOptions {
    fn default() -> Self {
        TailOptions {
            batch: 2_000,
            max_commit_delay: Duration::from_millis(300),
            poll: Duration::from_millis(100),
            min_commit_interval: Duration::from_millis(250),
            busy_commit_interval: Duration::from_millis(500),
            retry: Duration::from_secs(1),
        }
    }
}

impl FeedBatch {
    /// An empty read: nothing after `after`.
    pub fn empty(after: i64) -> Self {
        FeedBatch {
            entries: Vec::new(),
            last_seq: after,
        }
    }
}

/// After catching up from at least this many changes, [`tail`] compacts the index
/// ([`SearchIndex::compact`]) in the background.
const COMPACT_AFTER_OPS: usize = 20_000;
/// Pause before retrying a compaction that failed (usually: a background merge held a segment).
const COMPACT_RETRY: Duration = Duration::from_secs(1);

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))?
}

/// Applies the feed from [`SearchIndex::applied_seq`] on until `shutdown` resolves, then commits
/// what it applied and returns.
///
/// Latency: when idle it reads every `poll` (or at once after `wake.notify_one()`, which the
/// server calls after committing a feed row), and commits as soon as it has caught up — but no
/// sooner than the commit interval after the previous commit — so a change is searchable
/// about 0.1–0.4 s after its transaction commits when the index was quiet, within about
/// `busy_commit_interval` under a steady stream of writes. Read errors are logged and
/// retried; an index error ends the loop with the error (reopen the index and start again:
/// it resumes from the last commit).
///
/// When it catches up from a backlog of at least 20,000 changes (a rebuild, a bulk import, a
/// restart after downtime) it merges the index's segments in the background
/// ([`SearchIndex::compact`]), since queries slow down with the number of segments; shutdown
/// waits for that merge.
pub async fn tail<S: ChangeSource>(
    index: Arc<SearchIndex>,
    source: S,
    options: TailOptions,
    wake: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    tokio::pin!(shutdown);
    // Changes applied since the tailer last caught up, and the compaction under way.
    let mut backlog = 0usize;
    let mut compacting: Option<tokio::task::JoinHandle<Result<bool>>> = None;
    let mut compact_after = Instant::now();
    let mut pacing = CommitPacing::new(&options);
    loop {
        let after = index.applied_seq();
        let read = tokio::select! {
            () = &mut shutdown => break,
            read = source.read_after(after, options.batch.max(1)) => read,
        };
        match read {
            Err(e) => {
                warn!(error = %e, after, "search indexer: reading the change feed failed");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(options.retry) => {}
                }
            }
            Ok(batch) if batch.last_seq > after => {
                backlog += batch.entries.len();
                let index = index.clone();
                // A stream of rows that never lets the tailer find the feed empty commits at
                // the paced interval too, not every `max_commit_delay`.
                let delay = options.max_commit_delay.max(pacing.interval);
                let committed = blocking(move || {
                    index.apply(batch.entries)?;
                    index.advance_to(batch.last_seq);
                    index.commit_if_due(delay)
                })
                .await?;
                if committed {
                    pacing.committed();
                }
            }
            Ok(_) => {
                if let Some(wait) = pacing.wait() {
                    // Caught up, but committed a moment ago: commit once the interval is over
                    // (rows arriving meanwhile join that commit).
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(wait) => {}
                    }
                    continue;
                }
                let idx = index.clone();
                if blocking(move || idx.commit()).await? {
                    pacing.committed();
                    debug!(seq = index.last_seq(), "search indexer caught up");
                }
                if let Some(handle) = compacting.take_if(|h| h.is_finished()) {
                    // Finished, so this does not wait.
                    if let Err(e) = joined(handle.await) {
                        debug!(error = %e, "search index compaction failed; will retry");
                        backlog = backlog.max(COMPACT_AFTER_OPS);
                        compact_after = Instant::now() + COMPACT_RETRY;
                    }
                }
                if compacting.is_none() && backlog >= COMPACT_AFTER_OPS {
                    if Instant::now() >= compact_after {
                        backlog = 0;
                        let idx = index.clone();
                        compacting = Some(tokio::task::spawn_blocking(move || idx.compact()));
                    }
                } else if backlog < COMPACT_AFTER_OPS {
                    backlog = 0;
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(options.poll) => {}
                }
            }
        }
    }
    if let Some(handle) = compacting {
        if let Err(e) = joined(handle.await) {
            warn!(error = %e, "search index compaction failed");
        }
    }
    blocking(move || index.commit()).await?;
    Ok(())
}

/// How far apart [`tail`]'s commits must be: `min_commit_interval` after a quiet spell,
/// doubling up to `busy_commit_interval` while each commit follows the previous one within
/// twice the interval.
#[derive(Debug)]
struct CommitPacing {
    min: Duration,
    max: Duration,
    interval: Duration,
    last: Option<Instant>,
}

impl CommitPacing {
    fn new(options: &TailOptions) -> Self {
        let min = options.min_commit_interval;
        CommitPacing {
            min,
            max: options.busy_commit_interval.max(min),
            interval: min,
            last: None,
        }
    }

    /// How long to wait before the next commit may happen; `None`: now.
    fn wait(&self) -> Option<Duration> {
        self.wait_at(Instant::now())
    }

    fn wait_at(&self, now: Instant) -> Option<Duration> {
        let since = now.saturating_duration_since(self.last?);
        self.interval.checked_sub(since).filter(|d| !d.is_zero())
    }

    fn committed(&mut self) {
        self.committed_at(Instant::now());
    }

    fn committed_at(&mut self, now: Instant) {
        if let Some(last) = self.last {
            self.interval = if now.saturating_duration_since(last) < self.interval * 2 {
                (self.interval * 2).min(self.max)
            } else {
                self.min
            };
        }
        self.last = Some(now);
    }
}

fn joined<T>(r: Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    r.map_err(|e| Error::Task(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacing() -> CommitPacing {
        CommitPacing::new(&TailOptions {
            min_commit_interval: Duration::from_millis(250),
            busy_commit_interval: Duration::from_secs(1),
            ..TailOptions::default()
        })
    }

    #[test]
    fn the_first_commit_need_not_wait() {
        assert_eq!(pacing().wait(), None);
    }

    #[test]
    fn commits_at_the_interval_widen_it_up_to_the_busy_interval() {
        let mut p = pacing();
        let t0 = Instant::now();
        p.committed_at(t0);
        assert_eq!(p.interval, Duration::from_millis(250));
        p.committed_at(t0 + Duration::from_millis(260));
        assert_eq!(p.interval, Duration::from_millis(500));
        p.committed_at(t0 + Duration::from_millis(770));
        assert_eq!(p.interval, Duration::from_secs(1));
        p.committed_at(t0 + Duration::from_millis(1_780));
        assert_eq!(
            p.interval,
            Duration::from_secs(1),
            "never past the busy interval"
        );
    }

    #[test]
    fn a_quiet_spell_of_twice_the_interval_brings_it_back() {
        let mut p = pacing();
        let t0 = Instant::now();
        p.committed_at(t0);
        p.committed_at(t0 + Duration::from_millis(300));
        p.committed_at(t0 + Duration::from_millis(900));
        assert_eq!(p.interval, Duration::from_secs(1));
        p.committed_at(t0 + Duration::from_millis(2_950));
        assert_eq!(p.interval, Duration::from_millis(250));
    }

    #[test]
    fn the_wait_is_what_remains_of_the_interval() {
        let mut p = pacing();
        let t0 = Instant::now();
        p.committed_at(t0);
        assert_eq!(
            p.wait_at(t0 + Duration::from_millis(100)),
            Some(Duration::from_millis(150))
        );
        assert_eq!(p.wait_at(t0 + Duration::from_millis(250)), None);
        assert_eq!(p.wait_at(t0 + Duration::from_millis(900)), None);
    }
}
