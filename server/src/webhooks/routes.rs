//! `/api/v1/orgs/{org}/webhooks` and `/api/v1/webhooks/{hook}…`: subscriptions, their delivery
//! log, redelivery, test events and secret rotation.
//!
//! Who manages a subscription: an organisation's owners and admins (any of its subscriptions),
//! and a project's managers (their project's). Others of the organisation get 403; outsiders
//! 404.

use atrium_client::wire::{
    CreateWebhookRequest, DeliveryState, ErrorBody, Page, RotateSecretRequest,
    UpdateWebhookRequest, Webhook, WebhookDelivery, WebhookSecret,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::address;
use super::event::{self, TEST_TYPE};
use super::model::{self, Filter, MAX_DESCRIPTION_CHARS};
use super::store::{self, DeliveryRow, NewDelivery, WebhookRow};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, require_org, require_project};
use crate::db::paging::{PageQuery, PageRequest};
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// Most subscriptions one organisation has.
const MAX_PER_ORG: i64 = 100;
/// The default and longest overlap of a rotation, in seconds.
const DEFAULT_OVERLAP_SECS: u64 = 24 * 3600;
const MAX_OVERLAP_SECS: u64 = 7 * 24 * 3600;

/// The webhook routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(send_test))
        .routes(routes!(rotate_secret))
}

fn wire(h: WebhookRow) -> Webhook {
    Webhook {
        id: h.id,
        org_id: h.org_id,
        project: h.project_id,
        url: h.url,
        events: h.events,
        filter: h.filter,
        description: h.description,
        active: h.active,
        disabled_reason: h.disabled_reason,
        previous_secret_until: h.previous_secret_until.filter(|until| *until > now_ms()),
        created_by: h.created_by,
        created_at: h.created_at,
        updated_at: h.updated_at,
    }
}

fn wire_delivery(d: DeliveryRow) -> WebhookDelivery {
    let state = match d.state.as_str() {
        "delivered" => DeliveryState::Delivered,
        "failed" => DeliveryState::Failed,
        _ => DeliveryState::Pending,
    };
    WebhookDelivery {
        next_attempt_at: (state == DeliveryState::Pending).then_some(d.next_attempt_at),
        id: d.id,
        event_type: d.event_type,
        state,
        attempts: d.attempts,
        response_status: d.response_status,
        latency_ms: d.latency_ms,
        last_error: d.last_error,
        last_attempt_at: d.last_attempt_at,
        delivered_at: d.delivered_at,
        created_at: d.created_at,
        body: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::Null),
    }
}

/// The subscription `hook_id` if the caller manages it; 404 when they cannot see it.
async fn managed(state: &AppState, user: &CurrentUser, hook_id: &str) -> Result<WebhookRow> {
    let hook = store::find(&state.db, hook_id)
        .await?
        .ok_or(ApiError::NotFound("webhook"))?;
    let allowed = match &hook.project_id {
        Some(project) => require_project(&state.db, user.id(), project, Action::Manage)
            .await
            .map(|_| ()),
        None => require_org(&state.db, user.id(), &hook.org_id, Action::ManageMembers)
            .await
            .map(|_| ()),
    };
    match allowed {
        Ok(()) => Ok(hook),
        Err(ApiError::NotFound(_)) => Err(ApiError::NotFound("webhook")),
        Err(other) => Err(other),
    }
}

/// Asks authz whether the caller manages subscriptions of `org_id` (or of its `project`).
async fn authorize_management(
    state: &AppState,
    user: &CurrentUser,
    org_id: &str,
    project: Option<&str>,
) -> Result<()> {
    match project {
        Some(project) => {
            let access = require_project(&state.db, user.id(), project, Action::Manage)
                .await
                .map_err(|e| match e {
                    ApiError::NotFound(_) => ApiError::invalid_field("project", "no such project"),
                    other => other,
                })?;
            if access.project.org_id != org_id {
                return Err(ApiError::invalid_field(
                    "project",
                    "no such project in this organisation",
                ));
            }
            Ok(())
        }
        None => require_org(&state.db, user.id(), org_id, Action::ManageMembers)
            .await
            .map(|_| ()),
    }
}

