//! `/api/v1/auth/*` handlers.

use atrium_client::wire::{SignupRequest, SignupResponse};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::http::extract::Json;
use crate::state::AppState;
use crate::users::model::NewUser;
use crate::users::{password, store};

/// The auth routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(signup))
}

/// Create an account. The handle is derived from the e-mail address when not given.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest, responses(
    (status = 201, description = "The account was created", body = SignupResponse),
    (status = 400, description = "The body is not JSON of the expected shape", body = atrium_client::wire::ErrorBody),
    (status = 409, description = "The e-mail address or handle is taken", body = atrium_client::wire::ErrorBody),
    (status = 413, description = "The body is too large", body = atrium_client::wire::ErrorBody),
    (status = 422, description = "Invalid fields", body = atrium_client::wire::ErrorBody)))]
async fn signup(
    State(state): State<AppState>,
    Json(body): Json<SignupRequest>,
) -> Result<(StatusCode, Json<SignupResponse>)> {
    let new_user = NewUser::validate(
        &body.email,
        &body.name,
        body.handle.as_deref(),
        &body.password,
    )?;
    let hash = hash_off_thread(new_user.password.clone()).await?;
    let user = store::create(&state.db, &new_user, &hash).await?;
    tracing::info!(user_id = %user.id, "user signed up");
    Ok((StatusCode::CREATED, Json(SignupResponse { user })))
}

/// argon2 costs tens of milliseconds of CPU: keep it off the async workers.
async fn hash_off_thread(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(e.to_string()))
}
