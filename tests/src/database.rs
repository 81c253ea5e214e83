//! A fresh database per test.

use std::path::Path;

use sqlx::{Connection, Executor, PgConnection};

use crate::services;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test: a SQLite file in the test's directory, or a PostgreSQL
/// database created on the shared test server and dropped (with its connections) afterwards.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates the database for `backend`; SQLite files go under `dir`.
    pub async fn create(backend: Backend, dir: &Path) -> Self {
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("atrium.db").display()),
                postgres: None,
            },
            Backend::Postgres => Self::create_postgres(&services::postgres_admin_url()).await,
        }
    }

    /// Creates a fresh database on the PostgreSQL server at `admin_url`.
    pub async fn create_postgres(admin_url: &str) -> Self {
        let name = format!("atrium_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(admin_url).await.unwrap_or_else(|e| {
            panic!("cannot connect to the test PostgreSQL at {admin_url}: {e}")
        });
        admin
            .execute(sqlx::AssertSqlSafe(format!("create database {name}")))
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        let url = replace_database(admin_url, &name);
        Self {
            url,
            postgres: Some((admin_url.to_owned(), name)),
        }
    }

    /// A database named `name` on the PostgreSQL server at `admin_url`, created when missing
    /// and kept afterwards (a benchmark's seeded data, reused between runs). Returns it and
    /// whether it was just created.
    pub async fn kept_postgres(admin_url: &str, name: &str) -> (Self, bool) {
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the PostgreSQL at {admin_url}: {e}"));
        let exists = sqlx::query("select 1 from pg_database where datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .expect("look the database up")
            .is_some();
        if !exists {
            admin
                .execute(sqlx::AssertSqlSafe(format!("create database {name}")))
                .await
                .expect("create the database");
        }
        let _ = admin.close().await;
        let url = replace_database(admin_url, name);
        (
            Self {
                url,
                postgres: None,
            },
            !exists,
        )
    }

    /// Another handle on a database that already exists (e.g. for a second server on the same
    /// PostgreSQL database). It is never dropped through this handle; its creator drops it.
    pub fn shared(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            postgres: None,
        }
    }

    /// The URL the server is given.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, where blocking on async work is not allowed: use
        // a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "drop database if exists {name} with (force)"
                    )))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!(
                "warning: could not drop a test database; the test server is discarded anyway"
            );
        }
    }
}

/// `postgres://u@h:p/postgres?x` with the database part replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            replace_database("postgres://p@127.0.0.1:5/postgres", "t"),
            "postgres://p@127.0.0.1:5/t"
        );
        assert_eq!(
            replace_database("postgres://p@h:5", "t"),
            "postgres://p@h:5/t"
        );
        assert_eq!(
            replace_database("postgres://p@h/x?sslmode=disable", "t"),
            "postgres://p@h/t?sslmode=disable"
        );
    }
}
