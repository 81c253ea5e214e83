//! `POST /api/v1/me/password`: the owner changes the password, knowing the current one.
//!
//! A wrong current password is a password guess like a wrong one at log-in: it counts against
//! the same throttles ([`super::throttle`], per client address and per address + account) and
//! is refused with 429 while they hold. The new password follows the sign-up rules
//! ([`check_password_for`]) and is hashed by the same hasher. A change signs out every other
//! session of the account (their sockets close too) and spends its outstanding password-reset
//! and unlock links, each of which would otherwise still open the account; the session making
//! the change stays, and so do API tokens, which the owner made one by one and can revoke in
//! settings. The account's address is told by e-mail, without a link that logs in.

use atrium_client::wire::{ErrorBody, PasswordChange};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CurrentUser;
use super::routes::{Failure, hash_off_thread, record_failure, verify_off_thread};
use super::store;
use super::throttle::{self, Keys};
use super::tokens::TokenKind;
use crate::audit::{Event, action};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::Json;
use crate::mail;
use crate::state::AppState;
use crate::users::model::check_password_for;

/// The route (rate limited with the other credential routes).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(change_password))
}

/// Change your password. Every other session of the account is signed out; this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange, responses(
    (status = 204, description = "The password is changed; the other sessions are signed out"),
    (status = 400, description = "The body is not JSON of the expected shape", body = ErrorBody),
    (status = 401, description = "Not logged in", body = ErrorBody),
    (status = 403, description = "A scoped API token cannot change its user's password", body = ErrorBody),
    (status = 413, description = "The body is too large", body = ErrorBody),
    (status = 422, description = "`current` is wrong, or the new `password` is not acceptable", body = ErrorBody),
    (status = 429, description = "Held back after failed log-ins or wrong current passwords from this address (`login_throttled`, with Retry-After)", body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let email = credentials.user.email.clone();
    let keys = Keys::new(client.ip, &email);
    if let Some(wait) = throttle::blocked(&state.db, &keys).await? {
        return Err(throttle::refusal(wait));
    }
    if !verify_off_thread(body.current.clone(), credentials.password_hash).await? {
        let failure = Failure {
            action: action::PASSWORD_CHANGE_REJECTED,
            user_id: Some(user.id()),
            email: &email,
            factor: "password",
            keys: &keys,
            unlock: None,
        };
        record_failure(&state, &failure, &client).await?;
        return Err(ApiError::invalid_field("current", "the password is wrong"));
    }
    check_password_for(&body.password, &email, &credentials.user.name)
        .map_err(|why| ApiError::invalid_field("password", why))?;
    if body.password == body.current {
        return Err(ApiError::invalid_field(
            "password",
            "must differ from the current password",
        ));
    }

    let hash = hash_off_thread(body.password).await?;
    // The calling session stays; an API token calling (unscoped) keeps no session.
    let keep = if user.token_kind == TokenKind::Session.stored_name() {
        user.token_id.as_str()
    } else {
        ""
    };
    let now = now_ms();
    let ip = client.ip_text();
    let mut work = state.writes.begin().await?;
    store::set_password(work.tx(), user.id(), &hash).await?;
    // Sockets opened with the revoked sessions close, on every node.
    let sessions_ended = store::revoke_other_sessions(&mut work, user.id(), keep).await?;
    let resets_ended = store::invalidate_password_resets(work.tx(), user.id()).await?;
    let unlocks_ended = store::spend_unlocks(work.tx(), user.id()).await?;
    throttle::succeeded(work.tx(), &keys).await?;
    let notice = mail::templates::password_changed(&mail::templates::PasswordChanged {
        public_url: &state.config.public_url(),
        to: &email,
        name: &credentials.user.name,
        at: now,
        ip: ip.as_deref(),
        sessions_ended,
    });
    mail::outbox::enqueue(&mut work, None, &notice)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let event = Event::new(action::PASSWORD_CHANGED, Some(user.id()))
        .target("user", user.id())
        .change(
            None::<()>,
            Some(serde_json::json!({
                "sessions_revoked": sessions_ended,
                "reset_links_ended": resets_ended,
                "unlock_links_ended": unlocks_ended,
            })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    tracing::info!(user_id = %user.id(), sessions_ended, "password changed");
    Ok(StatusCode::NO_CONTENT)
}
