//! Record changes into the change feed (kind `record`): the record's type, name, state, owner
//! and its text for consumers (search, webhooks, automation). The search indexer does not yet
//! index this kind: records need per-type and "only own" read terms the index cannot hold yet
//! (one access term per entity), so it skips them rather than show them to the wrong people.

use serde::{Deserialize, Serialize};

use super::schema::TypeSchema;
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
    /// The record's text fields, one per line.
    pub body: String,
    /// The record's fields as stored.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// UTC milliseconds.
    pub created: i64,
    pub updated: i64,
}

/// Queues the record's current state.
pub fn upsert(
    work: &mut UnitOfWork,
    schema: &TypeSchema,
    record: &RecordRow,
) -> Result<(), sqlx::Error> {
    let body = schema
        .text_fields()
        .filter_map(|f| record.data.get(&f.name).and_then(|v| v.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let payload = Payload::Record(RecordPayload {
        record_type: record.record_type.clone(),
        name: record.name.clone(),
        state: record.state.clone(),
        author: record.created_by.clone(),
        body,
        data: record.data.clone(),
        created: record.created_at,
        updated: record.updated_at,
    });
    work.feed(&record.org_id, &record.id, &payload)
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
