//! Password reset: request a link by e-mail, then set a new password with its token.
//!
//! Only the newest link of a user works: asking for a new one, or using one, ends all the
//! others. A reset signs the user out everywhere (every session and API token is revoked),
//! lifts the account's log-in throttles, and verifies the e-mail address, since the link
//! reached it. On an account whose address was never verified it also turns two-factor
//! authentication off: whoever set it up never proved they hold the address, and may be
//! someone who registered it before its owner did.

use std::time::Duration;

use atrium_client::wire::{ErrorBody, PasswordResetConfirm, PasswordResetRequest};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::routes::hash_off_thread;
use super::store::{self, ResetRejection};
use super::throttle;
use super::tokens::{self, TokenKind};
use crate::audit::{Event, action};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::Json;
use crate::mail;
use crate::state::AppState;
use crate::users::model::{check_password_for, normalize_email};

/// How long a reset link works.
const RESET_VALIDITY: Duration = Duration::from_secs(60 * 60);

/// The password-reset routes (rate limited with the other credential routes).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

/// Ask for a password-reset e-mail. Always 202, whether or not the address has an account,
/// so the answer does not reveal who has one. Earlier links of the account stop working.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest, responses(
    (status = 202, description = "If the address has an account, a reset link is on its way"),
    (status = 429, description = "Too many attempts", body = ErrorBody)))]
async fn request_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<PasswordResetRequest>,
) -> Result<StatusCode> {
    let email = normalize_email(&body.email);
    let Some(credentials) = store::credentials_by_email(&state.db, &email).await? else {
        return Ok(StatusCode::ACCEPTED);
    };
    let user = credentials.user;
    let secret = tokens::generate(TokenKind::PasswordReset);
    let validity_ms = i64::try_from(RESET_VALIDITY.as_millis()).unwrap_or(i64::MAX);
    let public_url = state.config.public_url();
    let message = mail::templates::password_reset(&mail::templates::AccountLink {
        public_url: &public_url,
        to: &user.email,
        name: &user.name,
        token: &secret,
        valid_for: RESET_VALIDITY,
    });
    let mut work = state.writes.begin().await?;
    store::invalidate_password_resets(work.tx(), &user.id).await?;
    store::insert_password_reset(work.tx(), &user.id, &secret, now_ms() + validity_ms).await?;
    mail::outbox::enqueue(&mut work, None, &message)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let event =
        Event::new(action::PASSWORD_RESET_REQUESTED, Some(&user.id)).target("user", &user.id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from the e-mail. The token works once and ends the
/// account's other links; every session and API token of the account is revoked.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm, responses(
    (status = 204, description = "The password is changed; log in again"),
    (status = 400, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
    (status = 422, description = "The new password is not acceptable", body = ErrorBody)))]
async fn confirm_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<PasswordResetConfirm>,
) -> Result<StatusCode> {
    let mut work = state.writes.begin().await?;
    let user_id = match store::consume_password_reset(work.tx(), body.token.trim()).await? {
        Ok(user_id) => user_id,
        Err((rejection, user_id)) => {
            drop(work);
            let reason = match rejection {
                ResetRejection::Unknown => "unknown",
                ResetRejection::Used => "used",
                ResetRejection::Expired => "expired",
            };
            let event = Event::new(action::PASSWORD_RESET_REJECTED, user_id.as_deref())
                .change(None::<()>, Some(serde_json::json!({ "reason": reason })));
            state.writes.audit(&event, &client).await?;
            return Err(ApiError::bad_request(
                "invalid_token",
                "this reset link is invalid, used or expired; ask for a new one",
            ));
        }
    };
    let credentials = store::credentials_by_id(&state.db, &user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    check_password_for(
        &body.password,
        &credentials.user.email,
        &credentials.user.name,
    )
    .map_err(|why| ApiError::invalid_field("password", why))?;
    let hash = hash_off_thread(body.password).await?;
    store::set_password(work.tx(), &user_id, &hash).await?;
    store::invalidate_password_resets(work.tx(), &user_id).await?;
    // Every socket of the user closes, on every node.
    let revoked = store::revoke_all_tokens(&mut work, &user_id).await?;
    throttle::lift_account(work.tx(), &credentials.user.email).await?;
    let was_verified = credentials.email_verified_at.is_some();
    store::mark_email_verified(work.tx(), &user_id, &credentials.user.email).await?;
    // A second factor enrolled on an address nobody had proven is not the owner's.
    let totp_dropped = !was_verified && credentials.totp_secret.is_some();
    if totp_dropped {
        store::disable_totp(work.tx(), &user_id).await?;
    }
    let event = Event::new(action::PASSWORD_RESET_COMPLETED, Some(&user_id))
        .target("user", &user_id)
        .change(
            None::<()>,
            Some(serde_json::json!({
                "tokens_revoked": revoked,
                "email_verified": !was_verified,
                "totp_disabled": totp_dropped,
            })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
