//! What a subscription may receive: what its creator may read now. A subscription speaks for
//! the person who made it — an org-wide one is made by someone who manages members, which is
//! not the right to read every project and every record type — so each event goes only to the
//! subscriptions whose creator could read its entity: a project's entities if they see the
//! project (and may read that kind there), a record if their roles read its type (all of it, or
//! their own records under "only own"). A creator who left the organisation reads nothing.
//!
//! The decisions are authz's; this module loads them once per fan-out batch for the creators
//! and projects the batch involves ([`Audience::load`]), so matching a batch asks the database
//! nothing per change.

use std::collections::{HashMap, HashSet};

use crate::authz::records::RecordAccess;
use crate::authz::{self, Action, OrgAccess, Resource, ResourceKind, Scope, Subject};
use crate::db::Db;
use crate::feed::{Change, ChangeData, ChangeKind, Payload};
use crate::records::registry::Registry;
use crate::records::store::types as type_store;

use super::event::Event;
use super::store::WebhookRow;

/// What one creator may read in one organisation, as of this batch.
struct Reader {
    access: OrgAccess,
    /// Their subject in each project of the batch they can see.
    projects: HashMap<String, Subject>,
    /// Record types they read every record of.
    every_record: HashSet<String>,
    /// Record types they read their own records of.
    own_records: HashSet<String>,
    /// Whether they read every record of every type (a record's removal does not say its
    /// type).
    every_type: bool,
}

/// The readers of a batch's subscriptions, by organisation and creator.
pub struct Audience {
    readers: HashMap<(String, String), Option<Reader>>,
}

impl Audience {
    /// Loads what the creators of `hooks` may read of what a batch's `events` touch.
    pub async fn load(
        db: &Db,
        hooks: &[WebhookRow],
        events: &[(&Change, Event)],
    ) -> Result<Self, sqlx::Error> {
        let mut readers = HashMap::new();
        let mut facts = HashMap::new();
        for hook in hooks {
            let key = (hook.org_id.clone(), hook.created_by.clone());
            if readers.contains_key(&key) {
                continue;
            }
            let reader =
                load_reader(db, &hook.org_id, &hook.created_by, events, &mut facts).await?;
            readers.insert(key, reader);
        }
        Ok(Self { readers })
    }

    /// Whether `hook`'s creator may read the entity of `event` (made of `change`).
    pub fn reads(&self, hook: &WebhookRow, change: &Change, event: &Event) -> bool {
        let key = (hook.org_id.clone(), hook.created_by.clone());
        let Some(Some(reader)) = self.readers.get(&key) else {
            return false;
        };
        if let Some(project) = &event.project {
            let Some(subject) = reader.projects.get(project) else {
                return false;
            };
            let kind = match change_kind(change) {
                Some(ChangeKind::Task) => ResourceKind::Task,
                Some(ChangeKind::Doc) => ResourceKind::Document,
                Some(ChangeKind::File) => ResourceKind::File,
                Some(ChangeKind::Message) => ResourceKind::Message,
                // No project's entity is of another kind.
                Some(ChangeKind::Record) | None => return false,
            };
            return reader
                .access
                .policy
                .may(subject, Action::Read, Resource::new(kind));
        }
        match &change.data {
            ChangeData::Upsert(Payload::Record(record)) => {
                let user = reader.access.subject.user_id.as_str();
                reader.every_record.contains(&record.record_type)
                    || (reader.own_records.contains(&record.record_type)
                        && (record.author == user
                            || record.owners.iter().any(|o| o == user)
                            || record.assignee.as_deref() == Some(user)))
            }
            ChangeData::Delete {
                kind: ChangeKind::Record,
                ..
            } => reader.every_type,
            // Entities outside projects other than records (direct messages) are never events.
            _ => false,
        }
    }
}

fn change_kind(change: &Change) -> Option<ChangeKind> {
    match &change.data {
        ChangeData::Upsert(Payload::Task(_)) => Some(ChangeKind::Task),
        ChangeData::Upsert(Payload::Doc(_)) => Some(ChangeKind::Doc),
        ChangeData::Upsert(Payload::File(_)) => Some(ChangeKind::File),
        ChangeData::Upsert(Payload::Message(_)) => Some(ChangeKind::Message),
        ChangeData::Upsert(Payload::Record(_)) => Some(ChangeKind::Record),
        ChangeData::Delete { kind, .. } => Some(*kind),
        ChangeData::Unknown { .. } => None,
    }
}

/// The projects a batch's events of `org` belong to.
fn projects_of<'a>(org: &str, events: &'a [(&Change, Event)]) -> HashSet<&'a str> {
    events
        .iter()
        .filter(|(change, _)| change.org_id == org)
        .filter_map(|(_, event)| event.project.as_deref())
        .collect()
}

async fn load_reader(
    db: &Db,
    org: &str,
    user: &str,
    events: &[(&Change, Event)],
    facts: &mut HashMap<String, Option<authz::ProjectFacts>>,
) -> Result<Option<Reader>, sqlx::Error> {
    let policy = authz::store::member_policy(db, org, user).await?;
    let Some(role) = policy.role else {
        return Ok(None);
    };
    let access = authz::member_access_from(user, org, role, policy);
    let mut projects = HashMap::new();
    for project in projects_of(org, events) {
        if !facts.contains_key(project) {
            facts.insert(
                project.to_owned(),
                authz::store::project(db, project).await?,
            );
        }
        let Some(Some(project_facts)) = facts.get(project) else {
            continue;
        };
        let explicit = authz::store::explicit_project_role(db, project, user).await?;
        if let Some(subject) = access.in_project(project_facts, explicit) {
            projects.insert(project.to_owned(), subject);
        }
    }
    let mut every_record = HashSet::new();
    let mut own_records = HashSet::new();
    let mut types = 0;
    let custom = type_store::list(db, org).await?;
    let builtin: Vec<_> = Registry::builtin()
        .all()
        .map(|kind| (kind.slug().to_owned(), kind.schema().permissions))
        .collect();
    let all_types = builtin
        .into_iter()
        .chain(custom.into_iter().map(|t| (t.slug, t.schema.permissions)));
    for (slug, permissions) in all_types {
        types += 1;
        match RecordAccess::new(access.clone(), &permissions).scope(Action::Read) {
            Scope::All => {
                every_record.insert(slug);
            }
            Scope::Own => {
                own_records.insert(slug);
            }
            Scope::None => {}
        }
    }
    Ok(Some(Reader {
        every_type: every_record.len() == types,
        access,
        projects,
        every_record,
        own_records,
    }))
}
