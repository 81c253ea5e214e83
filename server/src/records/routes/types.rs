//! `/api/v1/orgs/{org}/record-types`: the org's types (built-in and custom); custom types are
//! defined and changed by those who may `manage` record types (owners and admins by default).
//!
//! A change (`PUT`) is a new version (every version is kept) and is checked against the
//! records that exist: a field made required while records lack it, options dropped while in
//! use, a type changed incompatibly, a field made unique over shared values — each a 422 on
//! the field with the count of records in the way. Removing a field keeps its values in the
//! records' JSON and history. Archiving is `archived: true` on `PUT` (records stay readable,
//! no new ones are created); there is no DELETE, so no type's records are ever orphaned.

use atrium_client::wire::{
    CreateRecordTypeRequest, ErrorBody, RecordType, RecordTypeList, UpdateRecordTypeRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ResolvedType, access_to, resolve, type_slugs};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{self, Action, OrgAccess, Resource, ResourceKind, forbidden};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::records::registry::Registry;
use crate::records::schema::check::{self, Errors};
use crate::records::schema::{TypeSchema, change};
use crate::records::store;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_types, create_type))
        .routes(routes!(get_type, update_type))
}

fn wire(resolved: &ResolvedType, org: &OrgAccess) -> RecordType {
    let access = access_to(org.clone(), resolved);
    RecordType {
        slug: resolved.slug.clone(),
        name: resolved.name.clone(),
        version: resolved.version,
        builtin: resolved.kind.is_some(),
        archived: resolved.archived,
        fields: resolved.schema.fields.clone(),
        workflow: resolved.schema.workflow.clone(),
        naming: resolved.schema.naming.clone(),
        permissions: resolved.schema.permissions.clone(),
        can: access.can(None),
    }
}

async fn require_types(
    state: &AppState,
    user: &CurrentUser,
    org_id: &str,
    action: Action,
) -> Result<OrgAccess> {
    let org = authz::org_access(&state.db, user.id(), org_id).await?;
    if !org.may(action, Resource::new(ResourceKind::RecordType)) {
        return Err(forbidden(action, ResourceKind::RecordType));
    }
    Ok(org)
}

fn invalid(errors: Errors) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The org's record types.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/record-types", tag = "records", params(("org" = String, Path)), responses(
    (status = 200, description = "Built-in and custom types", body = RecordTypeList),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_types(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<RecordTypeList>> {
    let org = require_types(&state, &user, &org_id, Action::Read).await?;
    let mut items = Vec::new();
    for kind in Registry::builtin().all() {
        items.push(wire(&resolve(&state.db, &org_id, kind.slug()).await?, &org));
    }
    for row in store::types::list(&state.db, &org_id).await? {
        let resolved = ResolvedType {
            slug: row.slug,
            name: row.name,
            version: row.version,
            archived: row.archived,
            schema: row.schema,
            kind: None,
        };
        items.push(wire(&resolved, &org));
    }
    Ok(Json(RecordTypeList { items }))
}

/// One record type.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/record-types/{type}", tag = "records", params(("org" = String, Path), ("type" = String, Path)), responses(
    (status = 200, description = "The type", body = RecordType),
    (status = 404, description = "No such type", body = ErrorBody)))]
async fn get_type(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((org_id, slug)): Path<(String, String)>,
) -> Result<Json<RecordType>> {
    let org = require_types(&state, &user, &org_id, Action::Read).await?;
    Ok(Json(wire(&resolve(&state.db, &org_id, &slug).await?, &org)))
}

/// Define a custom type.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/record-types", tag = "records", params(("org" = String, Path)), request_body = CreateRecordTypeRequest, responses(
    (status = 201, description = "Created", body = RecordType),
    (status = 403, description = "Only those who manage record types", body = ErrorBody),
    (status = 409, description = "The slug is taken", body = ErrorBody),
    (status = 422, description = "Invalid definition", body = ErrorBody)))]
