//! How far a reader may read an append-only log without ever skipping a row that commits late.
//!
//! The change feed and the app event log hand out their sequence numbers at insert time. On
//! PostgreSQL, with no lock around appends, a transaction that took number 8 may commit after
//! one that took 9: a reader that read 9 and moved on would never see 8. Readers therefore only
//! read up to a *safe horizon*: a sequence number below which every row that will ever commit
//! already has. Appenders of different organisations never wait on each other for it.
//!
//! # Why the horizon is safe (PostgreSQL)
//!
//! 1. Every appending transaction has a transaction id before it draws a sequence number
//!    (the insert's rows are [`claiming_rows`]).
//! 2. The reader reads `drawn`, the last number the sequence handed out (sequences are not
//!    transactional: this counts numbers of transactions still open), and only *then* takes a
//!    transaction id `marker` of its own (one statement that commits at once). Ids are handed
//!    out in increasing order, so every transaction that drew a number ≤ `drawn` has an id
//!    below `marker`.
//! 3. Once no transaction of this database with an id below `marker` is open any more
//!    (`pg_stat_activity.backend_xid` of its sessions), every transaction that drew a number
//!    ≤ `drawn` has committed or rolled back, so every row numbered ≤ `drawn` that will ever
//!    be visible is visible to any read that starts afterwards: `drawn` is safe. (A snapshot's
//!    `xmax` would not do as the marker: it is the latest *completed* id + 1, and a
//!    transaction that got its id after that is in no snapshot's list of open ones.)
//!
//! Only client sessions count: autovacuum and other server processes never append to a log,
//! and an autovacuum `ANALYZE` holds a transaction id for as long as it runs — seconds on a
//! table with a hot row (`projects.task_seq` under a stream of task creations) — which stalled
//! every reader behind it (webhook deliveries stopped ~5.5 s once per benchmark run).
//!
//! The cost is a short delay for readers (until the transactions that were open at step 2
//! end), never a wait for writers. Numbers of rolled-back transactions are gaps that stay
//! gaps, which readers need not tell apart. SQLite has one writer, whose transaction holds the
//! write lock from its first write to its commit: rows commit in sequence order and everything
//! visible is safe.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::Row;

use super::{Backend, Db, Tx};

/// A log read up to a safe horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// `change_feed`.
    ChangeFeed,
    /// `events`, the app event log.
    Events,
}

impl Log {
    fn last_drawn_sql(self) -> &'static str {
        match self {
            Self::ChangeFeed => {
                "select coalesce(pg_sequence_last_value(pg_get_serial_sequence('change_feed', 'seq')::regclass), 0)"
            }
            Self::Events => {
                "select coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')::regclass), 0)"
            }
        }
    }

    fn max_sql(self) -> &'static str {
        match self {
            Self::ChangeFeed => "select coalesce(max(seq), 0) from change_feed",
            Self::Events => "select coalesce(max(seq), 0) from events",
        }
    }
}

/// Pauses while waiting for the transactions older than the marker to end; about half a second
/// in all (a busy machine stretches short transactions). A reader that is still not sure
/// afterwards reads up to the last safe horizon and checks again on its next read.
const WAITS_MS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// A reader's safe horizon of one log. Keep one per reader: it remembers the candidate it is
/// waiting for between reads.
#[derive(Debug, Clone)]
pub struct Horizon {
    log: Log,
    safe: i64,
    pending: Option<Candidate>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// The last sequence number handed out before the marker.
    drawn: i64,
    /// A transaction id taken after `drawn` was read: safe once every id below it has ended.
    marker: i64,
}

impl Horizon {
    /// A horizon of `log` that has not looked yet (0).
    pub fn new(log: Log) -> Self {
        Self {
            log,
            safe: 0,
            pending: None,
        }
    }

    /// The last horizon found, without asking the database.
    pub fn last(&self) -> i64 {
        self.safe
    }

