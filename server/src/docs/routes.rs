//! `/api/v1/projects/{project}/docs` and `/api/v1/docs/*` handlers.

use atrium_client::wire::{CreateDoc, Doc, DocPatch, DocVersion, ErrorBody, Page, VersionName};
use atrium_collab::ContentFormat;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{create, feed, import, store, templates, tree};
use crate::auth::CurrentUser;
use crate::authz::{self, ProjectAction, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

const MAX_TITLE_CHARS: usize = 200;
const MAX_VERSION_NAME_CHARS: usize = 100;

/// The document routes.
pub fn router(max_update_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_doc, list_docs))
        .routes(routes!(get_doc, rename_doc, trash_doc))
        .routes(routes!(restore_doc))
        .routes(routes!(doc_content))
        .routes(routes!(create_version, list_versions))
        .routes(routes!(version_content))
        .routes(routes!(restore_version))
        // Binary updates may be as large as the hub accepts, beyond the JSON body limit.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(get_update, post_update))
                .layer(DefaultBodyLimit::max(max_update_bytes)),
        )
        .merge(super::export::router())
        .merge(super::comments::router())
        .merge(super::import::router())
        .merge(super::public_link::router())
        .merge(super::history::router())
        .merge(templates::routes::router())
}

/// A document the caller may act on, with the action checked on its project.
pub(super) async fn doc_for(
    state: &AppState,
    user: &CurrentUser,
    doc_id: &str,
    action: ProjectAction,
) -> Result<Doc> {
    let org_id = store::locate(&state.db, doc_id)
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    let mut doc = store::find(&state.db, &org_id, doc_id)
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    let resource = Resource::owned_by(ResourceKind::Document, &doc.created_by);
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &doc.project_id,
        "document",
        resource,
        action,
    )
    .await?;
    doc.can = Some(access.can(resource));
    Ok(doc)
}

/// 409 for a task's description: it is named after its task and lives as long as it (its
/// content is edited like any document's).
async fn refuse_task_description(state: &AppState, doc: &Doc) -> Result<()> {
    if crate::boards::feed::description_of(&state.db, &doc.org_id, &doc.id)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "task_description",
            "this is a task's description: rename or delete the task instead",
        ));
    }
    Ok(())
}

/// A live (not trashed) document for changing its content.
async fn live_doc_for(state: &AppState, user: &CurrentUser, doc_id: &str) -> Result<Doc> {
    let doc = doc_for(state, user, doc_id, ProjectAction::Write).await?;
    if doc.trashed_at.is_some() {
        return Err(ApiError::conflict(
            "in_trash",
            "the document is in the trash; restore it first",
        ));
    }
    Ok(doc)
}

fn validate_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "title",
            format!("must be at most {MAX_TITLE_CHARS} printable characters"),
        ));
    }
    Ok(if title.is_empty() {
        "Untitled".to_owned()
    } else {
        title.to_owned()
    })
}

pub(super) fn collab_error(error: atrium_collab::Error) -> ApiError {
    use atrium_collab::Error as E;
    match error {
        E::Protocol(e) => {
            ApiError::bad_request("invalid_update", format!("not a valid Yjs v1 update: {e}"))
        }
        E::MessageTooLarge { .. } => ApiError::PayloadTooLarge,
        E::DocumentTooLarge { .. } => ApiError::conflict(
            "document_too_large",
            "the document would exceed its size limit",
        ),
        E::VersionNotFound => ApiError::NotFound("version"),
        E::ShuttingDown | E::RoomReset => {
            ApiError::Unavailable("the document is being reloaded; try again".to_owned())
        }
        other => ApiError::internal(other),
    }
}

/// Create a document in a project (editors), blank or holding a `template`'s content (its
/// title then defaults to the template's name).
#[utoipa::path(post, path = "/api/v1/projects/{project}/docs", tag = "docs", params(("project" = String, Path)), request_body = CreateDoc, responses(
    (status = 201, description = "Created", body = Doc),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such project, or no such template in its organisation", body = ErrorBody),
    (status = 422, description = "A bad title, or a template too large for a document", body = ErrorBody)))]
