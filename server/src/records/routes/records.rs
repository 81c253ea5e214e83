//! `/api/v1/orgs/{org}/records/{type}` and `/api/v1/records/{record}`: create, list, read,
//! change (optimistic, with `version`), delete, workflow steps, amendments and history.
//!
//! Every save runs the type's rules ([`crate::records::rules`]), checks the ids it names and
//! its unique values in its transaction, writes the record, its index rows and a history
//! entry, and announces it to the members who may read it — through the one write path.

use std::collections::HashMap;

use atrium_client::wire::{
    ErrorBody, NamingAt, NewRecord, Record, RecordHistory, RecordPage, TransitionRequest,
    UpdateRecordRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ResolvedType, access_to, name_from_field, resolve, wire};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::records::RecordAccess;
use crate::authz::{self, Action, ResourceKind, Scope, forbidden};
use crate::db::{Db, new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path, Query};
use crate::records::registry::Save;
use crate::records::rules::{self, Target};
use crate::records::step::{self, Step, announce, assign_name};
use crate::records::store::history::NewEntry;
use crate::records::store::records::RecordRow;
use crate::records::{events, history, naming, query, store, value};
use crate::state::AppState;
use crate::write::UnitOfWork;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_record, list_records))
        .routes(routes!(get_record, update_record, delete_record))
        .routes(routes!(transition_record))
        .routes(routes!(amend_record))
        .routes(routes!(record_history))
}

/// A type's records as the caller may reach them.
pub(crate) async fn type_access(
    state: &AppState,
    user: &CurrentUser,
    org_id: &str,
    slug: &str,
) -> Result<(ResolvedType, RecordAccess)> {
    let org = authz::org_access(&state.db, user.id(), org_id).await?;
    let resolved = resolve(&state.db, org_id, slug).await?;
    let access = access_to(org, &resolved);
    Ok((resolved, access))
}

/// A record the caller may read, with its type and the caller's access; 404 for a record of
/// another org or one hidden from them.
pub(crate) async fn record_access(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
) -> Result<(RecordRow, ResolvedType, RecordAccess)> {
    let not_found = ApiError::NotFound("record");
    let org_id = store::records::org_of(&state.db, record_id)
        .await?
        .ok_or(ApiError::NotFound("record"))?;
    let org = match authz::org_access(&state.db, user.id(), &org_id).await {
        Ok(org) => org,
        Err(ApiError::NotFound(_)) => return Err(not_found),
        Err(other) => return Err(other),
    };
    let record = store::records::find(&state.db, &org_id, record_id)
        .await?
        .ok_or(not_found)?;
    let resolved = resolve(&state.db, &org_id, &record.record_type).await?;
    let access = access_to(org, &resolved);
    access.require_visible(record.owner())?;
    Ok((record, resolved, access))
}

/// Checks the ids a save names and writes the record's index; every fault a field error.
/// `is_new`: the record was just inserted, so it has no index rows or unique values to clear
/// (two statements fewer per create).
pub(super) async fn check_and_index(
    work: &mut UnitOfWork,
    resolved: &ResolvedType,
    record: &RecordRow,
    references: &[rules::Reference],
    is_new: bool,
) -> Result<()> {
    let mut errors = std::collections::BTreeMap::new();
    for reference in references {
        let ok = match &reference.target {
            Target::User => {
                store::index::is_member(work.tx(), &record.org_id, &reference.id).await?
            }
            Target::File => {
                store::index::file_exists(work.tx(), &record.org_id, &reference.id).await?
            }
            Target::Record(kind) => {
                store::index::record_exists(work.tx(), &record.org_id, kind, &reference.id).await?
            }
        };
        if !ok {
            let why = match reference.target {
                Target::User => "is not a member of this organisation",
                Target::File => "is not a file of this organisation",
                Target::Record(_) => "is not a record of the linked type in this organisation",
            };
            errors.insert(reference.path.clone(), why.to_owned());
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let taken = if is_new {
        let one = std::slice::from_ref(record);
        store::index::write_new(work.tx(), &resolved.schema, one)
            .await?
            .err()
            .map(|(_, field)| field)
    } else {
        store::index::write(work.tx(), &resolved.schema, record)
            .await?
            .err()
    };
    if let Some(field) = taken {
        return Err(ApiError::invalid_field(
            &field,
            "is already used by another record",
        ));
    }
    Ok(())
}

/// Refuses the generic create (and import) of a type whose records another route creates.
pub(super) fn refuse_created_elsewhere(resolved: &ResolvedType) -> Result<()> {
    match resolved
        .kind
        .as_ref()
        .and_then(|kind| kind.created_through())
    {
        Some(route) => Err(ApiError::conflict(
            "created_elsewhere",
            format!("{} records are created through {route}", resolved.name),
        )),
        None => Ok(()),
    }
}

/// Create a record.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/records/{type}", tag = "records", params(("org" = String, Path), ("type" = String, Path)), request_body = NewRecord, responses(
    (status = 201, description = "Created", body = Record),
    (status = 403, description = "The caller's roles cannot create these records", body = ErrorBody),
    (status = 404, description = "No such organisation or type", body = ErrorBody),
    (status = 422, description = "Field errors; nothing written", body = ErrorBody)))]
