//! The harness shared by the collab integration tests: a real database per test (SQLite in a
//! temporary file, or a fresh PostgreSQL database under `ATRIUM_TEST_PG_URL`), a yrs client
//! driving the hub through `Connection` / `Outbox` as a socket would, and a counting `Store`
//! wrapper.

#![allow(dead_code)] // each test crate uses its own part of the harness

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use atrium_collab::protocol::{self, Incoming};
use atrium_collab::store::{AppendRecord, StoredDoc};
use atrium_collab::{
    Access, Connection, Hub, HubConfig, Outbox, Outgoing, SqlStore, Store, VersionInfo,
};
use bytes::Bytes;
use sqlx::{Executor, Row};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

/// A database for one test.
pub struct TestDb {
    pub store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("collab.db").display()
        );
        let store = SqlStore::connect(&url, 4).await.unwrap();
        for sql in [
            include_str!("../../../migrations/sqlite/0003_collab.sql"),
            include_str!("../../../migrations/sqlite/0022_collab_heads.sql"),
            include_str!("../../../migrations/sqlite/0028_doc_history.sql"),
        ] {
            sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
        }
        Self {
            store,
            _dir: Some(dir),
            pg: None,
        }
    }

    pub async fn postgres() -> Self {
        let admin = std::env::var("ATRIUM_TEST_PG_URL").expect(
            "ATRIUM_TEST_PG_URL is not set: the PostgreSQL variants of the collab tests need an \
             admin URL such as postgres://postgres@127.0.0.1:5432/postgres",
        );
        sqlx::any::install_default_drivers();
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "collab_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = admin_connection(&admin).await;
        conn.execute(sqlx::AssertSqlSafe(format!("create database {name}")))
            .await
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        let store = SqlStore::connect(&url, 4).await.unwrap();
        for sql in [
            include_str!("../../../migrations/postgres/0003_collab.sql"),
            include_str!("../../../migrations/postgres/0022_collab_heads.sql"),
            include_str!("../../../migrations/postgres/0028_doc_history.sql"),
        ] {
            sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
        }
        Self {
            store,
            _dir: None,
            pg: Some((admin, name)),
        }
    }

    pub async fn cleanup(self) {
        self.store.pool().close().await;
        if let Some((admin, name)) = self.pg {
            let mut conn = admin_connection(&admin).await;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .await
            .unwrap();
        }
    }

    pub async fn log_rows(&self, doc: &str) -> i64 {
        sqlx::query("select count(*) from collab_updates where doc_id = $1")
            .bind(doc)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    pub async fn stored_bytes(&self, doc: &str) -> i64 {
        let q = "select coalesce(sum(length(data)), 0) from collab_updates where doc_id = $1";
        let log: i64 = sqlx::query(q)
            .bind(doc)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        let snap: i64 = sqlx::query(
            "select coalesce(sum(length(state)), 0) from collab_snapshots where doc_id = $1",
        )
        .bind(doc)
        .fetch_one(self.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        log + snap
    }
}

pub async fn admin_connection(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection as _;
    sqlx::AnyConnection::connect(url).await.unwrap()
}

/// A yrs client attached through the hub.
pub struct Client {
    pub doc: Doc,
    pub conn: Connection,
    pub outbox: Outbox,
    pub closed: Option<u16>,
    /// Updates this client sent, not yet echoed back.
    pub echoes: usize,
}

impl Client {
    pub async fn join(hub: &Hub, doc_id: &str, access: Access) -> Self {
        let (mut conn, outbox) = hub.connect(doc_id, access).await.unwrap();
        let doc = Doc::new();
        let sv = doc.transact().state_vector();
        conn.receive(protocol::encode_sync_step1(sv)).unwrap();
        let mut c = Self {
            doc,
            conn,
            outbox,
            closed: None,
            echoes: 0,
        };
        c.pump();
        c
    }

    /// Handles every frame already queued for this client.
    pub fn pump(&mut self) {
        while let Some(frame) = self.outbox.try_next() {
            self.handle(&frame);
        }
    }

    pub fn handle(&mut self, frame: &Bytes) {
        for msg in protocol::decode_frame(frame, usize::MAX).unwrap() {
            match msg {
                Incoming::SyncStep1(sv) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv.decode());
                    let _ = self.conn.receive(protocol::encode_sync_step2(update));
                }
                Incoming::SyncStep2(u) | Incoming::Update(u) => {
                    let before = self.doc.transact().state_vector();
                    self.doc
                        .transact_mut()
                        .apply_update(Update::decode_v1(&u).unwrap())
                        .unwrap();
                    if self.doc.transact().state_vector() == before {
                        self.echoes = self.echoes.saturating_sub(1);
                    }
                }
                _ => {}
            }
        }
    }

    /// Waits for the next outgoing item (frame or close) with a timeout.
    pub async fn next(&mut self) -> Option<Outgoing> {
        tokio::time::timeout(Duration::from_secs(10), self.outbox.next())
            .await
            .expect("timed out waiting for the hub")
    }

    /// Reads until the queue is idle for a moment.
    pub async fn settle(&mut self) {
        while let Ok(item) =
            tokio::time::timeout(Duration::from_millis(150), self.outbox.next()).await
        {
            match item {
                Some(Outgoing::Frame(f)) => self.handle(&f),
                Some(Outgoing::Close { code, .. }) => {
                    self.closed = Some(code);
                    return;
                }
                None => return,
            }
        }
    }

    /// Appends `at_end` to the local `text` and returns the update frame, without sending it.
    pub fn make_edit(&mut self, at_end: &str) -> Bytes {
        let text = self.doc.get_or_insert_text("text");
        let update = {
            let mut txn = self.doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, at_end);
            txn.encode_update_v1()
        };
        protocol::encode_update(update)
    }

    /// Appends `at_end` to the local `text` and sends the update.
    pub fn edit(&mut self, at_end: &str) -> Result<(), u16> {
        let frame = self.make_edit(at_end);
        self.echoes += 1;
        self.conn.receive(frame)
    }

    /// Sends a Yjs v1 update made on this client's document.
    pub fn send_update(&mut self, update: Vec<u8>) -> Result<(), u16> {
        self.echoes += 1;
        self.conn.receive(protocol::encode_update(update))
    }

    /// Reads until every update this client sent was echoed (that is, committed).
    pub async fn wait_echoes(&mut self) {
        while self.echoes > 0 {
            match self.next().await {
                Some(Outgoing::Frame(f)) => self.handle(&f),
                other => panic!("closed while waiting for echoes: {other:?}"),
            }
        }
    }

    pub fn text(&self) -> String {
        let text = self.doc.get_or_insert_text("text");
        text.get_string(&self.doc.transact())
    }
}

