//! Schema migrations, one numbered file per change and per dialect under `migrations/`.
//!
//! Both sets are embedded in the binary; the one matching the backend runs at start-up and
//! with `atrium migrate`. Applying them again is a no-op.

use sqlx::migrate::Migrator;

use super::{Backend, Db};

static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

/// The migrations of a backend.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// Applies every pending migration; returns how many the database now has.
pub async fn run(db: &Db) -> Result<usize, sqlx::migrate::MigrateError> {
    let migrator = migrator(db.backend());
    migrator.run(db.pool()).await?;
    Ok(migrator.iter().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two dialects must describe the same schema history.
    #[test]
    fn dialects_have_the_same_migrations() {
        let names = |m: &Migrator| -> Vec<(i64, String)> {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect()
        };
        assert_eq!(names(&SQLITE), names(&POSTGRES));
    }
}
