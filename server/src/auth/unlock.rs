//! Unlock links: the way in for an owner whom the log-in throttles hold back.
//!
//! When a log-in to an existing account is refused by a throttle, the account's address gets
//! an e-mail (at most one per [`MAIL_INTERVAL`]) with a single-use link to `/unlock?token=…`.
//! Opening it (`POST /api/v1/auth/unlock`) lifts the account's throttles at every address, and
//! a log-in that carries the token as `unlock` passes the throttles that still hold at the
//! owner's address (one shared with the attacker, say). Only the mailbox's holder has the
//! token, so it lets nobody else through; a few wrong passwords with it spend it.

use std::time::Duration;

use atrium_client::wire::{ErrorBody, LinkToken, Unlocked, User};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use super::throttle;
use super::tokens::{self, TokenKind};
use crate::audit::{Event, action};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::Json;
use crate::mail;
use crate::state::AppState;

/// How long an unlock link works.
pub const VALIDITY: Duration = Duration::from_secs(60 * 60);
/// At most one unlock e-mail per account this often, however many attempts are refused.
pub const MAIL_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Wrong passwords tried with one unlock token before it stops working.
pub const MAX_FAILURES: i64 = 5;

/// The unlock route (rate limited with the other credential routes).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(unlock))
}

/// Open an unlock link: the account's log-in throttles are lifted at every address. Log in
/// with the same token as `unlock` to pass a throttle on the client's address too.
#[utoipa::path(post, path = "/api/v1/auth/unlock", tag = "auth", request_body = LinkToken, responses(
    (status = 200, description = "Lifted; the account's e-mail address, for the log-in form", body = Unlocked),
    (status = 400, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
async fn unlock(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<LinkToken>,
) -> Result<Json<Unlocked>> {
    let Some((user_id, email)) = store::live_unlock(&state.db, body.token.trim()).await? else {
        return Err(ApiError::bad_request(
            "invalid_token",
            "this unlock link is invalid, used or expired",
        ));
    };
    let mut work = state.writes.begin().await?;
    throttle::lift_account(work.tx(), &email).await?;
    let event = Event::new(action::LOGIN_UNLOCKED, Some(&user_id)).target("user", &user_id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(Json(Unlocked { email }))
}

/// E-mails `user` an unlock link unless one went out in the current [`MAIL_INTERVAL`]. Runs
/// on its own task: the refused log-in answers at once, in the same time whether or not the
/// account exists. Failures are logged.
pub fn offer(state: &AppState, user: User, client: ClientInfo) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = send(&state, &user, &client).await {
            tracing::warn!(user_id = %user.id, %error, "could not send an unlock link");
        }
    });
}

async fn send(state: &AppState, user: &User, client: &ClientInfo) -> Result<()> {
    let now = now_ms();
    let interval = i64::try_from(MAIL_INTERVAL.as_millis()).unwrap_or(i64::MAX);
    let slot = now.div_euclid(interval);
    let secret = tokens::generate(TokenKind::Unlock);
    let validity = i64::try_from(VALIDITY.as_millis()).unwrap_or(i64::MAX);
    let public_url = state.config.public_url();
    let message = mail::templates::login_unlock(&mail::templates::AccountLink {
        public_url: &public_url,
        to: &user.email,
        name: &user.name,
        token: &secret,
        valid_for: VALIDITY,
    });
    let mut work = state.writes.begin().await?;
    if !store::insert_unlock(work.tx(), &user.id, slot, &secret, now + validity).await? {
        return Ok(());
    }
    mail::outbox::enqueue(&mut work, None, &message)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let event = Event::new(action::LOGIN_UNLOCK_SENT, Some(&user.id)).target("user", &user.id);
    work.audit(&event, client).await?;
    work.commit().await?;
    Ok(())
}
