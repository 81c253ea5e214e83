//! `/api/v1/projects/{project}/milestones` and `/api/v1/milestones/{milestone}`.
//!
//! Milestones are planning on the project's boards, so the policy's board rows decide: readers
//! of boards read them, writers (editors) create, edit, close and reopen them, and deleting one
//! (its tasks keep going without it) is for those who may delete boards (managers) and is
//! audited. Every change goes to the project as `milestone.updated` / `milestone.deleted`; a
//! deletion also sends `task.updated` for each task it took the milestone from.

use atrium_client::wire::{
    CreateMilestoneRequest, ErrorBody, Milestone, Page, Removed, UpdateMilestoneRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model;
use super::store::milestones as store;
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::{self, Action, ProjectAccess, Resource, ResourceKind};
use crate::boards::live::{self, TaskEventKind};
use crate::boards::store::cards;
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::timetrack::model::FieldErrors;
use crate::write::UnitOfWork;

/// The milestone routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_milestone, list_milestones))
        .routes(routes!(get_milestone, update_milestone, delete_milestone))
}

const BOARD: Resource<'static> = Resource {
    kind: ResourceKind::Board,
    owner: None,
};

/// A milestone and the caller's access to its project, if they may do `action` there.
async fn milestone(
    state: &AppState,
    user_id: &str,
    milestone_id: &str,
    action: Action,
) -> Result<(String, Milestone, ProjectAccess)> {
    let (org_id, milestone) = store::find(state.db.pool(), milestone_id)
        .await?
        .ok_or(ApiError::NotFound("milestone"))?;
    let access = authz::require_in_project(
        &state.db,
        user_id,
        &milestone.project_id,
        "milestone",
        BOARD,
        action,
    )
    .await?;
    Ok((org_id, milestone, access))
}

/// Queues `milestone.updated` for everyone who can see the project.
fn announce(work: &mut UnitOfWork, org_id: &str, milestone: &Milestone) {
    work.emit(NewEvent::new(
        org_id,
        Audience::Project(milestone.project_id.clone()),
        "milestone.updated",
        milestone,
    ));
}

/// Create a milestone in a project (those who may write boards).
#[utoipa::path(post, path = "/api/v1/projects/{project}/milestones", tag = "planning", params(("project" = String, Path)), request_body = CreateMilestoneRequest, responses(
    (status = 201, description = "The milestone", body = Milestone),
    (status = 403, description = "The caller may not plan in the project", body = ErrorBody),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody),
    (status = 422, description = "Invalid name, due date or description", body = ErrorBody)))]
async fn create_milestone(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Json(body): Json<CreateMilestoneRequest>,
) -> Result<(StatusCode, Json<Milestone>)> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        BOARD,
        Action::Write,
    )
    .await?;
    let mut errors = FieldErrors::default();
    let name = model::name(&body.name, &mut errors);
    let description =
        model::description(body.description.as_deref().unwrap_or_default(), &mut errors);
    let due = body
        .due
        .as_deref()
        .map(|due| model::date("due", due, &mut errors));
    errors.finish()?;
    let mut work = state.writes.begin().await?;
    let milestone = store::insert(
        work.tx(),
        &store::NewMilestone {
            project_id: &access.project.id,
            name: &name,
            description: &description,
            due: due.as_deref(),
            created_by: user.id(),
        },
    )
    .await?;
    announce(&mut work, &access.project.org_id, &milestone);
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(milestone)))
}

/// A project's milestones with their progress: open first, then by due date.
#[utoipa::path(get, path = "/api/v1/projects/{project}/milestones", tag = "planning", params(("project" = String, Path)), responses(
    (status = 200, description = "The milestones", body = Page<Milestone>),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody)))]
async fn list_milestones(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<Milestone>>> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        BOARD,
        Action::Read,
    )
    .await?;
    let items = store::list(&state.db, &access.project.org_id, &access.project.id).await?;
    Ok(Json(Page { items, next: None }))
}

/// A milestone with its progress.
#[utoipa::path(get, path = "/api/v1/milestones/{milestone}", tag = "planning", params(("milestone" = String, Path)), responses(
    (status = 200, description = "The milestone", body = Milestone),
    (status = 404, description = "No such milestone (or not visible)", body = ErrorBody)))]
