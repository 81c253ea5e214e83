//! The middleware that holds scoped API tokens to their scopes, organisation and project, on
//! every API route and both sockets, before the handler runs.
//!
//! Only API tokens can be limited, so a request with a session (or no credential) passes
//! untouched and costs nothing here. A limited token's request is authenticated here (the
//! handler's [`CurrentUser`] then reuses it), its route's [`Requirement`] checked against the
//! scopes (403 naming the missing scope), and, for tokens bound to an organisation or project,
//! the route's target placed ([`scope_targets`]) and compared: a target outside the token's
//! organisation or project answers 404 like a resource that does not exist, so a token cannot
//! probe for ids elsewhere; a whole-organisation route answers 403 to a project token.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::{CurrentUser, presented_credential};
use super::scope_targets;
use super::scopes::{Requirement, TokenGrant, requirement};
use super::tokens::TokenKind;
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The layer's function: see the module documentation.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presents_api_token = presented_credential(request.headers(), request.uri())
        .is_some_and(|(secret, _)| secret.starts_with(TokenKind::Api.prefix()));
    if !presents_api_token {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let user = match CurrentUser::from_request_parts(&mut parts, &state).await {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    if !user.grant.is_full()
        && let Err(error) = check(&state, &mut parts, &user.grant).await
    {
        return error.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn check(state: &AppState, parts: &mut Parts, grant: &TokenGrant) -> Result<()> {
    let template = parts
        .extensions
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_default();
    let needs = requirement(&parts.method, &template).unwrap_or(Requirement::Refused);
    match needs {
        Requirement::Refused => {
            return Err(ApiError::Forbidden(
                "a scoped API token cannot use this route; use a full token or the app".into(),
            ));
        }
        Requirement::Common => {}
        Requirement::Area(area, access) => {
            if let Some(scopes) = &grant.scopes
                && !scopes.allow(area, access)
            {
                return Err(ApiError::Forbidden(format!(
                    "this token's scopes do not include {}:{}",
                    area.name(),
                    access.name()
                )));
            }
        }
    }
    let Some(token_org) = &grant.org_id else {
        return Ok(());
    };
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| ApiError::NotFound("resource"))?;
    let Some((param, id)) = params.iter().next() else {
        // No target in the path: the token's user's own things (`/me`, their orgs) may be
        // read; anything that acts needs a target the limit can be checked against.
        return match needs {
            Requirement::Common => Ok(()),
            _ => Err(ApiError::Forbidden(
                "a token limited to an organisation cannot use this route".into(),
            )),
        };
    };
    let placement = scope_targets::place(&state.db, param, id)
        .await?
        .filter(|placement| &placement.org_id == token_org)
        .ok_or(ApiError::NotFound("resource"))?;
    let Some(token_project) = &grant.project_id else {
        return Ok(());
    };
    match &placement.project_id {
        Some(project) if project == token_project => Ok(()),
        Some(_) => Err(ApiError::NotFound("resource")),
        None if needs == Requirement::Common
            || searches_project(parts, &template, token_project) =>
        {
            Ok(())
        }
        None => Err(ApiError::Forbidden(
            "this token is limited to one project; this route reaches beyond it".into(),
        )),
    }
}

/// Whether the request is the org's search narrowed to `project` (`?project=` names it alone),
/// which a project token may make.
fn searches_project(parts: &Parts, template: &str, project: &str) -> bool {
    template == "/api/v1/orgs/{org}/search"
        && parts.uri.query().is_some_and(|query| {
            let mut projects = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(name, _)| name == "project")
                .map(|(_, value)| value.into_owned());
            projects.next().as_deref() == Some(project) && projects.next().is_none()
        })
}
