//! A record's discussion: a chat channel of kind `record` whose id is the record's, opened on
//! first use (`POST /records/{record}/discussion`), so that records nobody talks about — a CSV
//! import of 100,000 — cost no channel row. Chat serves it unchanged (posts, threads,
//! @mentions and their notifications, edits, reactions, `/channels/{record}/messages`) under
//! the record's permissions, which chat asks here (the policy decides:
//! [`crate::authz::records::RecordAccess::discussion_role`]). Its events go to each reader of
//! the record, as the record's own do; its messages are not searchable (their channel is in
//! nobody's search scope).

use atrium_client::wire::{OrgRole, ProjectRole};

use super::routes::{access_to, resolve};
use super::store;
use crate::authz::records::TypeReaders;
use crate::authz::{OrgAccess, Policy};
use crate::db::Db;
use crate::error::{ApiError, Result};

/// The caller's role in the discussion of `record_id`, a record of their org; `None` when the
/// record is gone or hidden from them.
pub async fn role(db: &Db, org: &OrgAccess, record_id: &str) -> Result<Option<ProjectRole>> {
    let Some(record) = store::records::find(db, &org.org_id, record_id).await? else {
        return Ok(None);
    };
    let resolved = match resolve(db, &org.org_id, &record.record_type).await {
        Ok(resolved) => resolved,
        Err(ApiError::NotFound(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    Ok(access_to(org.clone(), &resolved).discussion_role(record.owner()))
}

/// The members who may read `record_id` (its discussion's audience), with their org roles.
pub async fn readers(db: &Db, org_id: &str, record_id: &str) -> Result<Vec<(String, OrgRole)>> {
    let Some(record) = store::records::find(db, org_id, record_id).await? else {
        return Ok(Vec::new());
    };
    let resolved = resolve(db, org_id, &record.record_type).await?;
    let policy = Policy::new(crate::authz::store::overrides(db, org_id).await?);
    let rules = TypeReaders::new(policy, &resolved.schema.permissions);
    Ok(super::events::members(db, org_id)
        .await?
        .into_iter()
        .filter(|subject| rules.may_read(subject, record.owner()))
        .map(|subject| (subject.user_id, subject.org_role))
        .collect())
}
