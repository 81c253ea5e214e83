//! `POST /api/v1/boards/{board}/tasks` and `/api/v1/tasks/{task}`.

use atrium_client::wire::{
    CreateTaskRequest, ErrorBody, NotificationKind, Task, UpdateTaskRequest, UserRef,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Retry, retry_on_conflict};
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::{Action, ProjectAccess};
use crate::boards::edit::{self, Outcome};
use crate::boards::live::{self, TaskEventKind};
use crate::boards::placement::{Slot, rank_for};
use crate::boards::store::boards::BoardRow;
use crate::boards::store::history::{self, FieldChange};
use crate::boards::store::relations::{self, Link};
use crate::boards::store::tasks::{self as store, NewTask, TaskRow};
use crate::boards::store::{boards, companions, projects};
use crate::boards::{access, dependents, description, feed, model, notify, view};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::write::UnitOfWork;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_task))
        .routes(routes!(get_task, update_task, delete_task))
}

/// The caller as a notification's actor.
pub(super) fn actor(user: &CurrentUser) -> Option<UserRef> {
    Some(UserRef {
        id: user.id().to_owned(),
        handle: user.user.handle.clone(),
        name: user.user.name.clone(),
    })
}

/// Whether a change touches what search indexes of a task (its key and title, its labels; the
/// description reports itself through the hub).
pub(super) fn searchable(outcome: &Outcome) -> bool {
    outcome
        .changes
        .iter()
        .any(|c| c.field == "title" || c.field == "labels")
}

/// The description's text, for a change-feed row: read before the unit of work opens (the hub
/// may load the document from the database, which must not wait on the write's connection).
pub(super) async fn description_text(state: &AppState, task_id: &str) -> String {
    crate::docs::feed::text(&state.collab, task_id).await
}

/// Queues everything others hear of a changed task: its event, its change-feed row (with the
/// description's text read beforehand, `description`, when a searchable field changed), the
/// notifications of new assignees and, when it closed, of those waiting for it.
pub(super) async fn announce(
    state: &AppState,
    work: &mut UnitOfWork,
    user: &CurrentUser,
    task: &TaskRow,
    kind: TaskEventKind,
    outcome: &Outcome,
    description: Option<&str>,
) -> Result<atrium_client::wire::TaskCard> {
    let card = view::card(work.tx(), task).await?;
    let activity = feed::Activity {
        actor: Some(user.id()),
        changes: &outcome.changes,
        assignees: &card.assignees,
    };
    if searchable(outcome) {
        let description = description.unwrap_or_default();
        feed::upsert(work, task, &card.labels, description, &activity)?;
    } else if !outcome.changes.is_empty() {
        feed::upsert_unchanged_text(work, task, &card.labels, &activity).await?;
    }
    announce_card(state, work, user, task, kind, outcome, &card).await?;
    Ok(card)
}

