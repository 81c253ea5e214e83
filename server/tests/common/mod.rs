//! Shared by the server's integration tests: a migrated database on SQLite or PostgreSQL, and
//! a macro that runs each case on both.
#![allow(dead_code)]

use atrium_server::db::{self, Db};
use atrium_server::events::{Events, EventsConfig};
use atrium_server::feed::Wakers;
use atrium_server::jobs::Jobs;
use atrium_server::write::Writes;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The write path over `db`, waking `jobs` and `feed` after its commits; its event dispatcher
/// stops when the guard drops.
pub async fn writes(db: &Db, jobs: Jobs, feed: Wakers) -> (Writes, DropGuard) {
    let stop = CancellationToken::new();
    let (events, _) = Events::start(db.clone(), EventsConfig::default(), None, stop.clone())
        .await
        .unwrap();
    (
        Writes::new(db.clone(), events, jobs, feed),
        stop.drop_guard(),
    )
}

/// A migrated database that is removed when dropped.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = Db::connect(&url, 4).await.unwrap();
        db::migrate::run(&db).await.unwrap();
        Self {
            db,
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    pub async fn postgres() -> Self {
        let admin = std::env::var("ATRIUM_TEST_PG_URL").expect(
            "ATRIUM_TEST_PG_URL is not set: the PostgreSQL tests need it \
             (postgres://postgres@127.0.0.1:PORT/postgres; scripts/test sets it)",
        );
        let name = format!("atrium_it_{}", uuid::Uuid::now_v7().simple());
        let admin_db = Db::connect(&admin, 1).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(admin_db.pool())
            .await
            .unwrap();
        admin_db.close().await;
        let url = with_database(&admin, &name);
        let db = Db::connect(&url, 4).await.unwrap();
        db::migrate::run(&db).await.unwrap();
        Self {
            db,
            url,
            _dir: None,
            pg: Some((admin, name)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread with a
        // runtime of its own. `with (force)` ends connections the pool still holds.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin_db = Db::connect(&admin, 1).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "drop database if exists {name} with (force)"
                )))
                .execute(admin_db.pool())
                .await
                .unwrap();
                admin_db.close().await;
            });
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("cannot drop the test database");
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

#[macro_export]
macro_rules! on_both_databases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let t = super::TestDb::sqlite().await;
                    super::$case(&t).await;
                    t.db.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let t = super::TestDb::postgres().await;
                    super::$case(&t).await;
                    t.db.close().await;
                }
            )*
        }
    };
}

/// Runs each case on PostgreSQL only (what it proves does not arise with SQLite's one writer).
#[macro_export]
macro_rules! on_postgres {
    ($($case:ident),* $(,)?) => {
        mod postgres_only {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let t = super::TestDb::postgres().await;
                    super::$case(&t).await;
                    t.db.close().await;
                }
            )*
        }
    };
}