    /// Whether rows past the horizon are waiting for transactions that were still open at
    /// the last look: read again soon rather than at the next wake-up.
    pub fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// Finds the current safe horizon: every row with a sequence up to it that will ever
    /// commit is visible to reads that start after this returns. Never goes backwards.
    pub async fn advance(&mut self, db: &Db) -> Result<i64, sqlx::Error> {
        if db.backend() == Backend::Sqlite {
            let row = sqlx::query(self.log.max_sql()).fetch_one(db.pool()).await?;
            self.safe = self.safe.max(row.try_get::<i64, _>(0)?);
            return Ok(self.safe);
        }
        if self.pending.is_none() {
            let drawn = sqlx::query(self.log.last_drawn_sql())
                .fetch_one(db.pool())
                .await?
                .try_get::<i64, _>(0)?;
            if drawn <= self.safe {
                return Ok(self.safe);
            }
            // Taken strictly after `drawn` was read (step 2 of the module docs).
            let marker = sqlx::query("select pg_current_xact_id()::text::bigint")
                .fetch_one(db.pool())
                .await?
                .try_get::<i64, _>(0)?;
            self.pending = Some(Candidate { drawn, marker });
        }
        if let Some(candidate) = self.pending {
            for wait in WAITS_MS {
                if !older_open(db, candidate.marker).await? {
                    self.settle(candidate);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
        }
        Ok(self.safe)
    }

    /// How far a reader may read now: the safe horizon on PostgreSQL; on SQLite, where every
    /// visible row is safe (one writer, rows commit in sequence order), no bound at all — the
    /// read itself is the look, one statement fewer per wake-up of every reader.
    pub async fn bound(&mut self, db: &Db) -> Result<i64, sqlx::Error> {
        if db.backend() == Backend::Sqlite {
            return Ok(i64::MAX);
        }
        self.advance(db).await
    }

    fn settle(&mut self, candidate: Candidate) {
        self.safe = self.safe.max(candidate.drawn);
        self.pending = None;
    }
}

/// One log's horizon shared by every reader in this process ([`Db::change_feed_horizon`]).
///
/// A commit that appends to the change feed wakes every consumer at once (search, webhooks,
/// automation), and each used to look for the horizon itself: on PostgreSQL three statements
/// each, after every write. Readers now take turns at one [`Horizon`], and a reader that waited
/// for its turn while a look *that started after it asked* ran takes that look's answer: the
/// answer covers every row committed before the reader asked, which is all a reader needs.
/// A look that had started before it asked might not (a row may have committed in between),
/// so then it looks again.
#[derive(Debug)]
pub struct SharedHorizon {
    horizon: tokio::sync::Mutex<Horizon>,
    /// Looks started so far; a look's number is the count when it started, from 1.
    started: AtomicU64,
    /// The number of the last look that finished.
    finished: AtomicU64,
    waiting: AtomicBool,
}

impl SharedHorizon {
    pub fn new(log: Log) -> Self {
        Self {
            horizon: tokio::sync::Mutex::new(Horizon::new(log)),
            started: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            waiting: AtomicBool::new(false),
        }
    }

    /// As [`Horizon::advance`]: every row up to the answer that will ever commit is visible
    /// to reads that start after this returns.
    pub async fn advance(&self, db: &Db) -> Result<i64, sqlx::Error> {
        let asked_after = self.started.load(Ordering::Acquire);
        let mut horizon = self.horizon.lock().await;
        if self.finished.load(Ordering::Acquire) > asked_after {
            return Ok(horizon.last());
        }
        let look = self.started.fetch_add(1, Ordering::AcqRel) + 1;
        let safe = horizon.advance(db).await?;
        self.waiting.store(horizon.waiting(), Ordering::Release);
        self.finished.store(look, Ordering::Release);
        Ok(safe)
    }

    /// As [`Horizon::bound`]: on SQLite no bound, without a look.
    pub async fn bound(&self, db: &Db) -> Result<i64, sqlx::Error> {
        if db.backend() == Backend::Sqlite {
            return Ok(i64::MAX);
        }
        self.advance(db).await
    }

    /// As [`Horizon::waiting`], after the last look.
    pub fn waiting(&self) -> bool {
        self.waiting.load(Ordering::Acquire)
    }
}

/// Whether a transaction of this database with an id below `marker` is still open.
///
/// Only this database's sessions count: transactions of other databases of the cluster (a
/// `create database`, another application's long transaction) cannot hold rows of our logs,
/// and waiting on them would delay every reader. Session transaction ids are 32-bit and wrap
/// around, so "below" is decided modulo 2^32 within half the range, as PostgreSQL does.
async fn older_open(db: &Db, marker: i64) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) from pg_stat_activity
         where datid = (select oid from pg_database where datname = current_database())
           and backend_type = 'client backend'
           and backend_xid is not null
           and (($1 % 4294967296) - backend_xid::text::bigint + 4294967296) % 4294967296
               between 1 and 2147483647",
    )
    .bind(marker)
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

/// The rows of an insert into a log read by horizon, `values` being [`super::values_rows`]:
/// on PostgreSQL, rows that give the transaction its id before any of them draws a sequence
/// number (step 1 of the module docs). The check is a one-time filter of the statement's plan
/// (`pg_current_xact_id()` is stable and reads no row), evaluated before the first row is
/// made, and so before the first `nextval` of the identity column — in the insert's own round
/// trip. Again in the same transaction is cheap. Plain `values` on SQLite.
pub fn claiming_rows(tx: &Tx, values: &str) -> String {
    if tx.backend_name() == "PostgreSQL" {
        format!("select * from (values {values}) v where pg_current_xact_id() is not null")
    } else {
        format!("values {values}")
    }
}