async fn check_url(state: &AppState, url: &str) -> Result<String> {
    address::check_url(url, state.config.webhooks_allow_private)
        .await
        .map(|parsed| parsed.to_string())
        .map_err(|e| ApiError::invalid_field("url", e.to_string()))
}

fn check_events(events: &[String]) -> Result<Vec<String>> {
    model::check_patterns(events).map_err(|why| ApiError::invalid_field("events", why))?;
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    Ok(events)
}

fn check_filter(filter: Option<Filter>) -> Result<Option<Filter>> {
    match filter {
        Some(filter) if filter.is_empty() => Ok(None),
        Some(filter) => {
            model::check_filter(&filter).map_err(|why| ApiError::invalid_field("filter", why))?;
            Ok(Some(filter))
        }
        None => Ok(None),
    }
}

fn check_description(description: &str) -> Result<String> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid_field(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(description.to_owned())
}

fn check_secret(secret: Option<String>) -> Result<String> {
    match secret {
        Some(secret) => {
            model::secret_key(&secret).map_err(|why| ApiError::invalid_field("secret", why))?;
            Ok(secret)
        }
        None => Ok(model::generate_secret()),
    }
}

/// Subscribe an organisation (or one of its projects) to events.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks", tag = "integrations", params(("org" = String, Path)), request_body = CreateWebhookRequest, responses(
    (status = 201, description = "Created; the signing secret is shown this once", body = WebhookSecret),
    (status = 403, description = "Only org admins (and a project's managers, for its project) manage webhooks", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Invalid fields: a URL that is not http(s) or not on a public address, unknown event patterns, a malformed secret or filter", body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<CreateWebhookRequest>,
) -> Result<(StatusCode, Json<WebhookSecret>)> {
    authorize_management(&state, &user, &org_id, body.project.as_deref()).await?;
    let events = check_events(&body.events)?;
    let filter = check_filter(body.filter)?;
    let description = check_description(body.description.as_deref().unwrap_or_default())?;
    let secret = check_secret(body.secret)?;
    let url = check_url(&state, &body.url).await?;
    let now = now_ms();
    let hook = WebhookRow {
        id: new_id(),
        org_id: org_id.clone(),
        project_id: body.project,
        url,
        events,
        filter,
        description,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_until: None,
        active: body.active.unwrap_or(true),
        disabled_reason: None,
        disabled_at: None,
        created_by: user.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut work = state.writes.begin().await?;
    if store::count(work.tx(), &org_id).await? >= MAX_PER_ORG {
        return Err(ApiError::conflict(
            "too_many_webhooks",
            format!("an organisation has at most {MAX_PER_ORG} webhooks"),
        ));
    }
    store::insert(work.tx(), &hook).await?;
    let event = Event::new("webhook.created", Some(user.id()))
        .org(&org_id)
        .target("webhook", &hook.id)
        .change(None::<()>, Some(wire(hook.clone())));
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookSecret {
            id: hook.id,
            secret,
        }),
    ))
}

/// Which subscriptions to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's subscriptions (its managers may list them).
    project: Option<String>,
}

/// An organisation's subscriptions (admins), or one project's (its managers), oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/webhooks", tag = "integrations", params(("org" = String, Path), ListQuery), responses(
    (status = 200, description = "Subscriptions, oldest first", body = Vec<Webhook>),
    (status = 403, description = "Not an admin of the organisation or manager of the project", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "No such project", body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Webhook>>> {
    authorize_management(&state, &user, &org_id, query.project.as_deref()).await?;
    let hooks = store::list(&state.db, &org_id, query.project.as_deref()).await?;
    Ok(Json(hooks.into_iter().map(wire).collect()))
}

/// A subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{hook}", tag = "integrations", params(("hook" = String, Path)), responses(
    (status = 200, description = "The subscription (without its secret)", body = Webhook),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
async fn get_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(hook_id): Path<String>,
) -> Result<Json<Webhook>> {
    Ok(Json(wire(managed(&state, &user, &hook_id).await?)))
}

