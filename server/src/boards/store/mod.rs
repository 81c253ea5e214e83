//! Every SQL statement of boards and tasks, nothing else. Each function takes the tenant (org)
//! it works in. Reads take a connection (`&mut **tx` inside a unit of work, a pooled one
//! outside), so the write path reads what its own transaction sees.

pub mod boards;
pub mod cards;
pub mod companions;
pub mod history;
pub mod moves;
pub mod projects;
pub mod relations;
pub mod statuses;
pub mod tasks;

/// Whether `error` is a unique-constraint violation.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}
