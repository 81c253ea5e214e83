//! Every SQL statement of chat, one file per table group.
//!
//! - [`channels`] — channels, their explicit members, and each user's state in them.
//! - [`messages`] — messages, edits, reactions, mentions and thread counters.
//! - [`reads`] — read markers, thread follows, unread counts and the threads view.
//! - [`settings`] — an organisation's chat settings (who may mention everyone).

pub mod channels;
pub mod messages;
pub mod reads;
pub mod settings;

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

/// Whether `error` is a unique-constraint violation (a duplicate name, a DM that exists).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
