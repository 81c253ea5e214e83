//! API tokens bound to an organisation (integration tokens): the limits a new token asks for,
//! checked against what its user may reach, and the org admins' list and revocation of the
//! org's tokens (`/orgs/{org}/tokens`), whoever made them.

use atrium_client::wire::{CreateTokenRequest, ErrorBody, Page, TokenInfo, User};
use axum::extract::State;
use axum::http::StatusCode;
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CurrentUser;
use super::scopes::{Scopes, TokenGrant};
use super::store::{self, token_info_from_row};
use super::tokens::TokenKind;
use crate::audit::{Event, action};
use crate::authz::{self, Action};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_tokens))
        .routes(routes!(revoke_org_token))
}

/// The limits a token request asks for, once checked: the scopes parse, the organisation is
/// one the user belongs to and the project one they can see (404 otherwise, as anywhere). A
/// project implies its organisation.
pub async fn requested_grant(
    state: &AppState,
    user: &CurrentUser,
    body: &CreateTokenRequest,
) -> Result<TokenGrant> {
    let scopes = match &body.scopes {
        None => None,
        Some(items) => Some(
            Scopes::parse(items.iter().map(String::as_str))
                .map_err(|why| ApiError::invalid_field("scopes", why))?,
        ),
    };
    let mut org_id = body.org.clone();
    if let Some(org) = &org_id {
        authz::org_access(&state.db, user.id(), org).await?;
    }
    if let Some(project) = &body.project {
        let access = authz::project_access(&state.db, user.id(), project).await?;
        if org_id
            .as_ref()
            .is_some_and(|org| org != &access.project.org_id)
        {
            return Err(ApiError::invalid_field(
                "project",
                "is not a project of the organisation given",
            ));
        }
        org_id = Some(access.project.org_id);
    }
    // A limited token cannot mint a wider one: creating tokens is refused to scoped tokens
    // altogether (`/me/*`), so only a full credential reaches this point.
    Ok(TokenGrant {
        scopes,
        org_id,
        project_id: body.project.clone(),
    })
}

/// The organisation's live API tokens, whoever made them (integration tokens).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/tokens", tag = "auth",
    params(("org" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The org's live tokens with their owners and scopes", body = Page<TokenInfo>),
        (status = 403, description = "Not an org admin", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_org_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<TokenInfo>>> {
    authz::require_org(&state.db, user.id(), &org_id, Action::ManageMembers).await?;
    let rows = sqlx::query(
        "select t.id, t.name, t.created_at, t.last_seen_at, t.expires_at, t.scopes, t.org_id,
                t.project_id, u.id as user_id, u.email, u.handle, u.name as user_name,
                u.created_at as user_created_at
         from auth_tokens t join users u on u.id = t.user_id
         where t.org_id = $1 and t.kind = $2 and t.revoked_at is null
           and (t.expires_at is null or t.expires_at > $3)
         order by t.created_at desc, t.id desc",
    )
    .bind(&org_id)
    .bind(TokenKind::Api.stored_name())
    .bind(now_ms())
    .fetch_all(state.db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|row| {
            let mut info = token_info_from_row(row)?;
            info.user = Some(User {
                id: row.try_get("user_id")?,
                email: row.try_get("email")?,
                handle: row.try_get("handle")?,
                name: row.try_get("user_name")?,
                created_at: row.try_get("user_created_at")?,
            });
            Ok(info)
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Page { items, next: None }))
}

/// Revoke one of the organisation's tokens: it stops working on the next request, and
/// sockets opened with it close.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/tokens/{token}", tag = "auth",
    params(("org" = String, Path, description = "Organisation id"), ("token" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not an org admin", body = ErrorBody),
        (status = 404, description = "No such live token of the organisation", body = ErrorBody)))]
async fn revoke_org_token(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, token_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    authz::require_org(&state.db, user.id(), &org_id, Action::ManageMembers).await?;
    let owner: Option<String> = sqlx::query_scalar(
        "select user_id from auth_tokens
         where id = $1 and org_id = $2 and kind = $3 and revoked_at is null",
    )
    .bind(&token_id)
    .bind(&org_id)
    .bind(TokenKind::Api.stored_name())
    .fetch_optional(state.db.pool())
    .await?;
    let owner = owner.ok_or(ApiError::NotFound("token"))?;
    let mut work = state.writes.begin().await?;
    if !store::revoke_token(&mut work, &owner, &token_id, TokenKind::Api).await? {
        return Err(ApiError::NotFound("token"));
    }
    let event = Event::new(action::TOKEN_REVOKED, Some(user.id()))
        .org(&org_id)
        .target("token", &token_id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