pub(crate) async fn create_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((org_id, slug)): Path<(String, String)>,
    Json(body): Json<NewRecord>,
) -> Result<(StatusCode, Json<Record>)> {
    let mut body: Map<String, Value> = body.fields.into_iter().collect();
    let (resolved, access) = type_access(&state, &user, &org_id, &slug).await?;
    if access.scope(Action::Write) == Scope::None {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    if resolved.archived {
        return Err(ApiError::conflict("type_archived", "the type is archived"));
    }
    refuse_created_elsewhere(&resolved)?;
    let save = Save {
        db: &state.db,
        org_id: &org_id,
        user_id: user.id(),
        writes_all: access.scope(Action::Write) == Scope::All,
    };
    let prepared = prepare_new(&save, &resolved, &mut body).await?;
    let mut work = state.writes.begin().await?;
    let record = insert_new(
        &state.db,
        &mut work,
        &resolved,
        &access,
        &org_id,
        user.id(),
        prepared,
    )
    .await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(wire(&record, &access))))
}

/// A new record's data as every create takes it: completed by its type (`fill`), checked by
/// the schema and the type, and given the fields only the server sets (`derive`).
pub(crate) async fn prepare_new(
    save: &Save<'_>,
    resolved: &ResolvedType,
    input: &mut Map<String, Value>,
) -> Result<rules::Prepared> {
    if let Some(kind) = &resolved.kind {
        kind.fill(save, input, None).await?;
    }
    let mut prepared = rules::prepare(&resolved.schema, resolved.kind.as_deref(), input, None)
        .map_err(ApiError::Validation)?;
    if let Some(kind) = &resolved.kind {
        kind.derive(save, &mut prepared.data).await?;
    }
    Ok(prepared)
}

/// Writes a new record of checked data in `work`: named (from the series when the type
/// numbers at creation), its ids and unique values checked, indexed, its history begun, fed to
/// search and announced.
pub(crate) async fn insert_new(
    db: &Db,
    work: &mut UnitOfWork,
    resolved: &ResolvedType,
    access: &RecordAccess,
    org_id: &str,
    user_id: &str,
    prepared: rules::Prepared,
) -> Result<RecordRow> {
    let now = now_ms();
    let id = new_id();
    let mut record = RecordRow {
        name: naming::provisional(&id),
        id,
        org_id: org_id.to_owned(),
        record_type: resolved.slug.clone(),
        named: false,
        version: 1,
        state: resolved.schema.initial_state().map(str::to_owned),
        data: prepared.data,
        amended_from: None,
        amend_root: None,
        created_by: user_id.to_owned(),
        created_at: now,
        updated_at: now,
    };
    name_from_field(&resolved.schema, &mut record);
    let numbered_now = resolved
        .schema
        .naming
        .as_ref()
        .is_some_and(|n| n.at == NamingAt::Create);
    if numbered_now {
        assign_name(work, resolved, &mut record).await?;
    }
    if !store::records::insert(work.tx(), &record).await? {
        return Err(ApiError::conflict(
            "name_taken",
            "a record of this type already has this name",
        ));
    }
    check_and_index(work, resolved, &record, &prepared.references, true).await?;
    let changes = history::diff(&Map::new(), &record.data);
    let entry = NewEntry {
        org_id,
        record_id: &record.id,
        user_id: Some(user_id),
        kind: "created",
        changes: &changes,
        action: None,
        comment: None,
    };
    store::history::append(work.tx(), &entry).await?;
    crate::records::feed::upsert(work, &resolved.schema, &record, &entry)?;
    announce(db, work, access, &record, "record.created").await?;
    Ok(record)
}

