//! Durable storage of documents: the update log, compacted snapshots and named versions.
//!
//! [`Store`] is the abstraction the hub writes through; [`SqlStore`] is its implementation over
//! sqlx's `Any` pool, serving SQLite and PostgreSQL with one set of portable statements
//! (lowercase SQL, `$1…$N` bind parameters, blobs for Yjs data, integer milliseconds for times).
//! The schema is `migrations/{sqlite,postgres}/0003_collab.sql`, `0022_collab_heads.sql` and
//! `0028_doc_history.sql`.
//!
//! The invariants that make loading correct whatever happened before:
//! - sequence numbers are handed out by the database: an append raises the document's head row
//!   (`collab_heads`) by the number of its updates inside its own transaction, and its rows
//!   take the numbers just below the new head. Nodes appending to one document therefore never
//!   collide, and since the head row stays locked until the commit, a document's appends
//!   become visible in sequence order: whoever sees row `n` sees every row below it;
//! - a snapshot row with `seq = S` holds a state that includes every update with `seq <= S`;
//! - loading is the snapshot, then the log rows with `seq > S`, read in one transaction;
//! - compaction writes the snapshot and deletes the folded prefix in one transaction, and a
//!   snapshot never moves backwards. If it stops anywhere, the log still holds everything the
//!   snapshot does not. One node at a time compacts a document: it holds the document's
//!   compaction lease (in its head row) meanwhile.

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
    /// The latest snapshot, if the document was ever compacted (for a read after a sequence
    /// number: only when it goes past it).
    pub snapshot: Option<Snapshot>,
    /// The log entries after the snapshot, in sequence order.
    pub log: Vec<LogEntry>,
    /// The document's head in the same read: the last sequence number handed out (0 for a new
    /// document). Everything up to it is in the snapshot and the log.
    pub head: i64,
}

impl StoredDoc {
    /// The highest sequence number the document has used (0 for a new document).
    pub fn last_seq(&self) -> i64 {
        let snap = self.snapshot.as_ref().map_or(0, |s| s.seq);
        self.log
            .last()
            .map_or(snap, |e| e.seq.max(snap))
            .max(self.head)
    }
}

/// One update to append. Its sequence number is the database's to give (see [`Store::append`]).
#[derive(Debug, Clone)]
pub struct AppendRecord {
    /// The document.
    pub doc_id: Arc<str>,
    /// The Yjs v1 update.
    pub data: bytes::Bytes,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Whether a user named a version or the server kept it while the document was edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionKind {
    /// A version a user named.
    Named,
    /// An automatic snapshot (see [`crate::authorship`]).
    Auto,
}

impl VersionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Named => "named",
            Self::Auto => "auto",
        }
    }
}

/// A stored version of a document: named, or an automatic snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    /// The version's identifier (a UUIDv7 string).
    pub id: String,
    /// The document.
    pub doc_id: String,
    /// The name a user gave it (empty for an automatic snapshot).
    pub name: String,
    /// When it was taken, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Size of the stored state in bytes.
    pub size: i64,
    /// Named or automatic.
    pub kind: VersionKind,
    /// An automatic snapshot's authors (user ids, sorted); empty for a named version.
    pub authors: Vec<String>,
    /// The edits an automatic snapshot covers, first and last (milliseconds since the Unix
    /// epoch); a named version's are both its `created_at`.
    pub from: i64,
    pub to: i64,
}

