//! [`CurrentUser`]: the authenticated caller, from a bearer token, the session cookie, or (on
//! WebSocket upgrades only, since browsers cannot set headers there) `?token=`.

use atrium_client::wire::User;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri, header};

use super::csrf;
use super::scopes::TokenGrant;
use super::store::{self, Rejection};
use crate::db::now_ms;
use crate::error::ApiError;
use crate::http::client_info::ClientInfo;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "atrium_session";
/// How long a session lives without use; each use pushes the expiry forward.
pub const SESSION_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;
/// Last-seen times are written at most this often per token, not on every request.
const TOUCH_INTERVAL_MS: i64 = 60 * 1000;

/// Where the credential came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Bearer,
    Cookie,
    Query,
}

impl CredentialSource {
    /// The source's name in audit entries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bearer => "bearer",
            Self::Cookie => "cookie",
            Self::Query => "query",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// The session or API token used.
    pub token_id: String,
    /// `session` or `api`.
    pub token_kind: String,
    pub source: CredentialSource,
    /// What the token is limited to; enforced for every route by [`super::scope_guard`].
    pub grant: TokenGrant,
}

impl CurrentUser {
    /// The user's id.
    pub fn id(&self) -> &str {
        &self.user.id
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<Self>() {
            return Ok(user.clone());
        }
        let (secret, source) =
            presented_credential(&parts.headers, &parts.uri).ok_or(ApiError::Unauthorized)?;
        let remembered = state.writes.credentials();
        let generation = remembered.generation();
        // A socket lives for hours: its credential is looked up when it opens, never
        // remembered, so a socket cannot open on a credential revoked on another node a moment
        // before (sockets are closed on revocation, but only those already open).
        let reused = if is_websocket_upgrade(&parts.headers) {
            None
        } else {
            remembered.get(&secret)
        };
        let (mut authenticated, looked_up) = match reused {
            Some(authenticated) => (authenticated, false),
            None => match store::authenticate(&state.db, &secret).await? {
                Ok(authenticated) => (authenticated, true),
                Err(refusal) => return Err(refuse(parts, state, &secret, source, refusal).await),
            },
        };
        // Only a credential that authenticated gets its own rate-limit bucket.
        state
            .verified_credentials
            .remember(&secret, &authenticated.user.id);
        // A cookie is sent by the browser whichever site asks: a state-changing request or a
        // WebSocket upgrade (which browsers never subject to CORS) must come from a trusted
        // origin. Tokens in a header or the query are not ambient and need no such check.
        if source == CredentialSource::Cookie
            && (!is_safe(&parts.method) || is_websocket_upgrade(&parts.headers))
        {
            csrf::check(&parts.headers, &state.config)?;
        }
        let now = now_ms();
        let mut touched = false;
        if now - authenticated.last_seen_at > TOUCH_INTERVAL_MS {
            let sliding = (authenticated.kind == "session").then_some(now + SESSION_IDLE_MS);
            store::touch_token(&state.db, &authenticated.token_id, sliding).await?;
            authenticated.last_seen_at = now;
            authenticated.expires_at = sliding.or(authenticated.expires_at);
            touched = true;
        }
        // A lookup is reused for a second (see `remembered`); a reuse does not extend it, but
        // it learns of a touch, or the next requests of that second would touch again.
        if looked_up {
            remembered.remember(&secret, &authenticated, generation);
        } else if touched {
            remembered.touched(
                &secret,
                authenticated.last_seen_at,
                authenticated.expires_at,
            );
        }
        let user = Self {
            user: authenticated.user,
            token_id: authenticated.token_id,
            token_kind: authenticated.kind,
            source,
            grant: authenticated.grant,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// Records a refused credential and answers 401.
async fn refuse(
    parts: &Parts,
    state: &AppState,
    secret: &str,
    source: CredentialSource,
    (rejection, user_id): (Rejection, Option<String>),
) -> ApiError {
    state.verified_credentials.forget(secret);
    let reason = match rejection {
        Rejection::Unknown => "unknown",
        Rejection::Revoked => "revoked",
        Rejection::Expired => "expired",
    };
    let client = ClientInfo::from_parts(parts, state.config.trust_proxy);
    // One row per address, reason and window, with a count: a flood of bogus tokens cannot
    // grow the audit log a row per request.
    match state
        .credential_rejections
        .record(reason, source.name(), user_id.as_deref(), &client)
        .await
    {
        Ok(()) => ApiError::Unauthorized,
        Err(error) => error.into(),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request asks to become a WebSocket.
fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// The credential a request presents, in order of precedence: a bearer token, the session
/// cookie, or (on WebSocket upgrades only) `?token=`. Not verified: see [`CurrentUser`].
pub fn presented_credential(headers: &HeaderMap, uri: &Uri) -> Option<(String, CredentialSource)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some((token.trim().to_owned(), CredentialSource::Bearer));
    }
    if let Some(token) = session_cookie(headers) {
        return Some((token, CredentialSource::Cookie));
    }
    if is_websocket_upgrade(headers) {
        let query = uri.query()?;
        let token = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))?;
        return Some((token.to_owned(), CredentialSource::Query));
    }
    None
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
}

/// The `Set-Cookie` value that stores a session.
pub fn session_cookie_header(token: &str, secure: bool) -> String {
    let max_age = SESSION_IDLE_MS / 1000;
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie_header(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}
