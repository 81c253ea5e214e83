//! `DELETE /api/v1/orgs/{org}`: an owner deletes the organisation, typing its exact name,
//! once an export of it finished within the last day.
//!
//! One transaction takes the organisation away from everyone: it is marked deleted and its
//! memberships, org-scoped API tokens, invitations and public document links go (every access
//! check reads memberships, so each request for it answers 404 from the commit on, on every
//! node — nothing caches memberships across requests). The same transaction queues
//! `access.changed` for the whole organisation, so every node's collaboration sockets on its
//! documents re-check their access and close, the owners' notice mails, and the purge job
//! ([`super::purge`]) that removes everything else.
//!
//! The audit entry has no organisation: the organisation's own log goes with it, this entry
//! stays (with a structured log line and the owners' mails).

use atrium_client::wire::{DeleteOrgRequest, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;

use super::{export_store as store, purge};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::org_access;
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::events::Audience;
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::mail::outbox::{self, OutgoingMail};
use crate::state::AppState;

/// The audit action of a deleted organisation.
pub const ORG_DELETED: &str = "org.deleted";
/// How recent an export must be for the deletion to go ahead.
pub const EXPORT_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Delete the organisation and everything in it (owners only). The body names the
/// organisation exactly; an export must have finished within the last 24 hours.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)), request_body = DeleteOrgRequest, responses(
    (status = 204, description = "Deleted: gone for everyone at once, its data purged in the background"),
    (status = 400, description = "The body is not JSON of the expected shape", body = ErrorBody),
    (status = 403, description = "Not an owner", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "No export finished within the last 24 hours (`export_first`)", body = ErrorBody),
    (status = 422, description = "`confirm` is not the organisation's exact name", body = ErrorBody)))]
pub async fn delete_org(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<DeleteOrgRequest>,
) -> Result<StatusCode> {
    let access = org_access(&state.db, user.id(), &org_id).await?;
    if !access.may_delete_org() {
        return Err(ApiError::Forbidden(
            "only an owner may delete the organisation".into(),
        ));
    }
    let mut work = state.writes.begin().await?;
    let (name, deleted) = store::lock_org(work.tx(), &org_id)
        .await?
        .ok_or(ApiError::NotFound("organisation"))?;
    if deleted {
        return Err(ApiError::NotFound("organisation"));
    }
    if body.confirm != name {
        return Err(ApiError::invalid_field(
            "confirm",
            "is not the organisation's exact name",
        ));
    }
    if !store::done_since(work.tx(), &org_id, now_ms() - EXPORT_WINDOW_MS).await? {
        return Err(ApiError::conflict(
            "export_first",
            "export the organisation first: an export must have finished within the last 24 hours",
        ));
    }
    let owners = store::owners(work.tx(), &org_id).await?;
    store::mark_deleted(work.tx(), &org_id).await?;
    work.org_tokens_deleted(&org_id);
    purge::enqueue(&mut work, &org_id).await?;
    let by = format!("{} ({})", user.user.name, user.user.email);
    for (email, owner_name) in &owners {
        let mail = OutgoingMail::new(
            format!("{owner_name} <{email}>"),
            format!("The organisation {name} was deleted"),
            format!(
                "The organisation {name} was deleted by {by}.\n\n\
                 Nobody can reach it any more; its documents, chat, boards, records and files \
                 are being removed.\n"
            ),
        );
        // A name the mail cannot carry (a line break) must not keep the deletion from
        // going ahead: that owner's notice is left out.
        if let Err(error) = outbox::enqueue(&mut work, None, &mail).await {
            tracing::warn!(%org_id, %error, "cannot queue an owner's deletion notice");
        }
    }
    let event = Event::new(ORG_DELETED, Some(user.id()))
        .target("org", &org_id)
        .change(Some(serde_json::json!({ "name": name })), None::<()>);
    work.audit(&event, &client).await?;
    work.access_changed(&org_id, Audience::Org(org_id.clone()), "org.deleted");
    work.commit().await?;
    tracing::warn!(
        org_id = %org_id,
        org_name = %name,
        deleted_by = %user.id(),
        "organisation deleted"
    );
    Ok(StatusCode::NO_CONTENT)
}
