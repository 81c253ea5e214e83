//! Planning over a project's tasks: milestones with their progress, the project overview, and
//! each user's saved views.
//!
//! # Layout
//! - [`model`] — valid names, dates, filters and sorts.
//! - [`store`] — every SQL statement of planning (milestones, overview counts, views).
//! - [`milestones`] — `/api/v1/projects/{project}/milestones`, `/api/v1/milestones/{milestone}`.
//! - [`overview`] — `/api/v1/projects/{project}/overview`.
//! - [`views`] — `/api/v1/projects/{project}/views`, `/api/v1/views/{view}`.

pub mod milestones;
pub mod model;
pub mod overview;
pub mod store;
pub mod views;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every planning route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(milestones::router())
        .merge(overview::router())
        .merge(views::router())
}
