//! Changing a task inside a unit of work: validation against what the transaction sees, the
//! writes, and the field-level history. Shared by the task routes, moves and bulk requests, so
//! every way of changing a task keeps the same rules.

use std::collections::HashSet;

use atrium_client::wire::{StatusCategory, UpdateTaskRequest};
use serde_json::json;

use super::access::users_who_see;
use super::model::{self, is_closed};
use super::placement::{Slot, rank_for, rank_in_locked};
use super::store::history::FieldChange;
use super::store::moves;
use super::store::relations::{self, Link};
use super::store::statuses::StatusRow;
use super::store::tasks::{self, TaskRow};
use crate::db::Tx;
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The code of a lost race for an order key (retried by the routes, never answered).
pub const RANK_TAKEN: &str = "rank_taken";

/// What a change did, for events and notifications.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<FieldChange>,
    /// The status the task left, when it moved.
    pub from_status: Option<String>,
    /// Users assigned by this change.
    pub newly_assigned: Vec<String>,
    /// Whether the task closed with this change.
    pub closed: bool,
    /// Whether the task reopened (left a closed status for an open one) with this change.
    pub reopened: bool,
}

impl Outcome {
    fn record(&mut self, field: &'static str, before: serde_json::Value, after: serde_json::Value) {
        if before != after {
            self.changes.push(FieldChange {
                field,
                before,
                after,
            });
        }
    }
}

/// 422 on `parent` unless `parent_id` is a task of the project that is not `task_id` or below it.
pub async fn check_parent(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    task_id: Option<&str>,
    parent_id: &str,
) -> Result<()> {
    let found =
        relations::tasks_in_project(tx, org_id, project_id, &[parent_id.to_owned()]).await?;
    if found.is_empty() {
        return Err(ApiError::invalid_field(
            "parent",
            "is not a task of this project",
        ));
    }
    let Some(task_id) = task_id else {
        return Ok(());
    };
    // Walk up from the new parent: meeting the task itself would close a loop.
    let mut seen = HashSet::new();
    let mut current = Some(parent_id.to_owned());
    while let Some(id) = current {
        if id == task_id {
            return Err(ApiError::invalid_field(
                "parent",
                "would make a cycle of subtasks",
            ));
        }
        if !seen.insert(id.clone()) {
            break;
        }
        current = tasks::parent_of(tx, org_id, &id).await?;
    }
    Ok(())
}

/// 422 on `blocked_by` unless every blocker is another task of the project and none of them
/// waits, directly or through others, for `task_id`.
pub async fn check_blockers(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    task_id: Option<&str>,
    blockers: &[String],
) -> Result<()> {
    let found = relations::tasks_in_project(tx, org_id, project_id, blockers).await?;
    if found.len() != blockers.len() {
        return Err(ApiError::invalid_field(
            "blocked_by",
            "names a task that is not in this project",
        ));
    }
    let Some(task_id) = task_id else {
        return Ok(());
    };
    let mut stack: Vec<String> = blockers.to_vec();
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if id == task_id {
            return Err(ApiError::invalid_field(
                "blocked_by",
                "would make a dependency cycle",
            ));
        }
        if seen.insert(id.clone()) {
            stack.extend(relations::blockers_of(tx, &id).await?);
        }
    }
    Ok(())
}

/// 409 `open_subtasks` when closing a task that has open subtasks, unless confirmed. `open`:
/// the task's open subtasks if the caller read them already (else read here when needed).
pub async fn check_close(
    tx: &mut Tx,
    task: &TaskRow,
    to: &StatusRow,
    confirm: bool,
    open: Option<i64>,
) -> Result<()> {
    if is_closed(to.category) && !is_closed(task.category) && !confirm {
        let open = match open {
            Some(open) => open,
            None => tasks::open_subtasks(tx, &task.org_id, &task.id).await?,
        };
        if open > 0 {
            return Err(ApiError::conflict(
                "open_subtasks",
                format!("the task has {open} open subtasks; pass confirm to close it anyway"),
            ));
        }
    }
    Ok(())
}

/// What the caller of [`place_knowing`] has already established in its transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The task's open subtasks (else read when the task closes).
    pub open_subtasks: Option<i64>,
    /// Whether the transaction already holds the target status's order lock.
    pub order_locked: bool,
    /// Who moves the task, when the move writes its own history row (else the caller does).
    pub recorded_by: Option<&'a str>,
}

