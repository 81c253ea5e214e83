//! `POST /api/v1/tasks/{task}/move`: into a column of a board, between two of its cards.

use atrium_client::wire::{ErrorBody, MoveTaskRequest, TaskCard};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::tasks::{announce_card, searchable};
use super::{Retry, retry_on_conflict};
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, ResourceKind};
use crate::boards::access;
use crate::boards::edit::{self, Known, Outcome};
use crate::boards::live::TaskEventKind;
use crate::boards::placement::Slot;
use crate::boards::store::{moves, statuses};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(move_task))
}

/// One attempt at a move, as one unit of work. Its first statement reads the task with
/// everything the move decides on (the caller's roles in the project and policy in the org,
/// the target column and its status, the rest of the card); then come the neighbours' keys and
/// the writes. A move changes nothing else a card shows, so the answer's card is made from
/// what was read, not read again.
async fn move_once(
    state: &AppState,
    user: &CurrentUser,
    task_id: &str,
    body: &MoveTaskRequest,
) -> Result<TaskCard, Retry> {
    let mut work = state.writes.begin().await?;
    let moving = moves::read(work.tx(), user.id(), task_id, &body.column)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let access = access::task_with_roles(
        user.id(),
        &moving.task,
        moving.roles,
        moving.policy,
        Action::Write,
    )?;
    let (column, status) = moving.target.ok_or_else(|| {
        ApiError::invalid_field("column", "is not a column of a board of this project")
    })?;
    let mut task = moving.task;
    let mut known = Known {
        open_subtasks: Some(moving.extras.open_subtasks()),
        order_locked: moving.order_locked,
        // The move writes its history row (its status, or within a column its order key).
        recorded_by: Some(user.id()),
    };
    // A move within the column does not add to it; only arrivals count against the limit.
    if let Some(limit) = column.wip_limit
        && status.id != task.status_id
    {
        // Under the status's order lock, so two moves cannot both take the last place.
        if !known.order_locked {
            statuses::lock_order(work.tx(), &status.id).await?;
            known.order_locked = true;
        }
        let open = statuses::open_count(work.tx(), &task.org_id, &status.id).await?;
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
    edit::place_knowing(
        work.tx(),
        &mut task,
        &status,
        Slot {
            after: body.after.as_deref(),
            before: body.before.as_deref(),
            top: false,
        },
        body.confirm,
        known,
        &mut outcome,
    )
    .await?;
    if outcome.from_status.is_none() {
        outcome.from_status = Some(task.status_id.clone());
    }
    let card = moving.extras.card(&task);
    // A move changes nothing search indexes (no title, no labels): the row carries the
    // previous text, and the description document is not read.
    debug_assert!(!searchable(&outcome));
    let activity = crate::boards::feed::Activity {
        actor: Some(user.id()),
        changes: &outcome.changes,
        assignees: &card.assignees,
    };
    crate::boards::feed::upsert_unchanged_text(&mut work, &task, &card.labels, &activity).await?;
    announce_card(
        state,
        &mut work,
        user,
        &task,
        TaskEventKind::Moved,
        &outcome,
        &card,
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
pub(crate) async fn move_task(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
    Json(body): Json<MoveTaskRequest>,
) -> Result<Json<TaskCard>> {
    let card = retry_on_conflict!(move_once(&state, &user, &task_id, &body).await)?;
    Ok(Json(card))
}
