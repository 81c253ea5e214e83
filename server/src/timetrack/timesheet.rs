//! `GET /api/v1/orgs/{org}/time/entries`: one person's time entries across tasks, by date —
//! the rows of the browser's week view.
//!
//! The report's rules decide what is visible ([`super::report`]): one's own entries in every
//! project of the org one can read; another user's (`user=`) only in the projects where one
//! manages tasks, and asking for them without managing any project is a 403. The range has the
//! report's defaults and limits (inclusive dates, at most 366 days).

use atrium_client::wire::{ErrorBody, Timesheet};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::FieldErrors;
use super::report::{check_user, parse_dates, projects_in_scope, visible};
use super::store;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// The timesheet route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(time_entries))
}

/// Whose entries, over which days.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimesheetQuery {
    /// The user whose entries to list (default: the caller).
    pub user: Option<String>,
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC). At most 366 days after `from`.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// One person's time entries across tasks, ordered by date.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/time/entries", tag = "time", params(("org" = String, Path), TimesheetQuery), responses(
    (status = 200, description = "The entries", body = Timesheet),
    (status = 403, description = "Another user's time without managing a project", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Invalid dates", body = ErrorBody)))]
async fn time_entries(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<TimesheetQuery>,
) -> Result<Json<Timesheet>> {
    let projects = projects_in_scope(&state, user.id(), &org_id).await?;
    let mut errors = FieldErrors::default();
    let dates = parse_dates(query.from.as_deref(), query.to.as_deref(), &mut errors);
    errors.finish()?;
    let (from, to) = dates.ok_or_else(|| ApiError::invalid_field("from", "must be a real date"))?;
    check_user(&projects, user.id(), query.user.as_deref())?;
    let whose = query.user.as_deref().unwrap_or(user.id());
    let entries: Vec<_> = store::entries_of_user(&state.db, &org_id, whose, &from, &to)
        .await?
        .into_iter()
        .filter(|entry| visible(&projects, user.id(), &entry.project_id, &entry.user_id))
        .collect();
    Ok(Json(Timesheet {
        user_id: whose.to_owned(),
        total_minutes: entries.iter().map(|entry| u64::from(entry.minutes)).sum(),
        from,
        to,
        entries,
    }))
}