/// [`announce`] but the change-feed row, with the task's card as it is now, made by the
/// caller: the event, the blocked markers and the notifications.
pub(super) async fn announce_card(
    state: &AppState,
    work: &mut UnitOfWork,
    user: &CurrentUser,
    task: &TaskRow,
    kind: TaskEventKind,
    outcome: &Outcome,
    card: &atrium_client::wire::TaskCard,
) -> Result<()> {
    live::task(
        work,
        &task.org_id,
        kind,
        card,
        &task.project_id,
        outcome.from_status.clone(),
        user.id(),
    );
    if outcome.closed || outcome.reopened {
        dependents::announce_blocked_changes(work, task, outcome.reopened, user.id()).await?;
    }
    let presence = state.events.presence();
    notify::write(
        work,
        Some(presence),
        NotificationKind::TaskAssigned,
        task,
        actor(user),
        &outcome.newly_assigned,
    )
    .await?;
    if outcome.closed {
        let waiting = relations::waiting_on(work.tx(), &task.id).await?;
        for (waiting_id, _title, assignee) in waiting {
            if assignee == user.id() {
                continue;
            }
            let mut conn_task = store::find(work.tx(), &task.org_id, &waiting_id).await?;
            if let Some(waiting_task) = conn_task.take() {
                notify::write(
                    work,
                    Some(presence),
                    NotificationKind::TaskBlockerDone,
                    &waiting_task,
                    actor(user),
                    &[assignee],
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// A new task's fields, checked before the transaction.
struct Checked {
    title: String,
    due: Option<String>,
    estimate: Option<i64>,
    assignees: Vec<String>,
    labels: Vec<String>,
    blockers: Vec<String>,
    checklist: Vec<atrium_client::wire::ChecklistItem>,
}

async fn check_new(
    state: &AppState,
    access: &ProjectAccess,
    body: &CreateTaskRequest,
) -> Result<Checked> {
    let title = model::title(&body.title)?;
    let due = body
        .due
        .as_deref()
        .map(|d| model::date("due", d))
        .transpose()?;
    let estimate = body.estimate.map(model::estimate).transpose()?;
    let assignees = model::ids("assignees", body.assignees.as_deref().unwrap_or_default())?;
    access::users_who_see(state, &access.project.id, "assignees", &assignees).await?;
    let labels = model::labels("labels", body.labels.as_deref().unwrap_or_default())?;
    let blockers = model::ids("blocked_by", body.blocked_by.as_deref().unwrap_or_default())?;
    let checklist = model::checklist(body.checklist.as_deref().unwrap_or_default())?;
    if body
        .description
        .as_ref()
        .is_some_and(|d| d.len() > model::MAX_DESCRIPTION_BYTES)
    {
        return Err(ApiError::invalid_field(
            "description",
            format!("must be at most {} bytes", model::MAX_DESCRIPTION_BYTES),
        ));
    }
    Ok(Checked {
        title,
        due,
        estimate,
        assignees,
        labels,
        blockers,
        checklist,
    })
}

async fn create_once(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientInfo,
    board: &BoardRow,
    body: &CreateTaskRequest,
    checked: &Checked,
) -> Result<(TaskRow, atrium_client::wire::TaskCard), Retry> {
    let (org_id, project_id) = (board.org_id.as_str(), board.project_id.as_str());
    let mut work = state.writes.begin().await?;
    let columns = boards::columns(work.tx(), org_id, &board.id).await?;
    let column = match &body.column {
        Some(id) => columns
            .iter()
            .find(|c| c.id == *id)
            .ok_or_else(|| ApiError::invalid_field("column", "is not a column of this board"))?,
        None => columns
            .first()
            .ok_or_else(|| ApiError::invalid_field("column", "the board has no columns"))?,
    };
    let status =
        crate::boards::store::statuses::find(work.tx(), org_id, project_id, &column.status_id)
            .await?
            .ok_or(ApiError::NotFound("status"))?;
    if let Some(milestone) = &body.milestone
        && !relations::milestone_in_project(work.tx(), project_id, milestone).await?
    {
        return Err(
            ApiError::invalid_field("milestone", "is not a milestone of this project").into(),
        );
    }
    if let Some(parent) = &body.parent {
        edit::check_parent(work.tx(), org_id, project_id, None, parent).await?;
    }
    edit::check_blockers(work.tx(), org_id, project_id, None, &checked.blockers).await?;
    projects::ensure_key(work.tx(), org_id, project_id).await?;
    let (number, key) = projects::next_task_number(work.tx(), org_id, project_id).await?;
    let id = crate::db::new_id();
    let rank = rank_for(
        work.tx(),
        &status.id,
        &id,
        Slot {
            top: body.top,
            ..Slot::default()
        },
    )
    .await?;
    store::insert(
        work.tx(),
        &NewTask {
            id: &id,
            org_id,
            project_id,
            number,
            title: &checked.title,
            status_id: &status.id,
            rank: &rank,
            priority: body.priority.unwrap_or_default(),
            due: checked.due.as_deref(),
            estimate: checked.estimate,
            milestone_id: body.milestone.as_deref(),
            parent_id: body.parent.as_deref(),
            checklist: &checked.checklist,
            created_by: user.id(),
            closed: model::is_closed(status.category),
        },
    )
    .await?;
    relations::add(work.tx(), Link::Assignees, &id, &checked.assignees).await?;
    relations::add(work.tx(), Link::Labels, &id, &checked.labels).await?;
    relations::add(work.tx(), Link::Blockers, &id, &checked.blockers).await?;
    let key = model::task_key(&key, number);
    companions::create_description(
        work.tx(),
        org_id,
        project_id,
        &id,
        &format!("{key} {}", checked.title),
        user.id(),
    )
    .await?;
    companions::create_discussion(work.tx(), org_id, project_id, &id, &key, user.id()).await?;
    history::record(
        work.tx(),
        &id,
        user.id(),
        &[FieldChange {
            field: "created",
            before: serde_json::Value::Null,
            after: json!({ "key": key, "title": checked.title, "status": status.name }),
        }],
    )
    .await?;
    let task = store::find(work.tx(), org_id, &id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let event = Event::new(action::TASK_CREATED, Some(user.id()))
        .org(org_id)
        .target("task", &id)
        .change(None::<()>, Some(json!({ "key": key, "title": task.title })));
    work.audit(&event, client).await?;
    let outcome = Outcome {
        newly_assigned: checked
            .assignees
            .iter()
            .filter(|a| a.as_str() != user.id())
            .cloned()
            .collect(),
        ..Outcome::default()
    };
    let card = view::card(work.tx(), &task).await?;
    let description = body.description.as_deref().unwrap_or_default();
    let activity = feed::Activity {
        actor: Some(user.id()),
        changes: &[],
        assignees: &card.assignees,
    };
    feed::upsert(&mut work, &task, &card.labels, description, &activity)?;
    live::task(
        &mut work,
        org_id,
        TaskEventKind::Created,
        &card,
        project_id,
        None,
        user.id(),
    );
    notify::write(
        &mut work,
        Some(state.events.presence()),
        NotificationKind::TaskAssigned,
        &task,
        actor(user),
        &outcome.newly_assigned,
    )
    .await?;
    work.commit().await?;
    Ok((task, card))
}

/// Create a task in a board's column (the first without `column`), at the bottom (or `top`).
#[utoipa::path(post, path = "/api/v1/boards/{board}/tasks", tag = "boards", params(("board" = String, Path)), request_body = CreateTaskRequest, responses(
    (status = 201, description = "Created", body = Task),
    (status = 403, description = "The role cannot create tasks", body = ErrorBody),
    (status = 404, description = "No such board", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub(crate) async fn create_task(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(board_id): Path<String>,
    Json(body): Json<CreateTaskRequest>,
) -> Result<(StatusCode, Json<Task>)> {
    let (access, board) = access::board(&state, user.id(), &board_id, Action::Read).await?;
    access.require(
        Action::Write,
        crate::authz::Resource::new(crate::authz::ResourceKind::Task),
    )?;
    let checked = check_new(&state, &access, &body).await?;
    let (task, _card) =
        retry_on_conflict!(create_once(&state, &user, &client, &board, &body, &checked).await)?;
    if let Some(markdown) = body.description.as_deref().filter(|d| !d.trim().is_empty()) {
        // The document exists now; its first content goes through the hub like any edit.
        let update = description::seed_update(markdown);
        if let Err(error) = state.collab.apply_update(&task.id, &update).await {
            tracing::warn!(task = %task.id, %error, "cannot seed a task's description");
        }
    }
    let mut conn = state.db.pool().acquire().await?;
    Ok((
        StatusCode::CREATED,
        Json(view::task(&mut conn, task, Some(&access)).await?),
    ))
}

/// A task with everything about it.
#[utoipa::path(get, path = "/api/v1/tasks/{task}", tag = "boards", params(("task" = String, Path)), responses(
    (status = 200, description = "The task", body = Task),
    (status = 404, description = "No such task", body = ErrorBody)))]
async fn get_task(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
) -> Result<Json<Task>> {
    let access = access::task(&state, user.id(), &task_id, Action::Read).await?;
    let mut conn = state.db.pool().acquire().await?;
    let task = store::find(&mut conn, &access.project.org_id, &task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    Ok(Json(view::task(&mut conn, task, Some(&access)).await?))
}

async fn update_once(
    state: &AppState,
    user: &CurrentUser,
    access: &ProjectAccess,
    task_id: &str,
    body: &UpdateTaskRequest,
    description: Option<&str>,
) -> Result<TaskRow, Retry> {
    let mut work = state.writes.begin().await?;
    let mut task = store::find(work.tx(), &access.project.org_id, task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let outcome = edit::apply(state, work.tx(), user.id(), &mut task, body).await?;
    if !outcome.changes.is_empty() {
        let kind = if outcome.from_status.is_some() {
            TaskEventKind::Moved
        } else {
            TaskEventKind::Updated
        };
        announce(state, &mut work, user, &task, kind, &outcome, description).await?;
    }
    work.commit().await?;
    Ok(task)
}

/// Change a task's fields (editors and managers); `null` clears an optional one. Closing a
/// parent with open subtasks needs `confirm`.
#[utoipa::path(patch, path = "/api/v1/tasks/{task}", tag = "boards", params(("task" = String, Path)), request_body = UpdateTaskRequest, responses(
    (status = 200, description = "The task", body = Task),
    (status = 403, description = "The role cannot edit tasks", body = ErrorBody),
    (status = 404, description = "No such task", body = ErrorBody),
    (status = 409, description = "`open_subtasks`: closing a parent needs confirm", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub(crate) async fn update_task(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
    Json(body): Json<UpdateTaskRequest>,
) -> Result<Json<Task>> {
    let access = access::task(&state, user.id(), &task_id, Action::Write).await?;
    let description = if body.title.is_some() || body.labels.is_some() {
        Some(description_text(&state, &task_id).await)
    } else {
        None
    };
    let task = retry_on_conflict!(
        update_once(
            &state,
            &user,
            &access,
            &task_id,
            &body,
            description.as_deref()
        )
        .await
    )?;
    let mut conn = state.db.pool().acquire().await?;
    Ok(Json(view::task(&mut conn, task, Some(&access)).await?))
}

/// Delete a task (editors and managers); its subtasks stay, without a parent.
#[utoipa::path(delete, path = "/api/v1/tasks/{task}", tag = "boards", params(("task" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "The role cannot delete tasks", body = ErrorBody),
    (status = 404, description = "No such task", body = ErrorBody)))]
async fn delete_task(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(task_id): Path<String>,
) -> Result<StatusCode> {
    let access = access::task(&state, user.id(), &task_id, Action::Delete).await?;
    let org_id = access.project.org_id.clone();
    let mut work = state.writes.begin().await?;
    let task = store::find(work.tx(), &org_id, &task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let messages = companions::discussion_message_ids(work.tx(), &org_id, &task_id).await?;
    companions::delete(work.tx(), &org_id, &task_id).await?;
    if !store::delete(work.tx(), &org_id, &task_id).await? {
        return Err(ApiError::NotFound("task"));
    }
    let event = Event::new(action::TASK_DELETED, Some(user.id()))
        .org(&org_id)
        .target("task", &task_id)
        .change(
            Some(json!({ "key": task.key, "title": task.title })),
            None::<()>,
        );
    work.audit(&event, &client).await?;
    feed::delete(&mut work, &org_id, &task.project_id, &task_id)?;
    feed::delete_messages(&mut work, &org_id, &task.project_id, &messages)?;
    live::task_deleted(&mut work, &org_id, &task.project_id, &task_id);
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
