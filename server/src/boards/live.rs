//! Task and board events for the `/api/v1/events` socket: everyone who can see the project
//! hears of every change (boards place cards by status and order key).

use atrium_client::wire::{BoardSummary, Removed, TaskCard, TaskEvent};

use crate::events::{Audience, NewEvent};
use crate::write::UnitOfWork;

/// Which task event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEventKind {
    Created,
    Updated,
    Moved,
}

impl TaskEventKind {
    fn name(self) -> &'static str {
        match self {
            Self::Created => "task.created",
            Self::Updated => "task.updated",
            Self::Moved => "task.moved",
        }
    }
}

/// Queues a task event with the card as it is now.
pub fn task(
    work: &mut UnitOfWork,
    org_id: &str,
    kind: TaskEventKind,
    card: &TaskCard,
    project_id: &str,
    from_status: Option<String>,
    by: &str,
) {
    let event = TaskEvent {
        project_id: project_id.to_owned(),
        task: card.clone(),
        from_status,
        by: by.to_owned(),
    };
    work.emit(NewEvent::new(
        org_id,
        Audience::Project(project_id.to_owned()),
        kind.name(),
        &event,
    ));
}

/// Queues `task.deleted`.
pub fn task_deleted(work: &mut UnitOfWork, org_id: &str, project_id: &str, task_id: &str) {
    work.emit(NewEvent::new(
        org_id,
        Audience::Project(project_id.to_owned()),
        "task.deleted",
        &Removed {
            id: task_id.to_owned(),
            project_id: project_id.to_owned(),
        },
    ));
}

/// Queues `board.updated` (created, renamed, refiltered, columns changed).
pub fn board_updated(work: &mut UnitOfWork, org_id: &str, board: &BoardSummary) {
    work.emit(NewEvent::new(
        org_id,
        Audience::Project(board.project_id.clone()),
        "board.updated",
        board,
    ));
}

/// Queues `board.deleted`.
pub fn board_deleted(work: &mut UnitOfWork, org_id: &str, project_id: &str, board_id: &str) {
    work.emit(NewEvent::new(
        org_id,
        Audience::Project(project_id.to_owned()),
        "board.deleted",
        &Removed {
            id: board_id.to_owned(),
            project_id: project_id.to_owned(),
        },
    ));
}
