//! `/api/v1/projects/{project}/files` and `/api/v1/files/*` handlers.

use atrium_client::wire::{ErrorBody, Page};
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    ExtractedText, FileInfo, FileVersion, RangeRequest, content_disposition, inline_safe,
    parse_range,
};
use super::storage::{StorageError, blob_key};
use super::upload::{self, Target, storage_error};
use super::{feed, metrics, store};
use crate::auth::CurrentUser;
use crate::authz::{self, ProjectAction, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// Multipart framing allowed on top of the largest file.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The file routes; uploads may be as large as `max_upload_bytes`, beyond the JSON body limit.
pub fn router(max_upload_bytes: u64) -> OpenApiRouter<AppState> {
    let upload_limit =
        usize::try_from(max_upload_bytes.saturating_add(MULTIPART_OVERHEAD)).unwrap_or(usize::MAX);
    OpenApiRouter::new()
        .routes(routes!(list_files))
        .routes(routes!(get_file, trash_file))
        .routes(routes!(restore_file))
        .routes(routes!(purge_file))
        .routes(routes!(list_versions))
        .routes(routes!(file_content))
        .routes(routes!(version_content))
        .routes(routes!(file_text))
        .routes(routes!(super::thumbnails::file_thumbnail))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_file))
                .routes(routes!(upload_version))
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
}

/// A file the caller may act on (its organisation found, the action checked on its project).
/// Another organisation's file and an invisible project's file are both 404.
pub(crate) async fn file_for(
    state: &AppState,
    user: &CurrentUser,
    file_id: &str,
    action: ProjectAction,
) -> Result<FileInfo> {
    let (org_id, project_id) = store::locate(&state.db, file_id)
        .await?
        .ok_or(ApiError::NotFound("file"))?;
    let mut file = store::find(&state.db, &org_id, file_id)
        .await?
        .ok_or(ApiError::NotFound("file"))?;
    let resource = Resource::owned_by(ResourceKind::File, &file.created_by);
    let access =
        authz::require_in_project(&state.db, user.id(), &project_id, "file", resource, action)
            .await?;
    file.can = Some(access.can(resource));
    Ok(file)
}

fn multipart(body: std::result::Result<Multipart, MultipartRejection>) -> Result<Multipart> {
    body.map_err(|e| {
        ApiError::UnsupportedMediaType(format!(
            "send the file as multipart/form-data ({})",
            e.body_text()
        ))
    })
}

/// The multipart form an upload sends, as the OpenAPI document describes it (the handlers read
/// the parts as a stream, not into this type).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The file's bytes, its name in the part's `filename`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a file to a project (editors): `multipart/form-data` with the file in a part named
/// `file`. The bytes are streamed to storage; the content type is sniffed from them.
#[utoipa::path(post, path = "/api/v1/projects/{project}/files", tag = "files", params(("project" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "A part named `file` with a file name"),
    responses(
    (status = 201, description = "Stored", body = FileInfo),
    (status = 400, description = "No file part, or a malformed body", body = ErrorBody),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 409, description = "Over the organisation's storage quota", body = ErrorBody),
    (status = 413, description = "Larger than the upload limit", body = ErrorBody),
    (status = 503, description = "File storage unavailable; nothing was stored", body = ErrorBody)))]
async fn upload_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    body: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<FileInfo>)> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::File),
        ProjectAction::Write,
    )
    .await?;
    let body = multipart(body)?;
    let mut file = upload::run(
        state,
        access.project.org_id.clone(),
        user.id().to_owned(),
        Target::NewFile { project_id },
        body,
    )
    .await?;
    file.can = Some(access.can(Resource::owned_by(ResourceKind::File, user.id())));
    Ok((StatusCode::CREATED, Json(file)))
}

/// `?trashed=true` lists the trash.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    trashed: bool,
}

