//! Durable storage of documents: the update log, compacted snapshots and named versions.
//!
//! [`Store`] is the abstraction the hub writes through; [`SqlStore`] is its implementation over
//! sqlx's `Any` pool, serving SQLite and PostgreSQL with one set of portable statements
//! (lowercase SQL, `$1…$N` bind parameters, blobs for Yjs data, integer milliseconds for times).
//! The schema is `migrations/{sqlite,postgres}/0003_collab.sql`.
//!
//! The invariants that make loading correct whatever happened before:
//! - a snapshot row with `seq = S` holds a state that includes every update with `seq <= S`;
//! - loading is the snapshot, then the log rows with `seq > S`, read in one transaction;
//! - compaction writes the snapshot and deletes the folded prefix in one transaction, and a
//!   snapshot never moves backwards. If it stops anywhere, the log still holds everything the
//!   snapshot does not.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection as _, Executor, Row};

use crate::Result;

/// A compacted state of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The state as a Yjs v1 update.
    pub state: Vec<u8>,
    /// The snapshot includes every log entry with a sequence number up to this one.
    pub seq: i64,
}

/// One entry of a document's update log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its position in the document's log.
    pub seq: i64,
    /// The Yjs v1 update.
    pub data: Vec<u8>,
}

/// Everything stored for a document: load the snapshot, then apply the log in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// The latest snapshot, if the document was ever compacted.
    pub snapshot: Option<Snapshot>,
    /// The log entries after the snapshot, in sequence order.
    pub log: Vec<LogEntry>,
}

impl StoredDoc {
    /// The highest sequence number the document has used (0 for a new document).
    pub fn last_seq(&self) -> i64 {
        let snap = self.snapshot.as_ref().map_or(0, |s| s.seq);
        self.log.last().map_or(snap, |e| e.seq.max(snap))
    }
}

/// One update to append.
#[derive(Debug, Clone)]
pub struct AppendRecord {
    /// The document.
    pub doc_id: Arc<str>,
    /// Its sequence number in the document's log.
    pub seq: i64,
    /// The Yjs v1 update.
    pub data: bytes::Bytes,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A named version of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    /// The version's identifier (a UUIDv7 string).
    pub id: String,
    /// The document.
    pub doc_id: String,
    /// The name a user gave it.
    pub name: String,
    /// When it was taken, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Size of the stored state in bytes.
    pub size: i64,
}

/// Where documents are kept. Every method is one transaction: it either fully happens or not at
/// all.
pub trait Store: Send + Sync + 'static {
    /// Reads a document's snapshot and the log after it, consistently.
    fn load<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<StoredDoc>>;

    /// Appends updates (of one or many documents) in one transaction; when it returns `Ok` they
    /// are durable.
    fn append<'a>(&'a self, records: &'a [AppendRecord]) -> BoxFuture<'a, Result<()>>;

    /// Replaces the document's snapshot by `state` (which must include every log entry up to
    /// `upto_seq`) and deletes those entries, in one transaction.
    fn compact<'a>(
        &'a self,
        doc_id: &'a str,
        state: &'a [u8],
        upto_seq: i64,
    ) -> BoxFuture<'a, Result<()>>;

    /// Stores a named version of a document.
    fn create_version<'a>(
        &'a self,
        doc_id: &'a str,
        name: &'a str,
        state: &'a [u8],
    ) -> BoxFuture<'a, Result<VersionInfo>>;

    /// The document's versions, oldest first.
    fn list_versions<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<Vec<VersionInfo>>>;

    /// A version's state (a Yjs v1 update), if it exists for this document.
    fn version_state<'a>(
        &'a self,
        doc_id: &'a str,
        version_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;

    /// Deletes everything stored for a document (log, snapshot and versions), for purging it
    /// for good.
    fn delete_doc<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// Which SQL backend a [`SqlStore`] talks to (transactions begin differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (WAL).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL, if supported.
    pub fn from_url(url: &str) -> Option<Self> {
        match url.split(':').next()?.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }
}