/// Change a subscription: URL, events, filter, description, active. Reactivating one the
/// server disabled delivers what waited meanwhile, in order: the delivery it gave up on, then
/// the events of up to 7 days after it was disabled (later ones are not kept). A subscription
/// deactivated here gets no events while inactive: reactivating it delivers only what happens
/// from then on (and what was still pending when it was deactivated).
#[utoipa::path(patch, path = "/api/v1/webhooks/{hook}", tag = "integrations", params(("hook" = String, Path)), request_body = UpdateWebhookRequest, responses(
    (status = 200, description = "The subscription as changed", body = Webhook),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(hook_id): Path<String>,
    Json(body): Json<UpdateWebhookRequest>,
) -> Result<Json<Webhook>> {
    let before = managed(&state, &user, &hook_id).await?;
    let mut hook = before.clone();
    if let Some(events) = &body.events {
        hook.events = check_events(events)?;
    }
    if let Some(filter) = body.filter {
        hook.filter = check_filter(filter)?;
    }
    if let Some(description) = &body.description {
        hook.description = check_description(description)?;
    }
    if let Some(url) = &body.url {
        hook.url = check_url(&state, url).await?;
    }
    // Whether this reactivates a subscription the server disabled: what it gave up on goes
    // out again, first.
    let resumes = body.active == Some(true) && !before.active && before.disabled_reason.is_some();
    if let Some(active) = body.active {
        hook.active = active;
        // Activated, or deactivated by hand (which stops the queueing of a hook the server
        // disabled), it is no longer the server's doing.
        hook.disabled_reason = None;
        hook.disabled_at = None;
    }
    hook.updated_at = now_ms();
    let mut work = state.writes.begin().await?;
    if !store::update(work.tx(), &hook).await? {
        return Err(ApiError::NotFound("webhook"));
    }
    if resumes {
        store::requeue_given_up(work.tx(), &hook.org_id, &hook.id, hook.updated_at).await?;
    }
    let event = Event::new("webhook.updated", Some(user.id()))
        .org(&hook.org_id)
        .target("webhook", &hook.id)
        .change(Some(wire(before)), Some(wire(hook.clone())));
    work.audit(&event, &client).await?;
    work.commit().await?;
    if hook.active {
        state.webhooks.wake();
    }
    Ok(Json(wire(hook)))
}

