//! Every SQL statement of the records domain; each function takes the org it works in.
//!
//! # Layout
//! - [`types`] — custom types and their kept versions.
//! - [`companions`] — a record's discussion channel and attached files.
//! - [`records`] — records: insert, read, update, delete, amendment counts.
//! - [`index`] — the typed value index lists read, unique values, and reference checks.
//! - [`counters`] — naming-series counters.
//! - [`history`] — field-level history entries.
//! - [`list`] — list pages and totals (the SQL that [`super::query`] plans).

pub mod companions;
pub mod counters;
pub mod history;
pub mod index;
pub mod list;
pub mod records;
pub mod types;
