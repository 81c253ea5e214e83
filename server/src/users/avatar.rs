//! Profile pictures: `PUT`/`DELETE /api/v1/me/avatar`, `GET /api/v1/users/{user}/avatar`, and
//! `GET /api/v1/me/avatars` (the pictures of everyone the caller shares an organisation with,
//! so the browser draws them wherever a person appears without asking per person).
//!
//! An upload is the raw image as the request body (no form: one picture, no name to keep).
//! It is read up to [`MAX_UPLOAD_BYTES`] and no further (413 past it), its type is decided by
//! its bytes (415 for anything but PNG, JPEG or WebP), and it is stored re-encoded
//! ([`super::avatar_image`]): nothing is stored when any check fails. A picture is served as
//! `image/png` with `nosniff`, a sandboxing CSP and an `ETag`; its URL carries its version, so
//! a versioned URL may be cached for good. Only people who share an organisation with its
//! owner (and the owner) see it; anyone else gets 404, as if there were none.

use std::time::Duration;

use atrium_client::wire::{AvatarInfo, ErrorBody, UserAvatar, UserRef};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::avatar_image::{self, CONTENT_TYPE, MAX_UPLOAD_BYTES, Refusal};
use super::store;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// How long re-encoding one picture may take.
const DEADLINE: Duration = Duration::from_secs(10);

/// The avatar routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_avatar, delete_avatar))
        .routes(routes!(get_avatar))
        .routes(routes!(list_avatars))
}

/// Where a user's picture of `version` is served.
pub fn avatar_url(user_id: &str, version: &str) -> String {
    format!("/api/v1/users/{user_id}/avatar?v={version}")
}

/// Reads the body up to the limit; one byte more is a 413, with nothing kept.
async fn read_limited(body: Body) -> Result<axum::body::Bytes> {
    axum::body::to_bytes(body, MAX_UPLOAD_BYTES)
        .await
        .map_err(|e| {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad_request("unreadable_body", e.to_string())
            }
        })
}

/// Tells the user's organisations (their open pages redraw the picture).
fn announce(
    work: &mut crate::write::UnitOfWork,
    orgs: &[String],
    user: &CurrentUser,
    url: Option<&str>,
) {
    let profile = UserRef {
        id: user.user.id.clone(),
        handle: user.user.handle.clone(),
        name: user.user.name.clone(),
    };
    let payload = serde_json::json!({
        "id": profile.id, "handle": profile.handle, "name": profile.name, "avatar_url": url,
    });
    for org in orgs {
        work.emit(NewEvent::new(
            org,
            Audience::Org(org.clone()),
            "user.updated",
            &payload,
        ));
    }
}

/// Set your profile picture: the image itself as the body (PNG, JPEG or WebP, at most 2 MiB
/// and 4096 × 4096 pixels). It is stored as a 256 × 256 PNG.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "auth",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The image's bytes; their type is read from them, not from a header"),
    responses(
    (status = 200, description = "Stored", body = AvatarInfo),
    (status = 400, description = "The body could not be read", body = ErrorBody),
    (status = 401, description = "Not logged in", body = ErrorBody),
    (status = 413, description = "Larger than 2 MiB; nothing was stored", body = ErrorBody),
    (status = 415, description = "Not a PNG, JPEG or WebP image; nothing was stored", body = ErrorBody),
    (status = 422, description = "Too many pixels, or an image that cannot be read (`avatar`)", body = ErrorBody)))]
async fn put_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Body,
) -> Result<Json<AvatarInfo>> {
    let bytes = read_limited(body).await?;
    if avatar_image::accepted_format(&bytes).is_none() {
        return Err(ApiError::UnsupportedMediaType(
            Refusal::NotAnImage.to_string(),
        ));
    }
    let png = tokio::time::timeout(
        DEADLINE,
        tokio::task::spawn_blocking(move || avatar_image::normalise(&bytes)),
    )
    .await
    .map_err(|_| ApiError::invalid_field("avatar", "the image took too long to read"))?
    .map_err(ApiError::internal)?
    .map_err(|why| ApiError::invalid_field("avatar", why.to_string()))?;
    let version = hex::encode(&Sha256::digest(&png)[..8]);
    let url = avatar_url(user.id(), &version);
    let orgs: Vec<String> = crate::orgs::store::memberships(&state.db, user.id())
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut work = state.writes.begin().await?;
    store::set_avatar(work.tx(), user.id(), &version, CONTENT_TYPE, &png).await?;
    announce(&mut work, &orgs, &user, Some(&url));
    work.commit().await?;
    Ok(Json(AvatarInfo {
        avatar_url: Some(url),
    }))
}

/// Remove your profile picture (people see your initials again).
#[utoipa::path(delete, path = "/api/v1/me/avatar", tag = "auth", responses(
    (status = 204, description = "Removed (or there was none)"),
    (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn delete_avatar(State(state): State<AppState>, user: CurrentUser) -> Result<StatusCode> {
    let orgs: Vec<String> = crate::orgs::store::memberships(&state.db, user.id())
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut work = state.writes.begin().await?;
    if store::delete_avatar(work.tx(), user.id()).await? {
        announce(&mut work, &orgs, &user, None);
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?v=`: the version the URL was made for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// The picture's version, from its `avatar_url`; when it is the current one the answer
    /// may be cached for good.
    v: Option<String>,
}

/// A person's profile picture (yours, or of someone you share an organisation with).
#[utoipa::path(get, path = "/api/v1/users/{user}/avatar", tag = "auth", params(("user" = String, Path), VersionQuery), responses(
    (status = 200, description = "The picture", content_type = "image/png", body = Vec<u8>),
    (status = 304, description = "Not modified (`If-None-Match`)"),
    (status = 401, description = "Not logged in", body = ErrorBody),
    (status = 404, description = "No picture, or nobody the caller shares an organisation with", body = ErrorBody)))]
async fn get_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(user_id): Path<String>,
    Query(query): Query<VersionQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    if user_id != user.id() && !store::shares_an_org(&state.db, user.id(), &user_id).await? {
        return Err(ApiError::NotFound("avatar"));
    }
    let avatar = store::avatar(&state.db, &user_id)
        .await?
        .ok_or(ApiError::NotFound("avatar"))?;
    let etag = format!("\"{}\"", avatar.version);
    let cache = if query.v.as_deref() == Some(avatar.version.as_str()) {
        // This URL always means these bytes: a new picture gets a new URL.
        "private, max-age=31536000, immutable"
    } else {
        "private, no-cache"
    };
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response_headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&avatar.content_type).map_err(ApiError::internal)?,
    );
    Ok((response_headers, avatar.bytes).into_response())
}

/// The pictures of everyone you share an organisation with (and yours): who has one, and
/// where it is.
#[utoipa::path(get, path = "/api/v1/me/avatars", tag = "auth", responses(
    (status = 200, description = "People with a picture", body = Vec<UserAvatar>),
    (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn list_avatars(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<UserAvatar>>> {
    let versions = store::avatar_versions_seen_by(&state.db, user.id()).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|(user_id, version)| UserAvatar {
                avatar_url: avatar_url(&user_id, &version),
                user_id,
            })
            .collect(),
    ))
}
