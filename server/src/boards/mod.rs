//! Boards and tasks: kanban boards over a project's tasks that many people move at once.
//!
//! A board is a view: a filter plus ordered columns, each showing one of the project's
//! statuses; a task has one status and one place in that status's order (a fractional key,
//! [`rank`]), however many boards show it. Every change goes through the write path in one
//! transaction: the rows, the task's history, its app event (to everyone who can see the
//! project), its change-feed row (search) and its notifications. A task brings a collaborative
//! document (its description) and a chat channel (its discussion), both with the task's id, so
//! the collaboration socket and the chat routes serve them unchanged with the project's access.
//!
//! # Layout
//! - [`model`] — validation of fields and the names stored in the database.
//! - [`keys`] — project keys (`ENG` in `ENG-42`).
//! - [`rank`] — order keys between neighbours.
//! - [`placement`] — where a task goes in a status, read in the moving transaction.
//! - [`edit`] — changing a task: the rules shared by PATCH, moves and bulk changes.
//! - [`access`] — tenant lookups and the policy for boards and tasks.
//! - [`view`] — boards, cards and tasks in their wire shapes; board filters.
//! - [`cache`] — a project's cards kept in memory while the project does not change.
//! - [`description`] — a new task's description document from markdown.
//! - [`live`] — task and board events.
//! - [`dependents`] — blocked markers of waiting tasks when their blocker closes or reopens.
//! - [`feed`] — a task's change-feed payload (what search indexes).
//! - [`notify`] — task notifications.
//! - [`due`] — the due-soon job.
//! - [`store`] — every SQL statement.
//! - [`routes`] — the HTTP handlers.

pub mod access;
pub mod cache;
pub mod dependents;
pub mod description;
pub mod due;
pub mod edit;
pub mod feed;
pub mod keys;
pub mod live;
pub mod model;
pub mod notify;
pub mod placement;
pub mod rank;
pub mod routes;
pub mod store;
pub mod view;
