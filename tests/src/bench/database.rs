//! The database a benchmark's server runs on: its own SQLite file, or a fresh PostgreSQL
//! database on a server given by URL (or one started for the run).

use clap::ValueEnum;

use crate::TestDatabase;
use crate::services::PrivatePostgres;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbBackend {
    Sqlite,
    Postgres,
}

/// A benchmark's database, dropped (and any PostgreSQL started for it stopped) at the end.
pub struct BenchDatabase {
    database: Option<TestDatabase>,
    _server: Option<PrivatePostgres>,
}

impl BenchDatabase {
    /// The database for `backend`; `pg_url` is the admin URL of a PostgreSQL server to use.
    pub async fn create(backend: DbBackend, pg_url: Option<&str>) -> Self {
        match (backend, pg_url) {
            (DbBackend::Sqlite, _) => Self {
                database: None,
                _server: None,
            },
            (DbBackend::Postgres, Some(url)) => Self {
                database: Some(TestDatabase::create_postgres(url).await),
                _server: None,
            },
            (DbBackend::Postgres, None) => {
                let server = PrivatePostgres::start();
                Self {
                    database: Some(TestDatabase::create_postgres(&server.admin_url()).await),
                    _server: Some(server),
                }
            }
        }
    }

    /// The server's environment for it (`ATRIUM_DATABASE_URL` on PostgreSQL).
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        self.database
            .iter()
            .map(|d| ("ATRIUM_DATABASE_URL", d.url()))
            .collect()
    }
}