/// List a type's records: filters, sort, keyset cursor, totals over the filtered set.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/records/{type}", tag = "records", params(("org" = String, Path), ("type" = String, Path)), responses(
    (status = 200, description = "A page of records", body = RecordPage),
    (status = 403, description = "The caller's roles cannot read these records", body = ErrorBody),
    (status = 404, description = "No such organisation or type", body = ErrorBody),
    (status = 422, description = "An unknown field or a bad operand", body = ErrorBody)))]
async fn list_records(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((org_id, slug)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<RecordPage>> {
    let (resolved, access) = type_access(&state, &user, &org_id, &slug).await?;
    let mut plan = query::plan(&resolved.schema, &params)?;
    match access.scope(Action::Read) {
        Scope::All => {}
        Scope::Own => plan.only_owner = Some(user.id().to_owned()),
        Scope::None => return Err(forbidden(Action::Read, ResourceKind::Record)),
    }
    let mut rows = store::list::page(&state.db, &org_id, &slug, &plan).await?;
    let more = rows.len() > plan.limit as usize;
    rows.truncate(plan.limit as usize);
    let next = if more {
        rows.last()
            .map(|r| plan.cursor_after(&resolved.schema, r).encode())
    } else {
        None
    };
    let totalled: Vec<_> = resolved
        .schema
        .fields
        .iter()
        .filter(|f| plan.totals && value::totalled(f.field_type))
        .collect();
    let names: Vec<String> = totalled.iter().map(|f| f.name.clone()).collect();
    let sums = store::list::totals(&state.db, &org_id, &slug, &plan, &names).await?;
    let totals = totalled
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                query::total_value(f.field_type, sums.get(&f.name).copied().unwrap_or(0)),
            )
        })
        .collect();
    Ok(Json(RecordPage {
        items: rows.iter().map(|r| wire(r, &access)).collect(),
        next,
        totals,
    }))
}

/// A record.
#[utoipa::path(get, path = "/api/v1/records/{record}", tag = "records", params(("record" = String, Path)), responses(
    (status = 200, description = "The record", body = Record),
    (status = 404, description = "No such record (or not visible)", body = ErrorBody)))]
async fn get_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Json<Record>> {
    let (record, _, access) = record_access(&state, &user, &record_id).await?;
    Ok(Json(wire(&record, &access)))
}

/// The 409 of a stale write: the current record in the body.
fn stale(record: &RecordRow, access: &RecordAccess) -> Response {
    let body = serde_json::json!({
        "error": {"code": "stale_version", "message": format!("the record is at version {}", record.version)},
        "current": wire(record, access),
    });
    (StatusCode::CONFLICT, axum::Json(body)).into_response()
}

/// Change a record's fields (`version` is the one read; a stale one answers 409 with the
/// current record under `current`).
#[utoipa::path(patch, path = "/api/v1/records/{record}", tag = "records", params(("record" = String, Path)), request_body = UpdateRecordRequest, responses(
    (status = 200, description = "The updated record", body = Record),
    (status = 403, description = "Not allowed, or the record is in a final state", body = ErrorBody),
    (status = 404, description = "No such record", body = ErrorBody),
    (status = 409, description = "Stale version: `current` holds the record", body = ErrorBody),
    (status = 422, description = "Field errors; nothing written", body = ErrorBody)))]
