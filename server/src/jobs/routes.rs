//! `GET /api/v1/orgs/{org}/jobs`: an organisation's background jobs, for its admins.

use atrium_client::wire::{ErrorBody, Job, Page};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::JobState;
use super::store::{self, JobRow};
use crate::auth::CurrentUser;
use crate::authz::{OrgAction, require_org};
use crate::db::paging::{PageQuery, PageRequest};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// The jobs route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs))
}

/// Filters of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// Only jobs in this state: `queued`, `running`, `failed`, `dead` or `done`.
    #[param(pattern = r"^(queued|running|failed|dead|done)$")]
    state: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The organisation's background jobs, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/jobs", tag = "orgs", params(("org" = String, Path), JobsQuery), responses(
    (status = 200, description = "Jobs, newest first", body = Page<Job>),
    (status = 400, description = "Bad cursor or limit", body = ErrorBody),
    (status = 403, description = "Only owners and admins see the jobs", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Unknown state", body = ErrorBody)))]
async fn list_jobs(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<JobsQuery>,
) -> Result<Json<Page<Job>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ReadJobs).await?;
    let job_state = query
        .state
        .as_deref()
        .map(|s| {
            s.parse::<JobState>().map_err(|()| {
                ApiError::invalid_field(
                    "state",
                    "must be one of queued, running, failed, dead, done",
                )
            })
        })
        .transpose()?;
    let page = PageRequest::from_query(&PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    let page = store::list(&state.db, &org_id, job_state, &page).await?;
    Ok(Json(page.into_wire(wire)))
}

fn wire(row: JobRow) -> Job {
    Job {
        id: row.id,
        kind: row.kind,
        state: row.state,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