/// Where documents are kept. Every method is one transaction: it either fully happens or not at
/// all.
pub trait Store: Send + Sync + 'static {
    /// Reads a document's snapshot and the log after it, consistently.
    fn load<'a>(&'a self, doc_id: &'a str) -> BoxFuture<'a, Result<StoredDoc>> {
        self.read_after(doc_id, -1)
    }

    /// What a node that holds every entry up to `after` lacks, consistently: the snapshot when
    /// it goes past `after` (a compaction deleted entries the node has not seen), then the log
    /// entries after both, and the head.
    fn read_after<'a>(&'a self, doc_id: &'a str, after: i64) -> BoxFuture<'a, Result<StoredDoc>>;

    /// Appends updates (of one or many documents) in one transaction and returns the sequence
    /// number each got, in order: the database hands them out from each document's head row,
    /// so a document's updates in one append get consecutive numbers. When it returns `Ok`
    /// they are durable.
    fn append<'a>(&'a self, records: &'a [AppendRecord]) -> BoxFuture<'a, Result<Vec<i64>>>;

    /// The heads of these documents (documents never written are left out), in one query per
    /// few hundred documents.
    fn heads<'a>(&'a self, doc_ids: &'a [Arc<str>]) -> BoxFuture<'a, Result<Vec<(String, i64)>>>;

    /// Takes the document's compaction lease for `holder` until `until_ms` (milliseconds since
    /// the Unix epoch) if nobody else holds it at `now_ms`. `false`: another node compacts it.
    fn lease_compaction<'a>(
        &'a self,
        doc_id: &'a str,
        holder: &'a str,
        now_ms: i64,
        until_ms: i64,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Gives the compaction lease back, if `holder` still holds it.
    fn release_compaction<'a>(
        &'a self,
        doc_id: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<()>>;

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

    /// Stores an automatic snapshot of a document covering `span`'s edits.
    fn create_auto_version<'a>(
        &'a self,
        doc_id: &'a str,
        state: &'a [u8],
        span: &'a crate::EditSpan,
    ) -> BoxFuture<'a, Result<VersionInfo>>;

    /// Deletes these versions of the document (ids of other documents are ignored).
    fn delete_versions<'a>(
        &'a self,
        doc_id: &'a str,
        version_ids: &'a [String],
    ) -> BoxFuture<'a, Result<()>>;

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
const SCRIPT_MAX_ROWS: usize = 7_000;
/// Documents per head statement (2 parameters each) and per heads query.
const HEADS_CHUNK: usize = 400;

/// An append's records grouped by document: each document once, in doc id order (the order
/// head rows are locked in, so two nodes' appends never wait on each other crosswise), with
/// its records' indexes in `records` in their order.
fn by_document(records: &[AppendRecord]) -> Vec<(&str, Vec<usize>)> {
    let mut docs: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, r) in records.iter().enumerate() {
        docs.entry(&r.doc_id).or_default().push(i);
    }
    docs.into_iter().collect()
}

/// The statement raising the heads of `docs` documents by their update counts, returning the
/// new heads; parameters numbered from `first_param` + 1 (two per document).
fn push_heads(sql: &mut String, docs: usize, first_param: usize) {
    sql.push_str("insert into collab_heads (doc_id, seq) values ");
    for i in 0..docs {
        let p = first_param + i * 2;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${})", p + 1, p + 2));
    }
    sql.push_str(
        " on conflict (doc_id) do update set seq = collab_heads.seq + excluded.seq \
         returning doc_id, seq",
    );
}

/// Appends a multi-row insert into the update log for `rows` rows, its parameters numbered from
/// the `first_row`th row's on (four per row) after `offset` others. Each row's number is its
/// document's new head less its distance from the document's last update in the append (the
/// second parameter), read in the same statement: no number travels through the client.
fn push_insert(sql: &mut String, rows: usize, first_row: usize, offset: usize) {
    sql.push_str(
        "insert into collab_updates (doc_id, seq, data, created_at) \
         select v.column1, h.seq - v.column2, v.column3, v.column4 from (values ",
    );
    for i in 0..rows {
        let p = offset + (first_row + i) * 4;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
    }
    sql.push_str(") v join collab_heads h on h.doc_id = v.column1");
}

/// Binds each record's values in the order [`push_insert`] numbers them: its document, how
/// many of its document's updates follow it in the append, the update, the time.
fn bind_records<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    records: &'q [AppendRecord],
    behind: &[i64],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for (r, behind) in records.iter().zip(behind) {
        q = q
            .bind(&*r.doc_id)
            .bind(*behind)
            .bind(&r.data[..])
            .bind(r.created_at);
    }
    q
}