/// A project's files, most recently changed first.
#[utoipa::path(get, path = "/api/v1/projects/{project}/files", tag = "files", params(("project" = String, Path), ListQuery), responses(
    (status = 200, description = "Files", body = Page<FileInfo>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_files(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<FileInfo>>> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::File),
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
    for file in &mut items {
        file.can = Some(access.can(Resource::owned_by(ResourceKind::File, &file.created_by)));
    }
    Ok(Json(Page { items, next: None }))
}

/// A file's metadata (its current version).
#[utoipa::path(get, path = "/api/v1/files/{file}", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "The file", body = FileInfo),
    (status = 404, description = "No such file", body = ErrorBody)))]
async fn get_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<Json<FileInfo>> {
    Ok(Json(
        file_for(&state, &user, &file_id, ProjectAction::Read).await?,
    ))
}

/// Move a file to the trash (editors). Restore it with `POST /api/v1/files/{file}/restore`,
/// or delete it for good with `POST /api/v1/files/{file}/purge`.
#[utoipa::path(delete, path = "/api/v1/files/{file}", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "In the trash", body = FileInfo),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such file", body = ErrorBody)))]
async fn trash_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<Json<FileInfo>> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Delete).await?;
    if file.trashed_at.is_some() {
        return Ok(Json(file));
    }
    let mut work = state.writes.begin().await?;
    let trashed_at = store::set_trashed(work.tx(), &file.org_id, &file_id, Some(user.id())).await?;
    feed::delete(&mut work, &file)?;
    work.commit().await?;
    Ok(Json(FileInfo { trashed_at, ..file }))
}

/// Take a file out of the trash (editors).
#[utoipa::path(post, path = "/api/v1/files/{file}/restore", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "Restored", body = FileInfo),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such file", body = ErrorBody)))]
async fn restore_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<Json<FileInfo>> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Delete).await?;
    if file.trashed_at.is_none() {
        return Ok(Json(file));
    }
    let text = store::extracted_text(&state.db, &file.org_id, &file.version_id)
        .await?
        .unwrap_or_default();
    let mut work = state.writes.begin().await?;
    store::set_trashed(work.tx(), &file.org_id, &file_id, None).await?;
    let file = FileInfo {
        trashed_at: None,
        ..file
    };
    feed::upsert(&mut work, &file, &text)?;
    work.commit().await?;
    Ok(Json(file))
}

/// Delete a file in the trash for good, with all its versions (editors). Bytes no other file
/// of the organisation uses are removed from storage.
#[utoipa::path(post, path = "/api/v1/files/{file}/purge", tag = "files", params(("file" = String, Path)), responses(
    (status = 204, description = "Deleted for good"),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such file", body = ErrorBody),
    (status = 409, description = "Not in the trash", body = ErrorBody),
    (status = 503, description = "File storage unavailable; nothing was deleted", body = ErrorBody)))]
async fn purge_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<StatusCode> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Delete).await?;
    if file.trashed_at.is_none() {
        return Err(ApiError::conflict(
            "not_in_trash",
            "move the file to the trash before deleting it for good",
        ));
    }
    let mut work = state.writes.begin().await?;
    let hashes = store::delete_file(work.tx(), &file.org_id, &file_id).await?;
    let mut unused = Vec::new();
    for sha in &hashes {
        if let Some(size) = store::release_blob(work.tx(), &file.org_id, sha).await? {
            unused.push((sha.clone(), size));
        }
    }
    // Objects go while their rows are locked, before the commit: an upload of the same bytes
    // waits for this transaction and then stores them anew. If storage fails, nothing changes.
    for (sha, _) in &unused {
        state
            .files
            .store
            .delete(&blob_key(&file.org_id, sha))
            .await
            .map_err(storage_error)?;
    }
    work.commit().await?;
    let freed: i64 = unused.iter().map(|(_, size)| size).sum();
    ::metrics::counter!(metrics::PURGED_BYTES).increment(u64::try_from(freed).unwrap_or(0));
    Ok(StatusCode::NO_CONTENT)
}

