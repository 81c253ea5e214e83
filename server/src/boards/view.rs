//! Reading boards and tasks into their wire shapes.

use std::collections::HashMap;

use atrium_client::wire::{Board, BoardSummary, Column, Task, TaskCard, TaskFilter};
use sqlx::AnyConnection;

use super::cache;
use super::store::boards::{self, BoardRow};
use super::store::cards;
use super::store::relations::{self, Link};
use super::store::tasks::TaskRow;
use crate::authz::{ProjectAccess, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::state::AppState;

pub fn summary(board: &BoardRow) -> BoardSummary {
    BoardSummary {
        id: board.id.clone(),
        project_id: board.project_id.clone(),
        name: board.name.clone(),
        filter: board.filter.clone(),
        swimlanes: board.swimlanes,
        created_at: board.created_at,
        updated_at: board.updated_at,
    }
}

/// Whether a card matches a filter (every given part).
pub fn matches(filter: &TaskFilter, card: &TaskCard) -> bool {
    let any_assignee = filter.assignees.is_empty()
        || filter
            .assignees
            .iter()
            .any(|a| (a == "none" && card.assignees.is_empty()) || card.assignees.contains(a));
    let any_label =
        filter.labels.is_empty() || filter.labels.iter().any(|l| card.labels.contains(l));
    let priority = filter.priorities.is_empty() || filter.priorities.contains(&card.priority);
    let status = filter.statuses.is_empty() || filter.statuses.contains(&card.status_id);
    let milestone = filter
        .milestone
        .as_ref()
        .is_none_or(|m| card.milestone.as_ref() == Some(m));
    let due = filter
        .due_before
        .as_ref()
        .is_none_or(|d| card.due.as_ref().is_some_and(|due| due <= d));
    let text = filter.text.as_ref().is_none_or(|t| {
        let t = t.to_lowercase();
        t.split_whitespace().all(|word| {
            card.key.to_lowercase().contains(word) || card.title.to_lowercase().contains(word)
        })
    });
    any_assignee && any_label && priority && status && milestone && due && text
}

/// A board with its columns and their cards in order, as `access` sees it.
pub async fn board(
    state: &AppState,
    conn: &mut AnyConnection,
    board: &BoardRow,
    access: &ProjectAccess,
) -> Result<Board> {
    let columns = boards::columns(conn, &board.org_id, &board.id).await?;
    let project_key = super::store::projects::key(conn, &board.org_id, &board.project_id)
        .await?
        .unwrap_or_default();
    let all = cache::project_cards(state, conn, &board.org_id, &board.project_id).await?;
    let mut by_status: HashMap<&str, (u32, Vec<TaskCard>)> = HashMap::new();
    for card in all.iter() {
        let entry = by_status.entry(card.status_id.as_str()).or_default();
        if !card.closed {
            entry.0 += 1;
        }
        if matches(&board.filter, card) {
            entry.1.push(card.clone());
        }
    }
    let columns = columns
        .into_iter()
        .map(|c| {
            let (count, tasks) = by_status.remove(c.status_id.as_str()).unwrap_or_default();
            Column {
                id: c.id,
                name: c.name,
                status_id: c.status_id,
                category: c.category,
                wip_limit: c.wip_limit,
                count,
                tasks,
            }
        })
        .collect();
    Ok(Board {
        id: board.id.clone(),
        org_id: board.org_id.clone(),
        project_id: board.project_id.clone(),
        project_key,
        name: board.name.clone(),
        filter: board.filter.clone(),
        swimlanes: board.swimlanes,
        columns,
        created_at: board.created_at,
        updated_at: board.updated_at,
        can: Some(access.can(Resource::new(ResourceKind::Board))),
        task_can: Some(access.can(Resource::new(ResourceKind::Task))),
    })
}

/// A task's card.
pub async fn card(conn: &mut AnyConnection, task: &TaskRow) -> Result<TaskCard> {
    cards::one(conn, &task.org_id, &task.project_id, &task.id)
        .await?
        .ok_or(ApiError::NotFound("task"))
}

/// Everything about a task, as `access` sees it.
pub async fn task(
    conn: &mut AnyConnection,
    task: TaskRow,
    access: Option<&ProjectAccess>,
) -> Result<Task> {
    let id = task.id.clone();
    let parent = match &task.parent_id {
        Some(parent) => relations::task_ref(conn, parent).await?,
        None => None,
    };
    Ok(Task {
        assignees: relations::values(conn, Link::Assignees, &id).await?,
        labels: relations::values(conn, Link::Labels, &id).await?,
        watchers: relations::values(conn, Link::Watchers, &id).await?,
        blocked_by: relations::blocked_by(conn, &id).await?,
        blocks: relations::blocks(conn, &id).await?,
        subtasks: relations::subtasks(conn, &id).await?,
        attachments: relations::attachments(conn, &id).await?,
        time_spent: u64::try_from(relations::time_spent(conn, &id).await?).unwrap_or_default(),
        parent,
        description_doc: id.clone(),
        discussion_channel: id.clone(),
        can: access.map(|a| a.can(Resource::new(ResourceKind::Task))),
        id,
        org_id: task.org_id,
        project_id: task.project_id,
        key: task.key,
        title: task.title,
        status_id: task.status_id,
        status: task.status,
        category: task.category,
        rank: task.rank,
        priority: task.priority,
        due: task.due,
        estimate: task.estimate.and_then(|e| u32::try_from(e).ok()),
        milestone: task.milestone_id,
        checklist: task.checklist,
        created_by: task.created_by,
        created_at: task.created_at,
        updated_at: task.updated_at,
        closed_at: task.closed_at,
    })
}
