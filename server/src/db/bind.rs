//! The bind parameters of multi-row statements (records, their index and history, the change
//! feed), in the form each backend binds fastest.
//!
//! sqlx binds a SQLite statement's arguments by asking SQLite the name of each parameter
//! (`sqlite3_bind_parameter_name`), and SQLite finds a name by walking the statement's list of
//! named parameters from its start; parsing `$N` walks the same list. With numbered
//! parameters `$1…$N` both are O(N) per parameter, O(N²) per statement: the 6,500 parameters
//! of a 500-row insert of records cost tens of millions of steps, and in an import of 100,000
//! rows this walk was ~two thirds of the server's CPU (profile in BENCHMARKS.md, "Records at a
//! million"). Anonymous `?` parameters have no name, the list stays empty and binding is O(N);
//! sqlx binds them in order, the order [`crate::db::values_rows`] numbers them in. PostgreSQL
//! takes only numbered parameters, and binds them by position.

use super::Tx;

/// `(…), (…), …` of `rows` rows of `cols` parameters, bound in row order: `?` on SQLite,
/// `$1…` ([`crate::db::values_rows`]) on PostgreSQL.
pub fn values_rows(tx: &Tx, rows: usize, cols: usize) -> String {
    if tx.backend_name() == "PostgreSQL" {
        return crate::db::values_rows(rows, cols);
    }
    anonymous_rows(rows, cols)
}

/// `?, ?, …` of an `in (…)` list of `count` parameters, the statement's only ones: `$1…` on
/// PostgreSQL.
pub fn bind_list(tx: &Tx, count: usize) -> String {
    if tx.backend_name() == "PostgreSQL" {
        return crate::db::bind_list(count);
    }
    vec!["?"; count].join(", ")
}

fn anonymous_rows(rows: usize, cols: usize) -> String {
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row; rows].join(", ")
}

#[cfg(test)]
mod tests {
    use super::anonymous_rows;

    #[test]
    fn anonymous_rows_have_one_parameter_per_column() {
        assert_eq!(anonymous_rows(1, 2), "(?, ?)");
        assert_eq!(anonymous_rows(2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}
