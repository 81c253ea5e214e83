//! Blocked markers of the tasks a task blocks: a card is `blocked` while one of its blockers is
//! open, so closing or reopening a task changes the marker of the tasks waiting for it. Each one
//! whose marker changed is announced as `task.updated`, in the unit of work of the change, so
//! boards show it without reloading.

use crate::boards::live::{self, TaskEventKind};
use crate::boards::store::cards;
use crate::boards::store::relations;
use crate::boards::store::tasks::TaskRow;
use crate::error::Result;
use crate::write::UnitOfWork;

/// Queues `task.updated` for each task waiting for `task` whose `blocked` marker changed
/// because `task` just closed (`reopened: false`) or reopened (`reopened: true`).
pub async fn announce_blocked_changes(
    work: &mut UnitOfWork,
    task: &TaskRow,
    reopened: bool,
    by: &str,
) -> Result<()> {
    // After a close a dependent's marker flipped when no blocker is open any more; after a
    // reopen, when this task is its only open blocker.
    let flipped_at = i64::from(reopened);
    for (dependent_id, project_id, open_blockers) in
        relations::dependents(work.tx(), &task.id).await?
    {
        if open_blockers != flipped_at {
            continue;
        }
        let card = cards::one(work.tx(), &task.org_id, &project_id, &dependent_id).await?;
        if let Some(card) = card {
            live::task(
                work,
                &task.org_id,
                TaskEventKind::Updated,
                &card,
                &project_id,
                None,
                by,
            );
        }
    }
    Ok(())
}
