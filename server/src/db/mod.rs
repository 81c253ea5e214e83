//! The database layer: one pool over SQLite or PostgreSQL, migrations for both dialects, the
//! change feed's SQL, safe read horizons of the logs, and cursor paging.
//!
//! Queries are written once, in lowercase portable SQL with `$1…$N` bind parameters, and run
//! through sqlx's `Any` driver on either backend. Flags are stored as integers (0/1) and times
//! as integer milliseconds, because those decode the same way on both.

pub mod bind;
mod connect;
pub use connect::ConnectError;
pub mod change_feed;
pub mod horizon;
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

/// Most rows one multi-row statement carries: far below both backends' bind-parameter limits
/// (SQLite 32,766, PostgreSQL 65,535) for the widest table written this way.
pub const MAX_ROWS_PER_STATEMENT: usize = 500;

/// Whether a multi-row statement of `rows` rows stays prepared on its connection. The few
/// shapes nearly every write appends (one to four events or change-feed rows) do: unprepared,
/// a statement costs PostgreSQL two round trips (parse and describe, then bind and execute)
/// instead of one. A bulk write's shapes are each used once and would only crowd the cache.
pub fn keep_prepared(rows: usize) -> bool {
    rows <= 4
}

/// `($1, …, $cols), ($cols+1, …), …`: the `values` of a multi-row insert of `rows` rows.
pub fn values_rows(rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..cols {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * cols + col + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::values_rows;

    #[test]
    fn values_rows_numbers_parameters_row_by_row() {
        assert_eq!(values_rows(1, 2), "($1, $2)");
        assert_eq!(values_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