/// Upload a new version of a file (editors); older versions stay listable and downloadable.
#[utoipa::path(post, path = "/api/v1/files/{file}/versions", tag = "files", params(("file" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "A part named `file` with a file name"),
    responses(
    (status = 201, description = "The file with its new current version", body = FileInfo),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such file", body = ErrorBody),
    (status = 409, description = "In the trash, or over the storage quota", body = ErrorBody),
    (status = 413, description = "Larger than the upload limit", body = ErrorBody),
    (status = 503, description = "File storage unavailable; nothing was stored", body = ErrorBody)))]
async fn upload_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
    body: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<FileInfo>)> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Write).await?;
    if file.trashed_at.is_some() {
        return Err(ApiError::conflict(
            "in_trash",
            "the file is in the trash; restore it first",
        ));
    }
    let body = multipart(body)?;
    let can = file.can;
    let mut file = upload::run(
        state,
        file.org_id,
        user.id().to_owned(),
        Target::NewVersion { file_id },
        body,
    )
    .await?;
    file.can = can;
    Ok((StatusCode::CREATED, Json(file)))
}

/// A file's versions, newest first.
#[utoipa::path(get, path = "/api/v1/files/{file}/versions", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "Versions", body = Page<FileVersion>),
    (status = 404, description = "No such file", body = ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<Json<Page<FileVersion>>> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Read).await?;
    Ok(Json(Page {
        items: store::versions(&state.db, &file.org_id, &file_id).await?,
        next: None,
    }))
}

/// The bytes of a file's current version: streamed, with single `Range` requests, `ETag`
/// (the SHA-256), `If-None-Match` and `If-Range`. Types that could run in the browser (HTML,
/// SVG, anything not known to be passive) are sent as attachments.
#[utoipa::path(get, path = "/api/v1/files/{file}/content", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "The bytes, with the type they were stored with", content_type = "*/*"),
    (status = 206, description = "The asked range", content_type = "*/*"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "No such file", body = ErrorBody),
    (status = 416, description = "The range is outside the file"),
    (status = 503, description = "File storage unavailable", body = ErrorBody)))]
async fn file_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Read).await?;
    let content = Content {
        org_id: &file.org_id,
        name: &file.name,
        size: file.size,
        content_type: &file.content_type,
        sha256: &file.sha256,
    };
    serve(&state, &headers, content).await
}

/// The bytes of one version, served like the current content.
#[utoipa::path(get, path = "/api/v1/files/{file}/versions/{version}/content", tag = "files",
    params(("file" = String, Path), ("version" = String, Path)), responses(
    (status = 200, description = "The bytes, with the type they were stored with", content_type = "*/*"),
    (status = 206, description = "The asked range", content_type = "*/*"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "No such file or version", body = ErrorBody),
    (status = 416, description = "The range is outside the file"),
    (status = 503, description = "File storage unavailable", body = ErrorBody)))]
async fn version_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((file_id, version_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Read).await?;
    let version = store::version(&state.db, &file.org_id, &file_id, &version_id)
        .await?
        .ok_or(ApiError::NotFound("version"))?;
    let content = Content {
        org_id: &file.org_id,
        name: &version.name,
        size: version.size,
        content_type: &version.content_type,
        sha256: &version.sha256,
    };
    serve(&state, &headers, content).await
}

/// The text extracted from the current version for search, with the extraction's state.
#[utoipa::path(get, path = "/api/v1/files/{file}/text", tag = "files", params(("file" = String, Path)), responses(
    (status = 200, description = "The extraction", body = ExtractedText),
    (status = 404, description = "No such file", body = ErrorBody)))]
async fn file_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
) -> Result<Json<ExtractedText>> {
    let file = file_for(&state, &user, &file_id, ProjectAction::Read).await?;
    let version = store::version(&state.db, &file.org_id, &file_id, &file.version_id)
        .await?
        .ok_or(ApiError::NotFound("version"))?;
    let text = store::extracted_text(&state.db, &file.org_id, &version.id).await?;
    Ok(Json(ExtractedText {
        version_id: version.id,
        extraction: version.extraction,
        error: version.extraction_error,
        text,
    }))
}

