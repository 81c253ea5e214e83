//! The pass that fires timed rules, as the recurring job `automation.schedule` (every minute)
//! and the operator's `atrium admin automation-pass --at` (any instant, for a clock under
//! control). A schedule fires at its latest occurrence after the rule's mark (a server down for
//! a week fires a weekly rule once, not seven times); a due-date rule fires once per open task
//! and due date, when the date is at most `due_within_days` ahead in the rule's time zone. Runs
//! are unique per rule and instant (or task and date), so passes that overlap queue nothing
//! twice.

use std::time::Duration;

use atrium_client::wire::{RuleTrigger, RunOutcome};
use chrono::{DateTime, TimeZone as _, Utc};
use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::event::Event;
use super::model::{cron, time_zone};
use super::runner;
use super::store::{self, NewRun, RuleRow};
use crate::authz::ResourceKind;
use crate::authz::audience::Audience;
use crate::db::{new_id, now_ms};
use crate::error::ApiError;
use crate::jobs::recurring::RecurringHandler;
use crate::write::Writes;

/// The recurring job's kind.
pub const KIND: &str = "automation.schedule";
/// How often it runs.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// The job runner's handler of [`KIND`].
pub fn handler(writes: Writes) -> RecurringHandler {
    RecurringHandler::new(writes, KIND, INTERVAL, pass_now)
}

fn pass_now(writes: &Writes) -> BoxFuture<'_, Result<(), ApiError>> {
    Box::pin(async move {
        pass(writes, now_ms()).await?;
        Ok(())
    })
}

