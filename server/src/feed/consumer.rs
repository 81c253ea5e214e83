//! [`Consumer`]: one reader of the change feed with a cursor of its own.
//!
//! A consumer registers under a stable name (starting from the beginning of the feed or from
//! now), reads batches after its cursor up to the safe horizon, applies them, and acknowledges
//! the last sequence applied. After a crash it reads on from the last acknowledgement, so it
//! sees every change at least once and, if it acknowledges what it made durable, exactly once.
//!
//! Retention never deletes a row a live consumer has not passed. A consumer that stayed away
//! longer than the stale limit no longer holds rows back; when it returns and rows after its
//! cursor were pruned, reading fails with [`FeedError::Behind`]: it must rebuild its derived
//! state and read from the beginning ([`Consumer::rewind`] to 0), which still holds every live
//! entity's last change (see [`crate::db::change_feed::prune`]).

use crate::db::{Backend, Db, change_feed};

use super::{CONSUMER_LAG, Change};

/// How many times registering "from now" looks again for transactions still open (each look
/// waits up to about 60 ms).
const NOW_SETTLE_ATTEMPTS: usize = 30;

/// Where a newly registered consumer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Every change still in the feed: each live entity's current state and later changes.
    Beginning,
    /// Only changes committed from now on.
    Now,
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read the change feed: {0}")]
    Db(#[from] sqlx::Error),
    /// Rows after the cursor were pruned while the consumer was away: rebuild from the
    /// beginning.
    #[error("the change feed no longer holds changes after {cursor} (pruned through {pruned})")]
    Behind { cursor: i64, pruned: i64 },
}

/// Changes read in one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// In sequence order, at most up to the horizon.
    pub changes: Vec<Change>,
    /// The highest sequence this read covered: the last change's, or `after` when there was
    /// none. Acknowledge it once the changes are applied.
    pub last_seq: i64,
    /// The safe horizon the read stopped at.
    pub horizon: i64,
}

/// A registered reader of the change feed.
#[derive(Debug)]
pub struct Consumer {
    db: Db,
    name: String,
    /// The metrics label: the name up to its first `:` (`search:<node>` → `search`), so
    /// per-node consumers do not multiply the series.
    role: String,
}

impl Consumer {
    /// Registers `name` (or finds it registered); returns the consumer and its cursor.
    pub async fn register(db: &Db, name: &str, start: Start) -> Result<(Self, i64), FeedError> {
        let horizon = db.change_feed_horizon();
        let initial = match start {
            Start::Beginning => 0,
            Start::Now => {
                // "Now" is the head once the transactions open at this moment have ended.
                let mut now = horizon.advance(db).await?;
                for _ in 0..NOW_SETTLE_ATTEMPTS {
                    if !horizon.waiting() {
                        break;
                    }
                    now = horizon.advance(db).await?;
                }
                now
            }
        };
        let cursor = change_feed::register_consumer(db, name, initial).await?;
        let role = name.split(':').next().unwrap_or(name).to_owned();
        Ok((
            Self {
                db: db.clone(),
                name: name.to_owned(),
                role,
            },
            cursor,
        ))
    }

    /// The consumer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The last acknowledged sequence.
    pub async fn cursor(&self) -> Result<i64, FeedError> {
        Ok(change_feed::consumer_cursor(&self.db, &self.name)
            .await?
            .unwrap_or(0))
    }

    /// Up to `limit` changes after the acknowledged cursor.
    pub async fn read(&self, limit: usize) -> Result<Batch, FeedError> {
        let after = self.cursor().await?;
        self.read_after(after, limit).await
    }

    /// Up to `limit` changes after `after` (for a consumer that keeps its position itself, as
    /// the search index does in its commits), up to the safe horizon. One statement reads the
    /// changes with the pruned mark (and on SQLite, where everything visible is safe, with the
    /// head, which is then the horizon); PostgreSQL looks for the horizon first.
    pub async fn read_after(&self, after: i64, limit: usize) -> Result<Batch, FeedError> {
        let through = self.db.change_feed_horizon().bound(&self.db).await?;
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let read = change_feed::read_checked(&self.db, after, through, limit).await?;
        if after > 0 && after < read.pruned {
            return Err(FeedError::Behind {
                cursor: after,
                pruned: read.pruned,
            });
        }
        let changes = read.changes;
        let last_seq = changes.last().map_or(after, |c| c.seq);
        // On SQLite the read had no bound: the head read with the rows is the horizon.
        let horizon = if self.db.backend() == Backend::Sqlite {
            read.head.max(last_seq)
        } else {
            through
        };
        metrics::gauge!(CONSUMER_LAG, "consumer" => self.role.clone())
            .set((horizon - last_seq).max(0) as f64);
        Ok(Batch {
            changes,
            last_seq,
            horizon,
        })
    }

    /// Records that every change up to `seq` is applied (and that the consumer is alive).
    pub async fn ack(&self, seq: i64) -> Result<(), FeedError> {
        change_feed::set_consumer_cursor(&self.db, &self.name, seq).await?;
        Ok(())
    }

    /// Moves the cursor back, to 0 for a rebuild from the beginning. Do it before dropping the
    /// derived state, so retention keeps what the rebuild will read.
    pub async fn rewind(&self, seq: i64) -> Result<(), FeedError> {
        change_feed::set_consumer_cursor(&self.db, &self.name, seq).await?;
        Ok(())
    }

    /// Unregisters the consumer: it no longer holds rows back.
    pub async fn remove(self) -> Result<(), FeedError> {
        change_feed::remove_consumer(&self.db, &self.name).await?;
        Ok(())
    }
}
