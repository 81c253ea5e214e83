//! The one durable job queue every background task runs on: mail delivery and text extraction
//! today; webhook deliveries, PDF rendering and reminders plug in the same way.
//!
//! A feature calls [`enqueue`] inside the transaction of the change that causes the work, so a
//! job exists exactly when that change commits, then calls [`Jobs::wake`] after the commit. The
//! runner of every node claims due jobs (PostgreSQL: `for update skip locked`; SQLite: its one
//! writer), holds a lease on each while its [`Handler`] works (renewed for long jobs), and
//! records what the handler says: done, retry after an exponential back-off with jitter, or
//! dead. A claim counts an attempt, so a job whose node died mid-job is claimed again once its
//! lease has run out, and a job that keeps killing its node is dead after `max_attempts`.
//!
//! # Layout
//! - [`model`] — [`NewJob`], [`Job`], [`JobState`], [`Outcome`]: the pure types and rules.
//! - [`backoff`] — [`Backoff`]: the wait before the next attempt.
//! - [`recurring`] — work that queues its own next run (scans, daily passes).
//! - [`store`] — every SQL statement of the `jobs` table.
//! - [`runner`] — [`Handler`], [`Runner`] and the [`Jobs`] handle: the background loop.
//! - [`routes`] — `GET /api/v1/orgs/{org}/jobs` for organisation admins.
//! - [`metrics`] — what `/metrics` shows of the queue.

pub mod backoff;
pub mod late_state;
pub mod metrics;
pub mod model;
pub mod recurring;
pub mod routes;
pub mod runner;
pub mod store;

pub use backoff::Backoff;
pub use late_state::LateState;
pub use model::{Job, JobState, NewJob, Outcome};
pub use runner::{GaveUp, Handler, Jobs, Runner, RunnerOptions};
