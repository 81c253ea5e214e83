//! `GET /api/v1/projects/{project}/statuses` and `GET /api/v1/projects/{project}/tasks` (the
//! list view: filters, sort and cursor paging).

use std::cmp::Ordering;

use atrium_client::wire::{ErrorBody, Page, Priority, StatusCategory, TaskCard, TaskFilter};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::boards::model::parse_priority;
use crate::boards::store::{cards, statuses};
use crate::boards::{access, view};
use crate::db::paging::{Cursor, CursorKey, PageQuery, PageRequest};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_statuses))
        .routes(routes!(list_tasks))
}

/// A status of a project (what a column shows).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskStatus {
    pub id: String,
    pub name: String,
    pub category: StatusCategory,
}

/// A project's task statuses, in the order they were made.
#[utoipa::path(get, path = "/api/v1/projects/{project}/statuses", tag = "boards", params(("project" = String, Path)), responses(
    (status = 200, description = "The statuses", body = Page<TaskStatus>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_statuses(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<TaskStatus>>> {
    let access = access::project_tasks(&state, user.id(), &project_id, Action::Read).await?;
    let mut conn = state.db.pool().acquire().await?;
    let items = statuses::list(&mut conn, &access.project.org_id, &project_id)
        .await?
        .into_iter()
        .map(|s| TaskStatus {
            id: s.id,
            name: s.name,
            category: s.category,
        })
        .collect();
    Ok(Json(Page { items, next: None }))
}

/// The list view's query: a [`TaskFilter`] (lists comma-separated), a sort and a page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// User ids, comma-separated (`none`: unassigned).
    pub assignees: Option<String>,
    /// Labels, comma-separated.
    pub labels: Option<String>,
    /// Priorities, comma-separated.
    pub priorities: Option<String>,
    /// Status ids, comma-separated.
    pub statuses: Option<String>,
    pub milestone: Option<String>,
    /// Due on or before this date.
    #[param(format = Date)]
    pub due_before: Option<String>,
    /// Words in the key or title.
    pub text: Option<String>,
    /// `key` (default), `title`, `priority`, `due`, `status`, `updated`; `-` first: descending.
    #[param(pattern = r"^-?(key|title|priority|due|status|updated)$")]
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn list(value: Option<&String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn filter_of(query: &TaskListQuery) -> Result<TaskFilter> {
    let priorities = list(query.priorities.as_ref())
        .iter()
        .map(|p| {
            parse_priority(p)
                .ok_or_else(|| ApiError::invalid_field("priorities", "unknown priority"))
        })
        .collect::<Result<Vec<Priority>>>()?;
    if let Some(due) = &query.due_before {
        crate::boards::model::date("due_before", due)?;
    }
    Ok(TaskFilter {
        assignees: list(query.assignees.as_ref()),
        labels: list(query.labels.as_ref()),
        priorities,
        statuses: list(query.statuses.as_ref()),
        milestone: query.milestone.clone(),
        due_before: query.due_before.clone(),
        text: query.text.clone(),
    })
}

/// The sort value of a card under `field` (status sorts by category, then name).
fn sort_key(field: &str, card: &cards::CardRow) -> CursorKey {
    let task = &card.task;
    match field {
        "title" => CursorKey::Text(task.title.to_lowercase()),
        "priority" => CursorKey::Int(task.priority as i64),
        "due" => CursorKey::Text(task.due.clone().unwrap_or_else(|| "9999-12-31".to_owned())),
        "status" => CursorKey::Text(format!(
            "{}:{}",
            task.category as u8,
            task.status.to_lowercase()
        )),
        "updated" => CursorKey::Int(task.updated_at),
        _ => CursorKey::Int(task.number),
    }
}

fn compare(a: &(CursorKey, String), b: &(CursorKey, String)) -> Ordering {
    let keys = match (&a.0, &b.0) {
        (CursorKey::Int(x), CursorKey::Int(y)) => x.cmp(y),
        (CursorKey::Text(x), CursorKey::Text(y)) => x.cmp(y),
        (CursorKey::Int(_), CursorKey::Text(_)) => Ordering::Less,
        (CursorKey::Text(_), CursorKey::Int(_)) => Ordering::Greater,
    };
    keys.then_with(|| a.1.cmp(&b.1))
}

/// A project's tasks as list rows: filtered, sorted, a page at a time.
#[utoipa::path(get, path = "/api/v1/projects/{project}/tasks", tag = "boards", params(("project" = String, Path), TaskListQuery), responses(
    (status = 200, description = "A page of tasks", body = Page<TaskCard>),
    (status = 400, description = "Bad cursor or limit", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "Bad filter or sort", body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Query(query): Query<TaskListQuery>,
) -> Result<Json<Page<TaskCard>>> {
    let access = access::project_tasks(&state, user.id(), &project_id, Action::Read).await?;
    let filter = filter_of(&query)?;
    let sort = query.sort.as_deref().unwrap_or("key");
    let (descending, field) = match sort.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, sort),
    };
    if !["key", "title", "priority", "due", "status", "updated"].contains(&field) {
        return Err(ApiError::invalid_field(
            "sort",
            "must be key, title, priority, due, status or updated (with - for descending)",
        ));
    }
    let page = PageRequest::from_query(&PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    })?;
    let mut conn = state.db.pool().acquire().await?;
    let rows = cards::in_project(&mut conn, &access.project.org_id, &project_id).await?;
    let mut keyed: Vec<((CursorKey, String), TaskCard)> = rows
        .into_iter()
        .filter(|row| view::matches(&filter, &row.card))
        .map(|row| ((sort_key(field, &row), row.task.id.clone()), row.card))
        .collect();
    let order = |a: &(CursorKey, String), b: &(CursorKey, String)| {
        if descending {
            compare(b, a)
        } else {
            compare(a, b)
        }
    };
    keyed.sort_by(|a, b| order(&a.0, &b.0));
    let start = match &page.after {
        Some(cursor) => {
            let after = (cursor.key.clone(), cursor.id.clone());
            keyed.partition_point(|(k, _)| order(k, &after) != Ordering::Greater)
        }
        None => 0,
    };
    let limit = page.limit as usize;
    let rest = &keyed[start.min(keyed.len())..];
    let next = (rest.len() > limit).then(|| {
        let (key, id) = &rest[limit - 1].0;
        Cursor::new(key.clone(), id.clone()).encode()
    });
    let items = rest
        .iter()
        .take(limit)
        .map(|(_, card)| card.clone())
        .collect();
    Ok(Json(Page { items, next }))
}
