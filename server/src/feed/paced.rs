//! [`PacedConsumer`]: a consumer that keeps its place in memory and writes its cursor at most
//! about once a second.
//!
//! A consumer woken by every commit that acknowledged every batch wrote its cursor once per
//! write of the whole server: on SQLite each of those is another turn of the one writer, with
//! its sync to disk, that the next request waits behind. A consumer whose applying is
//! idempotent (what it makes of a change is unique per change: webhook deliveries per
//! subscription and change, automation runs per rule and change) loses nothing by writing its
//! cursor less often: after a crash it reads again at most the last interval's changes and
//! skips what they already made.

use std::time::{Duration, Instant};

use super::{Batch, Consumer, FeedError};

/// How often a consumer that moved on writes its cursor.
pub const WRITE_EVERY: Duration = Duration::from_secs(1);
/// How often a consumer with nothing new writes it anyway: its liveness, without which
/// retention would stop counting it and prune what it has not read.
pub const ALIVE_EVERY: Duration = Duration::from_secs(60);

/// A [`Consumer`] that reads from its place in memory and writes its cursor at most every
/// [`WRITE_EVERY`] (or [`ALIVE_EVERY`] when it has not moved).
#[derive(Debug)]
pub struct PacedConsumer {
    consumer: Consumer,
    every: Duration,
    /// Where the next read starts; `None`: read the stored cursor first.
    position: Option<i64>,
    /// The cursor as last written by this node, and when; `None` before the first write.
    written: Option<(i64, Instant)>,
}

impl PacedConsumer {
    /// Wraps `consumer`, whose stored cursor is read before the first batch.
    pub fn new(consumer: Consumer) -> Self {
        Self::writing_every(consumer, WRITE_EVERY)
    }

    /// As [`PacedConsumer::new`], writing the cursor at most every `every` (tests).
    pub fn writing_every(consumer: Consumer, every: Duration) -> Self {
        Self {
            consumer,
            every,
            position: None,
            written: None,
        }
    }

    /// Up to `limit` changes after the place in memory (after the stored cursor when there is
    /// none yet).
    pub async fn read(&mut self, limit: usize) -> Result<Batch, FeedError> {
        let after = match self.position {
            Some(position) => position,
            None => {
                let stored = self.consumer.cursor().await?;
                self.position = Some(stored);
                stored
            }
        };
        self.consumer.read_after(after, limit).await
    }

    /// Records that every change up to `seq` is applied; writes the cursor when it is due.
    pub async fn pass(&mut self, seq: i64) -> Result<(), FeedError> {
        self.position = Some(seq);
        let due = match self.written {
            None => true,
            Some((stored, at)) => {
                let since = at.elapsed();
                (stored != seq && since >= self.every) || since >= ALIVE_EVERY
            }
        };
        if due {
            self.write(seq).await?;
        }
        Ok(())
    }

    /// Writes the place in memory if the stored cursor is behind it (before stopping, or before
    /// handing the work to another node).
    pub async fn flush(&mut self) -> Result<(), FeedError> {
        match self.position {
            Some(position) if self.written.is_none_or(|(stored, _)| stored != position) => {
                self.write(position).await
            }
            _ => Ok(()),
        }
    }

    /// Moves the cursor to `seq` now (a rewind, or a skip past pruned rows).
    pub async fn rewind(&mut self, seq: i64) -> Result<(), FeedError> {
        self.position = Some(seq);
        self.write(seq).await
    }

    /// Drops the place in memory without writing it: another node may have moved the stored
    /// cursor since (this node lost the lease under which it read), so the next read starts
    /// from what is stored.
    pub fn forget(&mut self) {
        self.position = None;
        self.written = None;
    }

    async fn write(&mut self, seq: i64) -> Result<(), FeedError> {
        self.consumer.ack(seq).await?;
        self.written = Some((seq, Instant::now()));
        Ok(())
    }
}
