//! `GET /api/v1/records/{record}/transitions`: the workflow steps out of a record's current
//! state and whether the caller may take each — the same checks `POST …/transition` makes
//! (the `transition` permission, the step's roles, self-approval, its condition), so the browser
//! shows exactly the buttons that will work and says why the others are disabled.

use atrium_client::wire::{AvailableTransition, AvailableTransitions, ErrorBody};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::records::record_access;
use crate::auth::CurrentUser;
use crate::authz::{Action, Scope};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::records::registry::StepCheck;
use crate::records::workflow::{self, Refusal};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_transitions))
}

/// The transitions out of a record's state, each allowed or not for the caller.
#[utoipa::path(get, path = "/api/v1/records/{record}/transitions", tag = "records", params(("record" = String, Path)), responses(
    (status = 200, description = "The steps out of the record's state", body = AvailableTransitions),
    (status = 404, description = "No such record (or not visible)", body = ErrorBody)))]
async fn list_transitions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Json<AvailableTransitions>> {
    let (record, resolved, access) = record_access(&state, &user, &record_id).await?;
    let Some(workflow_def) = &resolved.schema.workflow else {
        return Ok(Json(AvailableTransitions { items: Vec::new() }));
    };
    let permitted = access.may(Action::Transition, record.owner());
    let roles = access.roles();
    let is_creator = record.created_by == user.id();
    let items = workflow_def
        .transitions
        .iter()
        .filter(|t| {
            record
                .state
                .as_deref()
                .is_some_and(|s| t.from.iter().any(|f| f == s))
        })
        .map(|t| {
            let refusal = if permitted {
                workflow::check(t, &roles, is_creator, &record.data).err()
            } else {
                None
            };
            let relation = match (&resolved.kind, permitted, &refusal) {
                (Some(kind), true, None) => kind
                    .check_step(&StepCheck {
                        action: &t.action,
                        user_id: user.id(),
                        writes_all: access.scope(Action::Write) == Scope::All,
                        record: &record,
                        comment: None,
                        asking: true,
                    })
                    .err(),
                _ => None,
            };
            let (reason, field) = match (permitted, refusal) {
                (false, _) => (Some("permission"), None),
                (true, None) => match relation {
                    None => (None, None),
                    Some(ApiError::Refused { .. }) => (Some("self_approval"), None),
                    Some(ApiError::Validation(errors)) => {
                        (Some("condition"), errors.keys().next().cloned())
                    }
                    Some(_) => (Some("relation"), None),
                },
                (true, Some(Refusal::Role)) => (Some("role"), None),
                (true, Some(Refusal::SelfApproval)) => (Some("self_approval"), None),
                (true, Some(Refusal::Condition(field))) => (Some("condition"), Some(field)),
                (true, Some(Refusal::NotFromHere)) => (Some("unavailable"), None),
            };
            AvailableTransition {
                action: t.action.clone(),
                to: t.to.clone(),
                allowed: reason.is_none(),
                reason: reason.map(str::to_owned),
                field,
            }
        })
        .collect();
    Ok(Json(AvailableTransitions { items }))
}
