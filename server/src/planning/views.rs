//! `/api/v1/projects/{project}/views` and `/api/v1/views/{view}`: a user's saved views.
//!
//! A view is its owner's alone: anyone who can read the project's tasks saves their own, and
//! someone else's view is a 404 (as is one's own once the project is out of sight). Filters
//! are checked against the project: statuses and the milestone must be the project's, and
//! assignees members of its org (or `none`, for unassigned). Views change nobody else's
//! screen, so no event goes out.

use atrium_client::wire::{ErrorBody, Page, SaveViewRequest, SavedView, TaskFilter};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model;
use super::store::views as store;
use crate::auth::CurrentUser;
use crate::authz::{self, Action, ProjectAccess, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::timetrack::model::FieldErrors;

/// The saved view routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_view, list_views))
        .routes(routes!(update_view, delete_view))
}

/// The caller's access to the project's tasks (reading them is all a view needs).
async fn readable_project(
    state: &AppState,
    user_id: &str,
    project_id: &str,
    what: &'static str,
) -> Result<ProjectAccess> {
    authz::require_in_project(
        &state.db,
        user_id,
        project_id,
        what,
        Resource::new(ResourceKind::Task),
        Action::Read,
    )
    .await
}

/// A valid view from a request: its name, sort and filters (checked against the project).
async fn validated(
    state: &AppState,
    access: &ProjectAccess,
    body: &SaveViewRequest,
) -> Result<(String, TaskFilter, String)> {
    let mut errors = FieldErrors::default();
    let name = model::name(&body.name, &mut errors);
    let sort = model::sort(&body.sort, &mut errors);
    let filters = model::filter_shape(&body.filters, &mut errors);
    errors.finish()?;
    let mut errors = FieldErrors::default();
    let known = store::known_statuses(&state.db, &access.project.id, &filters.statuses).await?;
    if known.len() != filters.statuses.len() {
        errors.add("filters.statuses", "must be statuses of this project");
    }
    let people: Vec<String> = filters
        .assignees
        .iter()
        .filter(|id| id.as_str() != "none")
        .cloned()
        .collect();
    let members = store::known_members(&state.db, &access.project.org_id, &people).await?;
    if members.len() != people.len() {
        errors.add(
            "filters.assignees",
            "must be members of this organisation (or none)",
        );
    }
    if let Some(milestone) = &filters.milestone {
        if !store::milestone_in_project(&state.db, &access.project.id, milestone).await? {
            errors.add("filters.milestone", "must be a milestone of this project");
        }
    }
    errors.finish()?;
    Ok((name, filters, sort))
}

/// The caller's view (someone else's, or one in a project out of sight, is a 404).
async fn own_view(
    state: &AppState,
    user_id: &str,
    view_id: &str,
) -> Result<(store::ViewRow, ProjectAccess)> {
    let row = store::find(&state.db, view_id)
        .await?
        .filter(|row| row.user_id == user_id)
        .ok_or(ApiError::NotFound("view"))?;
    let access = readable_project(state, user_id, &row.view.project_id, "view").await?;
    Ok((row, access))
}

/// Save a view of the project's tasks for the caller.
#[utoipa::path(post, path = "/api/v1/projects/{project}/views", tag = "planning", params(("project" = String, Path)), request_body = SaveViewRequest, responses(
    (status = 201, description = "The view", body = SavedView),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody),
    (status = 422, description = "Invalid name, filters or sort", body = ErrorBody)))]
async fn create_view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Json(body): Json<SaveViewRequest>,
) -> Result<(StatusCode, Json<SavedView>)> {
    let access = readable_project(&state, user.id(), &project_id, "project").await?;
    let (name, filters, sort) = validated(&state, &access, &body).await?;
    let mut work = state.writes.begin().await?;
    let view = store::insert(
        work.tx(),
        user.id(),
        &access.project.id,
        &name,
        body.layout,
        &filters,
        &sort,
    )
    .await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's views of a project, by name.
#[utoipa::path(get, path = "/api/v1/projects/{project}/views", tag = "planning", params(("project" = String, Path)), responses(
    (status = 200, description = "The caller's views", body = Page<SavedView>),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody)))]
async fn list_views(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<SavedView>>> {
    let access = readable_project(&state, user.id(), &project_id, "project").await?;
    let items = store::list(
        &state.db,
        &access.project.org_id,
        &access.project.id,
        user.id(),
    )
    .await?;
    Ok(Json(Page { items, next: None }))
}

/// Replace one of the caller's views (name, layout, filters and sort).
#[utoipa::path(patch, path = "/api/v1/views/{view}", tag = "planning", params(("view" = String, Path)), request_body = SaveViewRequest, responses(
    (status = 200, description = "The view", body = SavedView),
    (status = 404, description = "No such view of the caller's", body = ErrorBody),
    (status = 422, description = "Invalid name, filters or sort", body = ErrorBody)))]
async fn update_view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(view_id): Path<String>,
    Json(body): Json<SaveViewRequest>,
) -> Result<Json<SavedView>> {
    let (row, access) = own_view(&state, user.id(), &view_id).await?;
    let (name, filters, sort) = validated(&state, &access, &body).await?;
    let mut view = row.view;
    view.name = name;
    view.layout = body.layout;
    view.filters = filters;
    view.sort = sort;
    let mut work = state.writes.begin().await?;
    view.updated_at = store::update(work.tx(), user.id(), &view).await?;
    work.commit().await?;
    Ok(Json(view))
}

/// Delete one of the caller's views.
#[utoipa::path(delete, path = "/api/v1/views/{view}", tag = "planning", params(("view" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "No such view of the caller's", body = ErrorBody)))]
async fn delete_view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(view_id): Path<String>,
) -> Result<StatusCode> {
    let (row, _) = own_view(&state, user.id(), &view_id).await?;
    let mut work = state.writes.begin().await?;
    if !store::delete(work.tx(), user.id(), &row.view.id).await? {
        return Err(ApiError::NotFound("view"));
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
