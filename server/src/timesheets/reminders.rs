//! The reminder of last week's timesheet, run as a recurring job (and by `atrium admin
//! timesheet-pass --at` with a time of the operator's choosing): once the org's deadline for
//! last week has passed (its weekday and hour of this week, in the org's time), everyone
//! expected to hand in a timesheet for last week — who tracked time in it, or has kept
//! timesheets before — and has not submitted it is notified, once per person and week.

use atrium_client::wire::{NotificationKind, TimesheetSettings};
use futures::future::BoxFuture;

use super::{notify, settings, store};
use crate::calendar;
use crate::db::now_ms;
use crate::error::Result;
use crate::write::Writes;

/// The job kind.
pub const KIND: &str = "timesheets.pass";

/// The Monday of the week whose timesheet is due by `now` under `settings`, if its deadline
/// has passed: last week's once this week's deadline hour is reached.
pub fn week_due(settings: &TimesheetSettings, now_ms: i64) -> Option<time::Date> {
    let local = now_ms + i64::from(settings.utc_offset_minutes) * 60_000;
    let today = calendar::day_of_ms(local);
    let this_monday = calendar::monday_of(today);
    let deadline_day = this_monday + time::Duration::days(i64::from(settings.deadline_weekday) - 1);
    let minute_of_day = local.rem_euclid(86_400_000) / 60_000;
    let reached = today > deadline_day
        || (today == deadline_day && minute_of_day >= i64::from(settings.deadline_hour) * 60);
    reached.then(|| this_monday - time::Duration::days(7))
}

/// The pass as of `now` (Unix milliseconds): how many reminders it wrote.
pub async fn pass(writes: &Writes, now: i64) -> Result<usize> {
    let db = writes.db();
    let mut sent = 0;
    for org_id in store::orgs_keeping_timesheets(db).await? {
        let settings = settings::load(db, &org_id).await?;
        if !settings.reminders {
            continue;
        }
        let Some(week) = week_due(&settings, now) else {
            continue;
        };
        let from = calendar::format(week);
        let to = calendar::format(week + time::Duration::days(6));
        let expected = store::expected_people(db, &org_id, &from, &to).await?;
        let submitted = store::submitted_for_week(db, &org_id, &from).await?;
        for user in expected.difference(&submitted) {
            let timesheet = store::timesheet_of(db, &org_id, user, &from).await?;
            let mut work = writes.begin().await?;
            if store::mark_reminded(work.tx(), &org_id, user, &from, now).await? {
                notify::write(
                    &mut work,
                    NotificationKind::TimesheetDue,
                    &org_id,
                    timesheet.as_deref(),
                    None,
                    std::slice::from_ref(user),
                    &format!("Your timesheet for the week of {from} is due"),
                )
                .await?;
                sent += 1;
            }
            work.commit().await?;
        }
    }
    Ok(sent)
}

/// The pass as of now, as the recurring job runs it.
pub fn pass_now(writes: &Writes) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { pass(writes, now_ms()).await.map(drop) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        let date = calendar::parse(&text[..10]).unwrap();
        let hour: i64 = text[11..13].parse().unwrap();
        let days = crate::records::value::parse_date(&calendar::format(date)).unwrap();
        days * 86_400_000 + hour * 3_600_000
    }

    #[test]
    fn last_week_is_due_from_the_deadline_in_org_time() {
        let settings = TimesheetSettings::default();
        // 2026-12-07 is a Monday: due at noon.
        assert_eq!(week_due(&settings, at("2026-12-07T11")), None);
        assert_eq!(
            week_due(&settings, at("2026-12-07T12"))
                .map(calendar::format)
                .as_deref(),
            Some("2026-11-30")
        );
        assert_eq!(
            week_due(&settings, at("2026-12-13T23"))
                .map(calendar::format)
                .as_deref(),
            Some("2026-11-30")
        );
        let east = TimesheetSettings {
            utc_offset_minutes: 330,
            ..TimesheetSettings::default()
        };
        // 07:00 UTC is 12:30 in UTC+5:30.
        assert_eq!(
            week_due(&east, at("2026-12-07T07"))
                .map(calendar::format)
                .as_deref(),
            Some("2026-11-30")
        );
        let friday = TimesheetSettings {
            deadline_weekday: 5,
            deadline_hour: 17,
            ..TimesheetSettings::default()
        };
        assert_eq!(week_due(&friday, at("2026-12-10T23")), None);
        assert!(week_due(&friday, at("2026-12-11T17")).is_some());
    }
}
