//! The notification centre: mentions, thread replies and direct messages today (task
//! assignments and approvals will write into the same table), read state, and the e-mail
//! digest for users who were offline.
//!
//! # Layout
//! - [`store`] — every SQL statement.
//! - [`routes`] — `GET /api/v1/notifications`, `POST /api/v1/notifications/read`.
//! - [`digest`] — the worker that e-mails missed notifications, one digest per interval.

pub mod digest;
pub mod routes;
pub mod store;
