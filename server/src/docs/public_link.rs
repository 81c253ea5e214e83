//! Public read-only links to documents.
//!
//! An organisation opts in (`PUT /api/v1/orgs/{org}/doc-sharing`, owners and admins; off by
//! default). Then a document's managers publish it with `POST /api/v1/docs/{doc}/public-link`
//! (`{expires?}`) and get its URL once: 256 random bits of which only a SHA-256 is kept. The
//! page at that URL needs no account: the export's HTML page, rendered from the live document
//! on every request, under a CSP that allows no script, frame, form or outside resource, and
//! marked not to be indexed. It answers 404 once the link is revoked (`DELETE`) or replaced,
//! has expired, the document is in the trash, or the organisation has opted out. Creation and
//! revocation go to the audit log.

use atrium_client::wire::{
    CreatePublicLink, DocSharing, ErrorBody, PublicLinkCreated, PublicLinkInfo, PublicLinkStatus,
};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export::{html_page, rich_text};
use super::public_link_store as store;
use super::routes::doc_for;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::auth::tokens::digest;
use crate::authz::{OrgAction, ProjectAction, require_org};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

const LINK_CREATED: &str = "doc.public_link_created";
const LINK_REVOKED: &str = "doc.public_link_revoked";
const SHARING_CHANGED: &str = "org.doc_sharing_changed";

/// Where public pages live: this prefix and the token.
const PAGE_PREFIX: &str = "/api/v1/public/docs/";

/// What the page allows itself: its own inline style, nothing else (no scripts, images,
/// frames, forms, or being framed).
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                        form-action 'none'; frame-ancestors 'none'";

/// The routes of public links and the org opt-in.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_sharing, set_sharing))
        .routes(routes!(link_status, create_link, revoke_link))
        .routes(routes!(public_page))
}

fn sharing_disabled() -> ApiError {
    ApiError::Refused {
        code: "public_links_disabled",
        message: "public links are turned off for this organisation; an owner or admin can turn \
                  them on in the organisation settings"
            .to_owned(),
    }
}

/// The organisation's document sharing settings (members).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/doc-sharing", tag = "docs", params(("org" = String, Path)), responses(
    (status = 200, description = "The settings", body = DocSharing),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn get_sharing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<DocSharing>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    Ok(Json(DocSharing {
        public_links: store::org_allows(&state.db, &org_id).await?,
    }))
}

/// Turn public document links on or off for the organisation (owners and admins). Turning
/// them off makes every existing link answer 404 (turning them on again revives unexpired
/// ones).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/doc-sharing", tag = "docs", params(("org" = String, Path)), request_body = DocSharing, responses(
    (status = 200, description = "The settings", body = DocSharing),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn set_sharing(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<DocSharing>,
) -> Result<Json<DocSharing>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    let before = store::org_allows(&state.db, &org_id).await?;
    let mut work = state.writes.begin().await?;
    if !store::set_org_allows(work.tx(), &org_id, body.public_links).await? {
        return Err(ApiError::NotFound("organisation"));
    }
    if before != body.public_links {
        let event = Event::new(SHARING_CHANGED, Some(user.id()))
            .org(&org_id)
            .target("org", &org_id)
            .change(
                Some(DocSharing {
                    public_links: before,
                }),
                Some(&body),
            );
        work.audit(&event, &client).await?;
    }
    work.commit().await?;
    Ok(Json(body))
}

/// Whether the document may be published, and its link (readers).
#[utoipa::path(get, path = "/api/v1/docs/{doc}/public-link", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, description = "The link's state", body = PublicLinkStatus),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn link_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<PublicLinkStatus>> {
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let allowed = store::org_allows(&state.db, &doc.org_id).await?;
    let now = now_ms();
    let link = store::find(&state.db, &doc.org_id, &doc.id)
        .await?
        .map(|l| PublicLinkInfo {
            expired: l.expires_at.is_some_and(|at| at <= now),
            created_by: l.created_by,
            created_at: l.created_at,
            expires_at: l.expires_at,
        });
    Ok(Json(PublicLinkStatus {
        allowed,
        can_manage: doc.can.as_ref().is_some_and(|c| c.manage),
        link,
    }))
}

