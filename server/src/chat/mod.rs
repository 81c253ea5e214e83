//! Team chat: channels in projects and direct messages, messages with markdown text, threads,
//! `@mentions`, reactions, read markers and unread counts.
//!
//! Every write appends its app events (for `/api/v1/events`) and its change-feed row (for
//! search) in the same transaction; notifications are written beside them.
//!
//! # Layout
//! - [`model`] — channel rows, who may see a channel, validation of names, texts and emoji.
//! - [`mentions`] — finding `@mentions` in markdown.
//! - [`feed`] — a message's change-feed payload (what search indexes).
//! - [`access`] — the caller's access to a channel; a channel's audience.
//! - [`mention_plan`] — who a message's mentions reach.
//! - [`notify`] — who is notified of a message, and writing the notifications.
//! - [`post`] — posting, editing and deleting messages.
//! - [`writer`] — the task that writes posted messages, concurrent ones in one transaction.
//! - [`store`] — every SQL statement.
//! - [`routes`] — the HTTP handlers.

pub mod access;
pub mod feed;
pub mod mention_plan;
pub mod mentions;
pub mod model;
pub mod notify;
pub mod post;
pub mod routes;
pub mod store;
pub mod writer;
