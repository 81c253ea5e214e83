//! Who may touch a board or a task: the tenant lookup and the policy, in one place. Another
//! organisation's board or task, or one in a project the caller cannot see, is a 404.

use crate::authz::{self, Action, ProjectAccess, Resource, ResourceKind};
use crate::boards::store::{boards, tasks};
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The caller's access to a board's project, if they may do `action` on boards; with the board.
pub async fn board(
    state: &AppState,
    user_id: &str,
    board_id: &str,
    action: Action,
) -> Result<(ProjectAccess, boards::BoardRow)> {
    let mut conn = state.db.pool().acquire().await?;
    let (org_id, project_id) = boards::locate(&mut conn, board_id)
        .await?
        .ok_or(ApiError::NotFound("board"))?;
    drop(conn);
    let access = authz::require_in_project(
        &state.db,
        user_id,
        &project_id,
        "board",
        Resource::new(ResourceKind::Board),
        action,
    )
    .await?;
    let mut conn = state.db.pool().acquire().await?;
    let board = boards::find(&mut conn, &org_id, board_id)
        .await?
        .ok_or(ApiError::NotFound("board"))?;
    Ok((access, board))
}

/// The caller's access to a task's project, if they may do `action` on tasks; with the task's
/// org and project.
pub async fn task(
    state: &AppState,
    user_id: &str,
    task_id: &str,
    action: Action,
) -> Result<ProjectAccess> {
    let mut conn = state.db.pool().acquire().await?;
    let (_org_id, project_id) = tasks::locate(&mut conn, task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    drop(conn);
    authz::require_in_project(
        &state.db,
        user_id,
        &project_id,
        "task",
        Resource::new(ResourceKind::Task),
        action,
    )
    .await
}

/// The caller's access to a project for work on its tasks (`action` on tasks).
pub async fn project_tasks(
    state: &AppState,
    user_id: &str,
    project_id: &str,
    action: Action,
) -> Result<ProjectAccess> {
    authz::require_in_project(
        &state.db,
        user_id,
        project_id,
        "project",
        Resource::new(ResourceKind::Task),
        action,
    )
    .await
}

/// Checks that each user (an assignee, a watcher) can see the project: they would not see the
/// task otherwise. Returns the ids as given.
pub async fn users_who_see(
    state: &AppState,
    project_id: &str,
    field: &str,
    user_ids: &[String],
) -> Result<()> {
    for user_id in user_ids {
        if authz::require_project(&state.db, user_id, project_id, Action::Read)
            .await
            .is_err()
        {
            return Err(ApiError::invalid_field(
                field,
                format!("{user_id} is not a user who can see this project"),
            ));
        }
    }
    Ok(())
}