async fn create_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Json(body): Json<CreateDoc>,
) -> Result<(StatusCode, Json<Doc>)> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Document),
        ProjectAction::Write,
    )
    .await?;
    let template = match body.template.as_deref() {
        Some(id) => Some(templates::chosen(&state, &access.project.org_id, id).await?),
        None => None,
    };
    let title = body
        .title
        .as_deref()
        .filter(|title| !title.trim().is_empty())
        .or(template.as_ref().map(|t| t.name.as_str()))
        .unwrap_or("");
    let title = validate_title(title)?;
    let content = template.map(|template| create::Content {
        update: import::update_of(&import::markdown(&template.markdown)),
        field: "template",
        too_large: "the template's content is larger than a document may be",
    });
    let doc = create::create(&state, &access, &title, user.id(), content).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// `?trashed=true` lists the trash.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    trashed: bool,
}

/// A project's documents, most recently changed first. Each names its `parent` and its
/// `position` among its siblings, from which a client builds the page tree.
#[utoipa::path(get, path = "/api/v1/projects/{project}/docs", tag = "docs", params(("project" = String, Path), ListQuery), responses(
    (status = 200, description = "Documents", body = Page<Doc>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_docs(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Doc>>> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Document),
        ProjectAction::Read,
    )
    .await?;
    let mut items = store::list(
        &state.db,
        &access.project.org_id,
        &project_id,
        query.trashed,
    )
    .await?;
    for doc in &mut items {
        doc.can = Some(access.can(Resource::owned_by(ResourceKind::Document, &doc.created_by)));
    }
    Ok(Json(Page { items, next: None }))
}

/// A document's metadata.
#[utoipa::path(get, path = "/api/v1/docs/{doc}", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "The document", body = Doc),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn get_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<Doc>> {
    Ok(Json(
        doc_for(&state, &user, &doc_id, ProjectAction::Read).await?,
    ))
}

/// Rename a document and/or move it in the project's page tree (editors): `parent` (`null`:
/// the top level) and `after` (the sibling it goes after; `null`: first; absent: last). Its own
/// pages move with it; the project's members get `doc.moved`. A refused change changes nothing.
#[utoipa::path(patch, path = "/api/v1/docs/{doc}", tag = "docs", params(("doc" = String, Path)), request_body = DocPatch, responses(
    (status = 200, description = "Renamed and/or moved", body = Doc),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
    (status = 409, description = "`task_description`: a task's description goes with its task; `in_trash`: restore it before moving it", body = ErrorBody),
    (status = 422, description = "Nothing to change, a bad title, or a refused move: `parent` not a live document of the project, or the document itself or one of its own pages (a cycle); `after` not a page under the target parent", body = ErrorBody)))]
async fn rename_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    Json(body): Json<DocPatch>,
) -> Result<Json<Doc>> {
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Write).await?;
    refuse_task_description(&state, &doc).await?;
    let moving = body.parent.is_some() || body.after.is_some();
    if body.title.is_none() && !moving {
        return Err(ApiError::invalid_field(
            "title",
            "give a title, or a place in the page tree (parent, after)",
        ));
    }
    let title = body.title.as_deref().map(validate_title).transpose()?;
    let text = match title {
        Some(_) => feed::text(&state.collab, &doc_id).await,
        None => String::new(),
    };
    let mut work = state.writes.begin().await?;
    let mut doc = doc;
    if let Some(title) = title {
        doc.updated_at = store::rename(work.tx(), &doc.org_id, &doc_id, &title).await?;
        doc.title = title;
        if doc.trashed_at.is_none() {
            feed::upsert(&mut work, &doc, &text)?;
            tree::announce_doc(&mut work, tree::DocEventKind::Renamed, &doc);
        }
    }
    if moving {
        let placements = tree::move_doc(
            work.tx(),
            &doc,
            body.parent.as_ref().map(Option::as_deref),
            body.after.as_ref().map(Option::as_deref),
        )
        .await?;
        if let Some(own) = placements.last() {
            doc.parent.clone_from(&own.parent);
            doc.position.clone_from(&own.position);
        }
        tree::announce(&mut work, &doc, placements, user.id());
    }
    work.commit().await?;
    Ok(Json(doc))
}

