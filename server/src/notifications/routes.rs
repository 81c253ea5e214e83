//! `/api/v1/notifications`: the caller's notification centre.

use atrium_client::wire::{
    ErrorBody, MarkNotificationsRead, Notification, NotificationsRead, Page,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use crate::auth::CurrentUser;
use crate::db::now_ms;
use crate::db::paging::{Cursor, CursorKey};
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::extract::{Json, Query};
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
/// The most ids one mark-read request may name.
const MAX_IDS: usize = 500;

/// The notification routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
}

/// `?unread=&limit=&cursor=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    #[serde(default)]
    pub unread: bool,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery), responses(
    (status = 200, description = "A page of notifications", body = Page<Notification>),
    (status = 400, description = "Bad paging parameters", body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<NotificationQuery>,
) -> Result<Json<Page<Notification>>> {
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
    };
    let before = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let mut items = store::list(
        &state.db,
        user.id(),
        query.unread,
        before.as_ref().map(|c| c.id.as_str()),
        limit + 1,
    )
    .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(usize::try_from(limit).unwrap_or(0));
        items
            .last()
            .map(|n| Cursor::new(CursorKey::Int(n.created_at), n.id.clone()).encode())
    } else {
        None
    };
    Ok(Json(Page { items, next }))
}

/// Mark notifications read: the given `ids`, or `all`. The caller's other tabs get
/// `notification.read`.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = MarkNotificationsRead, responses(
    (status = 204, description = "Marked"),
    (status = 422, description = "Neither ids nor all, or too many ids", body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<MarkNotificationsRead>,
) -> Result<StatusCode> {
    if !body.all && body.ids.is_empty() {
        return Err(ApiError::invalid_field("ids", "give ids, or all: true"));
    }
    if body.ids.len() > MAX_IDS {
        return Err(ApiError::invalid_field(
            "ids",
            format!("at most {MAX_IDS} ids at once"),
        ));
    }
    let now = now_ms();
    let mut work = state.writes.begin().await?;
    let data = if body.all {
        (store::mark_all_read(work.tx(), user.id(), now).await? > 0).then_some(NotificationsRead {
            ids: Vec::new(),
            all: true,
        })
    } else {
        let ids = store::mark_read(work.tx(), user.id(), &body.ids, now).await?;
        (!ids.is_empty()).then_some(NotificationsRead { ids, all: false })
    };
    if let Some(data) = &data {
        // Notifications span organisations; the event goes to the user whatever the org.
        work.emit(NewEvent::new(
            "",
            Audience::User(user.id().to_owned()),
            "notification.read",
            data,
        ));
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
