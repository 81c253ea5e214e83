//! Task changes into the change feed (kind `task`): every change of a task, moves included, with
//! its state after the change, what the change did field by field and who made it. Search
//! indexes the key, title, labels and the description's text (its discussion's messages are
//! indexed as messages of their own); webhooks and automation read the rest.
//!
//! A change that touched no searchable field (a move, a new assignee) does not read the
//! description document (that could load it from the database inside a hot write): its row
//! carries the text of the task's previous row instead, so every row — and the last one, which
//! retention keeps — holds the whole searchable state.

use atrium_client::wire::{FieldChange, Priority, StatusCategory};
use serde::{Deserialize, Serialize};

use super::store::history;
use super::store::tasks::TaskRow;
use crate::feed::{ChangeKind, Payload, Removal};
use crate::write::UnitOfWork;

/// What a consumer gets for a task: its state after the change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskPayload {
    pub project: String,
    /// `ENG-42 Fix the login page`.
    pub title: String,
    /// The description's plain text, then the labels.
    pub body: String,
    /// The creator's user id.
    pub author: String,
    pub created: i64,
    pub updated: i64,
    /// `ENG-42`.
    pub key: String,
    /// The status's name (`Done`) and its category.
    pub status: String,
    pub category: Option<StatusCategory>,
    pub priority: Option<Priority>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub closed: bool,
    /// What this change did (`status`, `rank`, `assignees`…: before and after); empty for a
    /// creation.
    pub changes: Vec<FieldChange>,
    /// Who made the change (`None`: the server, e.g. a description saved by the hub).
    pub actor: Option<String>,
}

/// Who changed a task and how, for its change-feed row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Activity<'a> {
    pub actor: Option<&'a str>,
    pub changes: &'a [history::FieldChange],
    pub assignees: &'a [String],
}

impl TaskPayload {
    pub fn new(task: &TaskRow, labels: &[String], description: &str) -> Self {
        let mut body = description.trim().to_owned();
        if !labels.is_empty() {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(&labels.join(" "));
        }
        Self {
            project: task.project_id.clone(),
            title: format!("{} {}", task.key, task.title),
            body,
            author: task.created_by.clone(),
            created: task.created_at,
            updated: task.updated_at,
            key: task.key.clone(),
            status: task.status.clone(),
            category: Some(task.category),
            priority: Some(task.priority),
            due: task.due.clone(),
            assignees: Vec::new(),
            labels: labels.to_vec(),
            closed: task.closed_at.is_some(),
            changes: Vec::new(),
            actor: None,
        }
    }

    fn with(mut self, activity: &Activity<'_>) -> Self {
        self.assignees = activity.assignees.to_vec();
        self.actor = activity.actor.map(str::to_owned);
        self.changes = activity
            .changes
            .iter()
            .map(|c| FieldChange {
                field: c.field.to_owned(),
                before: c.before.clone(),
                after: c.after.clone(),
            })
            .collect();
        self
    }
}

/// Queues the task's current state after a change of its searchable text (`description` is
/// its description's text).
pub fn upsert(
    work: &mut UnitOfWork,
    task: &TaskRow,
    labels: &[String],
    description: &str,
    activity: &Activity<'_>,
) -> Result<(), sqlx::Error> {
    let payload = Payload::Task(TaskPayload::new(task, labels, description).with(activity));
    work.feed(&task.org_id, &task.id, &payload)
}

/// Queues the task's current state after a change that left its searchable text alone: the
/// text is the task's previous row's (see the module's doc).
pub async fn upsert_unchanged_text(
    work: &mut UnitOfWork,
    task: &TaskRow,
    labels: &[String],
    activity: &Activity<'_>,
) -> Result<(), sqlx::Error> {
    let previous =
        crate::db::change_feed::latest_payload(work.tx(), ChangeKind::Task, &task.id).await?;
    let body = previous
        .and_then(|json| serde_json::from_str::<TaskPayload>(&json).ok())
        .map(|p| p.body)
        .unwrap_or_default();
    let mut payload = TaskPayload::new(task, labels, "").with(activity);
    payload.body = body;
    work.feed(&task.org_id, &task.id, &Payload::Task(payload))
}

/// Queues the task's removal.
pub fn delete(
    work: &mut UnitOfWork,
    org_id: &str,
    project_id: &str,
    task_id: &str,
) -> Result<(), sqlx::Error> {
    let removal = Removal {
        project: Some(project_id.to_owned()),
    };
    work.feed_removal(org_id, ChangeKind::Task, task_id, &removal)
}

/// Queues the removal of a deleted task's discussion messages.
pub fn delete_messages(
    work: &mut UnitOfWork,
    org_id: &str,
    project_id: &str,
    message_ids: &[String],
) -> Result<(), sqlx::Error> {
    let removal = Removal {
        project: Some(project_id.to_owned()),
    };
    for id in message_ids {
        work.feed_removal(org_id, ChangeKind::Message, id, &removal)?;
    }
    Ok(())
}

/// The task whose description document `doc_id` is, if it is one.
pub async fn description_of(
    db: &crate::db::Db,
    org_id: &str,
    doc_id: &str,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    super::store::tasks::find(&mut conn, org_id, doc_id).await
}

/// Queues the task's current state with its description's new text (the hub's report).
pub async fn upsert_description(
    work: &mut UnitOfWork,
    task: &TaskRow,
    text: &str,
) -> Result<(), sqlx::Error> {
    use super::store::relations::{Link, values};
    let labels = values(work.tx(), Link::Labels, &task.id).await?;
    let assignees = values(work.tx(), Link::Assignees, &task.id).await?;
    let changes = [history::FieldChange {
        field: "description",
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
    }];
    let activity = Activity {
        actor: None,
        changes: &changes,
        assignees: &assignees,
    };
    upsert(work, task, &labels, text, &activity)
}
