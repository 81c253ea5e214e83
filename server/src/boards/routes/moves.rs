//! `POST /api/v1/tasks/{task}/move`: into a column of a board, between two of its cards.

use atrium_client::wire::{ErrorBody, MoveTaskRequest, TaskCard};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::tasks::announce;
use super::{Retry, retry_on_conflict};
use crate::auth::CurrentUser;
use crate::authz::{Action, ProjectAccess, Resource, ResourceKind};
use crate::boards::access;
use crate::boards::edit::{self, Outcome};
use crate::boards::live::TaskEventKind;
use crate::boards::placement::Slot;
use crate::boards::store::history;
use crate::boards::store::tasks as store;
use crate::boards::store::{boards, statuses};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(move_task))
}

async fn move_once(
    state: &AppState,
    user: &CurrentUser,
    access: &ProjectAccess,
    task_id: &str,
    body: &MoveTaskRequest,
) -> Result<TaskCard, Retry> {
    let org_id = &access.project.org_id;
    let mut work = state.writes.begin().await?;
    let mut task = store::find(work.tx(), org_id, task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let (column, status) =
        boards::column_with_status(work.tx(), org_id, &task.project_id, &body.column)
            .await?
            .ok_or_else(|| {
                ApiError::invalid_field("column", "is not a column of a board of this project")
            })?;
    // A move within the column does not add to it; only arrivals count against the limit.
    if let Some(limit) = column.wip_limit
        && status.id != task.status_id
    {
        // Under the status's order lock, so two moves cannot both take the last place.
        statuses::lock_order(work.tx(), &status.id).await?;
        let open = statuses::open_count(work.tx(), org_id, &status.id).await?;
        let may_force = access.may(Action::Manage, Resource::new(ResourceKind::Board));
        if open >= i64::from(limit) && !(body.force && may_force) {
            return Err(ApiError::conflict(
                "wip_limit",
                format!(
                    "the column {:?} is at its limit of {limit} open tasks",
                    column.name
                ),
            )
            .into());
        }
    }
    let mut outcome = Outcome::default();
    let from_rank = task.rank.clone();
    edit::place(
        work.tx(),
        &mut task,
        &status,
        Slot {
            after: body.after.as_deref(),
            before: body.before.as_deref(),
            top: false,
        },
        body.confirm,
        &mut outcome,
    )
    .await?;
    if outcome.changes.is_empty() {
        // Within one column: the order is the change.
        outcome.changes.push(history::FieldChange {
            field: "rank",
            before: serde_json::json!(from_rank),
            after: serde_json::json!(task.rank),
        });
    }
    history::record(work.tx(), &task.id, user.id(), &outcome.changes).await?;
    if outcome.from_status.is_none() {
        outcome.from_status = Some(task.status_id.clone());
    }
    // A move changes nothing search indexes: no description needed.
    let card = announce(
        state,
        &mut work,
        user,
        &task,
        TaskEventKind::Moved,
        &outcome,
        None,
    )
    .await?;
    work.commit().await?;
    Ok(card)
}

/// Move a task into a column (of any board of its project), between `after` and `before`
/// (tasks of that column; neither: the bottom). Into a column at its WIP limit: 409
/// `wip_limit`, unless a project manager passes `force`.
#[utoipa::path(post, path = "/api/v1/tasks/{task}/move", tag = "boards", params(("task" = String, Path)), request_body = MoveTaskRequest, responses(
    (status = 200, description = "The card where it landed", body = TaskCard),
    (status = 403, description = "The role cannot move tasks", body = ErrorBody),
    (status = 404, description = "No such task", body = ErrorBody),
    (status = 409, description = "`wip_limit` or `open_subtasks`", body = ErrorBody),
    (status = 422, description = "Unknown column or neighbours", body = ErrorBody)))]
async fn move_task(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
    Json(body): Json<MoveTaskRequest>,
) -> Result<Json<TaskCard>> {
    let access = access::task(&state, user.id(), &task_id, Action::Write).await?;
    let card = retry_on_conflict!(move_once(&state, &user, &access, &task_id, &body).await)?;
    Ok(Json(card))
}
