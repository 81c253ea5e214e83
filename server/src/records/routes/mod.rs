//! The records API: record types (`types`), records and their workflow and history
//! (`records`), the steps a caller may take (`transitions`), CSV (`csv`), a record's discussion
//! (`discussion`) and attached files (`attachments`). Shared here: resolving a type (built-in or
//! custom) and a record's wire form.

mod attachments;
pub(crate) mod csv;
mod discussion;
pub(crate) mod records;
mod transitions;
mod types;

pub(crate) use records::{insert_new, prepare_new, record_access, type_access};

use std::collections::HashSet;
use std::sync::Arc;

use atrium_client::wire::Record;
use utoipa_axum::router::OpenApiRouter;

use super::registry::{RecordKind, Registry};
use super::schema::TypeSchema;
use super::store;
use super::store::records::RecordRow;
use crate::authz::OrgAccess;
use crate::authz::records::RecordAccess;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The records routes.
pub fn router() -> OpenApiRouter<AppState> {
    types::router()
        .merge(records::router())
        .merge(csv::router())
        .merge(transitions::router())
        .merge(discussion::router())
        .merge(attachments::router())
}

/// A type as the engine uses it.
#[derive(Clone)]
pub struct ResolvedType {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub archived: bool,
    pub schema: TypeSchema,
    pub kind: Option<Arc<dyn RecordKind>>,
}

/// The type `slug` of the org (built-in or custom); 404 when there is none.
pub(crate) async fn resolve(db: &Db, org_id: &str, slug: &str) -> Result<ResolvedType> {
    if let Some(kind) = Registry::builtin().get(slug) {
        return Ok(ResolvedType {
            slug: slug.to_owned(),
            name: kind.name().to_owned(),
            version: 1,
            archived: false,
            schema: kind.schema(),
            kind: Some(kind.clone()),
        });
    }
    let row = store::types::find(db, org_id, slug)
        .await?
        .ok_or(ApiError::NotFound("record type"))?;
    Ok(ResolvedType {
        slug: row.slug,
        name: row.name,
        version: row.version,
        archived: row.archived,
        schema: row.schema,
        kind: None,
    })
}

/// Every type slug a link of the org may name.
pub(crate) async fn type_slugs(db: &Db, org_id: &str) -> Result<HashSet<String>> {
    let mut slugs: HashSet<String> = Registry::builtin()
        .all()
        .map(|k| k.slug().to_owned())
        .collect();
    slugs.extend(
        store::types::list(db, org_id)
            .await?
            .into_iter()
            .map(|t| t.slug),
    );
    Ok(slugs)
}

/// The caller's access to a type's records.
pub(crate) fn access_to(org: OrgAccess, resolved: &ResolvedType) -> RecordAccess {
    RecordAccess::new(org, &resolved.schema.permissions)
}

/// The record's name when its type names records by their `name` field (else it keeps the
/// one it has).
pub(crate) fn name_from_field(schema: &TypeSchema, record: &mut RecordRow) {
    if schema.named_by_field() {
        record.name = match record.data.get("name").and_then(|v| v.as_str()) {
            Some(name) => name.to_owned(),
            None => crate::records::naming::provisional(&record.id),
        };
    }
}

/// A record as the caller sees it.
pub(crate) fn wire(record: &RecordRow, access: &RecordAccess) -> Record {
    Record {
        id: record.id.clone(),
        record_type: record.record_type.clone(),
        name: record.name.clone(),
        version: record.version,
        state: record.state.clone(),
        created_by: record.created_by.clone(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        amended_from: record.amended_from.clone(),
        can: access.can(Some(record.owner())),
        // A `name` field is the record's name, carried once.
        fields: record
            .data
            .iter()
            .filter(|(key, _)| key.as_str() != "name")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}
