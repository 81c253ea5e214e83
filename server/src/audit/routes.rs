//! `GET /api/v1/orgs/{org}/audit` (and its CSV export, [`super::export`]).

use atrium_client::wire::{AuditEntry, ErrorBody, Page};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, AuditFilter};
use crate::auth::CurrentUser;
use crate::authz::{OrgAction, require_org};
use crate::db::paging::{PageQuery, PageRequest};
use crate::error::Result;
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// The audit routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(super::export::export_audit))
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `login.failure`.
    action: Option<String>,
    /// Only events by this user.
    actor: Option<String>,
    /// From this time (ms since the epoch, inclusive).
    since: Option<i64>,
    /// Up to this time (ms since the epoch, inclusive).
    until: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The organisation's audit log, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit", tag = "orgs", params(("org" = String, Path), AuditQuery), responses(
    (status = 200, description = "Entries, newest first", body = Page<AuditEntry>),
    (status = 400, description = "Bad cursor or limit", body = ErrorBody),
    (status = 403, description = "Only owners and admins read the audit log", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ReadAudit).await?;
    let page = PageRequest::from_query(&PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    })?;
    // No action or user id holds a NUL, and PostgreSQL cannot compare text with one (a 500):
    // such a filter matches nothing.
    let impossible = |filter: &Option<String>| filter.as_deref().is_some_and(|f| f.contains('\0'));
    if impossible(&query.action) || impossible(&query.actor) {
        return Ok(Json(Page {
            items: Vec::new(),
            next: None,
        }));
    }
    let filter = AuditFilter {
        action: query.action,
        actor_id: query.actor,
        since: query.since,
        until: query.until,
    };
    let page = store::list(&state.db, &org_id, &filter, &page).await?;
    Ok(Json(Page {
        items: page.items,
        next: page.next,
    }))
}