/// Move a document to the trash (editors). It disappears from lists and search; restore it
/// with `POST /api/v1/docs/{doc}/restore`.
#[utoipa::path(delete, path = "/api/v1/docs/{doc}", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "In the trash", body = Doc),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
    (status = 409, description = "`task_description`: a task's description goes with its task", body = ErrorBody)))]
async fn trash_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<Doc>> {
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Delete).await?;
    refuse_task_description(&state, &doc).await?;
    if doc.trashed_at.is_some() {
        return Ok(Json(doc));
    }
    let mut work = state.writes.begin().await?;
    let lifted = tree::lift_children(work.tx(), &doc).await?;
    let trashed_at = store::set_trashed(work.tx(), &doc.org_id, &doc_id, Some(user.id())).await?;
    feed::delete(&mut work, &doc)?;
    tree::announce(&mut work, &doc, lifted, user.id());
    // Editors on other nodes too: the project's collaboration sockets on every node check their
    // access again (the event log carries it, as it does lost access); this document's close.
    work.access_changed(
        &doc.org_id,
        crate::events::Audience::Project(doc.project_id.clone()),
        "doc.trashed",
    );
    work.commit().await?;
    // Connected editors lose the document, and are told why: it is in the trash (4410), which
    // the browser tells apart from lost access to offer the restore.
    state
        .collab
        .close_document(&doc_id, atrium_collab::close_codes::IN_TRASH)
        .await;
    Ok(Json(Doc { trashed_at, ..doc }))
}

/// Take a document out of the trash (editors).
#[utoipa::path(post, path = "/api/v1/docs/{doc}/restore", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "Restored", body = Doc),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
    (status = 409, description = "`task_description`: a task's description goes with its task", body = ErrorBody)))]
async fn restore_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<Doc>> {
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Delete).await?;
    refuse_task_description(&state, &doc).await?;
    let text = feed::text(&state.collab, &doc_id).await;
    let mut work = state.writes.begin().await?;
    let place = tree::place_restored(work.tx(), &doc).await?;
    store::set_trashed(work.tx(), &doc.org_id, &doc_id, None).await?;
    let doc = Doc {
        trashed_at: None,
        parent: place.parent.clone(),
        position: place.position.clone(),
        ..doc
    };
    feed::upsert(&mut work, &doc, &text)?;
    tree::announce(&mut work, &doc, vec![place], user.id());
    work.commit().await?;
    Ok(Json(doc))
}

/// `?format=text|markdown|json`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `text` (default), `markdown` or `json`.
    format: Option<String>,
}

fn parse_format(format: Option<&str>) -> Result<(ContentFormat, &'static str)> {
    match format.unwrap_or("text") {
        "text" => Ok((ContentFormat::Text, "text/plain; charset=utf-8")),
        "markdown" | "md" => Ok((ContentFormat::Markdown, "text/markdown; charset=utf-8")),
        "json" => Ok((ContentFormat::Json, "application/json")),
        _ => Err(ApiError::bad_request(
            "invalid_format",
            "format must be text, markdown or json",
        )),
    }
}

/// The document's content, decoded on the server from the `default` XML fragment (rich text)
/// and the `text` Y.Text.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/content", tag = "docs", params(("doc" = String, Path), FormatQuery), responses(
    (status = 200, description = "The content in the asked format", content_type = "text/plain"),
    (status = 400, description = "Unknown format", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn doc_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    Query(query): Query<FormatQuery>,
) -> Result<impl IntoResponse> {
    let (format, content_type) = parse_format(query.format.as_deref())?;
    doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let content = state
        .collab
        .content(&doc_id, format)
        .await
        .map_err(collab_error)?;
    Ok(([(header::CONTENT_TYPE, content_type)], content))
}

/// The whole document as one Yjs v1 update.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/update", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "A Yjs v1 update", content_type = "application/octet-stream"),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn get_update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<impl IntoResponse> {
    doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let update = state
        .collab
        .encode_state(&doc_id)
        .await
        .map_err(collab_error)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], update))
}

