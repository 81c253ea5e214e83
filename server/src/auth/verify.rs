//! E-mail verification: a single-use, expiring link e-mailed at sign-up and on request
//! (`POST /api/v1/me/verify-email`), confirmed with `POST /api/v1/auth/verify-email`.
//!
//! Confirming needs the session of the account the link was sent for. Otherwise someone who
//! registered another person's address first would only need that person to click the link
//! ("what is this?") to hold a verified account with their address, and with it the
//! invitations sent to it.

use std::time::Duration;

use atrium_client::wire::{EmailVerified, ErrorBody, LinkToken, User};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CurrentUser;
use super::store;
use super::tokens::{self, TokenKind};
use crate::audit::{Event, action};
use crate::config::Config;
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::Json;
use crate::mail;
use crate::state::AppState;
use crate::write::UnitOfWork;

/// How long a verification link works.
pub const VALIDITY: Duration = Duration::from_secs(48 * 3600);
/// A new link may be asked for this long after the previous one.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(60);

/// `POST /api/v1/auth/verify-email` (rate limited with the other credential routes).
pub fn credential_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_email))
}

/// `POST /api/v1/me/verify-email`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(resend))
}

/// Queues a verification e-mail for `user`'s address with `work`; earlier links stop working.
pub async fn send_link(work: &mut UnitOfWork, config: &Config, user: &User) -> Result<()> {
    let secret = tokens::generate(TokenKind::EmailVerification);
    let validity = i64::try_from(VALIDITY.as_millis()).unwrap_or(i64::MAX);
    let public_url = config.public_url();
    let message = mail::templates::email_verification(&mail::templates::AccountLink {
        public_url: &public_url,
        to: &user.email,
        name: &user.name,
        token: &secret,
        valid_for: VALIDITY,
    });
    store::invalidate_email_verifications(work.tx(), &user.id).await?;
    store::insert_email_verification(
        work.tx(),
        &user.id,
        &user.email,
        &secret,
        now_ms() + validity,
    )
    .await?;
    mail::outbox::enqueue(work, None, &message)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(())
}

/// Verify the caller's e-mail address with the token from the e-mailed link. The link works
/// once, only while logged in to the account it was sent for, and only for the address it was
/// sent to.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = LinkToken, responses(
    (status = 200, description = "The address is verified", body = EmailVerified),
    (status = 400, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
    (status = 401, description = "Not logged in: log in to the account the link was sent for", body = ErrorBody),
    (status = 403, description = "The link was sent for another account (`wrong_account`)", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
async fn verify_email(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<LinkToken>,
) -> Result<Json<EmailVerified>> {
    let token = body.token.trim();
    let invalid = || {
        ApiError::bad_request(
            "invalid_token",
            "this verification link is invalid, used or expired; ask for a new one",
        )
    };
    let mut work = state.writes.begin().await?;
    let Some((owner, email)) = store::live_email_verification(work.tx(), token).await? else {
        drop(work);
        let event = Event::new(action::EMAIL_VERIFICATION_REJECTED, Some(user.id()))
            .change(None::<()>, Some(serde_json::json!({ "reason": "invalid" })));
        state.writes.audit(&event, &client).await?;
        return Err(invalid());
    };
    if owner != user.id() {
        drop(work);
        let event = Event::new(action::EMAIL_VERIFICATION_REJECTED, Some(user.id())).change(
            None::<()>,
            Some(serde_json::json!({ "reason": "wrong_account" })),
        );
        state.writes.audit(&event, &client).await?;
        return Err(ApiError::Refused {
            code: "wrong_account",
            message: "this link was sent for another account: log in to that account to verify \
                      its address"
                .to_owned(),
        });
    }
    if !store::consume_email_verification(work.tx(), token).await?
        || !store::mark_email_verified(work.tx(), user.id(), &email).await?
    {
        return Err(invalid());
    }
    store::invalidate_email_verifications(work.tx(), user.id()).await?;
    let event = Event::new(action::EMAIL_VERIFIED, Some(user.id()))
        .target("user", user.id())
        .change(None::<()>, Some(serde_json::json!({ "email": email })));
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(Json(EmailVerified { email }))
}

/// E-mail a new verification link to the caller's address (earlier links stop working).
#[utoipa::path(post, path = "/api/v1/me/verify-email", tag = "auth", responses(
    (status = 202, description = "A new link is on its way"),
    (status = 401, description = "Not logged in", body = ErrorBody),
    (status = 409, description = "The address is already verified (`already_verified`)", body = ErrorBody),
    (status = 429, description = "A link was sent less than a minute ago (`verification_throttled`)", body = ErrorBody)))]
async fn resend(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
) -> Result<StatusCode> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if credentials.email_verified_at.is_some() {
        return Err(ApiError::conflict(
            "already_verified",
            "your e-mail address is already verified",
        ));
    }
    let interval = i64::try_from(RESEND_INTERVAL.as_millis()).unwrap_or(i64::MAX);
    let last = store::last_email_verification_at(&state.db, user.id()).await?;
    let wait = last.map_or(0, |last| last + interval - now_ms());
    if wait > 0 {
        return Err(ApiError::Throttled {
            code: "verification_throttled",
            message: "a verification link was sent less than a minute ago: check your inbox, \
                      or ask again in a moment"
                .to_owned(),
            retry_after: Duration::from_millis(u64::try_from(wait).unwrap_or(0)),
        });
    }
    let mut work = state.writes.begin().await?;
    send_link(&mut work, &state.config, &user.user).await?;
    let event =
        Event::new(action::EMAIL_VERIFICATION_SENT, Some(user.id())).target("user", user.id());
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::ACCEPTED)
}
