//! `/api/v1/auth/*` and `/api/v1/me/*` handlers: sign-up, log-in and out, the caller's
//! profile, sessions and API tokens, and TOTP.
//!
//! Log-in answers an unknown e-mail address exactly as a wrong password (same status, body,
//! and work: a dummy hash is verified), and failures back off per client address and per
//! address + account ([`super::throttle`]); a throttled owner gets an unlock link
//! ([`super::unlock`]).

use std::sync::OnceLock;

use atrium_client::wire::{
    CreateTokenRequest, CreatedToken, ErrorBody, LoginRequest, LoginResponse, Me, Page,
    PasswordConfirmation, RecoveryCodes, SignupRequest, SignupResponse, TokenInfo, TotpCode,
    TotpEnrolment,
};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{
    CredentialSource, CurrentUser, SESSION_IDLE_MS, clear_session_cookie_header,
    session_cookie_header,
};
use super::scopes::TokenGrant;
use super::store::{self, NewToken};
use super::throttle::{self, Keys, Throttle};
use super::tokens::{self, TokenKind};
use super::{totp, unlock, verify};
use crate::audit::{Event, action};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::users::model::{NewUser, normalize_email};
use crate::users::{password, store as user_store};

/// Routes that take credentials: rate limited per client address.
pub fn credential_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(totp_confirm))
        .merge(super::password_change::router())
}

/// The other authentication routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(totp_begin, totp_disable))
}

