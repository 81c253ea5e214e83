//! `PATCH /api/v1/me` (profile) and `/api/v1/me/notification-settings`.

use atrium_client::wire::{ErrorBody, NotificationSettings, UpdateProfileRequest, User, UserRef};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{check_handle, check_name};
use super::store;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
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
        .merge(super::avatar::router())
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
    // Everyone in the user's organisations sees the new name and handle at once.
    let orgs = crate::orgs::store::memberships(&state.db, &updated.id).await?;
    let mut work = state.writes.begin().await?;
    store::update_profile(work.tx(), &updated.id, &updated.name, &updated.handle).await?;
    // Requests carry the user's name and handle: this node forgets the remembered ones.
    work.user_changed(&updated.id);
    let profile = UserRef {
        id: updated.id.clone(),
        handle: updated.handle.clone(),
        name: updated.name.clone(),
    };
    for org in orgs {
        work.emit(NewEvent::new(
            &org.id,
            Audience::Org(org.id.clone()),
            "user.updated",
            &profile,
        ));
    }
    work.commit().await?;
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