pub(crate) async fn update_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
    Json(body): Json<UpdateRecordRequest>,
) -> Result<Response> {
    let (before, resolved, access) = record_access(&state, &user, &record_id).await?;
    access.require(Action::Write, before.owner())?;
    if before.version != body.version {
        return Ok(stale(&before, &access));
    }
    if resolved.schema.is_final(before.state.as_deref()) {
        return Err(ApiError::Refused {
            code: "read_only",
            message: "the record is in a final state; cancel and amend it instead".into(),
        });
    }
    let mut input: Map<String, Value> = body.fields.into_iter().collect();
    let save = Save {
        db: &state.db,
        org_id: &before.org_id,
        user_id: user.id(),
        writes_all: access.scope(Action::Write) == Scope::All,
    };
    if let Some(kind) = &resolved.kind {
        kind.fill(&save, &mut input, Some(&before.data)).await?;
    }
    let mut prepared = rules::prepare(
        &resolved.schema,
        resolved.kind.as_deref(),
        &input,
        Some(&before.data),
    )
    .map_err(ApiError::Validation)?;
    if let Some(kind) = &resolved.kind {
        kind.derive(&save, &mut prepared.data).await?;
    }
    let mut record = before.clone();
    record.data = prepared.data;
    name_from_field(&resolved.schema, &mut record);
    record.version += 1;
    record.updated_at = now_ms();
    let mut work = state.writes.begin().await?;
    if !store::records::update(work.tx(), &record, before.version).await? {
        drop(work);
        let current = store::records::find(&state.db, &before.org_id, &before.id)
            .await?
            .ok_or(ApiError::NotFound("record"))?;
        return Ok(stale(&current, &access));
    }
    check_and_index(&mut work, &resolved, &record, &prepared.references, false).await?;
    if record.name != before.name {
        store::companions::rename_discussion(work.tx(), &record.org_id, &record.id, &record.name)
            .await?;
    }
    let changes = history::diff(&before.data, &record.data);
    let entry = NewEntry {
        org_id: &record.org_id,
        record_id: &record.id,
        user_id: Some(user.id()),
        kind: "updated",
        changes: &changes,
        action: None,
        comment: None,
    };
    store::history::append(work.tx(), &entry).await?;
    crate::records::feed::upsert(&mut work, &resolved.schema, &record, &entry)?;
    announce(&state.db, &mut work, &access, &record, "record.updated").await?;
    work.commit().await?;
    Ok(Json(wire(&record, &access)).into_response())
}

/// Delete a record (a draft's provisional name used no number of the series).
#[utoipa::path(delete, path = "/api/v1/records/{record}", tag = "records", params(("record" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Not allowed, or the record is in a final state", body = ErrorBody),
    (status = 404, description = "No such record", body = ErrorBody)))]
async fn delete_record(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(record_id): Path<String>,
) -> Result<StatusCode> {
    let (record, resolved, access) = record_access(&state, &user, &record_id).await?;
    access.require(Action::Delete, record.owner())?;
    if resolved.schema.is_final(record.state.as_deref()) {
        return Err(ApiError::Refused {
            code: "read_only",
            message: "the record is in a final state".into(),
        });
    }
    let readers = events::readers(&state.db, &access, &record).await?;
    let mut work = state.writes.begin().await?;
    let messages =
        store::companions::discussion_message_ids(work.tx(), &record.org_id, &record.id).await?;
    store::companions::delete_discussion(work.tx(), &record.org_id, &record.id).await?;
    if !store::records::delete(work.tx(), &record.org_id, &record.id).await? {
        return Err(ApiError::NotFound("record"));
    }
    crate::records::feed::delete_messages(&mut work, &record.org_id, &messages)?;
    let event = Event::new("record.deleted", Some(user.id()))
        .org(&record.org_id)
        .target("record", &record.id)
        .change(Some(serde_json::json!({"type": record.record_type, "name": record.name, "data": record.data})), None::<()>);
    work.audit(&event, &client).await?;
    crate::records::feed::delete(&mut work, &record)?;
    work.emit_all(events::to_readers(
        &record.org_id,
        &readers,
        "record.deleted",
        &events::removed(&record),
    ));
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a workflow step.
#[utoipa::path(post, path = "/api/v1/records/{record}/transition", tag = "records", params(("record" = String, Path)), request_body = TransitionRequest, responses(
    (status = 200, description = "The record in its new state", body = Record),
    (status = 403, description = "The caller's roles cannot take it, or self-approval", body = ErrorBody),
    (status = 404, description = "No such record", body = ErrorBody),
    (status = 409, description = "No such action from the record's state", body = ErrorBody),
    (status = 422, description = "The action's condition is not met", body = ErrorBody)))]