/// Publish the document at a new public read-only link (its managers), replacing any link it
/// had. The URL is in this answer only.
#[utoipa::path(post, path = "/api/v1/docs/{doc}/public-link", tag = "docs", params(("doc" = String, Path)), request_body = CreatePublicLink, responses(
    (status = 201, description = "The link", body = PublicLinkCreated),
    (status = 403, description = "Not a manager of the document, or `public_links_disabled`: the organisation has not turned public links on", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
    (status = 409, description = "`in_trash`: restore the document first", body = ErrorBody),
    (status = 422, description = "`expires` is not in the future", body = ErrorBody)))]
async fn create_link(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(doc_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PublicLinkCreated>)> {
    // The body is optional: no body means no expiry.
    let body: CreatePublicLink = if body.iter().all(u8::is_ascii_whitespace) {
        CreatePublicLink::default()
    } else {
        let value = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("expected {{\"expires\"?}}: {e}"))
        })?;
        Json::<CreatePublicLink>::from_value(value)?.0
    };
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Manage).await?;
    if !store::org_allows(&state.db, &doc.org_id).await? {
        return Err(sharing_disabled());
    }
    if doc.trashed_at.is_some() {
        return Err(ApiError::conflict(
            "in_trash",
            "the document is in the trash; restore it first",
        ));
    }
    if body.expires.is_some_and(|at| at <= now_ms()) {
        return Err(ApiError::invalid_field("expires", "must be in the future"));
    }
    let token = {
        use base64::Engine as _;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let mut work = state.writes.begin().await?;
    let link = store::replace(
        work.tx(),
        &doc.org_id,
        &doc.id,
        &digest(&token),
        user.id(),
        body.expires,
    )
    .await?;
    let event = Event::new(LINK_CREATED, Some(user.id()))
        .org(&doc.org_id)
        .target("document", &doc.id)
        .change(
            None::<()>,
            Some(serde_json::json!({ "expires_at": link.expires_at })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PublicLinkCreated {
            url: format!("{}{PAGE_PREFIX}{token}", base_url(&state, &headers)),
            created_at: link.created_at,
            expires_at: link.expires_at,
        }),
    ))
}

/// The address links are on: the configured public URL; without one (a server used where it
/// listens), the address the caller reached it at.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if state.config.public_url.is_none() {
        if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            return format!("http://{host}");
        }
    }
    state.config.public_url()
}

/// Revoke the document's public link (its managers): the URL answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/docs/{doc}/public-link", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 204, description = "Revoked (or there was none)"),
    (status = 403, description = "Not a manager of the document", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn revoke_link(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(doc_id): Path<String>,
) -> Result<StatusCode> {
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Manage).await?;
    let mut work = state.writes.begin().await?;
    if store::delete(work.tx(), &doc.org_id, &doc.id).await? {
        let event = Event::new(LINK_REVOKED, Some(user.id()))
            .org(&doc.org_id)
            .target("document", &doc.id);
        work.audit(&event, &client).await?;
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A published document as a read-only HTML page; no account needed. 404 for a link that was
/// revoked or replaced, has expired, whose document is in the trash, or whose organisation
/// turned public links off.
#[utoipa::path(get, path = "/api/v1/public/docs/{token}", tag = "docs", params(("token" = String, Path)), security(()), responses(
    (status = 200, description = "The document", content_type = "text/html"),
    (status = 404, description = "No such link (any more)", body = ErrorBody)))]
async fn public_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    // A token is 43 URL-safe characters; anything else is not worth a query.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::NotFound("page"));
    }
    let (doc_id, title) = store::resolve(&state.db, &digest(&token))
        .await?
        .ok_or(ApiError::NotFound("page"))?;
    let page = html_page(&rich_text(&state, &doc_id, &title).await?);
    let mut response = page.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("x-robots-tag"),
            "noindex, nofollow",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}