/// Rows per multi-row insert: 4 parameters each stays well under SQLite's parameter limit.
const APPEND_CHUNK: usize = 200;
/// Most rows appended as one SQLite statement string (its parameters are numbered across the
/// string, and SQLite numbers them up to 32,766); larger appends take one round trip per chunk.
const SCRIPT_MAX_ROWS: usize = 8_000;

/// Appends a multi-row insert into the update log for `rows` rows, its parameters numbered from
/// the `first_row`th row's on (four per row).
fn push_insert(sql: &mut String, rows: usize, first_row: usize) {
    sql.push_str("insert into collab_updates (doc_id, seq, data, created_at) values ");
    for i in 0..rows {
        let p = (first_row + i) * 4;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
    }
}

/// Binds the records' values in the order [`push_insert`] numbers them.
fn bind_records<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    records: &'q [AppendRecord],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for r in records {
        q = q
            .bind(&*r.doc_id)
            .bind(r.seq)
            .bind(&r.data[..])
            .bind(r.created_at);
    }
    q
}

/// The [`Store`] over a SQL database (SQLite or PostgreSQL) through sqlx's `Any` driver.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    /// SQLite: the connection the group committer appends on, taken out of the pool once and
    /// kept. A pooled one cost a ping per commit (the pool tests connections it hands out), and
    /// since every commit landed on whichever connection was idle, each found its page cache
    /// invalidated by the commits on the others and read the pages again.
    appender: Arc<tokio::sync::Mutex<Option<AnyConnection>>>,
}

impl SqlStore {
    /// Wraps the application's pool. The collab migration must have been applied.
    pub fn new(pool: AnyPool, dialect: Dialect) -> Self {
        Self {
            pool,
            dialect,
            appender: Arc::default(),
        }
    }

