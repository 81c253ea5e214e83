//! `GET /api/v1/tasks/{task}/history`: field-level activity in order.

use atrium_client::wire::{ErrorBody, Page, TaskChange};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::boards::access;
use crate::boards::store::history;
use crate::error::Result;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(task_history))
}

/// A task's history: one entry per changed field, oldest first.
#[utoipa::path(get, path = "/api/v1/tasks/{task}/history", tag = "boards", params(("task" = String, Path)), responses(
    (status = 200, description = "The changes", body = Page<TaskChange>),
    (status = 404, description = "No such task", body = ErrorBody)))]
async fn task_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
) -> Result<Json<Page<TaskChange>>> {
    let access = access::task(&state, user.id(), &task_id, Action::Read).await?;
    let mut conn = state.db.pool().acquire().await?;
    let items = history::list(&mut conn, &access.project.org_id, &task_id).await?;
    Ok(Json(Page { items, next: None }))
}