/// Moves a task into `status` at `slot` (checks closing; WIP limits are the caller's).
pub async fn place(
    tx: &mut Tx,
    task: &mut TaskRow,
    status: &StatusRow,
    slot: Slot<'_>,
    confirm: bool,
    outcome: &mut Outcome,
) -> Result<()> {
    place_knowing(tx, task, status, slot, confirm, Known::default(), outcome).await
}

/// [`place`], skipping what the caller already knows. The task row is updated in memory as
/// the database now has it (status, order key, `updated_at`, `closed_at`).
///
/// With [`Known::recorded_by`], the move is also written to the task's history as theirs —
/// its status, or within a status its order key, the one change a move makes — in the same
/// statement as the move on PostgreSQL ([`moves::place_recorded`]), and is the one change in
/// `outcome`.
pub async fn place_knowing(
    tx: &mut Tx,
    task: &mut TaskRow,
    status: &StatusRow,
    slot: Slot<'_>,
    confirm: bool,
    known: Known<'_>,
    outcome: &mut Outcome,
) -> Result<()> {
    check_close(tx, task, status, confirm, known.open_subtasks).await?;
    let rank = if known.order_locked {
        rank_in_locked(tx, &status.id, &task.id, slot).await?
    } else {
        rank_for(tx, &status.id, &task.id, slot).await?
    };
    let was_closed = is_closed(task.category);
    let closes = is_closed(status.category);
    if task.status_id != status.id {
        outcome.record("status", json!(task.status), json!(status.name));
        outcome.from_status = Some(task.status_id.clone());
    }
    let placed = match known.recorded_by {
        Some(actor) => {
            if outcome.changes.is_empty() {
                // Within one status: the order is the change.
                outcome.changes.push(FieldChange {
                    field: "rank",
                    before: json!(task.rank),
                    after: json!(rank),
                });
            }
            let change = &outcome.changes[0];
            let target = moves::Placement {
                org_id: &task.org_id,
                task_id: &task.id,
                status_id: &status.id,
                rank: &rank,
                closes,
            };
            moves::place_recorded(tx, &target, actor, change).await
        }
        None => tasks::place(tx, &task.org_id, &task.id, &status.id, &rank, closes).await,
    };
    let now = placed.map_err(|error| {
        if super::store::is_unique_violation(&error) {
            // A concurrent move took this key first: the caller retries with fresh
            // neighbours.
            ApiError::conflict(RANK_TAKEN, "another change took this place; try again")
        } else {
            error.into()
        }
    })?;
    outcome.closed = !was_closed && closes;
    outcome.reopened = was_closed && !closes;
    task.status_id.clone_from(&status.id);
    task.status.clone_from(&status.name);
    task.category = status.category;
    task.rank = rank;
    task.updated_at = now;
    // As `tasks::place` wrote it: kept while closed, set on closing, cleared on opening.
    task.closed_at = if closes {
        task.closed_at.or(Some(now))
    } else {
        None
    };
    Ok(())
}

/// The first status of a category in the project (bulk close).
pub fn first_of(statuses: &[StatusRow], category: StatusCategory) -> Option<&StatusRow> {
    statuses.iter().find(|s| s.category == category)
}

