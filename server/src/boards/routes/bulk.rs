//! `POST /api/v1/projects/{project}/tasks/bulk`: one change to many tasks, in one transaction,
//! all or nothing; a refusal names every refused task and why, and changes nothing.

use std::collections::HashMap;

use atrium_client::wire::{
    BulkOp, BulkTaskRequest, BulkTaskResult, ErrorBody, ItemError, StatusCategory,
    UpdateTaskRequest,
};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::tasks::{announce, description_text};
use super::{Retry, retry_on_conflict};
use crate::auth::CurrentUser;
use crate::authz::{Action, ProjectAccess};
use crate::boards::edit;
use crate::boards::live::TaskEventKind;
use crate::boards::store::relations::{self, Link};
use crate::boards::store::{statuses, tasks as store};
use crate::boards::{access, model};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk_tasks))
}

/// The refusal of one task: its field and message.
fn item_error(task: &str, error: &ApiError) -> Vec<ItemError> {
    match error {
        ApiError::Validation(fields) => fields
            .iter()
            .map(|(field, message)| ItemError {
                task: task.to_owned(),
                field: field.clone(),
                message: message.clone(),
            })
            .collect(),
        other => vec![ItemError {
            task: task.to_owned(),
            field: other.code().to_owned(),
            message: other.to_string(),
        }],
    }
}

/// The PATCH each task gets (labels are per task: added to its own).
async fn patch_for(
    tx: &mut crate::db::Tx,
    body: &BulkTaskRequest,
    task_id: &str,
    close_status: Option<&str>,
) -> Result<UpdateTaskRequest> {
    let mut patch = UpdateTaskRequest {
        confirm: body.confirm,
        ..UpdateTaskRequest::default()
    };
    match body.op {
        BulkOp::Move => {
            patch.status = Some(
                body.status
                    .clone()
                    .ok_or_else(|| ApiError::invalid_field("status", "is required to move"))?,
            );
        }
        BulkOp::Close => patch.status = close_status.map(str::to_owned),
        BulkOp::Assign => {
            patch.assignees =
                Some(body.assignees.clone().ok_or_else(|| {
                    ApiError::invalid_field("assignees", "is required to assign")
                })?);
        }
        BulkOp::Priority => {
            patch.priority = Some(
                body.priority
                    .ok_or_else(|| ApiError::invalid_field("priority", "is required"))?,
            );
        }
        BulkOp::Label => {
            let mut labels = relations::values(tx, Link::Labels, task_id).await?;
            let remove = body.remove_labels.clone().unwrap_or_default();
            labels.retain(|l| !remove.contains(l));
            for label in body.labels.iter().flatten() {
                if !labels.contains(label) {
                    labels.push(label.clone());
                }
            }
            patch.labels = Some(labels);
        }
    }
    Ok(patch)
}

async fn bulk_once(
    state: &AppState,
    user: &CurrentUser,
    access: &ProjectAccess,
    body: &BulkTaskRequest,
    ids: &[String],
    descriptions: &HashMap<String, String>,
) -> Result<BulkTaskResult, Retry> {
    let org_id = &access.project.org_id;
    let project_id = &access.project.id;
    let mut work = state.writes.begin().await?;
    let close_status = if body.op == BulkOp::Close {
        let all = statuses::list(work.tx(), org_id, project_id).await?;
        Some(
            edit::first_of(&all, StatusCategory::Done)
                .ok_or_else(|| {
                    ApiError::invalid_field("op", "the project has no status of category done")
                })?
                .id
                .clone(),
        )
    } else {
        None
    };
    let mut errors = Vec::new();
    let mut changed = Vec::new();
    for id in ids {
        let Some(mut task) = store::find(work.tx(), org_id, id)
            .await?
            .filter(|t| t.project_id == *project_id)
        else {
            errors.push(ItemError {
                task: id.clone(),
                field: "tasks".to_owned(),
                message: "is not a task of this project".to_owned(),
            });
            continue;
        };
        let result = async {
            let patch = patch_for(work.tx(), body, id, close_status.as_deref()).await?;
            edit::apply(state, work.tx(), user.id(), &mut task, &patch).await
        }
        .await;
        match result {
            Ok(outcome) => changed.push((task, outcome)),
            Err(ApiError::Conflict { code, .. }) if code == edit::RANK_TAKEN => {
                return Err(Retry::Again);
            }
            Err(error @ (ApiError::Validation(_) | ApiError::Conflict { .. })) => {
                errors.extend(item_error(id, &error));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        // Dropping the unit of work rolls back what the accepted tasks changed.
        return Err(ApiError::ItemsRefused(errors).into());
    }
    let mut cards = Vec::with_capacity(changed.len());
    for (task, outcome) in &changed {
        let kind = if outcome.from_status.is_some() {
            TaskEventKind::Moved
        } else {
            TaskEventKind::Updated
        };
        let card = if outcome.changes.is_empty() {
            crate::boards::view::card(work.tx(), task).await?
        } else {
            let description = descriptions.get(&task.id).map(String::as_str);
            announce(state, &mut work, user, task, kind, outcome, description).await?
        };
        cards.push(card);
    }
    work.commit().await?;
    Ok(BulkTaskResult { tasks: cards })
}

/// Move, assign, label, prioritise or close many tasks at once (editors and managers): one
/// transaction; if any task is refused, 422 with `errors` per task and nothing changes.
#[utoipa::path(post, path = "/api/v1/projects/{project}/tasks/bulk", tag = "boards", params(("project" = String, Path)), request_body = BulkTaskRequest, responses(
    (status = 200, description = "Every task changed", body = BulkTaskResult),
    (status = 403, description = "The role cannot edit tasks", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "Refused; `errors` per task; nothing changed", body = ErrorBody)))]
async fn bulk_tasks(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Json(body): Json<BulkTaskRequest>,
) -> Result<Json<BulkTaskResult>> {
    let access = access::project_tasks(&state, user.id(), &project_id, Action::Write).await?;
    let ids = model::ids("tasks", &body.tasks)?;
    if ids.is_empty() || ids.len() > model::MAX_BULK {
        return Err(ApiError::invalid_field(
            "tasks",
            format!("must name 1 to {} tasks", model::MAX_BULK),
        ));
    }
    // Labels are searchable: their change-feed rows carry the description, read beforehand.
    let mut descriptions = HashMap::new();
    if body.op == BulkOp::Label {
        let mut conn = state.db.pool().acquire().await?;
        let known = store::find_many(&mut conn, &access.project.org_id, &project_id, &ids).await?;
        drop(conn);
        for task in known {
            let text = description_text(&state, &task.id).await;
            descriptions.insert(task.id, text);
        }
    }
    let result =
        retry_on_conflict!(bulk_once(&state, &user, &access, &body, &ids, &descriptions).await)?;
    Ok(Json(result))
}
