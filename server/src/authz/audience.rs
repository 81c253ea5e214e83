//! Who may read which changes of the feed, decided for a whole batch at once. A webhook
//! subscription and an automation rule speak for the person who made them — an org-wide one is
//! made by someone who manages members, which is not the right to read every project and every
//! record type — so an event reaches only those whose maker could read its entity: a project's
//! entities if they see the project (and may read that kind there), a record if their roles
//! read its type (all of it, or their own records under "only own"). Someone who left the
//! organisation reads nothing. A dry run shows its viewer only what the viewer may read.
//!
//! The decisions are the policy's; this module loads them once per batch for the people and
//! projects the batch involves ([`Audience::load`]), so matching a batch asks the database
//! nothing per change.

use std::collections::{HashMap, HashSet};

use super::records::RecordAccess;
use super::{Action, OrgAccess, Resource, ResourceKind, Scope, Subject};
use crate::db::Db;
use crate::feed::{Change, ChangeData, ChangeKind, Payload};
use crate::records::registry::Registry;
use crate::records::store::types as type_store;

/// What one person may read in one organisation, as of this batch.
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

/// The organisation of a batch's change and the project its entity lives in (as its event
/// says).
pub type Touched<'a> = (&'a str, Option<&'a str>);

/// What the people of a batch may read, by organisation and user.
pub struct Audience {
    readers: HashMap<(String, String), Option<Reader>>,
}

impl Audience {
    /// Loads what each of `people` (organisation, user) may read of what `touched` involves.
    pub async fn load(
        db: &Db,
        people: &[(&str, &str)],
        touched: &[Touched<'_>],
    ) -> Result<Self, sqlx::Error> {
        let mut readers = HashMap::new();
        let mut facts = HashMap::new();
        for &(org, user) in people {
            let key = (org.to_owned(), user.to_owned());
            if readers.contains_key(&key) {
                continue;
            }
            let reader = load_reader(db, org, user, touched, &mut facts).await?;
            readers.insert(key, reader);
        }
        Ok(Self { readers })
    }

    /// Whether `user` of `org` may read the entity of `change`, which lives in `project`.
    pub fn reads(&self, org: &str, user: &str, change: &Change, project: Option<&str>) -> bool {
        let Some(reader) = self.reader(org, user) else {
            return false;
        };
        if let Some(project) = project {
            let kind = match change_kind(change) {
                Some(ChangeKind::Task) => ResourceKind::Task,
                Some(ChangeKind::Doc) => ResourceKind::Document,
                Some(ChangeKind::File) => ResourceKind::File,
                Some(ChangeKind::Message) => ResourceKind::Message,
                // No project's entity is of another kind.
                Some(ChangeKind::Record) | None => return false,
            };
            return Self::reads_kind(reader, project, kind);
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

    /// Whether `user` of `org` may read entities of `kind` in `project` (a task that falls due
    /// is no change of the feed).
    pub fn reads_in_project(
        &self,
        org: &str,
        user: &str,
        project: &str,
        kind: ResourceKind,
    ) -> bool {
        self.reader(org, user)
            .is_some_and(|reader| Self::reads_kind(reader, project, kind))
    }

    fn reader(&self, org: &str, user: &str) -> Option<&Reader> {
        self.readers
            .get(&(org.to_owned(), user.to_owned()))
            .and_then(Option::as_ref)
    }

    fn reads_kind(reader: &Reader, project: &str, kind: ResourceKind) -> bool {
        reader.projects.get(project).is_some_and(|subject| {
            reader
                .access
                .policy
                .may(subject, Action::Read, Resource::new(kind))
        })
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

/// The projects a batch's changes of `org` belong to.
fn projects_of<'a>(org: &str, touched: &[Touched<'a>]) -> HashSet<&'a str> {
    touched
        .iter()
        .filter(|(of, _)| *of == org)
        .filter_map(|(_, project)| *project)
        .collect()
}

async fn load_reader(
    db: &Db,
    org: &str,
    user: &str,
    touched: &[Touched<'_>],
    facts: &mut HashMap<String, Option<super::ProjectFacts>>,
) -> Result<Option<Reader>, sqlx::Error> {
    let policy = super::store::member_policy(db, org, user).await?;
    let Some(role) = policy.role else {
        return Ok(None);
    };
    let access = super::member_access_from(user, org, role, policy);
    let mut projects = HashMap::new();
    for project in projects_of(org, touched) {
        if !facts.contains_key(project) {
            facts.insert(
                project.to_owned(),
                super::store::project(db, project).await?,
            );
        }
        let Some(Some(project_facts)) = facts.get(project) else {
            continue;
        };
        let explicit = super::store::explicit_project_role(db, project, user).await?;
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
