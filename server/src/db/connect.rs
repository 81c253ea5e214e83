//! Opening the pool, with the per-backend settings each connection needs.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

use super::Tx;
use super::horizon::{Log, SharedHorizon};

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL, or `None` for an unsupported scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// A short name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The application's database: a pool and the backend it talks to.
///
/// On SQLite, write transactions ([`Db::begin`]) take their connection from a second pool of
/// exactly one connection: SQLite has one writer anyway, and writers then queue in the pool —
/// woken in order the moment the previous one commits — instead of sleeping and retrying in
/// SQLite's busy handler, which made bursts of writes slow and, past the busy timeout, fail.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// SQLite only: the one connection write transactions use.
    writer: Option<AnyPool>,
    backend: Backend,
    /// The change feed's safe horizon, shared by this pool's readers of the feed.
    change_feed_horizon: Arc<SharedHorizon>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// How long a write transaction waits for the SQLite writer connection.
const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(30);

/// SQLite waits this long for a lock held by another connection before answering "busy".
/// Writers queue on it (`begin immediate`); when the disk is slow to sync (a busy machine), a
/// burst of writers can wait seconds, and waiting is better than failing their requests.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

/// How often SQLite's write-ahead log is checkpointed (copied into the database file) in the
/// background. SQLite's own automatic checkpoint runs inside the commit that crosses its
/// threshold (1,000 pages): that commit then also copies the pages and syncs the database
/// file — 2 to 23 ms measured on the benchmark machine, paid by one write in every ~75 moves
/// of a board, which put it in every p99. A background checkpoint waits for no writer and no
/// writer waits for it.
const SQLITE_CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// A pooled connection idle at least this long is pinged before it is used again.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl Db {
    /// Opens a pool on `url`. Nothing is queried yet: a database that is down at start-up
    /// shows in `/readyz` and in the first query, and the pool reconnects when it is back.
    /// On SQLite, inside a Tokio runtime, the log is checkpointed in the background
    /// ([`SQLITE_CHECKPOINT_EVERY`]) until the pool closes.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(ConnectError::UnsupportedUrl)?;
        let options = AnyConnectOptions::from_str(url)?;
        let runtime = tokio::runtime::Handle::try_current().ok();
        let background = backend == Backend::Sqlite && runtime.is_some();
        let pool = pool_options(
            backend,
            max_connections.max(1),
            Duration::from_secs(5),
            background,
        )
        .connect_lazy_with(options.clone());
        let writer = (backend == Backend::Sqlite).then(|| {
            pool_options(backend, 1, SQLITE_WRITER_WAIT, background).connect_lazy_with(options)
        });
        if let Some(runtime) = runtime.filter(|_| background) {
            runtime.spawn(checkpoints(pool.clone()));
        }
        Ok(Self {
            pool,
            writer,
            backend,
            change_feed_horizon: Arc::new(SharedHorizon::new(Log::ChangeFeed)),
        })
    }

    /// Opens a pool and checks that the database answers.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        let db = Self::connect_lazy(url, max_connections)?;
        db.ping().await?;
        Ok(db)
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    /// The change feed's safe horizon, shared by every reader of the feed in this process.
    pub fn change_feed_horizon(&self) -> &SharedHorizon {
        &self.change_feed_horizon
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction meant to write. On SQLite it takes the write lock at once
    /// (`begin immediate`), so two writers queue on the busy timeout instead of one failing
    /// when it upgrades a read lock.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let writer = self.writer.as_ref().unwrap_or(&self.pool);
                writer.begin_with("begin immediate").await
            }
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Where a write outside a transaction goes. On SQLite that is the one writer connection,
    /// so such writes queue in order here, behind the transactions of [`Db::begin`], instead
    /// of in SQLite's busy handler, which sleeps up to 100 ms a turn and serves no one in
    /// order (under a stream of writers a single update waited 1–3 s there). On PostgreSQL, the
    /// pool.
    pub fn writer(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.pool).await.map(drop)
    }

    /// Connections open and idle, for the pool metrics.
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// Checkpoints a SQLite database's log every [`SQLITE_CHECKPOINT_EVERY`] on a pooled
/// connection (`passive`: it copies what no reader still needs and never blocks), until the pool
/// closes.
async fn checkpoints(pool: AnyPool) {
    let mut every = tokio::time::interval(SQLITE_CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(error) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "cannot checkpoint the SQLite log");
        }
    }
}

/// Pool settings, with the per-connection pragmas SQLite needs; `background_checkpoints`: the
/// connections leave checkpoints to [`checkpoints`].
fn pool_options(
    backend: Backend,
    max_connections: u32,
    acquire: Duration,
    background_checkpoints: bool,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(acquire)
        .idle_timeout(Duration::from_secs(600))
        // A connection is pinged before it is handed out only when it sat idle long enough for
        // the server to have gone away meanwhile: pinging every one cost a round trip per
        // request (two for a write: its reads, then its transaction). A connection that died
        // sooner fails one statement and is dropped from the pool.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; synchronous=full makes every
                    // commit durable before it is acknowledged.
                    conn.execute("pragma journal_mode = wal").await?;
                    conn.execute("pragma synchronous = full").await?;
                    conn.execute("pragma foreign_keys = on").await?;
                    // Reads through a memory map of the file share the OS page cache between
                    // connections instead of copying pages into each one's small cache (2 MB by
                    // default): on a database of gigabytes, index probes and the B-tree walks
                    // of a large import stop paying a read call per page. The cache keeps the
                    // pages a connection changes.
                    conn.execute("pragma mmap_size = 4294967296").await?;
                    conn.execute("pragma cache_size = -16384").await?;
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "pragma busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"
                    )))
                    .await?;
                    if background_checkpoints {
                        conn.execute("pragma wal_autocheckpoint = 0").await?;
                    }
                }
                Ok(())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://u@h/d"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("PostgreSQL://u@h/d"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://u@h/d"), None);
    }

    #[tokio::test]
    async fn sqlite_connections_get_their_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        let (mode,): (String,) = sqlx::query_as("pragma journal_mode")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (fk,): (i64,) = sqlx::query_as("pragma foreign_keys")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        db.close().await;
    }
}
