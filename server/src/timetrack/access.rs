//! Who may do what with time: the policy's task rows decide.
//!
//! - Reading a task's entries: whoever may read the task.
//! - Logging time (an entry or a timer): whoever may write the task (editors and managers by
//!   default).
//! - Changing or deleting an entry: its author while they may still write the task, or whoever
//!   may manage tasks in the project (project managers, and org owners and admins, who manage
//!   every project).
//! - Reports: one's own time in every project one can read; everyone's time in the projects
//!   where one may manage tasks (see [`super::report`]).

use super::store::{self, EntryRow, TaskFacts};
use crate::authz::{self, Action, ProjectAccess, Resource, ResourceKind};
use crate::db::Db;
use crate::error::{ApiError, Result};

/// A task and the caller's access to its project, if they may do `action` on tasks there;
/// a task they cannot see (another org's, an invisible project's) is a 404.
pub async fn task(
    db: &Db,
    user_id: &str,
    task_id: &str,
    action: Action,
) -> Result<(TaskFacts, ProjectAccess)> {
    let task = store::task(db.pool(), task_id)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    let access = authz::require_in_project(
        db,
        user_id,
        &task.project_id,
        "task",
        Resource::new(ResourceKind::Task),
        action,
    )
    .await?;
    Ok((task, access))
}

/// Whether the caller may see everyone's time in the project (not only their own).
pub fn sees_everyones_time(access: &ProjectAccess) -> bool {
    access.may(Action::Manage, Resource::new(ResourceKind::Task))
}

/// An entry the caller may change or delete: their own while they may write tasks in its
/// project, anyone's where they may manage tasks. Entries they cannot see are 404s; visible
/// entries they may not change are 403s. Answers whether they act on someone else's entry.
pub async fn entry_to_change(db: &Db, user_id: &str, entry_id: &str) -> Result<(EntryRow, bool)> {
    let row = store::find_entry(db, entry_id)
        .await?
        .ok_or(ApiError::NotFound("time entry"))?;
    let access = authz::require_in_project(
        db,
        user_id,
        &row.entry.project_id,
        "time entry",
        Resource::new(ResourceKind::Task),
        Action::Read,
    )
    .await?;
    let own = row.entry.user_id == user_id;
    if !own && !sees_everyones_time(&access) {
        // Someone else's entry the caller may not manage stays out of sight.
        return Err(ApiError::NotFound("time entry"));
    }
    let allowed = sees_everyones_time(&access)
        || (own && access.may(Action::Write, Resource::new(ResourceKind::Task)));
    if !allowed {
        return Err(authz::forbidden(Action::Write, ResourceKind::Task));
    }
    Ok((row, !own))
}
