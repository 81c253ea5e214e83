//! `PATCH /api/v1/me` (profile) and `/api/v1/me/notification-settings`.

use atrium_client::wire::{ErrorBody, NotificationSettings, UpdateProfileRequest, User};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{check_handle, check_name};
use super::store;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::http::extract::Json;
use crate::state::AppState;

/// The profile routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_profile))
        .routes(routes!(
            get_notification_settings,
            put_notification_settings
        ))
}

/// Change your display name or @mention handle.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", request_body = UpdateProfileRequest, responses(
    (status = 200, description = "The updated user", body = User),
    (status = 409, description = "The handle is taken", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<UpdateProfileRequest>,
) -> Result<Json<User>> {
    let mut updated = user.user;
    let mut fields = std::collections::BTreeMap::new();
    if let Some(name) = &body.name {
        updated.name = name.trim().to_owned();
        if let Err(why) = check_name(&updated.name) {
            fields.insert("name".to_owned(), why);
        }
    }
    if let Some(handle) = &body.handle {
        updated.handle = handle.trim().trim_start_matches('@').to_lowercase();
        if let Err(why) = check_handle(&updated.handle) {
            fields.insert("handle".to_owned(), why);
        }
    }
    if !fields.is_empty() {
        return Err(ApiError::Validation(fields));
    }
    store::update_profile(&state.db, &updated.id, &updated.name, &updated.handle).await?;
    Ok(Json(updated))
}

/// Your account-wide notification settings.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications", responses(
    (status = 200, description = "Settings", body = NotificationSettings)))]
async fn get_notification_settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<NotificationSettings>> {
    Ok(Json(NotificationSettings {
        email_digest: store::email_digest(&state.db, user.id()).await?,
    }))
}

/// Change your account-wide notification settings.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications", request_body = NotificationSettings, responses(
    (status = 200, description = "Saved", body = NotificationSettings)))]
async fn put_notification_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NotificationSettings>,
) -> Result<Json<NotificationSettings>> {
    store::set_email_digest(&state.db, user.id(), body.email_digest).await?;
    Ok(Json(body))
}