/// Delete a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{hook}", tag = "integrations", params(("hook" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(hook_id): Path<String>,
) -> Result<StatusCode> {
    let hook = managed(&state, &user, &hook_id).await?;
    let mut work = state.writes.begin().await?;
    if !store::delete(work.tx(), &hook.org_id, &hook.id).await? {
        return Err(ApiError::NotFound("webhook"));
    }
    let event = Event::new("webhook.deleted", Some(user.id()))
        .org(&hook.org_id)
        .target("webhook", &hook.id)
        .change(Some(wire(hook.clone())), None::<()>);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's delivery log, newest first: state, attempts, the last status, latency and
/// error, and the body sent.
#[utoipa::path(get, path = "/api/v1/webhooks/{hook}/deliveries", tag = "integrations", params(("hook" = String, Path), PageQuery), responses(
    (status = 200, description = "Deliveries, newest first", body = Page<WebhookDelivery>),
    (status = 400, description = "Bad cursor or limit", body = ErrorBody),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(hook_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WebhookDelivery>>> {
    let hook = managed(&state, &user, &hook_id).await?;
    let page = PageRequest::from_query(&query)?;
    let page = store::list_deliveries(&state.db, &hook.org_id, &hook.id, &page).await?;
    Ok(Json(page.into_wire(wire_delivery)))
}

/// Send a delivery again, with the same message id, in its place in the subscription's order.
#[utoipa::path(post, path = "/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver", tag = "integrations", params(("hook" = String, Path), ("delivery" = String, Path)), responses(
    (status = 202, description = "Queued again", body = WebhookDelivery),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook or delivery", body = ErrorBody)))]
async fn redeliver(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((hook_id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<WebhookDelivery>)> {
    let hook = managed(&state, &user, &hook_id).await?;
    let mut work = state.writes.begin().await?;
    if !store::requeue(work.tx(), &hook.org_id, &hook.id, &delivery_id, now_ms()).await? {
        return Err(ApiError::NotFound("delivery"));
    }
    work.commit().await?;
    state.webhooks.wake();
    let delivery = store::find_delivery(&state.db, &hook.org_id, &hook.id, &delivery_id)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    Ok((StatusCode::ACCEPTED, Json(wire_delivery(delivery))))
}

/// Queue a test event (`webhook.test`) to the subscription, ahead of its other deliveries.
#[utoipa::path(post, path = "/api/v1/webhooks/{hook}/test", tag = "integrations", params(("hook" = String, Path)), responses(
    (status = 202, description = "Queued; its outcome shows in the delivery log", body = WebhookDelivery),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
async fn send_test(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(hook_id): Path<String>,
) -> Result<(StatusCode, Json<WebhookDelivery>)> {
    let hook = managed(&state, &user, &hook_id).await?;
    let now = now_ms();
    let data = serde_json::json!({
        "webhook": hook.id,
        "org": hook.org_id,
        "message": "A test event from Atrium",
    });
    let delivery = NewDelivery {
        id: format!("msg_{}", new_id()),
        webhook_id: hook.id.clone(),
        org_id: hook.org_id.clone(),
        order_key: 0,
        change_seq: None,
        event_type: TEST_TYPE.to_owned(),
        body: event::body(TEST_TYPE, now, &data),
        created_at: now,
    };
    let mut work = state.writes.begin().await?;
    store::insert_deliveries(work.tx(), std::slice::from_ref(&delivery)).await?;
    work.commit().await?;
    state.webhooks.wake();
    let row = store::find_delivery(&state.db, &hook.org_id, &hook.id, &delivery.id)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    Ok((StatusCode::ACCEPTED, Json(wire_delivery(row))))
}

/// Replace the signing secret. During the overlap deliveries carry a signature with each
/// secret (space-separated in `webhook-signature`), so receivers can switch without losing any.
#[utoipa::path(post, path = "/api/v1/webhooks/{hook}/rotate-secret", tag = "integrations", params(("hook" = String, Path)), request_body = RotateSecretRequest, responses(
    (status = 200, description = "The new secret, shown this once", body = WebhookSecret),
    (status = 403, description = "Not one of its managers", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody),
    (status = 422, description = "A malformed secret or an overlap over 7 days", body = ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(hook_id): Path<String>,
    Json(body): Json<RotateSecretRequest>,
) -> Result<Json<WebhookSecret>> {
    let mut hook = managed(&state, &user, &hook_id).await?;
    let overlap = body.overlap_secs.unwrap_or(DEFAULT_OVERLAP_SECS);
    if overlap > MAX_OVERLAP_SECS {
        return Err(ApiError::invalid_field(
            "overlap_secs",
            format!("must be at most {MAX_OVERLAP_SECS} seconds (7 days)"),
        ));
    }
    let secret = check_secret(body.secret)?;
    let now = now_ms();
    let overlap_ms = i64::try_from(overlap).unwrap_or(0) * 1000;
    hook.previous_secret = (overlap > 0).then(|| hook.secret.clone());
    hook.previous_secret_until = (overlap > 0).then_some(now + overlap_ms);
    hook.secret = secret.clone();
    hook.updated_at = now;
    let mut work = state.writes.begin().await?;
    if !store::update(work.tx(), &hook).await? {
        return Err(ApiError::NotFound("webhook"));
    }
    let event = Event::new("webhook.secret_rotated", Some(user.id()))
        .org(&hook.org_id)
        .target("webhook", &hook.id);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(Json(WebhookSecret {
        id: hook.id,
        secret,
    }))
}
