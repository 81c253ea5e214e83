//! A change of the feed as a webhook event: its type (`task.created`,
//! `record.invoice.updated`, `message.deleted`), the project it belongs to, and the JSON body
//! every attempt sends: `{"type", "timestamp", "data"}` (Standard Webhooks' payload shape).
//!
//! Types are `{kind}.{operation}`, and `record.{type}.{operation}` for records. An upsert is
//! `created` when the entity's creation and last change are the same instant, else `updated`.
//! A record's removal does not say its type, so it is `record.deleted` (selected by
//! `record.*` and `*`). Private conversations (direct messages, private channels) are never
//! sent: no subscription speaks for their members. A message's removal does not say where the
//! message was, so [`Event::of`] makes no event of it; the fan-out looks its channel up and
//! makes `message.deleted` with [`Event::message_deleted`] only for a message of a project's
//! public channel — the ones whose creation a subscription could have received.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::feed::{Change, ChangeData, ChangeKind, Payload};

/// The event type of test deliveries (`POST /webhooks/{hook}/test`).
pub const TEST_TYPE: &str = "webhook.test";

/// A change as an event, before subscriptions are matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_type: String,
    /// The project the entity lives in, if any: a project's subscription gets its events only.
    pub project: Option<String>,
    pub data: Value,
    /// UTC milliseconds of the change.
    pub at: i64,
}

impl Event {
    /// The event of `change`; `None` for changes no subscription may receive (private
    /// conversations) and kinds this server does not know.
    pub fn of(change: &Change) -> Option<Self> {
        let (event_type, project, mut data) = match &change.data {
            ChangeData::Upsert(payload) => upsert(payload)?,
            // Not knowing its channel, it might be a private conversation's.
            ChangeData::Delete {
                kind: ChangeKind::Message,
                ..
            } => return None,
            ChangeData::Delete { kind, removal } => {
                let mut data = Map::new();
                if let Some(project) = &removal.project {
                    data.insert("project".into(), Value::String(project.clone()));
                }
                (
                    format!("{}.deleted", kind.as_str()),
                    removal.project.clone(),
                    data,
                )
            }
            ChangeData::Unknown { .. } => return None,
        };
        data.insert("id".into(), Value::String(change.entity_id.clone()));
        data.insert("org".into(), Value::String(change.org_id.clone()));
        Some(Self {
            event_type,
            project,
            data: Value::Object(data),
            at: change.created_at,
        })
    }

    /// `message.deleted` for the removal `change` of a message the fan-out found in a public
    /// channel of `project`.
    pub fn message_deleted(change: &Change, project: &str) -> Self {
        Self {
            event_type: "message.deleted".to_owned(),
            project: Some(project.to_owned()),
            data: json!({"project": project, "id": change.entity_id, "org": change.org_id}),
            at: change.created_at,
        }
    }

    /// The body sent: `{"type", "timestamp", "data"}`.
    pub fn body(&self) -> String {
        body(&self.event_type, self.at, &self.data)
    }
}

/// The JSON body of an event of `event_type` at `at` (UTC ms) with `data`.
pub fn body(event_type: &str, at: i64, data: &Value) -> String {
    json!({"type": event_type, "timestamp": rfc3339(at), "data": data}).to_string()
}

fn operation(created: i64, updated: i64) -> &'static str {
    if created == updated {
        "created"
    } else {
        "updated"
    }
}

fn object(value: Result<Value, serde_json::Error>) -> Map<String, Value> {
    match value {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn upsert(payload: &Payload) -> Option<(String, Option<String>, Map<String, Value>)> {
    Some(match payload {
        Payload::Task(p) => (
            format!("task.{}", operation(p.created, p.updated)),
            Some(p.project.clone()),
            object(serde_json::to_value(p)),
        ),
        Payload::Doc(p) => (
            format!("doc.{}", operation(p.created, p.updated)),
            Some(p.project.clone()),
            object(serde_json::to_value(p)),
        ),
        Payload::File(p) => (
            format!("file.{}", operation(p.created, p.updated)),
            Some(p.project.clone()),
            object(serde_json::to_value(p)),
        ),
        Payload::Message(p) => {
            if p.private || p.project.is_none() {
                return None;
            }
            (
                format!("message.{}", operation(p.created, p.updated)),
                p.project.clone(),
                object(serde_json::to_value(p)),
            )
        }
        Payload::Record(p) => (
            format!(
                "record.{}.{}",
                p.record_type,
                operation(p.created, p.updated)
            ),
            None,
            object(serde_json::to_value(p)),
        ),
    })
}

/// `2026-12-03T18:04:05.123Z`.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::feed::TaskPayload;
    use crate::chat::feed::MessagePayload;
    use crate::feed::Removal;
    use crate::records::feed::RecordPayload;

    fn change(data: ChangeData) -> Change {
        Change {
            seq: 7,
            org_id: "o1".into(),
            entity_id: "e1".into(),
            created_at: 1_764_784_800_000,
            data,
            cause: None,
        }
    }

    #[test]
    fn types_follow_kind_and_operation() {
        let task = |created, updated| {
            change(ChangeData::Upsert(Payload::Task(TaskPayload {
                project: "p1".into(),
                created,
                updated,
                ..TaskPayload::default()
            })))
        };
        let created = Event::of(&task(1, 1)).unwrap();
        assert_eq!(created.event_type, "task.created");
        assert_eq!(created.project.as_deref(), Some("p1"));
        assert_eq!(created.data["id"], "e1");
        assert_eq!(Event::of(&task(1, 2)).unwrap().event_type, "task.updated");
        let record = change(ChangeData::Upsert(Payload::Record(RecordPayload {
            record_type: "invoice".into(),
            state: Some("paid".into()),
            created: 1,
            updated: 5,
            ..RecordPayload::default()
        })));
        let event = Event::of(&record).unwrap();
        assert_eq!(event.event_type, "record.invoice.updated");
        assert_eq!(event.data["state"], "paid");
        let removal = change(ChangeData::Delete {
            kind: ChangeKind::Task,
            removal: Removal {
                project: Some("p1".into()),
            },
        });
        assert_eq!(Event::of(&removal).unwrap().event_type, "task.deleted");
    }

    #[test]
    fn private_conversations_are_not_events() {
        let message = |private, project: Option<&str>| {
            change(ChangeData::Upsert(Payload::Message(MessagePayload {
                project: project.map(str::to_owned),
                private,
                ..MessagePayload::default()
            })))
        };
        assert!(Event::of(&message(true, Some("p1"))).is_none());
        assert!(Event::of(&message(false, None)).is_none());
        assert_eq!(
            Event::of(&message(false, Some("p1"))).unwrap().event_type,
            "message.created"
        );
        // A removal does not say the message's channel: the fan-out decides.
        let removal = change(ChangeData::Delete {
            kind: ChangeKind::Message,
            removal: Removal::default(),
        });
        assert!(Event::of(&removal).is_none());
    }

    #[test]
    fn bodies_have_the_standard_shape() {
        let body: Value = serde_json::from_str(&body("task.created", 0, &json!({"a": 1}))).unwrap();
        assert_eq!(body["type"], "task.created");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(body["data"]["a"], 1);
    }
}
