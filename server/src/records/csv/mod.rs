//! CSV of records: which columns a type's file has, values written as cells (safe to open in
//! a spreadsheet) and cells read back as values of the field's type.
//!
//! A file's columns: `id`, `name`, `state`, then the type's fields by name (child tables and
//! multi-selects as JSON). A cell that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`, which import
//! removes again, so an export imports back unchanged.
//!
//! # Layout
//! - [`cells`] — values to cells and back, and the header of an import.
//! - [`import`] — an import's checked rows written in batches of multi-row statements.

pub mod cells;
pub mod import;