/// Create an account. The handle is derived from the e-mail address when not given. A link
/// to verify the address is e-mailed to it.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest, responses(
    (status = 201, description = "The account was created; a verification link is on its way", body = SignupResponse),
    (status = 400, description = "The body is not JSON of the expected shape", body = ErrorBody),
    (status = 409, description = "The e-mail address or handle is taken", body = ErrorBody),
    (status = 413, description = "The body is too large", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
async fn signup(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<SignupRequest>,
) -> Result<(StatusCode, Json<SignupResponse>)> {
    let new_user = NewUser::validate(
        &body.email,
        &body.name,
        body.handle.as_deref(),
        &body.password,
    )?;
    let hash = hash_off_thread(new_user.password.clone()).await?;
    let user = user_store::create(&state.db, &new_user, &hash, false).await?;
    let mut work = state.writes.begin().await?;
    verify::send_link(&mut work, &state.config, &user).await?;
    let event = Event::new(action::SIGNUP, Some(&user.id)).target("user", &user.id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    tracing::info!(user_id = %user.id, "user signed up");
    Ok((StatusCode::CREATED, Json(SignupResponse { user })))
}

/// Log in with e-mail and password (and a TOTP or recovery code when two-factor
/// authentication is on). Sets the session cookie and returns the same token for programs.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in; the session cookie is set", body = LoginResponse),
    (status = 401, description = "`invalid_credentials` (the same for unknown addresses), `totp_required` or `invalid_totp`", body = ErrorBody),
    (status = 429, description = "Held back after failed log-ins from this address (`login_throttled`, with Retry-After), or too many attempts", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<LoginRequest>,
) -> Result<Response> {
    let email = normalize_email(&body.email);
    let keys = Keys::new(client.ip, &email);
    let credentials = store::credentials_by_email(&state.db, &email).await?;
    // A live unlock link of this very account lets its holder past the throttles.
    let unlock_token = match (&credentials, body.unlock.as_deref().map(str::trim)) {
        (Some(c), Some(token)) if !token.is_empty() => store::live_unlock(&state.db, token)
            .await?
            .filter(|(user_id, _)| *user_id == c.user.id)
            .map(|_| token.to_owned()),
        _ => None,
    };
    if unlock_token.is_none()
        && let Some(wait) = throttle::blocked(&state.db, &keys).await?
    {
        if let Some(c) = &credentials {
            unlock::offer(&state, c.user.clone(), client.clone());
        }
        return Err(throttle::refusal(wait));
    }

    // Unknown addresses are checked against a dummy hash, so they take as long as known ones.
    let stored_hash = credentials
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |c| c.password_hash.clone());
    let password_ok = verify_off_thread(body.password.clone(), stored_hash).await?;
    let user_id = credentials.as_ref().map(|c| c.user.id.clone());
    let Some(credentials) = credentials.filter(|_| password_ok) else {
        let failure = Failure {
            action: action::LOGIN_FAILURE,
            user_id: user_id.as_deref(),
            email: &email,
            factor: "password",
            keys: &keys,
            unlock: unlock_token.as_deref(),
        };
        record_failure(&state, &failure, &client).await?;
        return Err(ApiError::AuthFailed {
            code: "invalid_credentials",
            message: "wrong e-mail address or password".to_owned(),
        });
    };
    let failure = |factor| Failure {
        action: action::LOGIN_FAILURE,
        user_id: Some(&credentials.user.id),
        email: &email,
        factor,
        keys: &keys,
        unlock: unlock_token.as_deref(),
    };

    let mut recovery_code = None;
    if let Some(secret) = &credentials.totp_secret {
        let Some(code) = body
            .totp
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        else {
            return Err(ApiError::AuthFailed {
                code: "totp_required",
                message: "enter the code from your authenticator app".to_owned(),
            });
        };
        if totp::looks_like_code(code) {
            // A code counts once: its step must be later than the last one used.
            let fresh = match totp::verify(secret, code) {
                Some(step) => store::use_totp_step(&state.db, &credentials.user.id, step).await?,
                None => false,
            };
            if !fresh {
                record_failure(&state, &failure("totp"), &client).await?;
                return Err(invalid_totp());
            }
        } else {
            recovery_code = Some(code.to_owned());
        }
    }

    let now = now_ms();
    let mut work = state.writes.begin().await?;
    if let Some(code) = &recovery_code
        && !store::consume_recovery_code(work.tx(), &credentials.user.id, code).await?
    {
        drop(work);
        record_failure(&state, &failure("recovery_code"), &client).await?;
        return Err(invalid_totp());
    }
    throttle::succeeded(work.tx(), &keys).await?;
    if let Some(token) = &unlock_token {
        // Spent by this log-in; the owner is in, so the account's throttles go everywhere.
        store::spend_unlock(work.tx(), token).await?;
        throttle::lift_account(work.tx(), &email).await?;
    }
    let secret = tokens::generate(TokenKind::Session);
    let session = store::insert_token(
        work.tx(),
        &NewToken {
            user_id: &credentials.user.id,
            kind: TokenKind::Session,
            name: client.user_agent.as_deref().unwrap_or("session"),
            secret: &secret,
            expires_at: Some(now + SESSION_IDLE_MS),
            ip: client.ip_text(),
            user_agent: client.user_agent.clone(),
            grant: &TokenGrant::default(),
        },
    )
    .await?;
    let second_factor = if recovery_code.is_some() {
        "recovery_code"
    } else if credentials.totp_secret.is_some() {
        "totp"
    } else {
        "none"
    };
    let event = Event::new(action::LOGIN_SUCCESS, Some(&credentials.user.id))
        .target("session", &session.id)
        .change(
            None::<()>,
            Some(serde_json::json!({
                "second_factor": second_factor,
                "unlock": unlock_token.is_some(),
            })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;

    let cookie = session_cookie_header(&secret, state.config.public_url().starts_with("https://"));
    let mut response = Json(LoginResponse {
        user: credentials.user,
        token: secret,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

fn invalid_totp() -> ApiError {
    ApiError::AuthFailed {
        code: "invalid_totp",
        message: "the code is wrong or has expired".to_owned(),
    }
}

/// A failed log-in attempt, or a wrong current password given to change it (which guesses
/// the password just as well, so it counts the same).
pub(super) struct Failure<'a> {
    /// What the audit log calls it: `login.failure` or `password.change_rejected`.
    pub action: &'static str,
    /// The account, when the address has one.
    pub user_id: Option<&'a str>,
    /// The typed (normalised) address.
    pub email: &'a str,
    /// What was wrong: `password`, `totp` or `recovery_code`.
    pub factor: &'a str,
    pub keys: &'a Keys,
    /// The live unlock token the attempt carried.
    pub unlock: Option<&'a str>,
}

/// Counts a failed log-in against the throttles (and the unlock token it carried), and
/// records it in the audit log, with any back-off it started. Unknown and known addresses
/// take the same path.
pub(super) async fn record_failure(
    state: &AppState,
    failure: &Failure<'_>,
    client: &ClientInfo,
) -> Result<()> {
    let blocks = throttle::record_failure(
        &state.db,
        &Throttle::from_config(&state.config),
        failure.keys,
    )
    .await?;
    if let Some(token) = failure.unlock {
        store::unlock_failed(&state.db, token, unlock::MAX_FAILURES).await?;
    }
    let details = serde_json::json!({ "email": failure.email, "factor": failure.factor });
    let event = Event::new(failure.action, failure.user_id).change(None::<()>, Some(details));
    let event = match failure.user_id {
        Some(id) => event.target("user", id),
        None => event,
    };
    state.writes.audit(&event, client).await?;
    for block in blocks {
        let details = serde_json::json!({
            "email": failure.email,
            "scope": block.scope.name(),
            "failures": block.failures,
            "wait_secs": block.wait.as_secs(),
        });
        let event =
            Event::new(action::LOGIN_THROTTLED, failure.user_id).change(None::<()>, Some(details));
        state.writes.audit(&event, client).await?;
    }
    Ok(())
}

/// End the current session (or revoke the session token used).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses(
    (status = 204, description = "Logged out; the cookie is cleared"),
    (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
) -> Result<Response> {
    if user.token_kind == "session" {
        let mut work = state.writes.begin().await?;
        // Sockets opened with this session close, on every node.
        store::revoke_token(&mut work, user.id(), &user.token_id, TokenKind::Session).await?;
        let event = Event::new(action::LOGOUT, Some(user.id())).target("session", &user.token_id);
        work.audit(&event, &client).await?;
        work.commit().await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if user.source == CredentialSource::Cookie {
        let cookie = clear_session_cookie_header(state.config.public_url().starts_with("https://"));
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

/// The current user, with their organisations and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses(
    (status = 200, description = "The caller", body = Me),
    (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Me>> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let mut orgs = crate::orgs::store::memberships(&state.db, user.id()).await?;
    orgs.retain(|org| user.grant.sees_org(&org.id));
    for org in &mut orgs {
        (org.roles, org.can) = crate::authz::org_view(&state.db, user.id(), &org.id).await?;
    }
    let avatar_url = user_store::avatar_version(&state.db, user.id())
        .await?
        .map(|version| crate::users::avatar::avatar_url(user.id(), &version));
    Ok(Json(Me {
        user: user.user,
        email_verified: credentials.email_verified_at.is_some(),
        totp_enabled: credentials.totp_secret.is_some(),
        orgs,
        avatar_url,
    }))
}

/// Create a named API token. Its secret is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = CreateTokenRequest, responses(
    (status = 201, description = "The token, with its secret", body = CreatedToken),
    (status = 404, description = "No such organisation or project (of the caller's)", body = ErrorBody),
    (status = 422, description = "Invalid name, expiry or scopes", body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "name",
            "must be 1 to 100 characters",
        ));
    }
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now_ms() + i64::from(days) * 24 * 3600 * 1000),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "expires_in_days",
                "must be between 1 and 3650",
            ));
        }
    };
    let grant = super::org_tokens::requested_grant(&state, &user, &body).await?;
    let secret = tokens::generate(TokenKind::Api);
    let mut work = state.writes.begin().await?;
    let info = store::insert_token(
        work.tx(),
        &NewToken {
            user_id: user.id(),
            kind: TokenKind::Api,
            name,
            secret: &secret,
            expires_at,
            ip: client.ip_text(),
            user_agent: client.user_agent.clone(),
            grant: &grant,
        },
    )
    .await?;
    let mut event = Event::new(action::TOKEN_CREATED, Some(user.id()))
        .target("token", &info.id)
        .change(None::<()>, Some(&info));
    if let Some(org) = &grant.org_id {
        // The org's admins see its integration tokens made in its audit log.
        event = event.org(org);
    }
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info,
            token: secret,
        }),
    ))
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, description = "Live API tokens", body = Page<TokenInfo>)))]
async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Page<TokenInfo>>> {
    let items = store::list_tokens(&state.db, user.id(), TokenKind::Api).await?;
    Ok(Json(Page { items, next: None }))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{token}", tag = "auth", params(("token" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such live token", body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(token_id): Path<String>,
) -> Result<StatusCode> {
    revoke(
        &state,
        &user,
        &client,
        &token_id,
        TokenKind::Api,
        action::TOKEN_REVOKED,
    )
    .await
}

