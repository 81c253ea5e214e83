//! `/api/v1/me/timer`: the caller's one running timer.
//!
//! Starting a timer stops the running one first, turning it into a time entry (see
//! [`model::stopped_timer`]). At most one timer per user is the `timers` table's primary key:
//! a start takes the running row (`delete … returning`, which locks it) and inserts its own with
//! `on conflict do nothing`; when a concurrent start inserted first, the whole unit of work is
//! rolled back and tried again, so every stopped timer becomes exactly one entry however many
//! starts race. A stop records the entry even if the caller may no longer write the task:
//! the time was spent while they could. `GET` answers `null` when no timer runs (not 404: no timer is the usual state).
//! Every change goes to the user's own sockets as `timer.updated`, so their other tabs follow.

use atrium_client::wire::{
    ErrorBody, StartTimerRequest, TimeEntry, Timer, TimerChanged, TimerStarted,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, TimerRow};
use super::{access, model};
use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::extract::Json;
use crate::state::AppState;
use crate::write::UnitOfWork;

/// How often a start retries after losing a race to a concurrent start of the same user.
const START_ATTEMPTS: usize = 64;

/// The timer routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start_timer, get_timer, stop_timer))
}

/// Turns a timer just taken from the table into the caller's time entry on its task; answers
/// the entry with its org.
async fn record(
    work: &mut UnitOfWork,
    user_id: &str,
    timer: &TimerRow,
    stopped_at: i64,
) -> Result<Option<(String, TimeEntry)>> {
    // The task went away with its timer (cascade); a row here always has its task.
    let Some(task) = store::task(&mut **work.tx(), &timer.task_id).await? else {
        return Ok(None);
    };
    let (minutes, date) = model::stopped_timer(timer.started_at, stopped_at);
    let entry = store::insert_entry(
        work.tx(),
        &store::NewEntry {
            task: &task,
            user_id,
            date: &date,
            minutes,
            note: "",
            billable: true,
        },
    )
    .await?;
    Ok(Some((task.org_id, entry)))
}

/// Queues `timer.updated` for the user's own sockets.
fn announce(work: &mut UnitOfWork, org_id: &str, user_id: &str, change: &TimerChanged) {
    work.emit(NewEvent::new(
        org_id,
        Audience::User(user_id.to_owned()),
        "timer.updated",
        change,
    ));
}

/// Start a timer on a task (those who may write it), stopping the running one first.
#[utoipa::path(post, path = "/api/v1/me/timer", tag = "time", request_body = StartTimerRequest, responses(
    (status = 201, description = "The new timer and the entry of the one it stopped", body = TimerStarted),
    (status = 403, description = "The caller may not write the task", body = ErrorBody),
    (status = 404, description = "No such task (or not visible)", body = ErrorBody),
    (status = 409, description = "Too many concurrent starts (`timer_busy`): try again", body = ErrorBody)))]
async fn start_timer(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<StartTimerRequest>,
) -> Result<(StatusCode, Json<TimerStarted>)> {
    let (task, _) = access::task(&state.db, user.id(), &body.task, Action::Write).await?;
    for _ in 0..START_ATTEMPTS {
        let mut work = state.writes.begin().await?;
        let now = now_ms();
        let stopped = match store::take_timer(work.tx(), user.id()).await? {
            Some(running) => record(&mut work, user.id(), &running, now)
                .await?
                .map(|(_, entry)| entry),
            None => None,
        };
        if !store::insert_timer(work.tx(), user.id(), &task.id, now).await? {
            // A concurrent start committed its timer after this one looked: begin again, and
            // stop that one instead.
            continue;
        }
        let timer = Timer {
            task_id: task.id.clone(),
            task_key: task.key.clone(),
            task_title: task.title.clone(),
            started_at: now,
        };
        let change = TimerChanged {
            timer: Some(timer.clone()),
            stopped: stopped.clone(),
        };
        announce(&mut work, &task.org_id, user.id(), &change);
        work.commit().await?;
        return Ok((StatusCode::CREATED, Json(TimerStarted { timer, stopped })));
    }
    Err(ApiError::conflict(
        "timer_busy",
        "the timer is being started elsewhere at the same time; try again",
    ))
}

/// The caller's running timer, or `null` when none runs.
#[utoipa::path(get, path = "/api/v1/me/timer", tag = "time", responses(
    (status = 200, description = "The running timer, or null", body = Option<Timer>)))]
async fn get_timer(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Option<Timer>>> {
    Ok(Json(store::running_timer(&state.db, user.id()).await?))
}

/// Stop the caller's timer: the time entry it becomes.
#[utoipa::path(delete, path = "/api/v1/me/timer", tag = "time", responses(
    (status = 200, description = "The new time entry", body = TimeEntry),
    (status = 404, description = "No timer is running", body = ErrorBody)))]
async fn stop_timer(State(state): State<AppState>, user: CurrentUser) -> Result<Json<TimeEntry>> {
    let mut work = state.writes.begin().await?;
    let running = store::take_timer(work.tx(), user.id())
        .await?
        .ok_or(ApiError::NotFound("timer"))?;
    let (org_id, entry) = record(&mut work, user.id(), &running, now_ms())
        .await?
        .ok_or(ApiError::NotFound("timer"))?;
    let change = TimerChanged {
        timer: None,
        stopped: Some(entry.clone()),
    };
    announce(&mut work, &org_id, user.id(), &change);
    work.commit().await?;
    Ok(Json(entry))
}