/// Today's date (`YYYY-MM-DD`) at `at` (UTC ms) in the trigger's time zone.
pub fn today_in(trigger: &RuleTrigger, at: i64) -> String {
    let zone = time_zone(trigger);
    zone.timestamp_millis_opt(at)
        .single()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The latest occurrence of the rule's schedule in `(after, through]`, UTC ms.
pub fn latest_occurrence(trigger: &RuleTrigger, after: i64, through: i64) -> Option<i64> {
    let pattern = cron(trigger.schedule.as_deref()?).ok()?;
    let zone = time_zone(trigger);
    let mut at = zone.timestamp_millis_opt(after).single()?;
    let mut latest = None;
    // Bounded: a minute-by-minute schedule after a long outage still ends quickly.
    for _ in 0..10_000 {
        let next = pattern.find_next_occurrence(&at, false).ok()?;
        let ms = next.timestamp_millis();
        if ms > through {
            break;
        }
        latest = Some(ms);
        at = next;
    }
    latest
}

/// One pass at `now` (UTC ms): how many runs it queued.
pub async fn pass(writes: &Writes, now: i64) -> Result<usize, sqlx::Error> {
    let mut queued = 0;
    for rule in store::timed_rules(writes.db()).await? {
        queued += fire(writes, &rule, now).await?;
    }
    Ok(queued)
}

/// What a pass at `now` would fire for `rule`: each run's once key and event.
pub async fn pending(
    writes: &Writes,
    rule: &RuleRow,
    now: i64,
) -> Result<Vec<(String, Event)>, sqlx::Error> {
    let r = &rule.rule;
    let after = rule.checked_through.unwrap_or(r.created_at);
    let mut due_events = Vec::new();
    if r.trigger.schedule.is_some() {
        if let Some(at) = latest_occurrence(&r.trigger, after, now) {
            due_events.push((
                format!("at:{at}"),
                Event::schedule(&r.org_id, r.project.as_deref(), at),
            ));
        }
    } else if let Some(days) = r.trigger.due_within_days {
        let today = DateTime::<Utc>::from_timestamp_millis(now).unwrap_or_default();
        let zone = time_zone(&r.trigger);
        let local = today.with_timezone(&zone).date_naive();
        let through = (local + chrono::Days::new(u64::from(days)))
            .format("%Y-%m-%d")
            .to_string();
        let tasks =
            store::open_tasks_due_by(writes.db(), &r.org_id, r.project.as_deref(), &through)
                .await?;
        // Only tasks the rule's author may read (a rule speaks for its author: consumer.rs).
        let touched: Vec<_> = tasks
            .iter()
            .map(|t| (r.org_id.as_str(), Some(t.project_id.as_str())))
            .collect();
        let author = [(r.org_id.as_str(), r.created_by.as_str())];
        let audience = Audience::load(writes.db(), &author, &touched).await?;
        for task in tasks.into_iter().filter(|t| {
            audience.reads_in_project(&r.org_id, &r.created_by, &t.project_id, ResourceKind::Task)
        }) {
            let key = format!("due:{}:{}", task.id, task.due);
            due_events.push((key, due_event(&r.org_id, &task, now)));
        }
    }
    Ok(due_events)
}

async fn fire(writes: &Writes, rule: &RuleRow, now: i64) -> Result<usize, sqlx::Error> {
    let r = &rule.rule;
    if now <= rule.checked_through.unwrap_or(r.created_at) {
        return Ok(0);
    }
    let due_events = pending(writes, rule, now).await?;
    let mut work = writes.begin().await?;
    let mut queued = 0;
    for (once_key, event) in &due_events {
        let id = format!("run_{}", new_id());
        let inserted = store::insert_run(
            work.tx(),
            &NewRun {
                id: &id,
                rule_id: &r.id,
                org_id: &r.org_id,
                trigger: if r.trigger.schedule.is_some() {
                    "schedule"
                } else {
                    "due"
                },
                once_key,
                outcome: RunOutcome::Pending,
                depth: 1,
                event,
                error: None,
                now,
            },
        )
        .await?;
        if inserted {
            runner::enqueue(&mut work, &r.org_id, &id).await?;
            queued += 1;
        }
    }
    store::set_checked_through(work.tx(), &r.id, now).await?;
    work.commit().await?;
    Ok(queued)
}

fn due_event(org_id: &str, task: &store::DueTask, at: i64) -> Event {
    let mut fields = Map::new();
    for (name, value) in [
        ("id", &task.id),
        ("key", &task.key),
        ("title", &task.title),
        ("due", &task.due),
        ("status", &task.status),
        ("project", &task.project_id),
    ] {
        fields.insert(name.into(), Value::String(value.clone()));
    }
    Event {
        event_type: "task.due".into(),
        org_id: org_id.to_owned(),
        entity_id: Some(task.id.clone()),
        project: Some(task.project_id.clone()),
        fields,
        changes: Map::new(),
        actor: None,
        cause: None,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(zone: &str) -> RuleTrigger {
        RuleTrigger {
            schedule: Some("0 9 * * MON".into()),
            timezone: Some(zone.into()),
            ..RuleTrigger::default()
        }
    }

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn a_schedule_fires_at_local_time_once_for_the_latest_occurrence() {
        // Monday 2026-12-07 09:00 in Berlin is 08:00 UTC (winter time).
        let berlin = weekly("Europe/Berlin");
        let fired = latest_occurrence(
            &berlin,
            ms("2026-12-07T07:00:00Z"),
            ms("2026-12-07T08:00:30Z"),
        );
        assert_eq!(fired, Some(ms("2026-12-07T08:00:00Z")));
        assert_eq!(
            latest_occurrence(
                &berlin,
                ms("2026-12-07T07:00:00Z"),
                ms("2026-12-07T07:59:59Z")
            ),
            None
        );
        // Three weeks down: the latest Monday only.
        let fired = latest_occurrence(
            &berlin,
            ms("2026-11-20T00:00:00Z"),
            ms("2026-12-09T00:00:00Z"),
        );
        assert_eq!(fired, Some(ms("2026-12-07T08:00:00Z")));
        // In summer, 09:00 Berlin is 07:00 UTC.
        let fired = latest_occurrence(
            &berlin,
            ms("2026-06-01T00:00:00Z"),
            ms("2026-06-01T23:00:00Z"),
        );
        assert_eq!(fired, Some(ms("2026-06-01T07:00:00Z")));
        assert_eq!(today_in(&berlin, ms("2026-12-06T23:30:00Z")), "2026-12-07");
    }
}