pub fn config() -> HubConfig {
    HubConfig {
        change_debounce: Duration::from_millis(50),
        maintenance_interval: Duration::from_secs(3600),
        ..HubConfig::default()
    }
}

pub fn hub(db: &TestDb, config: HubConfig) -> Hub {
    Hub::new(Arc::new(db.store.clone()), config)
}

/// Declares the SQLite and PostgreSQL variants of a test body `async fn(TestDb)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = super::TestDb::sqlite().await;
                super::$name(&db).await;
                db.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = super::TestDb::postgres().await;
                super::$name(&db).await;
                db.cleanup().await;
            }
        }
    };
}

/// Builds a document from a Yjs v1 state and returns its `text`.
pub fn text_of_state(state: &[u8]) -> String {
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    let text = doc.get_or_insert_text("text");
    text.get_string(&doc.transact())
}

type Fut<'a, T> = Pin<Box<dyn Future<Output = atrium_collab::Result<T>> + Send + 'a>>;

/// The real [`SqlStore`] with every call delegated to it, counted. `load_delay` holds each load
/// for a moment before it reaches the database, to widen the window concurrent joiners have
/// to race in.
pub struct CountingStore {
    pub inner: SqlStore,
    pub loads: AtomicUsize,
    pub appends: AtomicUsize,
    pub compactions: AtomicUsize,
    pub load_delay: Duration,
    /// Appends wait for a read guard: a test holding the write guard holds every commit back
    /// (the updates stay pending) until it lets go.
    pub gate: tokio::sync::RwLock<()>,
}

impl CountingStore {
    pub fn new(inner: SqlStore, load_delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner,
            loads: AtomicUsize::new(0),
            appends: AtomicUsize::new(0),
            compactions: AtomicUsize::new(0),
            load_delay,
            gate: tokio::sync::RwLock::new(()),
        })
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

impl Store for CountingStore {
    fn load<'a>(&'a self, doc_id: &'a str) -> Fut<'a, StoredDoc> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(self.load_delay).await;
            self.inner.load(doc_id).await
        })
    }

    fn read_after<'a>(&'a self, doc_id: &'a str, after: i64) -> Fut<'a, StoredDoc> {
        self.inner.read_after(doc_id, after)
    }

    fn heads<'a>(&'a self, doc_ids: &'a [Arc<str>]) -> Fut<'a, Vec<(String, i64)>> {
        self.inner.heads(doc_ids)
    }

    fn lease_compaction<'a>(
        &'a self,
        doc_id: &'a str,
        holder: &'a str,
        now_ms: i64,
        until_ms: i64,
    ) -> Fut<'a, bool> {
        self.inner
            .lease_compaction(doc_id, holder, now_ms, until_ms)
    }

    fn release_compaction<'a>(&'a self, doc_id: &'a str, holder: &'a str) -> Fut<'a, ()> {
        self.inner.release_compaction(doc_id, holder)
    }

    fn append<'a>(&'a self, records: &'a [AppendRecord]) -> Fut<'a, Vec<i64>> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let _open = self.gate.read().await;
            self.inner.append(records).await
        })
    }

    fn compact<'a>(&'a self, doc_id: &'a str, state: &'a [u8], upto_seq: i64) -> Fut<'a, ()> {
        self.compactions.fetch_add(1, Ordering::SeqCst);
        self.inner.compact(doc_id, state, upto_seq)
    }

    fn create_version<'a>(
        &'a self,
        doc_id: &'a str,
        name: &'a str,
        state: &'a [u8],
    ) -> Fut<'a, VersionInfo> {
        self.inner.create_version(doc_id, name, state)
    }

    fn create_auto_version<'a>(
        &'a self,
        doc_id: &'a str,
        state: &'a [u8],
        span: &'a atrium_collab::EditSpan,
    ) -> Fut<'a, VersionInfo> {
        self.inner.create_auto_version(doc_id, state, span)
    }

    fn delete_versions<'a>(&'a self, doc_id: &'a str, version_ids: &'a [String]) -> Fut<'a, ()> {
        self.inner.delete_versions(doc_id, version_ids)
    }

    fn list_versions<'a>(&'a self, doc_id: &'a str) -> Fut<'a, Vec<VersionInfo>> {
        self.inner.list_versions(doc_id)
    }

    fn version_state<'a>(
        &'a self,
        doc_id: &'a str,
        version_id: &'a str,
    ) -> Fut<'a, Option<Vec<u8>>> {
        self.inner.version_state(doc_id, version_id)
    }

    fn delete_doc<'a>(&'a self, doc_id: &'a str) -> Fut<'a, ()> {
        self.inner.delete_doc(doc_id)
    }
}
