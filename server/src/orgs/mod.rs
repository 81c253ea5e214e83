//! Organisations: creation, members and their roles, invitations; the whole-organisation
//! export and the organisation's deletion.
//!
//! # Layout
//! - [`routes`] — `/api/v1/orgs/*`: create, list, rename, members; [`invitations`].
//! - [`export`] — `/api/v1/orgs/{org}/export*`: start, list and download exports;
//!   [`archive`] — the job that writes an export's ZIP into the file store.
//! - [`delete`] — `DELETE /api/v1/orgs/{org}`; [`purge`] — the job that removes what a
//!   deleted organisation left, and the expiry pass of exports.
//! - [`store`], [`export_store`] — their SQL.

pub mod archive;
pub mod delete;
pub mod export;
pub mod export_store;
pub mod invitations;
pub mod purge;
pub mod routes;
pub mod store;