/// Apply a Yjs v1 update (editors). It is stored before this answers, and connected clients
/// receive it at once.
#[utoipa::path(post, path = "/api/v1/docs/{doc}/update", tag = "docs", params(("doc" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses(
    (status = 204, description = "Applied and stored"),
    (status = 400, description = "Not a valid Yjs update", body = ErrorBody),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
    (status = 409, description = "In the trash, or the document would grow past its limit", body = ErrorBody),
    (status = 413, description = "Too large", body = ErrorBody)))]
async fn post_update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode> {
    live_doc_for(&state, &user, &doc_id).await?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_update",
            "the body is empty; send a Yjs v1 update",
        ));
    }
    let changed = state
        .collab
        .apply_update(&doc_id, &body)
        .await
        .map_err(collab_error)?;
    if changed {
        state.collab.note_edit(&doc_id, user.id());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Name a version: a snapshot of the document as it is now (editors).
#[utoipa::path(post, path = "/api/v1/docs/{doc}/versions", tag = "docs", params(("doc" = String, Path)), request_body = VersionName, responses(
    (status = 201, description = "The version", body = DocVersion),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn create_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    Json(body): Json<VersionName>,
) -> Result<(StatusCode, Json<DocVersion>)> {
    doc_for(&state, &user, &doc_id, ProjectAction::Write).await?;
    let name = body.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_VERSION_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "name",
            format!("must be 1 to {MAX_VERSION_NAME_CHARS} printable characters"),
        ));
    }
    let version = state
        .collab
        .create_version(&doc_id, name)
        .await
        .map_err(collab_error)?;
    let mut versions = super::history::wire_versions(&state.db, vec![version]).await?;
    let version = versions
        .pop()
        .ok_or_else(|| ApiError::internal("no version"))?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// The document's versions, newest first: those people named (`kind: named`) and the
/// automatic snapshots the server keeps while people edit (`kind: auto`; at most one per
/// document per ten minutes of editing, and one when the editing session ends, only when the
/// content changed), each with its `authors` (who edited since the previous snapshot) and the
/// span of those edits (`from`, `to`). Old snapshots are thinned: all from the last day, one per
/// hour for a week, one per day before that.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/versions", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "Versions, named and automatic", body = Page<DocVersion>),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<Page<DocVersion>>> {
    doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let versions = state
        .collab
        .list_versions(&doc_id)
        .await
        .map_err(collab_error)?;
    let items = super::history::wire_versions(&state.db, versions).await?;
    Ok(Json(Page { items, next: None }))
}

/// A version's content.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/versions/{version}/content", tag = "docs",
    params(("doc" = String, Path), ("version" = String, Path), FormatQuery), responses(
    (status = 200, description = "The version's content", content_type = "text/plain"),
    (status = 404, description = "No such document or version", body = ErrorBody)))]
async fn version_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((doc_id, version_id)): Path<(String, String)>,
    Query(query): Query<FormatQuery>,
) -> Result<impl IntoResponse> {
    let (format, content_type) = parse_format(query.format.as_deref())?;
    doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let content = state
        .collab
        .version_content(&doc_id, &version_id, format)
        .await
        .map_err(collab_error)?;
    Ok(([(header::CONTENT_TYPE, content_type)], content))
}

/// Restore a version: the live document becomes the version's content for everyone connected,
/// as a normal edit that keeps the history (editors).
#[utoipa::path(post, path = "/api/v1/docs/{doc}/versions/{version}/restore", tag = "docs",
    params(("doc" = String, Path), ("version" = String, Path)), responses(
    (status = 204, description = "Restored"),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such document or version", body = ErrorBody)))]
async fn restore_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((doc_id, version_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    live_doc_for(&state, &user, &doc_id).await?;
    state
        .collab
        .restore_version(&doc_id, &version_id)
        .await
        .map_err(collab_error)?;
    state.collab.note_edit(&doc_id, user.id());
    Ok(StatusCode::NO_CONTENT)
}