/// The caller's active browser sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", responses((status = 200, description = "Active sessions", body = Page<TokenInfo>)))]
async fn list_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Page<TokenInfo>>> {
    let mut items = store::list_tokens(&state.db, user.id(), TokenKind::Session).await?;
    for item in &mut items {
        item.current = item.id == user.token_id;
    }
    Ok(Json(Page { items, next: None }))
}

/// End one of the caller's sessions (e.g. on a lost device).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session}", tag = "auth", params(("session" = String, Path, description = "Session id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such session", body = ErrorBody)))]
async fn revoke_session(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(session_id): Path<String>,
) -> Result<StatusCode> {
    revoke(
        &state,
        &user,
        &client,
        &session_id,
        TokenKind::Session,
        action::SESSION_REVOKED,
    )
    .await
}

async fn revoke(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientInfo,
    token_id: &str,
    kind: TokenKind,
    what: &str,
) -> Result<StatusCode> {
    let mut work = state.writes.begin().await?;
    // Sockets opened with the revoked credential close, on every node.
    if !store::revoke_token(&mut work, user.id(), token_id, kind).await? {
        return Err(ApiError::NotFound("token"));
    }
    let event = Event::new(what, Some(user.id())).target(kind.stored_name(), token_id);
    work.audit(&event, client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begin TOTP enrolment: a new secret to add to an authenticator app, then confirm a code.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth", responses(
    (status = 200, description = "The secret and its otpauth URL", body = TotpEnrolment),
    (status = 409, description = "Two-factor authentication is already on", body = ErrorBody)))]