/// Applies a PATCH to a task: validates every given field against the transaction's view,
/// writes what changed and records it in the history.
pub async fn apply(
    state: &AppState,
    tx: &mut Tx,
    actor: &str,
    task: &mut TaskRow,
    body: &UpdateTaskRequest,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let (org_id, project_id) = (task.org_id.clone(), task.project_id.clone());
    let before = task.clone();
    if let Some(title) = &body.title {
        task.title = model::title(title)?;
    }
    if let Some(priority) = body.priority {
        task.priority = priority;
    }
    if let Some(due) = &body.due {
        task.due = due.as_deref().map(|d| model::date("due", d)).transpose()?;
    }
    if let Some(estimate) = body.estimate {
        task.estimate = estimate.map(model::estimate).transpose()?;
    }
    if let Some(milestone) = &body.milestone {
        if let Some(id) = milestone
            && !relations::milestone_in_project(tx, &project_id, id).await?
        {
            return Err(ApiError::invalid_field(
                "milestone",
                "is not a milestone of this project",
            ));
        }
        task.milestone_id.clone_from(milestone);
    }
    if let Some(parent) = &body.parent {
        if let Some(id) = parent {
            check_parent(tx, &org_id, &project_id, Some(&task.id), id).await?;
        }
        task.parent_id.clone_from(parent);
    }
    if let Some(items) = &body.checklist {
        task.checklist = model::checklist(items)?;
    }
    // Relations: validate all before writing any.
    let assignees = match &body.assignees {
        Some(ids) => {
            let ids = model::ids("assignees", ids)?;
            users_who_see(state, &project_id, "assignees", &ids).await?;
            Some(ids)
        }
        None => None,
    };
    let watchers = match &body.watchers {
        Some(ids) => {
            let ids = model::ids("watchers", ids)?;
            users_who_see(state, &project_id, "watchers", &ids).await?;
            Some(ids)
        }
        None => None,
    };
    let labels = body
        .labels
        .as_ref()
        .map(|l| model::labels("labels", l))
        .transpose()?;
    let blockers = match &body.blocked_by {
        Some(ids) => {
            let ids = model::ids("blocked_by", ids)?;
            check_blockers(tx, &org_id, &project_id, Some(&task.id), &ids).await?;
            Some(ids)
        }
        None => None,
    };
    let attachments = match &body.attachments {
        Some(ids) => {
            let ids = model::ids("attachments", ids)?;
            let found = relations::files_in_project(tx, &org_id, &project_id, &ids).await?;
            if found.len() != ids.len() {
                return Err(ApiError::invalid_field(
                    "attachments",
                    "names a file that is not in this project",
                ));
            }
            Some(ids)
        }
        None => None,
    };
    let status = match &body.status {
        Some(status_id) if *status_id != task.status_id => Some(
            super::store::statuses::find(tx, &org_id, &project_id, status_id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid_field("status", "is not a status of this project")
                })?,
        ),
        _ => None,
    };

    outcome.record("title", json!(before.title), json!(task.title));
    outcome.record("priority", json!(before.priority), json!(task.priority));
    outcome.record("due", json!(before.due), json!(task.due));
    outcome.record("estimate", json!(before.estimate), json!(task.estimate));
    outcome.record(
        "milestone",
        json!(before.milestone_id),
        json!(task.milestone_id),
    );
    outcome.record("parent", json!(before.parent_id), json!(task.parent_id));
    outcome.record("checklist", json!(before.checklist), json!(task.checklist));
    if !outcome.changes.is_empty() {
        task.updated_at = tasks::update_fields(tx, task).await?;
        if before.title != task.title {
            super::store::companions::rename_description(
                tx,
                &org_id,
                &task.id,
                &format!("{} {}", task.key, task.title),
            )
            .await?;
        }
    }
    for (link, field, values) in [
        (Link::Assignees, "assignees", &assignees),
        (Link::Watchers, "watchers", &watchers),
        (Link::Labels, "labels", &labels),
        (Link::Blockers, "blocked_by", &blockers),
    ] {
        let Some(values) = values else { continue };
        let old = relations::values(tx, link, &task.id).await?;
        if old != *values {
            relations::replace(tx, link, &task.id, values).await?;
            if link == Link::Assignees {
                outcome.newly_assigned = values
                    .iter()
                    .filter(|u| !old.contains(u) && u.as_str() != actor)
                    .cloned()
                    .collect();
            }
            outcome.record(field, json!(old), json!(values));
        }
    }
    if let Some(ids) = &attachments {
        let old = relations::attachment_ids(tx, &task.id).await?;
        if old != *ids {
            relations::replace_attachments(tx, &task.id, ids, actor).await?;
            outcome.record("attachments", json!(old), json!(ids));
        }
    }
    if let Some(status) = status {
        place(
            tx,
            task,
            &status,
            Slot::default(),
            body.confirm,
            &mut outcome,
        )
        .await?;
    }
    if !outcome.changes.is_empty() {
        task.updated_at = tasks::touch(tx, &org_id, &task.id).await?;
        super::store::history::record(tx, &task.id, actor, &outcome.changes).await?;
    }
    Ok(outcome)
}