/// For each record, how many updates of its document follow it in the append (its distance
/// below the document's new head).
fn behind_counts(records: &[AppendRecord], docs: &[(&str, Vec<usize>)]) -> Vec<i64> {
    let mut behind = vec![0i64; records.len()];
    for (_, indexes) in docs {
        let n = indexes.len() as i64;
        for (k, i) in indexes.iter().enumerate() {
            behind[*i] = n - 1 - k as i64;
        }
    }
    behind
}

/// The sequence number of each record from the documents' new heads.
fn assign_seqs(
    records: &[AppendRecord],
    behind: &[i64],
    heads: &std::collections::HashMap<String, i64>,
) -> Result<Vec<i64>> {
    records
        .iter()
        .zip(behind)
        .map(|(r, behind)| {
            heads
                .get(&*r.doc_id)
                .map(|head| head - behind)
                .ok_or_else(|| {
                    crate::Error::Storage(sqlx::Error::Protocol(
                        "an appended document's head was not returned".into(),
                    ))
                })
        })
        .collect()
}

fn heads_from(rows: &[sqlx::any::AnyRow]) -> Result<std::collections::HashMap<String, i64>> {
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
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

    async fn read_after_impl(&self, doc_id: &str, after: i64) -> Result<StoredDoc> {
        let mut tx = self.begin_read().await?;
        let snapshot =
            sqlx::query("select state, seq from collab_snapshots where doc_id = $1 and seq > $2")
                .bind(doc_id)
                .bind(after)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| -> Result<Snapshot> {
                    Ok(Snapshot {
                        state: row.try_get(0)?,
                        seq: row.try_get(1)?,
                    })
                })
                .transpose()?;
        let after = snapshot.as_ref().map_or(after, |s| s.seq);
        let rows = sqlx::query(
            "select seq, data from collab_updates where doc_id = $1 and seq > $2 order by seq",
        )
        .bind(doc_id)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        let head: i64 = sqlx::query("select seq from collab_heads where doc_id = $1")
            .bind(doc_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?
            .unwrap_or(0);
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
        Ok(StoredDoc {
            snapshot,
            log,
            head,
        })
    }

    async fn append_impl(&self, records: &[AppendRecord]) -> Result<Vec<i64>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let docs = by_document(records);
        let behind = behind_counts(records, &docs);
        if self.dialect == Dialect::Postgres {
            let tx = self.begin_write().await?;
            return Self::append_in(tx, records, &docs, &behind).await;
        }
        let mut appender = self.appender.lock().await;
        let mut conn = match appender.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?.detach(),
        };
        let seqs = if records.len() <= SCRIPT_MAX_ROWS && docs.len() <= HEADS_CHUNK {
            Self::append_script(&mut conn, records, &docs, &behind).await?
        } else {
            let tx = conn.begin_with("begin immediate").await?;
            Self::append_in(tx, records, &docs, &behind).await?
        };
        // Kept only after a success: whatever failed may have been the connection (and a
        // script that failed half-way left its transaction open; closing the connection rolls
        // it back).
        *appender = Some(conn);
        Ok(seqs)
    }

    /// SQLite: the whole append — `begin immediate`, raising the heads, the inserts, `commit` —
    /// as one statement string, so one hand-off to the connection's worker thread instead of
    /// several (each a pair of thread wake-ups, which were most of the committer's CPU time).
    /// The rows returned are the head statement's.
    async fn append_script(
        conn: &mut AnyConnection,
        records: &[AppendRecord],
        docs: &[(&str, Vec<usize>)],
        behind: &[i64],
    ) -> Result<Vec<i64>> {
        let mut sql = String::from("begin immediate; ");
        push_heads(&mut sql, docs.len(), 0);
        sql.push(';');
        let offset = docs.len() * 2;
        for (c, chunk) in records.chunks(APPEND_CHUNK).enumerate() {
            sql.push(' ');
            // Parameters are numbered across the whole string.
            push_insert(&mut sql, chunk.len(), c * APPEND_CHUNK, offset);
            sql.push(';');
        }
        sql.push_str(" commit");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (doc, indexes) in docs {
            q = q.bind(*doc).bind(indexes.len() as i64);
        }
        let rows = bind_records(q, records, behind)
            .fetch_all(&mut *conn)
            .await?;
        assign_seqs(records, behind, &heads_from(&rows)?)
    }

    /// Appends `records` in `tx` and commits it.
    async fn append_in(
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        records: &[AppendRecord],
        docs: &[(&str, Vec<usize>)],
        behind: &[i64],
    ) -> Result<Vec<i64>> {
        let mut heads = std::collections::HashMap::new();
        for chunk in docs.chunks(HEADS_CHUNK) {
            let mut sql = String::new();
            push_heads(&mut sql, chunk.len(), 0);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (doc, indexes) in chunk {
                q = q.bind(*doc).bind(indexes.len() as i64);
            }
            heads.extend(heads_from(&q.fetch_all(&mut *tx).await?)?);
        }
        for (c, chunk) in records.chunks(APPEND_CHUNK).enumerate() {
            let mut sql = String::new();
            push_insert(&mut sql, chunk.len(), 0, 0);
            let from = c * APPEND_CHUNK;
            bind_records(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                chunk,
                &behind[from..from + chunk.len()],
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        assign_seqs(records, behind, &heads)
    }

    async fn heads_impl(&self, doc_ids: &[Arc<str>]) -> Result<Vec<(String, i64)>> {
        let mut heads = Vec::with_capacity(doc_ids.len());
        for chunk in doc_ids.chunks(HEADS_CHUNK) {
            let mut sql = String::from("select doc_id, seq from collab_heads where doc_id in (");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i + 1));
            }
            sql.push(')');
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for doc in chunk {
                q = q.bind(&**doc);
            }
            for row in q.fetch_all(&self.pool).await? {
                heads.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        Ok(heads)
    }

    async fn lease_compaction_impl(
        &self,
        doc_id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "update collab_heads set compact_holder = $2, compact_until = $4 \
             where doc_id = $1 and (compact_until is null or compact_until < $3 \
             or compact_holder = $2)",
        )
        .bind(doc_id)
        .bind(holder)
        .bind(now_ms)
        .bind(until_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_compaction_impl(&self, doc_id: &str, holder: &str) -> Result<()> {
        sqlx::query(
            "update collab_heads set compact_holder = null, compact_until = null \
             where doc_id = $1 and compact_holder = $2",
        )
        .bind(doc_id)
        .bind(holder)
        .execute(&self.pool)
        .await?;
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
        let now = now_ms();
        let info = VersionInfo {
            id: uuid::Uuid::now_v7().to_string(),
            doc_id: doc_id.to_owned(),
            name: name.to_owned(),
            created_at: now,
            size: i64::try_from(state.len()).unwrap_or(i64::MAX),
            kind: VersionKind::Named,
            authors: Vec::new(),
            from: now,
            to: now,
        };
        self.insert_version(&info, state).await?;
        Ok(info)
    }

    async fn create_auto_version_impl(
        &self,
        doc_id: &str,
        state: &[u8],
        span: &crate::EditSpan,
    ) -> Result<VersionInfo> {
        let info = VersionInfo {
            id: uuid::Uuid::now_v7().to_string(),
            doc_id: doc_id.to_owned(),
            name: String::new(),
            created_at: now_ms(),
            size: i64::try_from(state.len()).unwrap_or(i64::MAX),
            kind: VersionKind::Auto,
            authors: span.authors.iter().cloned().collect(),
            from: span.from,
            to: span.to,
        };
        self.insert_version(&info, state).await?;
        Ok(info)
    }

    async fn insert_version(&self, info: &VersionInfo, state: &[u8]) -> Result<()> {
        let (from, to) = match info.kind {
            VersionKind::Named => (None, None),
            VersionKind::Auto => (Some(info.from), Some(info.to)),
        };
        sqlx::query(
            "insert into collab_versions (id, doc_id, name, state, created_at, kind, authors, from_at, to_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&info.id)
        .bind(&info.doc_id)
        .bind(&info.name)
        .bind(state)
        .bind(info.created_at)
        .bind(info.kind.as_str())
        .bind(serde_json::to_string(&info.authors).unwrap_or_else(|_| "[]".to_owned()))
        .bind(from)
        .bind(to)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_versions_impl(&self, doc_id: &str, version_ids: &[String]) -> Result<()> {
        if version_ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for id in version_ids {
            sqlx::query("delete from collab_versions where doc_id = $1 and id = $2")
                .bind(doc_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_versions_impl(&self, doc_id: &str) -> Result<Vec<VersionInfo>> {
        let rows = sqlx::query(
            "select id, name, created_at, length(state), kind, authors, from_at, to_at \
             from collab_versions where doc_id = $1 order by created_at, id",
        )
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let created_at: i64 = row.try_get(2)?;
                let kind: String = row.try_get(4)?;
                let authors: String = row.try_get(5)?;
                Ok(VersionInfo {
                    id: row.try_get(0)?,
                    doc_id: doc_id.to_owned(),
                    name: row.try_get(1)?,
                    created_at,
                    size: row
                        .try_get::<i64, _>(3)
                        .or_else(|_| row.try_get::<i32, _>(3).map(i64::from))?,
                    kind: if kind == "auto" {
                        VersionKind::Auto
                    } else {
                        VersionKind::Named
                    },
                    authors: serde_json::from_str(&authors).unwrap_or_default(),
                    from: row.try_get::<Option<i64>, _>(6)?.unwrap_or(created_at),
                    to: row.try_get::<Option<i64>, _>(7)?.unwrap_or(created_at),
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
            "delete from collab_heads where doc_id = $1",
        ] {
            sqlx::query(sql).bind(doc_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store for SqlStore {
    fn read_after<'a>(&'a self, doc_id: &'a str, after: i64) -> BoxFuture<'a, Result<StoredDoc>> {
        Box::pin(self.read_after_impl(doc_id, after))
    }

    fn append<'a>(&'a self, records: &'a [AppendRecord]) -> BoxFuture<'a, Result<Vec<i64>>> {
        Box::pin(self.append_impl(records))
    }

    fn heads<'a>(&'a self, doc_ids: &'a [Arc<str>]) -> BoxFuture<'a, Result<Vec<(String, i64)>>> {
        Box::pin(self.heads_impl(doc_ids))
    }

    fn lease_compaction<'a>(
        &'a self,
        doc_id: &'a str,
        holder: &'a str,
        now_ms: i64,
        until_ms: i64,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.lease_compaction_impl(doc_id, holder, now_ms, until_ms))
    }

    fn release_compaction<'a>(
        &'a self,
        doc_id: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.release_compaction_impl(doc_id, holder))
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

    fn create_auto_version<'a>(
        &'a self,
        doc_id: &'a str,
        state: &'a [u8],
        span: &'a crate::EditSpan,
    ) -> BoxFuture<'a, Result<VersionInfo>> {
        Box::pin(self.create_auto_version_impl(doc_id, state, span))
    }

    fn delete_versions<'a>(
        &'a self,
        doc_id: &'a str,
        version_ids: &'a [String],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.delete_versions_impl(doc_id, version_ids))
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
        for sql in [
            include_str!("../../migrations/sqlite/0003_collab.sql"),
            include_str!("../../migrations/sqlite/0022_collab_heads.sql"),
            include_str!("../../migrations/sqlite/0028_doc_history.sql"),
        ] {
            sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
        }
        (dir, store)
    }

    fn rec(doc: &str, data: &[u8]) -> AppendRecord {
        AppendRecord {
            doc_id: doc.into(),
            data: bytes::Bytes::copy_from_slice(data),
            created_at: now_ms(),
        }
    }

    #[tokio::test]
    async fn append_load_compact_roundtrip() {
        let (_dir, store) = sqlite().await;
        assert_eq!(store.load("a").await.unwrap(), StoredDoc::default());
        let batch: Vec<_> = (1..=450).map(|i| rec("a", &[i as u8])).collect();
        let seqs = store.append(&batch).await.unwrap();
        assert_eq!(seqs, (1..=450).collect::<Vec<i64>>());
        // Documents interleaved in one append each get consecutive numbers, in order.
        let mixed = [rec("b", b"x"), rec("a", b"y"), rec("b", b"z")];
        assert_eq!(store.append(&mixed).await.unwrap(), vec![1, 451, 2]);
        let a = store.load("a").await.unwrap();
        assert_eq!(a.log.len(), 451);
        assert_eq!((a.last_seq(), a.head), (451, 451));
        assert_eq!(a.log[450].data, b"y");
        let b = store.load("b").await.unwrap();
        assert_eq!(
            b.log
                .iter()
                .map(|e| (e.seq, e.data.clone()))
                .collect::<Vec<_>>(),
            vec![(1, b"x".to_vec()), (2, b"z".to_vec())]
        );
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
        // A reader that has everything up to 420 gets the rest only; one at 10 needs the
        // snapshot (the entries it lacks are gone).
        let after = store.read_after("a", 420).await.unwrap();
        assert_eq!((after.snapshot.is_none(), after.log.len()), (true, 31));
        let after = store.read_after("a", 10).await.unwrap();
        assert_eq!((after.snapshot.unwrap().seq, after.log.len()), (400, 51));
        // An older snapshot never replaces a newer one.
        store.compact("a", b"old", 10).await.unwrap();
        assert_eq!(store.load("a").await.unwrap().snapshot.unwrap().seq, 400);
        // Numbers continue after a compaction.
        assert_eq!(store.append(&[rec("a", b"w")]).await.unwrap(), vec![452]);
        // Beyond what one statement string binds, the append goes chunk by chunk.
        let large: Vec<_> = (0..=SCRIPT_MAX_ROWS).map(|_| rec("b", b"z")).collect();
        let seqs = store.append(&large).await.unwrap();
        assert_eq!(*seqs.last().unwrap(), SCRIPT_MAX_ROWS as i64 + 3);
        assert_eq!(
            store.load("b").await.unwrap().last_seq(),
            SCRIPT_MAX_ROWS as i64 + 3
        );
        let mut heads = store
            .heads(&["a".into(), "b".into(), "c".into()])
            .await
            .unwrap();
        heads.sort();
        assert_eq!(
            heads,
            vec![("a".into(), 452), ("b".into(), SCRIPT_MAX_ROWS as i64 + 3)]
        );
        store.delete_doc("a").await.unwrap();
        assert_eq!(store.load("a").await.unwrap(), StoredDoc::default());
    }

    #[tokio::test]
    async fn concurrent_appenders_never_collide() {
        let (_dir, store) = sqlite().await;
        // Two stores on one database: two nodes, each with its own appending connection.
        let other = SqlStore::new(store.pool().clone(), Dialect::Sqlite);
        let tasks: Vec<_> = [store.clone(), other]
            .into_iter()
            .map(|s| {
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    for i in 0..50u8 {
                        got.extend(s.append(&[rec("d", &[i]), rec("d", &[i])]).await.unwrap());
                    }
                    got
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all, (1..=200).collect::<Vec<i64>>());
        assert_eq!(store.load("d").await.unwrap().log.len(), 200);
    }

    #[tokio::test]
    async fn one_compaction_lease_at_a_time() {
        let (_dir, store) = sqlite().await;
        store.append(&[rec("d", b"x")]).await.unwrap();
        assert!(
            store
                .lease_compaction("d", "n1", 1_000, 61_000)
                .await
                .unwrap()
        );
        assert!(
            !store
                .lease_compaction("d", "n2", 2_000, 62_000)
                .await
                .unwrap()
        );
        // Expired, it goes to whoever asks.
        assert!(
            store
                .lease_compaction("d", "n2", 61_001, 121_001)
                .await
                .unwrap()
        );
        store.release_compaction("d", "n1").await.unwrap();
        assert!(
            !store
                .lease_compaction("d", "n1", 62_000, 122_000)
                .await
                .unwrap()
        );
        store.release_compaction("d", "n2").await.unwrap();
        assert!(
            store
                .lease_compaction("d", "n1", 62_000, 122_000)
                .await
                .unwrap()
        );
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