async fn get_milestone(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(milestone_id): Path<String>,
) -> Result<Json<Milestone>> {
    let (_, milestone, _) = milestone(&state, user.id(), &milestone_id, Action::Read).await?;
    Ok(Json(milestone))
}

/// Rename, redate, describe, close (`closed: true`) or reopen (`closed: false`) a milestone.
#[utoipa::path(patch, path = "/api/v1/milestones/{milestone}", tag = "planning", params(("milestone" = String, Path)), request_body = UpdateMilestoneRequest, responses(
    (status = 200, description = "The milestone", body = Milestone),
    (status = 403, description = "The caller may not plan in the project", body = ErrorBody),
    (status = 404, description = "No such milestone (or not visible)", body = ErrorBody),
    (status = 422, description = "Invalid name, due date or description", body = ErrorBody)))]
async fn update_milestone(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(milestone_id): Path<String>,
    Json(body): Json<UpdateMilestoneRequest>,
) -> Result<Json<Milestone>> {
    let (org_id, mut milestone, _) =
        milestone(&state, user.id(), &milestone_id, Action::Write).await?;
    let mut errors = FieldErrors::default();
    if let Some(name) = &body.name {
        milestone.name = model::name(name, &mut errors);
    }
    if let Some(description) = &body.description {
        milestone.description = model::description(description, &mut errors);
    }
    if let Some(due) = &body.due {
        milestone.due = due
            .as_deref()
            .map(|due| model::date("due", due, &mut errors));
    }
    errors.finish()?;
    match body.closed {
        Some(true) if milestone.closed_at.is_none() => milestone.closed_at = Some(now_ms()),
        Some(false) => milestone.closed_at = None,
        _ => {}
    }
    let mut work = state.writes.begin().await?;
    store::update(work.tx(), &org_id, &milestone).await?;
    // Progress counts as of this write (tasks may have moved since the read).
    let milestone = store::find(&mut **work.tx(), &milestone.id)
        .await?
        .map(|(_, m)| m)
        .ok_or(ApiError::NotFound("milestone"))?;
    announce(&mut work, &org_id, &milestone);
    work.commit().await?;
    Ok(Json(milestone))
}

/// Delete a milestone (those who may delete boards); its tasks keep going without one.
#[utoipa::path(delete, path = "/api/v1/milestones/{milestone}", tag = "planning", params(("milestone" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "The caller may not delete planning", body = ErrorBody),
    (status = 404, description = "No such milestone (or not visible)", body = ErrorBody)))]
async fn delete_milestone(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(milestone_id): Path<String>,
) -> Result<StatusCode> {
    let (org_id, milestone, _) =
        milestone(&state, user.id(), &milestone_id, Action::Delete).await?;
    let mut work = state.writes.begin().await?;
    let tasks = store::tasks_of(work.tx(), &milestone.id).await?;
    if !store::delete(work.tx(), &org_id, &milestone.id).await? {
        return Err(ApiError::NotFound("milestone"));
    }
    // The foreign key cleared the tasks' milestone: boards hear of each card as it is now.
    for (task_id, project_id) in tasks {
        if let Some(card) = cards::one(work.tx(), &org_id, &project_id, &task_id).await? {
            live::task(
                &mut work,
                &org_id,
                TaskEventKind::Updated,
                &card,
                &project_id,
                None,
                user.id(),
            );
        }
    }
    let event = Event::new(action::MILESTONE_DELETED, Some(user.id()))
        .org(&org_id)
        .target("milestone", &milestone.id)
        .change(
            Some(json!({ "name": milestone.name, "project_id": milestone.project_id, "tasks": milestone.tasks_total })),
            None::<()>,
        );
    work.audit(&event, &client).await?;
    work.emit(NewEvent::new(
        &org_id,
        Audience::Project(milestone.project_id.clone()),
        "milestone.deleted",
        &Removed {
            id: milestone.id.clone(),
            project_id: milestone.project_id.clone(),
        },
    ));
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