async fn create_type(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<CreateRecordTypeRequest>,
) -> Result<(StatusCode, Json<RecordType>)> {
    let org = require_types(&state, &user, &org_id, Action::Manage).await?;
    let schema = TypeSchema {
        fields: body.fields,
        workflow: body.workflow,
        naming: body.naming,
        permissions: body.permissions,
    };
    let mut errors = Errors::new();
    check::check_slug(&body.slug, &mut errors);
    check::check_name(&body.name, &mut errors);
    let mut slugs = type_slugs(&state.db, &org_id).await?;
    slugs.insert(body.slug.clone());
    check::check_schema(&schema, &slugs, &mut errors);
    invalid(errors)?;
    let name = body.name.trim().to_owned();
    let mut work = state.writes.begin().await?;
    if !store::types::create(work.tx(), &org_id, &body.slug, &name, &schema, user.id()).await? {
        return Err(ApiError::conflict(
            "slug_taken",
            "the org already has a type with this slug",
        ));
    }
    let event = Event::new("record_type.created", Some(user.id()))
        .org(&org_id)
        .target("record_type", &body.slug)
        .change(None::<()>, Some(&schema));
    work.audit(&event, &client).await?;
    work.commit().await?;
    let resolved = resolve(&state.db, &org_id, &body.slug).await?;
    Ok((StatusCode::CREATED, Json(wire(&resolved, &org))))
}

/// Change a custom type (a new version) or archive it.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/record-types/{type}", tag = "records", params(("org" = String, Path), ("type" = String, Path)), request_body = UpdateRecordTypeRequest, responses(
    (status = 200, description = "The new version", body = RecordType),
    (status = 403, description = "Only those who manage record types", body = ErrorBody),
    (status = 404, description = "No such type", body = ErrorBody),
    (status = 409, description = "Stale version, or a built-in type", body = ErrorBody),
    (status = 422, description = "Invalid, or existing records are in the way", body = ErrorBody)))]
async fn update_type(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, slug)): Path<(String, String)>,
    Json(body): Json<UpdateRecordTypeRequest>,
) -> Result<Json<RecordType>> {
    let org = require_types(&state, &user, &org_id, Action::Manage).await?;
    if Registry::builtin().get(&slug).is_some() {
        return Err(ApiError::conflict(
            "built_in_type",
            "built-in types are changed by the server, not through the API",
        ));
    }
    let before = store::types::find(&state.db, &org_id, &slug)
        .await?
        .ok_or(ApiError::NotFound("record type"))?;
    if before.version != body.version {
        return Err(ApiError::conflict(
            "stale_version",
            format!("the type is at version {}", before.version),
        ));
    }
    let schema = TypeSchema {
        fields: body.fields,
        workflow: body.workflow,
        naming: body.naming,
        permissions: body.permissions,
    };
    let mut errors = Errors::new();
    check::check_name(&body.name, &mut errors);
    check::check_schema(&schema, &type_slugs(&state.db, &org_id).await?, &mut errors);
    invalid(errors)?;
    let mut work = state.writes.begin().await?;
    let mut in_the_way = Errors::new();
    for check in change::checks(&before.schema, &schema) {
        let count = store::index::count_in_the_way(work.tx(), &org_id, &slug, &check).await?;
        if count > 0 {
            in_the_way.insert(check.field().to_owned(), check.message(count));
        }
    }
    invalid(in_the_way)?;
    for field in &before.schema.fields {
        if field.unique && !schema.field(&field.name).is_some_and(|f| f.unique) {
            store::index::drop_unique(work.tx(), &org_id, &slug, &field.name).await?;
        }
    }
    let gained_unique = schema
        .unique_fields()
        .any(|f| !before.schema.field(&f.name).is_some_and(|b| b.unique));
    if change::needs_reindex(&before.schema, &schema) || gained_unique {
        let mut after = String::new();
        loop {
            let batch = store::records::batch(work.tx(), &org_id, &slug, &after, 500).await?;
            let Some(last) = batch.last() else { break };
            after = last.id.clone();
            for record in &batch {
                if let Err(field) = store::index::write(work.tx(), &schema, record).await? {
                    return Err(ApiError::invalid_field(
                        &field,
                        "cannot become unique: values are shared by several records",
                    ));
                }
            }
        }
    }
    let row = store::types::TypeRow {
        slug: slug.clone(),
        name: body.name.trim().to_owned(),
        version: before.version + 1,
        schema,
        archived: body.archived,
    };
    if !store::types::update(work.tx(), &org_id, &row, before.version, user.id()).await? {
        return Err(ApiError::conflict(
            "stale_version",
            "the type changed meanwhile",
        ));
    }
    let event = Event::new("record_type.updated", Some(user.id()))
        .org(&org_id)
        .target("record_type", &slug)
        .change(Some(&before.schema), Some(&row.schema));
    work.audit(&event, &client).await?;
    work.commit().await?;
    let resolved = resolve(&state.db, &org_id, &slug).await?;
    Ok(Json(wire(&resolved, &org)))
}
