//! A change of the feed as an automation event: its type, where it lives, the entity's fields
//! (what conditions compare and templates insert), what the change did and who made it.
//!
//! Types are the webhooks' (`task.created`, `message.created`, `doc.updated`, `file.deleted`)
//! with two refinements the feed's rows make possible: a record's change is named by its
//! history entry (`record.invoice.transitioned`, `record.client.updated`), and a record's
//! fields sit at the top level beside `name`, `state` and `type`. Private conversations never
//! make events (as for webhooks: no rule speaks for their members).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::feed::{Cause, Change, ChangeData, Payload};

/// What a run acts on; stored with the run (so the run does what the change said, even if the
/// entity changed again before the job ran).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub event_type: String,
    pub org_id: String,
    /// The task, record, message, document or file; `None` for a schedule.
    pub entity_id: Option<String>,
    pub project: Option<String>,
    /// The entity's fields after the change.
    pub fields: Map<String, Value>,
    /// What the change did: field → `{before, after}`.
    pub changes: Map<String, Value>,
    /// Who made the change; `None` for the server.
    pub actor: Option<String>,
    /// The automation run that made the change, if one did.
    #[serde(default)]
    pub cause: Option<Cause>,
    /// UTC ms of the change (or of the schedule's instant).
    pub at: i64,
}

impl Event {
    /// The event of `change`; `None` for private conversations and unknown kinds.
    pub fn of(change: &Change) -> Option<Self> {
        let hook = crate::webhooks::event::Event::of(change)?;
        let Value::Object(mut fields) = hook.data else {
            return None;
        };
        let mut event_type = hook.event_type;
        let mut changes = Map::new();
        let mut actor = None;
        if let ChangeData::Upsert(payload) = &change.data {
            match payload {
                Payload::Record(p) => {
                    let operation = match p.event.as_deref() {
                        Some("transitioned") => "transitioned",
                        Some("updated") => "updated",
                        Some(_) => "created",
                        None if p.created == p.updated => "created",
                        None => "updated",
                    };
                    event_type = format!("record.{}.{operation}", p.record_type);
                    fields.remove("data");
                    for (name, value) in &p.data {
                        fields.entry(name.clone()).or_insert_with(|| value.clone());
                    }
                    changes = changes_of(&p.changes);
                    actor.clone_from(&p.actor);
                }
                Payload::Task(p) => {
                    if !p.changes.is_empty() {
                        event_type = "task.updated".into();
                    }
                    // `title` in the feed is `KEY title`: rules see the title itself.
                    let title = p
                        .title
                        .strip_prefix(&format!("{} ", p.key))
                        .unwrap_or(&p.title);
                    fields.insert("title".into(), Value::String(title.to_owned()));
                    fields.insert("description".into(), Value::String(p.body.clone()));
                    fields.remove("body");
                    changes = changes_of(&p.changes);
                    actor.clone_from(&p.actor);
                }
                Payload::Message(p) => {
                    fields.insert("text".into(), Value::String(p.body.clone()));
                    actor = Some(p.author.clone());
                }
                Payload::Doc(_) | Payload::File(_) => {}
            }
        }
        for internal in ["changes", "actor", "event", "action", "owners", "assignee"] {
            if internal == "action" && event_type.ends_with(".transitioned") {
                continue;
            }
            fields.remove(internal);
        }
        Some(Self {
            event_type,
            org_id: change.org_id.clone(),
            entity_id: Some(change.entity_id.clone()),
            project: hook.project,
            fields,
            changes,
            actor,
            cause: change.cause.clone(),
            at: change.created_at,
        })
    }

    /// The event of a schedule firing at `at` (UTC ms).
    pub fn schedule(org_id: &str, project: Option<&str>, at: i64) -> Self {
        let mut fields = Map::new();
        fields.insert(
            "at".into(),
            Value::String(crate::webhooks::event::rfc3339(at)),
        );
        Self {
            event_type: "schedule".into(),
            org_id: org_id.to_owned(),
            entity_id: None,
            project: project.map(str::to_owned),
            fields,
            changes: Map::new(),
            actor: None,
            cause: None,
            at,
        }
    }

    /// The kind of entity (`task`, `record`…), or `schedule`.
    pub fn kind(&self) -> &str {
        self.event_type.split('.').next().unwrap_or_default()
    }

    /// A record event's type slug (`invoice` of `record.invoice.updated`).
    pub fn record_type(&self) -> Option<&str> {
        let mut words = self.event_type.split('.');
        (words.next() == Some("record"))
            .then(|| words.next())
            .flatten()
    }

    /// The depth of a run this event triggers: one more than the run that made the change.
    pub fn next_depth(&self) -> u32 {
        self.cause.as_ref().map_or(1, |c| c.depth + 1)
    }
}

fn changes_of(list: &[atrium_client::wire::FieldChange]) -> Map<String, Value> {
    list.iter()
        .map(|c| {
            (
                c.field.clone(),
                json!({"before": c.before, "after": c.after}),
            )
        })
        .collect()
}
