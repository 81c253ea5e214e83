//! `/api/v1/tasks/{task}/time` and `/api/v1/time/{entry}`: logging, listing, changing and
//! deleting time entries.
//!
//! Entries are one person's own bookkeeping: no app event goes out for them (the task panel
//! refetches its entries). A manager's change to someone else's entry is audited, since entries
//! become timesheets and invoices.

use atrium_client::wire::{
    CreateTimeEntryRequest, ErrorBody, Page, TimeEntry, UpdateTimeEntryRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{self, FieldErrors};
use super::{access, store};
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::error::Result;
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// The time entry routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_time, list_time))
        .routes(routes!(update_entry, delete_entry))
}

/// Log time on a task (those who may write the task).
#[utoipa::path(post, path = "/api/v1/tasks/{task}/time", tag = "time", params(("task" = String, Path)), request_body = CreateTimeEntryRequest, responses(
    (status = 201, description = "The entry", body = TimeEntry),
    (status = 403, description = "The caller may not write the task", body = ErrorBody),
    (status = 404, description = "No such task (or not visible)", body = ErrorBody),
    (status = 422, description = "Invalid minutes, date or note", body = ErrorBody)))]
async fn log_time(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
    Json(body): Json<CreateTimeEntryRequest>,
) -> Result<(StatusCode, Json<TimeEntry>)> {
    let (task, _) = access::task(&state.db, user.id(), &task_id, Action::Write).await?;
    let mut errors = FieldErrors::default();
    let minutes = model::minutes(body.minutes, &mut errors);
    let date = model::date(&body.date, &mut errors);
    let note = model::note(body.note.as_deref().unwrap_or_default(), &mut errors);
    errors.finish()?;
    let mut work = state.writes.begin().await?;
    let entry = store::insert_entry(
        work.tx(),
        &store::NewEntry {
            task: &task,
            user_id: user.id(),
            date: &date,
            minutes,
            note: &note,
            billable: body.billable.unwrap_or(true),
        },
    )
    .await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// A task's time entries, newest day first (whoever may read the task).
#[utoipa::path(get, path = "/api/v1/tasks/{task}/time", tag = "time", params(("task" = String, Path)), responses(
    (status = 200, description = "The entries", body = Page<TimeEntry>),
    (status = 404, description = "No such task (or not visible)", body = ErrorBody)))]
async fn list_time(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(task_id): Path<String>,
) -> Result<Json<Page<TimeEntry>>> {
    let (task, _) = access::task(&state.db, user.id(), &task_id, Action::Read).await?;
    let items = store::entries_of_task(&state.db, &task.org_id, &task.id).await?;
    Ok(Json(Page { items, next: None }))
}

/// The audit summary of an entry.
fn summary(entry: &TimeEntry) -> serde_json::Value {
    json!({
        "user_id": entry.user_id,
        "task_id": entry.task_id,
        "date": entry.date,
        "minutes": entry.minutes,
        "billable": entry.billable,
    })
}

/// Change a time entry: one's own, or anyone's as a project manager.
#[utoipa::path(patch, path = "/api/v1/time/{entry}", tag = "time", params(("entry" = String, Path)), request_body = UpdateTimeEntryRequest, responses(
    (status = 200, description = "The entry", body = TimeEntry),
    (status = 403, description = "The caller may no longer log time in the project", body = ErrorBody),
    (status = 404, description = "No such entry (or not the caller's to see)", body = ErrorBody),
    (status = 422, description = "Invalid minutes, date or note", body = ErrorBody)))]
async fn update_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(entry_id): Path<String>,
    Json(body): Json<UpdateTimeEntryRequest>,
) -> Result<Json<TimeEntry>> {
    let (row, someone_elses) = access::entry_to_change(&state.db, user.id(), &entry_id).await?;
    let before = row.entry.clone();
    let mut entry = row.entry;
    let mut errors = FieldErrors::default();
    if let Some(minutes) = body.minutes {
        entry.minutes = model::minutes(minutes, &mut errors);
    }
    if let Some(date) = &body.date {
        entry.date = model::date(date, &mut errors);
    }
    if let Some(note) = &body.note {
        entry.note = model::note(note, &mut errors);
    }
    errors.finish()?;
    entry.billable = body.billable.unwrap_or(entry.billable);
    let mut work = state.writes.begin().await?;
    store::update_entry(work.tx(), &row.org_id, &entry).await?;
    if someone_elses {
        let event = Event::new(action::TIME_ENTRY_CHANGED, Some(user.id()))
            .org(&row.org_id)
            .target("time_entry", &entry.id)
            .change(Some(summary(&before)), Some(summary(&entry)));
        work.audit(&event, &client).await?;
    }
    work.commit().await?;
    Ok(Json(entry))
}

/// Delete a time entry: one's own, or anyone's as a project manager.
#[utoipa::path(delete, path = "/api/v1/time/{entry}", tag = "time", params(("entry" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "The caller may no longer log time in the project", body = ErrorBody),
    (status = 404, description = "No such entry (or not the caller's to see)", body = ErrorBody)))]
async fn delete_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(entry_id): Path<String>,
) -> Result<StatusCode> {
    let (row, someone_elses) = access::entry_to_change(&state.db, user.id(), &entry_id).await?;
    let mut work = state.writes.begin().await?;
    if !store::delete_entry(work.tx(), &row.org_id, &row.entry.id).await? {
        return Err(crate::error::ApiError::NotFound("time entry"));
    }
    if someone_elses {
        let event = Event::new(action::TIME_ENTRY_DELETED, Some(user.id()))
            .org(&row.org_id)
            .target("time_entry", &row.entry.id)
            .change(Some(summary(&row.entry)), None::<()>);
        work.audit(&event, &client).await?;
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