    /// Opens a pool of its own on `url`, with the same per-connection settings as the server
    /// (WAL and `synchronous = full` on SQLite, so a commit is on disk when it returns).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)
            .ok_or_else(|| sqlx::Error::Configuration("unsupported database URL".into()))?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute("pragma journal_mode = wal").await?;
                        conn.execute("pragma synchronous = full").await?;
                        conn.execute("pragma busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self::new(pool, dialect))
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        // SQLite: take the write lock up front so concurrent writers queue on the busy timeout
        // instead of failing when a read lock is upgraded.
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("begin immediate").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        // One consistent view across the snapshot and log reads (a compaction may commit
        // between them otherwise). SQLite's deferred transactions read one WAL snapshot.
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin().await?,
            Dialect::Postgres => {
                self.pool
                    .begin_with("begin isolation level repeatable read")
                    .await?
            }
        })
    }

    async fn load_impl(&self, doc_id: &str) -> Result<StoredDoc> {
        let mut tx = self.begin_read().await?;
        let snapshot = sqlx::query("select state, seq from collab_snapshots where doc_id = $1")
            .bind(doc_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| -> Result<Snapshot> {
                Ok(Snapshot {
                    state: row.try_get(0)?,
                    seq: row.try_get(1)?,
                })
            })
            .transpose()?;
        let after = snapshot.as_ref().map_or(0, |s| s.seq);
        let rows = sqlx::query(
            "select seq, data from collab_updates where doc_id = $1 and seq > $2 order by seq",
        )
        .bind(doc_id)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let log = rows
            .into_iter()
            .map(|row| {
                Ok(LogEntry {
                    seq: row.try_get(0)?,
                    data: row.try_get(1)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(StoredDoc { snapshot, log })
    }

    async fn append_impl(&self, records: &[AppendRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        if self.dialect == Dialect::Postgres {
            let tx = self.begin_write().await?;
            return Self::append_in(tx, records).await;
        }
        let mut appender = self.appender.lock().await;
        let mut conn = match appender.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?.detach(),
        };
        if records.len() <= SCRIPT_MAX_ROWS {
            Self::append_script(&mut conn, records).await?;
        } else {
            let tx = conn.begin_with("begin immediate").await?;
            Self::append_in(tx, records).await?;
        }
        // Kept only after a success: whatever failed may have been the connection (and a
        // script that failed half-way left its transaction open; closing the connection rolls
        // it back).
        *appender = Some(conn);
        Ok(())
    }

    /// SQLite: the whole append — `begin immediate`, the inserts, `commit` — as one statement
    /// string, so one hand-off to the connection's worker thread instead of three (each a pair
    /// of thread wake-ups, which were most of the committer's CPU time).
    async fn append_script(conn: &mut AnyConnection, records: &[AppendRecord]) -> Result<()> {
        let mut sql = String::from("begin immediate;");
        for (c, chunk) in records.chunks(APPEND_CHUNK).enumerate() {
            sql.push(' ');
            // Parameters are numbered across the whole string.
            push_insert(&mut sql, chunk.len(), c * APPEND_CHUNK);
            sql.push(';');
        }
        sql.push_str(" commit");
        bind_records(sqlx::query(sqlx::AssertSqlSafe(sql)), records)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Appends `records` in `tx` and commits it.
    async fn append_in(
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        records: &[AppendRecord],
    ) -> Result<()> {
        for chunk in records.chunks(APPEND_CHUNK) {
            let mut sql = String::new();
            push_insert(&mut sql, chunk.len(), 0);
            bind_records(sqlx::query(sqlx::AssertSqlSafe(sql)), chunk)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn compact_impl(&self, doc_id: &str, state: &[u8], upto_seq: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "insert into collab_snapshots (doc_id, state, seq, updated_at) values ($1, $2, $3, $4) \
             on conflict (doc_id) do update set state = excluded.state, seq = excluded.seq, \
             updated_at = excluded.updated_at where collab_snapshots.seq < excluded.seq",
        )
        .bind(doc_id)
        .bind(state)
        .bind(upto_seq)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("delete from collab_updates where doc_id = $1 and seq <= $2")
            .bind(doc_id)
            .bind(upto_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_version_impl(
        &self,
        doc_id: &str,
        name: &str,
        state: &[u8],
    ) -> Result<VersionInfo> {
        let info = VersionInfo {
            id: uuid::Uuid::now_v7().to_string(),
            doc_id: doc_id.to_owned(),
            name: name.to_owned(),
            created_at: now_ms(),
            size: i64::try_from(state.len()).unwrap_or(i64::MAX),
        };
        sqlx::query(
            "insert into collab_versions (id, doc_id, name, state, created_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(&info.id)
        .bind(doc_id)
        .bind(name)
        .bind(state)
        .bind(info.created_at)
        .execute(&self.pool)
        .await?;
        Ok(info)
    }

    async fn list_versions_impl(&self, doc_id: &str) -> Result<Vec<VersionInfo>> {
        let rows = sqlx::query(
            "select id, name, created_at, length(state) from collab_versions \
             where doc_id = $1 order by created_at, id",
        )
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(VersionInfo {
                    id: row.try_get(0)?,
                    doc_id: doc_id.to_owned(),
                    name: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                    size: row
                        .try_get::<i64, _>(3)
                        .or_else(|_| row.try_get::<i32, _>(3).map(i64::from))?,
                })
            })
            .collect()
    }

    async fn version_state_impl(&self, doc_id: &str, version_id: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("select state from collab_versions where doc_id = $1 and id = $2")
            .bind(doc_id)
            .bind(version_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn delete_doc_impl(&self, doc_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "delete from collab_updates where doc_id = $1",
            "delete from collab_snapshots where doc_id = $1",
            "delete from collab_versions where doc_id = $1",
        ] {
            sqlx::query(sql).bind(doc_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store for SqlStore {
    fn load<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<StoredDoc>> {
        Box::pin(self.load_impl(doc_id))
    }

    fn append<'a>(&'a self, records: &'a [AppendRecord]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.append_impl(records))
    }

    fn compact<'a>(
        &'a self,
        doc_id: &'a str,
        state: &'a [u8],
        upto_seq: i64,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.compact_impl(doc_id, state, upto_seq))
    }

    fn create_version<'a>(
        &'a self,
        doc_id: &'a str,
        name: &'a str,
        state: &'a [u8],
    ) -> BoxFuture<'a, Result<VersionInfo>> {
        Box::pin(self.create_version_impl(doc_id, name, state))
    }

    fn list_versions<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<Vec<VersionInfo>>> {
        Box::pin(self.list_versions_impl(doc_id))
    }

    fn version_state<'a>(
        &'a self,
        doc_id: &'a str,
        version_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(self.version_state_impl(doc_id, version_id))
    }

    fn delete_doc<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.delete_doc_impl(doc_id))
    }
}

/// Milliseconds since the Unix epoch, UTC.
pub(crate) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite() -> (tempfile::TempDir, SqlStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
        let store = SqlStore::connect(&url, 2).await.unwrap();
        sqlx::raw_sql(include_str!("../../migrations/sqlite/0003_collab.sql"))
            .execute(store.pool())
            .await
            .unwrap();
        (dir, store)
    }

    fn rec(doc: &str, seq: i64, data: &[u8]) -> AppendRecord {
        AppendRecord {
            doc_id: doc.into(),
            seq,
            data: bytes::Bytes::copy_from_slice(data),
            created_at: now_ms(),
        }
    }

    #[tokio::test]
    async fn append_load_compact_roundtrip() {
        let (_dir, store) = sqlite().await;
        assert_eq!(store.load("a").await.unwrap(), StoredDoc::default());
        let batch: Vec<_> = (1..=450).map(|i| rec("a", i, &[i as u8])).collect();
        store.append(&batch).await.unwrap();
        store.append(&[rec("b", 1, b"x")]).await.unwrap();
        let a = store.load("a").await.unwrap();
        assert_eq!(a.log.len(), 450);
        assert_eq!(a.last_seq(), 450);
        store.compact("a", b"state", 400).await.unwrap();
        let a = store.load("a").await.unwrap();
        assert_eq!(
            a.snapshot,
            Some(Snapshot {
                state: b"state".to_vec(),
                seq: 400
            })
        );
        assert_eq!(a.log.first().unwrap().seq, 401);
        // An older snapshot never replaces a newer one.
        store.compact("a", b"old", 10).await.unwrap();
        assert_eq!(store.load("a").await.unwrap().snapshot.unwrap().seq, 400);
        // A duplicate sequence number fails the whole batch.
        assert!(
            store
                .append(&[rec("b", 2, b"y"), rec("b", 1, b"z")])
                .await
                .is_err()
        );
        assert_eq!(store.load("b").await.unwrap().log.len(), 1);
        // The failed append's transaction went with its connection; the next append works.
        store.append(&[rec("b", 2, b"y")]).await.unwrap();
        assert_eq!(store.load("b").await.unwrap().log.len(), 2);
        // Beyond what one statement string binds, the append goes chunk by chunk.
        let large: Vec<_> = (3..=(SCRIPT_MAX_ROWS as i64 + 3))
            .map(|i| rec("b", i, b"z"))
            .collect();
        store.append(&large).await.unwrap();
        assert_eq!(
            store.load("b").await.unwrap().last_seq(),
            SCRIPT_MAX_ROWS as i64 + 3
        );
        store.delete_doc("a").await.unwrap();
        assert_eq!(store.load("a").await.unwrap(), StoredDoc::default());
    }

    #[tokio::test]
    async fn versions() {
        let (_dir, store) = sqlite().await;
        let v = store.create_version("d", "first", b"abc").await.unwrap();
        assert_eq!(v.size, 3);
        let list = store.list_versions("d").await.unwrap();
        assert_eq!(list, vec![v.clone()]);
        assert_eq!(
            store.version_state("d", &v.id).await.unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(store.version_state("other", &v.id).await.unwrap(), None);
    }
}
