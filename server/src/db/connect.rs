//! Opening the pool, with the per-backend settings each connection needs.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::Tx;

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

impl Db {
    /// Opens a pool on `url`. Nothing is queried yet: a database that is down at start-up
    /// shows in `/readyz` and in the first query, and the pool reconnects when it is back.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(ConnectError::UnsupportedUrl)?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = pool_options(backend, max_connections.max(1), Duration::from_secs(5))
            .connect_lazy_with(options.clone());
        let writer = (backend == Backend::Sqlite)
            .then(|| pool_options(backend, 1, SQLITE_WRITER_WAIT).connect_lazy_with(options));
        Ok(Self {
            pool,
            writer,
            backend,
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

/// Pool settings, with the per-connection pragmas SQLite needs.
fn pool_options(backend: Backend, max_connections: u32, acquire: Duration) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(acquire)
        .idle_timeout(Duration::from_secs(600))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; synchronous=full makes every
                    // commit durable before it is acknowledged.
                    conn.execute("pragma journal_mode = wal").await?;
                    conn.execute("pragma synchronous = full").await?;
                    conn.execute("pragma foreign_keys = on").await?;
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "pragma busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"
                    )))
                    .await?;
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
