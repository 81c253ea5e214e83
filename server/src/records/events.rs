//! Record events on the `/api/v1/events` socket. A record's event goes to each member who may
//! read it, one user audience each: the event router needs no knowledge of record types, and
//! "only own" readers never receive others' records.

use atrium_client::wire::RecordRemoved;

use super::store::records::RecordRow;
use crate::authz::Subject;
use crate::authz::records::RecordAccess;
use crate::db::Db;
use crate::events::{Audience, NewEvent};

/// The org's members as policy subjects (read once for many records).
pub async fn members(db: &Db, org_id: &str) -> Result<Vec<Subject>, sqlx::Error> {
    let members = crate::orgs::store::list_members(db, org_id).await?;
    Ok(members
        .into_iter()
        .map(|m| Subject {
            user_id: m.user.id,
            org_role: m.role,
            business_roles: m.roles,
            project_role: None,
        })
        .collect())
}

/// Those of `members` who may read `record`, as user ids.
pub fn readers_among(
    access: &RecordAccess,
    members: &[Subject],
    record: &RecordRow,
) -> Vec<String> {
    members
        .iter()
        .filter(|subject| access.readable_by(subject, record.owner()))
        .map(|subject| subject.user_id.clone())
        .collect()
}

/// The members who may read `record`, as user ids.
pub async fn readers(
    db: &Db,
    access: &RecordAccess,
    record: &RecordRow,
) -> Result<Vec<String>, sqlx::Error> {
    Ok(readers_among(
        access,
        &members(db, &record.org_id).await?,
        record,
    ))
}

/// `kind` (`record.created`, …) with `data` for each reader.
pub fn to_readers(
    org_id: &str,
    readers: &[String],
    kind: &'static str,
    data: &impl serde::Serialize,
) -> Vec<NewEvent> {
    readers
        .iter()
        .map(|user| NewEvent::new(org_id, Audience::User(user.clone()), kind, data))
        .collect()
}

/// The data of `record.deleted`.
pub fn removed(record: &RecordRow) -> RecordRemoved {
    RecordRemoved {
        id: record.id.clone(),
        record_type: record.record_type.clone(),
    }
}
