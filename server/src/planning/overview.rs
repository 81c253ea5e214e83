//! `GET /api/v1/projects/{project}/overview`: where a project stands, for whoever may read its
//! tasks.

use atrium_client::wire::{ErrorBody, ProjectOverview};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{milestones, overview};
use crate::auth::CurrentUser;
use crate::authz::{self, Action, Resource, ResourceKind};
use crate::calendar;
use crate::error::Result;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// The overview route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(project_overview))
}

/// Tasks per status (in status order: by category, then by creation), open and closed,
/// overdue (open, due before today UTC), unassigned (open, nobody assigned), blocked (open,
/// waiting for an open blocker), and the milestones with their progress.
#[utoipa::path(get, path = "/api/v1/projects/{project}/overview", tag = "planning", params(("project" = String, Path)), responses(
    (status = 200, description = "The overview", body = ProjectOverview),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody)))]
async fn project_overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<ProjectOverview>> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Task),
        Action::Read,
    )
    .await?;
    let (org_id, project_id) = (&access.project.org_id, &access.project.id);
    let today = calendar::format(calendar::today());
    let statuses = overview::status_counts(&state.db, org_id, project_id).await?;
    let counts = overview::task_counts(&state.db, org_id, project_id, &today).await?;
    let milestones = milestones::list(&state.db, org_id, project_id).await?;
    Ok(Json(ProjectOverview {
        project_id: project_id.clone(),
        statuses,
        open: counts.open,
        closed: counts.closed,
        overdue: counts.overdue,
        unassigned: counts.unassigned,
        blocked: counts.blocked,
        milestones,
    }))
}
