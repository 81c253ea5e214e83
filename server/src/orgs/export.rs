//! `/api/v1/orgs/{org}/export*`: whole-organisation exports, for the owners and admins by
//! their base role (an archive holds every private channel and document, so no permission
//! override can hand it to another role).
//!
//! `POST …/export` records a queued export and its job in one transaction ([`super::archive`]
//! builds the ZIP); `GET …/exports` lists the recent ones with their state; `GET
//! …/exports/{id}/download` streams a finished ZIP from the file store. An export expires
//! after seven days ([`super::purge::ExpireHandler`] deletes its object and row).

use atrium_client::wire::{ErrorBody, OrgExport, OrgExportState, Page};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{archive, export_store as store};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::org_access;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// The audit action of a requested export.
pub const EXPORT_REQUESTED: &str = "org.export_requested";
/// The audit action of a downloaded export.
pub const EXPORT_DOWNLOADED: &str = "org.export_downloaded";

/// The export routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_export))
        .routes(routes!(list_exports))
        .routes(routes!(download_export))
}

/// 403 unless the caller is an owner or admin of the organisation (404 when not a member).
async fn require_owner_or_admin(state: &AppState, user: &CurrentUser, org_id: &str) -> Result<()> {
    let access = org_access(&state.db, user.id(), org_id).await?;
    if access.may_export_everything() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only owners and admins export the organisation".into(),
        ))
    }
}

/// Start an export of everything the organisation holds (owners and admins): a ZIP built in
/// the background, downloadable for seven days. While one is queued or running, asking again
/// answers with that one (each export reads the whole organisation: repeated clicks must not
/// queue that work many times).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/export", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 202, description = "Queued (or the export already queued or running); poll the list for its state", body = OrgExport),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn start_export(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
) -> Result<(StatusCode, Json<OrgExport>)> {
    require_owner_or_admin(&state, &user, &org_id).await?;
    let mut work = state.writes.begin().await?;
    if let Some(running) = store::unfinished(work.tx(), &org_id).await? {
        return Ok((StatusCode::ACCEPTED, Json(running)));
    }
    let export = store::create(work.tx(), &org_id, user.id()).await?;
    archive::enqueue(&mut work, &org_id, &export.id).await?;
    let event = Event::new(EXPORT_REQUESTED, Some(user.id()))
        .org(&org_id)
        .target("org_export", &export.id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(export)))
}

/// The organisation's recent exports, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/exports", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 200, description = "Exports", body = Page<OrgExport>),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_exports(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<OrgExport>>> {
    require_owner_or_admin(&state, &user, &org_id).await?;
    Ok(Json(Page {
        items: store::list(&state.db, &org_id).await?,
        next: None,
    }))
}

/// Download a finished export as a ZIP (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/exports/{export}/download", tag = "orgs",
    params(("org" = String, Path), ("export" = String, Path)), responses(
    (status = 200, description = "The ZIP, streamed", content_type = "application/zip", body = Vec<u8>),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such export", body = ErrorBody),
    (status = 409, description = "The export is not finished", body = ErrorBody)))]
async fn download_export(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, export_id)): Path<(String, String)>,
) -> Result<Response> {
    require_owner_or_admin(&state, &user, &org_id).await?;
    let export = store::find(&state.db, &org_id, &export_id)
        .await?
        .ok_or(ApiError::NotFound("export"))?;
    if export.state != OrgExportState::Done {
        return Err(ApiError::conflict(
            "export_not_ready",
            "the export is not finished",
        ));
    }
    let bytes = state
        .files
        .store
        .read(&archive::export_key(&org_id, &export_id), None)
        .await
        .map_err(|error| match error {
            crate::files::storage::StorageError::NotFound => ApiError::NotFound("export"),
            other => ApiError::internal(other),
        })?;
    let event = Event::new(EXPORT_DOWNLOADED, Some(user.id()))
        .org(&org_id)
        .target("org_export", &export_id);
    state.writes.audit(&event, &client).await?;
    let mut response = Body::from_stream(bytes).into_response();
    let headers = response.headers_mut();
    let name = format!("atrium-export-{}.zip", export.created_at);
    crate::http::download::attachment(headers, "application/zip", &name);
    if let Some(size) = export.size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    Ok(response)
}