async fn transition_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
    Json(body): Json<TransitionRequest>,
) -> Result<Json<Record>> {
    let (before, resolved, access) = record_access(&state, &user, &record_id).await?;
    access.require(Action::Transition, before.owner())?;
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid_field(
            "comment",
            "must be at most 2000 characters",
        ));
    }
    let record = step::take(&resolved, &access, &before, &body.action, comment)?;
    let mut work = state.writes.begin().await?;
    let step = Step {
        action: &body.action,
        user_id: Some(user.id()),
        comment,
    };
    let record = step::commit(
        &state.db, &mut work, &resolved, &access, &before, record, step,
    )
    .await?;
    work.commit().await?;
    Ok(Json(wire(&record, &access)))
}

/// Amend a cancelled record: a new draft linked to it, named `<name>-1`, `-2`, ….
#[utoipa::path(post, path = "/api/v1/records/{record}/amend", tag = "records", params(("record" = String, Path)), responses(
    (status = 201, description = "The amendment (a draft)", body = Record),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such record", body = ErrorBody),
    (status = 409, description = "The type does not amend records in this state", body = ErrorBody)))]
async fn amend_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<(StatusCode, Json<Record>)> {
    let (original, resolved, access) = record_access(&state, &user, &record_id).await?;
    if access.scope(Action::Write) == Scope::None {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    let amendable = resolved
        .schema
        .workflow
        .as_ref()
        .and_then(|w| w.amend_from.as_deref());
    if amendable.is_none() || amendable != original.state.as_deref() {
        return Err(ApiError::conflict(
            "not_amendable",
            "the type does not amend records in this state",
        ));
    }
    let root_id = original
        .amend_root
        .clone()
        .unwrap_or_else(|| original.id.clone());
    let mut work = state.writes.begin().await?;
    let root_name = if root_id == original.id {
        original.name.clone()
    } else {
        store::records::find(&state.db, &original.org_id, &root_id)
            .await?
            .map(|r| r.name)
            .unwrap_or_else(|| original.name.clone())
    };
    let n = store::records::amendments(work.tx(), &original.org_id, &root_id).await? + 1;
    let now = now_ms();
    let record = RecordRow {
        id: new_id(),
        org_id: original.org_id.clone(),
        record_type: original.record_type.clone(),
        name: naming::amendment(&root_name, n),
        named: true,
        version: 1,
        state: resolved.schema.initial_state().map(str::to_owned),
        data: original.data.clone(),
        amended_from: Some(original.id.clone()),
        amend_root: Some(root_id),
        created_by: user.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    if !store::records::insert(work.tx(), &record).await? {
        return Err(ApiError::conflict(
            "name_taken",
            "another amendment was made at the same time; retry",
        ));
    }
    // The amendment takes over the unique values of the cancelled record it replaces.
    free_unique(&mut work, &resolved, &original).await?;
    if let Err(field) = store::index::write(work.tx(), &resolved.schema, &record).await? {
        return Err(ApiError::invalid_field(
            &field,
            "is already used by another record",
        ));
    }
    let changes = history::diff(&Map::new(), &record.data);
    let entry = NewEntry {
        org_id: &record.org_id,
        record_id: &record.id,
        user_id: Some(user.id()),
        kind: "amended",
        changes: &changes,
        action: None,
        comment: None,
    };
    store::history::append(work.tx(), &entry).await?;
    crate::records::feed::upsert(&mut work, &resolved.schema, &record, &entry)?;
    announce(&state.db, &mut work, &access, &record, "record.created").await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(wire(&record, &access))))
}

/// Frees a cancelled record's unique values (its index rows stay, so it still lists).
async fn free_unique(
    work: &mut UnitOfWork,
    resolved: &ResolvedType,
    original: &RecordRow,
) -> Result<()> {
    let plain = crate::records::schema::TypeSchema {
        fields: resolved
            .schema
            .fields
            .iter()
            .cloned()
            .map(|mut f| {
                f.unique = false;
                f
            })
            .collect(),
        ..resolved.schema.clone()
    };
    let _ = store::index::write(work.tx(), &plain, original).await?;
    Ok(())
}

/// A record's field-level history, oldest first.
#[utoipa::path(get, path = "/api/v1/records/{record}/history", tag = "records", params(("record" = String, Path)), responses(
    (status = 200, description = "The history", body = RecordHistory),
    (status = 404, description = "No such record", body = ErrorBody)))]
async fn record_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Json<RecordHistory>> {
    let (record, _, _) = record_access(&state, &user, &record_id).await?;
    let items = store::history::list(&state.db, &record.org_id, &record.id).await?;
    Ok(Json(RecordHistory { items }))
}
