//! Time tracking on tasks: time entries, the one running timer per user, reports by day and
//! week, and their CSV export — the raw material of timesheets and invoices.
//!
//! # Layout
//! - [`model`] — what a valid entry is; what a stopped timer records.
//! - [`access`] — who may log, read, change and report time (the policy's task rows).
//! - [`store`] — every SQL statement about entries and timers.
//! - [`entries`] — `/api/v1/tasks/{task}/time`, `/api/v1/time/{entry}`.
//! - [`timer`] — `/api/v1/me/timer`.
//! - [`report`] — `/api/v1/orgs/{org}/time`.
//! - [`timesheet`] — `/api/v1/orgs/{org}/time/entries`: one person's entries across tasks.
//! - [`csv_export`] — `/api/v1/orgs/{org}/time.csv`.

pub mod access;
pub mod csv_export;
pub mod entries;
pub mod model;
pub mod report;
pub mod store;
pub mod timer;
pub mod timesheet;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every time tracking route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(entries::router())
        .merge(timer::router())
        .merge(report::router())
        .merge(timesheet::router())
        .merge(csv_export::router())
}
