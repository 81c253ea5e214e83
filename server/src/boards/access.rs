//! Who may touch a board or a task: the tenant lookup and the policy, in one place. Another
//! organisation's board or task, or one in a project the caller cannot see, is a 404.

use atrium_client::wire::ProjectRole;

use crate::authz::joined::JoinedRoles;
use crate::authz::store::MemberPolicy;
use crate::authz::{self, Action, ProjectAccess, ProjectFacts, Resource, ResourceKind};
use crate::boards::store::tasks::TaskRow;
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

/// [`task`] for a task whose row was read together with the caller's roles in its project and
/// policy in its org ([`crate::authz::joined`]), inside the unit of work that will change it:
/// no query left. 404 `task` when they cannot see the project, 403 when they may not do
/// `action` on tasks.
pub fn task_with_roles(
    user_id: &str,
    task: &TaskRow,
    roles: JoinedRoles,
    policy: Option<MemberPolicy>,
    action: Action,
) -> Result<ProjectAccess> {
    let not_found = ApiError::NotFound("task");
    let (Some(org_role), Some((visibility, default_role)), Some(policy)) =
        (roles.org_role, roles.project, policy)
    else {
        return Err(not_found);
    };
    let project = ProjectFacts {
        id: task.project_id.clone(),
        org_id: task.org_id.clone(),
        visibility,
        default_role,
    };
    let org = authz::member_access_from(user_id, &task.org_id, org_role, policy);
    let subject = org
        .in_project(&project, roles.explicit_role)
        .ok_or(not_found)?;
    let access = ProjectAccess {
        role: subject.project_role.unwrap_or(ProjectRole::Viewer),
        org_role: org.role,
        subject,
        policy: org.policy,
        project,
    };
    access.require(action, Resource::new(ResourceKind::Task))?;
    Ok(access)
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
