//! `/api/v1/orgs/{org}/timesheet-settings`.

use atrium_client::wire::{ErrorBody, TimesheetSettings};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::settings;
use crate::auth::CurrentUser;
use crate::authz::{Action, ResourceKind, Scope, forbidden};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::records::routes::type_access;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// The org's timesheet settings (the defaults until someone saves them).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/timesheet-settings", tag = "records", params(("org" = String, Path)), responses(
    (status = 200, description = "The settings", body = TimesheetSettings),
    (status = 403, description = "The caller's roles cannot read timesheets", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<TimesheetSettings>> {
    let (_, access) = type_access(&state, &user, &org_id, "timesheet").await?;
    if access.scope(Action::Read) == Scope::None {
        return Err(forbidden(Action::Read, ResourceKind::Record));
    }
    Ok(Json(settings::load(&state.db, &org_id).await?))
}

/// Replace the org's timesheet settings (those who may write every timesheet: admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/timesheet-settings", tag = "records", params(("org" = String, Path)), request_body = TimesheetSettings, responses(
    (status = 200, description = "The settings as saved", body = TimesheetSettings),
    (status = 403, description = "The caller's roles cannot manage every timesheet", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Field errors; nothing saved", body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(body): Json<TimesheetSettings>,
) -> Result<Json<TimesheetSettings>> {
    let (_, access) = type_access(&state, &user, &org_id, "timesheet").await?;
    if access.scope(Action::Write) != Scope::All {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    let errors = settings::check(&body);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut work = state.writes.begin().await?;
    settings::save(work.tx(), &org_id, user.id(), &body).await?;
    work.commit().await?;
    Ok(Json(body))
}