/// What a download serves ([`serve`] streams it): a stored version's identity and metadata.
pub(crate) struct Content<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub size: i64,
    pub content_type: &'a str,
    pub sha256: &'a str,
}

/// Whether an `If-None-Match` or `If-Range` list names `etag` (`*` matches anything).
fn etag_matches(header: Option<&HeaderValue>, etag: &str) -> bool {
    header.and_then(|v| v.to_str().ok()).is_some_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
    })
}

/// The Content-Security-Policy and X-Frame-Options of a file's bytes. Even opened directly, a
/// file cannot run scripts or load anything in the app's origin (`sandbox`), and nobody frames
/// it. A PDF is the exception on both counts: the app previews it in a frame of its own pages
/// (same origin only), and the browser's PDF viewer refuses to run in a sandboxed document —
/// its scripts run in the viewer, never in this origin, so dropping `sandbox` gives the PDF no
/// reach into the app.
fn framing_policy(content_type: &str) -> (&'static str, &'static str) {
    if content_type == "application/pdf" {
        ("default-src 'none'; frame-ancestors 'self'", "SAMEORIGIN")
    } else {
        (
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; \
             sandbox; frame-ancestors 'none'",
            "DENY",
        )
    }
}

pub(crate) async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    content: Content<'_>,
) -> Result<Response> {
    let etag = format!("\"{}\"", content.sha256);
    let size = u64::try_from(content.size).unwrap_or(0);
    let inline = inline_safe(content.content_type);
    let mut response_headers = HeaderMap::new();
    let set = |headers: &mut HeaderMap, name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(&mut response_headers, header::ETAG, &etag);
    set(&mut response_headers, header::ACCEPT_RANGES, "bytes");
    set(
        &mut response_headers,
        header::CACHE_CONTROL,
        "private, no-cache",
    );
    set(
        &mut response_headers,
        header::X_CONTENT_TYPE_OPTIONS,
        "nosniff",
    );
    let (csp, framing) = framing_policy(content.content_type);
    set(&mut response_headers, header::CONTENT_SECURITY_POLICY, csp);
    set(&mut response_headers, header::X_FRAME_OPTIONS, framing);

    if etag_matches(headers.get(header::IF_NONE_MATCH), &etag) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }

    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    // If-Range: the range holds only for the representation the client has (strong ETag);
    // a date or another tag means "send it all".
    let range_header = match headers.get(header::IF_RANGE) {
        Some(value) if value.to_str().ok().map(str::trim) != Some(etag.as_str()) => None,
        _ => range_header,
    };
    let range = parse_range(range_header, size);
    if range == RangeRequest::Unsatisfiable {
        set(
            &mut response_headers,
            header::CONTENT_RANGE,
            &format!("bytes */{size}"),
        );
        return Ok((StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response());
    }

    set(
        &mut response_headers,
        header::CONTENT_TYPE,
        content.content_type,
    );
    set(
        &mut response_headers,
        header::CONTENT_DISPOSITION,
        &content_disposition(content.name, inline),
    );
    let key = blob_key(content.org_id, content.sha256);
    let (status, read_range, length) = match range {
        RangeRequest::Partial(start, end) => {
            set(
                &mut response_headers,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{size}"),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                Some((start, end)),
                end - start + 1,
            )
        }
        _ => (StatusCode::OK, None, size),
    };
    let body = if length == 0 {
        Body::empty()
    } else {
        let stream = state
            .files
            .store
            .read(&key, read_range)
            .await
            .map_err(|e| match e {
                StorageError::NotFound => {
                    ApiError::internal(format!("the object of a recorded file is missing: {key}"))
                }
                other => storage_error(other),
            })?;
        Body::from_stream(stream)
    };
    set(
        &mut response_headers,
        header::CONTENT_LENGTH,
        &length.to_string(),
    );
    Ok((status, response_headers, body).into_response())
}
