//! `/api/v1/records/{record}/attachments`: files attached to a record. The files live in the
//! org's projects (uploaded there); attaching one needs the right to write the record and to
//! read the file, and from then on whoever may read the record reads the file through it, as
//! the record's permissions say — not its project's.

use atrium_client::wire::{
    AttachFileRequest, ErrorBody, RecordAttachment, RecordAttachmentList, RecordAttachmentsChanged,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::records::record_access;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, ProjectAction};
use crate::error::{ApiError, Result};
use crate::files::routes::{Content, file_for, serve};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::records::events;
use crate::records::store::companions::{self, AttachmentRow};
use crate::records::store::records::RecordRow;
use crate::state::AppState;
use crate::write::UnitOfWork;

/// Most files one record carries.
const MAX_ATTACHMENTS: i64 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_attachments, attach_file))
        .routes(routes!(detach_file))
        .routes(routes!(attachment_content))
}

fn wire(row: AttachmentRow) -> RecordAttachment {
    RecordAttachment {
        id: row.file_id,
        name: row.name,
        size: row.size,
        content_type: row.content_type,
        attached_by: row.attached_by,
        attached_at: row.attached_at,
    }
}

async fn listed(conn: &mut AnyConnection, record: &RecordRow) -> Result<Vec<RecordAttachment>> {
    Ok(companions::attachments(conn, &record.org_id, &record.id)
        .await?
        .into_iter()
        .map(wire)
        .collect())
}

/// Reads the record's attachments back in the change's transaction and tells its readers'
/// sockets (`record.attachments_changed`) when it commits.
async fn announce(
    work: &mut UnitOfWork,
    record: &RecordRow,
    readers: &[String],
) -> Result<Vec<RecordAttachment>> {
    let items = listed(work.tx(), record).await?;
    let data = RecordAttachmentsChanged {
        record: record.id.clone(),
        items: items.clone(),
    };
    work.emit_all(events::to_readers(
        &record.org_id,
        readers,
        "record.attachments_changed",
        &data,
    ));
    Ok(items)
}

/// The files attached to a record, oldest first (files in the trash are left out).
#[utoipa::path(get, path = "/api/v1/records/{record}/attachments", tag = "records", params(("record" = String, Path)), responses(
    (status = 200, description = "The attachments", body = RecordAttachmentList),
    (status = 404, description = "No such record (or not visible)", body = ErrorBody)))]
async fn list_attachments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Json<RecordAttachmentList>> {
    let (record, _, _) = record_access(&state, &user, &record_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    Ok(Json(RecordAttachmentList {
        items: listed(&mut conn, &record).await?,
    }))
}

/// Attach a file of the org the caller may read (writers of the record); attaching it again
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/records/{record}/attachments", tag = "records", params(("record" = String, Path)), request_body = AttachFileRequest, responses(
    (status = 201, description = "The record's attachments now", body = RecordAttachmentList),
    (status = 403, description = "The caller may not write the record", body = ErrorBody),
    (status = 404, description = "No such record (or not visible)", body = ErrorBody),
    (status = 422, description = "No such file the caller may read, or too many files", body = ErrorBody)))]
async fn attach_file(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(record_id): Path<String>,
    Json(body): Json<AttachFileRequest>,
) -> Result<(StatusCode, Json<RecordAttachmentList>)> {
    let (record, _, access) = record_access(&state, &user, &record_id).await?;
    access.require(Action::Write, record.owner())?;
    let no_file =
        || ApiError::invalid_field("file", "is no file of this organisation you may read");
    let file = match file_for(&state, &user, &body.file, ProjectAction::Read).await {
        Ok(file) => file,
        Err(ApiError::NotFound(_)) => return Err(no_file()),
        Err(other) => return Err(other),
    };
    if file.org_id != record.org_id || file.trashed_at.is_some() {
        return Err(no_file());
    }
    let readers = events::readers(&state.db, &access, &record).await?;
    let mut work = state.writes.begin().await?;
    if companions::count_attachments(work.tx(), &record.org_id, &record.id).await?
        >= MAX_ATTACHMENTS
    {
        return Err(ApiError::invalid_field(
            "file",
            format!("a record carries at most {MAX_ATTACHMENTS} files"),
        ));
    }
    if companions::attach(work.tx(), &record.org_id, &record.id, &file.id, user.id()).await? {
        let event = Event::new("record.file_attached", Some(user.id()))
            .org(&record.org_id)
            .target("record", &record.id)
            .change(
                None::<()>,
                Some(serde_json::json!({"file": file.id, "name": file.name})),
            );
        work.audit(&event, &client).await?;
    }
    let items = announce(&mut work, &record, &readers).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(RecordAttachmentList { items })))
}

/// Detach a file (writers of the record); the file itself stays in its project.
#[utoipa::path(delete, path = "/api/v1/records/{record}/attachments/{file}", tag = "records", params(("record" = String, Path), ("file" = String, Path)), responses(
    (status = 204, description = "Detached"),
    (status = 403, description = "The caller may not write the record", body = ErrorBody),
    (status = 404, description = "No such record, or the file is not attached", body = ErrorBody)))]
async fn detach_file(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((record_id, file_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (record, _, access) = record_access(&state, &user, &record_id).await?;
    access.require(Action::Write, record.owner())?;
    let readers = events::readers(&state.db, &access, &record).await?;
    let mut work = state.writes.begin().await?;
    if !companions::detach(work.tx(), &record.org_id, &record.id, &file_id).await? {
        return Err(ApiError::NotFound("attachment"));
    }
    let event = Event::new("record.file_detached", Some(user.id()))
        .org(&record.org_id)
        .target("record", &record.id)
        .change(Some(serde_json::json!({"file": file_id})), None::<()>);
    work.audit(&event, &client).await?;
    announce(&mut work, &record, &readers).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The bytes of an attached file, for whoever may read the record: streamed like the file's
/// own content (ranges, `ETag`, passive types inline only).
#[utoipa::path(get, path = "/api/v1/records/{record}/attachments/{file}/content", tag = "records", params(("record" = String, Path), ("file" = String, Path)), responses(
    (status = 200, description = "The bytes, with the type they were stored with", content_type = "*/*"),
    (status = 206, description = "The asked range", content_type = "*/*"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "No such record, or the file is not attached", body = ErrorBody),
    (status = 416, description = "The range is outside the file"),
    (status = 503, description = "File storage unavailable", body = ErrorBody)))]
async fn attachment_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((record_id, file_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (record, _, _) = record_access(&state, &user, &record_id).await?;
    let not_attached = || ApiError::NotFound("attachment");
    if !companions::is_attached(&state.db, &record.org_id, &record.id, &file_id).await? {
        return Err(not_attached());
    }
    let file = crate::files::store::find(&state.db, &record.org_id, &file_id)
        .await?
        .filter(|f| f.trashed_at.is_none())
        .ok_or_else(not_attached)?;
    let content = Content {
        org_id: &file.org_id,
        name: &file.name,
        size: file.size,
        content_type: &file.content_type,
        sha256: &file.sha256,
    };
    serve(&state, &headers, content).await
}
