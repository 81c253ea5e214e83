//! Task changes into the change feed (kind `task`): what search indexes. A task is found by its
//! key, title, labels and its description's text; its discussion's messages are indexed as
//! messages of their own.

use serde::{Deserialize, Serialize};

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
        }
    }
}

/// Queues the task's current state.
pub fn upsert(
    work: &mut UnitOfWork,
    task: &TaskRow,
    labels: &[String],
    description: &str,
) -> Result<(), sqlx::Error> {
    let payload = Payload::Task(TaskPayload::new(task, labels, description));
    work.feed(&task.org_id, &task.id, &payload)
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
    let labels =
        super::store::relations::values(work.tx(), super::store::relations::Link::Labels, &task.id)
            .await?;
    upsert(work, task, &labels, text)
}
