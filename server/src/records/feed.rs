//! Record changes into the change feed (kind `record`): the record's type, name, state, owners
//! (creator and the users its owner fields name, for "only own" readers) and its text for consumers (search, webhooks,
//! automation). Search indexes the name and the text ([`TypeSchema::text_fields`]) and shows a
//! record to those who may read it (`crate::search::record_grants`).

use serde::{Deserialize, Serialize};

use atrium_client::wire::FieldChange;

use super::schema::TypeSchema;
use super::store::history::NewEntry;
use super::store::records::RecordRow;
use crate::feed::{ChangeKind, Payload, Removal};
use crate::write::UnitOfWork;

/// What a consumer gets for a record: its state after the change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordPayload {
    /// The type's slug.
    #[serde(rename = "type")]
    pub record_type: String,
    pub name: String,
    pub state: Option<String>,
    /// The creator ("only own" readers see their own).
    pub author: String,
    /// The users the type's owner fields name (`assignee`, a timesheet's person and
    /// approvers), who also count as owners.
    pub owners: Vec<String>,
    /// The assignee, as feeds written before `owners` carried it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The record's text fields (a multi-select's options joined), one per line; the name
    /// itself is not repeated.
    pub body: String,
    /// The record's fields as stored.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// UTC milliseconds.
    pub created: i64,
    pub updated: i64,
    /// What this change was, as its history entry says: `created`, `updated`, `transitioned`,
    /// `amended`.
    pub event: Option<String>,
    /// The transition's action (`send`, `approve`) or what the server did (`overdue`).
    pub action: Option<String>,
    /// Who made it (`None`: the server).
    pub actor: Option<String>,
    /// What it changed, field by field (a transition's `state` first).
    pub changes: Vec<FieldChange>,
}

/// Queues the record's current state, with what its history `entry` says of the change.
pub fn upsert(
    work: &mut UnitOfWork,
    schema: &TypeSchema,
    record: &RecordRow,
    entry: &NewEntry<'_>,
) -> Result<(), sqlx::Error> {
    let body = schema
        .text_fields()
        .filter(|f| f.name != "name")
        .filter_map(|f| text_of(record.data.get(&f.name)?))
        .collect::<Vec<_>>()
        .join("\n");
    let payload = Payload::Record(RecordPayload {
        record_type: record.record_type.clone(),
        name: record.name.clone(),
        state: record.state.clone(),
        author: record.created_by.clone(),
        owners: record
            .owner()
            .others()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        assignee: None,
        body,
        data: record.data.clone(),
        created: record.created_at,
        updated: record.updated_at,
        event: Some(entry.kind.to_owned()),
        action: entry.action.map(str::to_owned),
        actor: entry.user_id.map(str::to_owned),
        changes: entry.changes.to_vec(),
    });
    work.feed(&record.org_id, &record.id, &payload)
}

/// A text-like value as search text: a string, or a multi-select's options.
fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Array(items) => {
            let words: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            (!words.is_empty()).then(|| words.join(", "))
        }
        _ => None,
    }
}

/// Queues the removal of a deleted record's discussion messages.
pub fn delete_messages(
    work: &mut UnitOfWork,
    org_id: &str,
    message_ids: &[String],
) -> Result<(), sqlx::Error> {
    for id in message_ids {
        work.feed_removal(org_id, ChangeKind::Message, id, &Removal::default())?;
    }
    Ok(())
}

/// Queues the record's removal.
pub fn delete(work: &mut UnitOfWork, record: &RecordRow) -> Result<(), sqlx::Error> {
    work.feed_removal(
        &record.org_id,
        ChangeKind::Record,
        &record.id,
        &Removal::default(),
    )
}