async fn totp_begin(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
) -> Result<Json<TotpEnrolment>> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if credentials.totp_secret.is_some() {
        return Err(ApiError::conflict(
            "totp_enabled",
            "two-factor authentication is already on; disable it first",
        ));
    }
    let secret = totp::new_secret();
    let otpauth_url = totp::otpauth_url(&secret, &user.user.email)
        .ok_or_else(|| ApiError::internal("TOTP secret rejected"))?;
    let mut work = state.writes.begin().await?;
    store::set_pending_totp(work.tx(), user.id(), &secret).await?;
    work.audit(
        &Event::new(action::TOTP_ENROLMENT_STARTED, Some(user.id())),
        &client,
    )
    .await?;
    work.commit().await?;
    Ok(Json(TotpEnrolment {
        secret,
        otpauth_url,
    }))
}

/// Confirm enrolment with a current code: two-factor authentication is on, and recovery codes
/// are returned (once).
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", request_body = TotpCode, responses(
    (status = 200, description = "Enabled", body = RecoveryCodes),
    (status = 401, description = "Wrong code (`invalid_totp`)", body = ErrorBody),
    (status = 409, description = "No enrolment in progress", body = ErrorBody)))]
async fn totp_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<TotpCode>,
) -> Result<Json<RecoveryCodes>> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let Some(secret) = credentials.totp_pending_secret else {
        return Err(ApiError::conflict(
            "no_totp_enrolment",
            "begin enrolment with POST /api/v1/me/totp first",
        ));
    };
    let Some(step) = totp::verify(&secret, &body.code) else {
        state
            .writes
            .audit(&Event::new(action::TOTP_REJECTED, Some(user.id())), &client)
            .await?;
        return Err(invalid_totp());
    };
    let codes = tokens::recovery_codes();
    let mut work = state.writes.begin().await?;
    store::enable_totp(work.tx(), user.id(), &secret, step, &codes).await?;
    work.audit(&Event::new(action::TOTP_ENABLED, Some(user.id())), &client)
        .await?;
    work.commit().await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turn two-factor authentication off; needs the account password.
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "auth", request_body = PasswordConfirmation, responses(
    (status = 204, description = "Disabled"),
    (status = 403, description = "Wrong password", body = ErrorBody)))]
async fn totp_disable(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<PasswordConfirmation>,
) -> Result<StatusCode> {
    let credentials = store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !verify_off_thread(body.password, credentials.password_hash).await? {
        state
            .writes
            .audit(&Event::new(action::TOTP_REJECTED, Some(user.id())), &client)
            .await?;
        return Err(ApiError::Forbidden("the password is wrong".to_owned()));
    }
    let mut work = state.writes.begin().await?;
    store::disable_totp(work.tx(), user.id()).await?;
    work.audit(&Event::new(action::TOTP_DISABLED, Some(user.id())), &client)
        .await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// argon2 costs tens of milliseconds of CPU: keep it off the async workers (see
/// [`password::run`]).
pub(crate) async fn hash_off_thread(password: String) -> Result<String> {
    password::run(move || password::hash(&password))
        .await
        .ok_or_else(|| ApiError::internal("the hashing thread failed"))?
        .map_err(|e| ApiError::internal(e.to_string()))
}

pub(crate) async fn verify_off_thread(password: String, hash: String) -> Result<bool> {
    password::run(move || password::verify(&password, &hash))
        .await
        .ok_or_else(|| ApiError::internal("the hashing thread failed"))
}

/// A hash of a random password, checked when the e-mail address is unknown.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        password::hash(&tokens::generate(TokenKind::Session)).expect("hashing works")
    })
}
