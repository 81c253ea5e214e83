//! Business records: one engine for every record type — custom types defined by org admins
//! through the API and built-in types shipped with the server — with typed values, rules,
//! naming series, workflows, per-type permissions, field-level history and indexed lists.
//!
//! # Layout
//! - [`schema`] — a type's schema; checking a definition and a change of it.
//! - [`registry`] — built-in types: the [`registry::RecordKind`] trait and the registry
//!   (`client`).
//! - [`value`] — typed values and their index form.
//! - [`rules`] — a save's data checked and completed (defaults, computed fields, rules).
//! - [`naming`] — naming series and provisional draft names.
//! - [`workflow`] — transitions: who may take them, conditions, self-approval.
//! - [`history`] — field-level diffs.
//! - [`step`] — committing a workflow step, a person's or the server's.
//! - [`query`] — list filters, sort, keyset cursor and totals, planned as SQL.
//! - [`csv`] — CSV cells and headers (export and import run in [`routes`]).
//! - [`import_progress`] — an import's batched progress and outcome on the events socket.
//! - [`events`] — record events and who receives them.
//! - [`discussion`] — a record's discussion (a chat channel) under the record's permissions.
//! - [`feed`] — record changes into the change feed.
//! - [`store`] — every SQL statement of the domain.
//! - [`routes`] — `/orgs/{org}/record-types`, `/orgs/{org}/records/{type}`, `/records/{id}`
//!   (with its discussion and attachments).

pub mod csv;
pub mod discussion;
pub mod events;
pub mod feed;
pub mod history;
pub mod import_progress;
pub mod naming;
pub mod query;
pub mod registry;
pub mod routes;
pub mod rules;
pub mod schema;
pub mod step;
pub mod store;
pub mod value;
pub mod workflow;
