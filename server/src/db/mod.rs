//! The database layer: one pool over SQLite or PostgreSQL, migrations for both dialects, the
//! change feed, and cursor paging.
//!
//! Queries are written once, in lowercase portable SQL with `$1…$N` bind parameters, and run
//! through sqlx's `Any` driver on either backend. Flags are stored as integers (0/1) and times
//! as integer milliseconds, because those decode the same way on both.

mod connect;
pub use connect::ConnectError;
pub mod change_feed;
pub mod migrate;
pub mod paging;

pub use connect::{Backend, Db};

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Milliseconds since the Unix epoch, UTC: the one representation of time in the database.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A new identifier: a UUIDv7 string, so identifiers sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `$1, $2, …, $count`: the bind parameters of an `in (…)` list.
pub fn bind_list(count: usize) -> String {
    (1..=count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
