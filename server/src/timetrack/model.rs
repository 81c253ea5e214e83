//! The rules of time entries: what a valid entry is, and what a stopped timer records.

use std::collections::BTreeMap;

use time::Duration;

use crate::calendar;
use crate::error::ApiError;

/// Most minutes one entry may hold: a whole day.
pub const MAX_MINUTES: i64 = 1440;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;
/// How far ahead an entry may be dated (planned time, e.g. a booked workshop).
pub const MAX_DAYS_AHEAD: i64 = 366;

/// Collects field errors so a request hears about every bad field at once.
#[derive(Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, why: impl Into<String>) {
        self.0.insert(field.to_owned(), why.into());
    }

    /// `Ok` when nothing was added, else the 422 naming every field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Checks minutes (1 to a day).
pub fn minutes(value: i64, errors: &mut FieldErrors) -> u32 {
    if (1..=MAX_MINUTES).contains(&value) {
        u32::try_from(value).unwrap_or_default()
    } else {
        errors.add(
            "minutes",
            format!("must be a whole number from 1 to {MAX_MINUTES}"),
        );
        0
    }
}

/// Checks a date: a real `YYYY-MM-DD` no more than a year after today (UTC).
pub fn date(value: &str, errors: &mut FieldErrors) -> String {
    match calendar::parse(value) {
        Some(date) if date <= calendar::today() + Duration::days(MAX_DAYS_AHEAD) => {
            calendar::format(date)
        }
        Some(_) => {
            errors.add("date", "must not be more than a year ahead");
            String::new()
        }
        None => {
            errors.add("date", "must be a real date as YYYY-MM-DD");
            String::new()
        }
    }
}

/// Checks a note (trimmed; at most [`MAX_NOTE_CHARS`] characters).
pub fn note(value: &str, errors: &mut FieldErrors) -> String {
    let note = value.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.add(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        );
    }
    note.to_owned()
}

/// What a timer that ran from `started_at` to `stopped_at` records: minutes rounded to the
/// nearest (at least 1, at most a day — an entry never holds more), dated the UTC day it started.
pub fn stopped_timer(started_at: i64, stopped_at: i64) -> (u32, String) {
    let elapsed = stopped_at.saturating_sub(started_at).max(0);
    let minutes = ((elapsed + 30_000) / 60_000).clamp(1, MAX_MINUTES);
    (
        u32::try_from(minutes).unwrap_or(1),
        calendar::format(calendar::day_of_ms(started_at)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_rounds_to_the_nearest_minute_at_least_one() {
        let start = 1_772_409_600_000; // 2026-03-02T00:00Z
        assert_eq!(stopped_timer(start, start + 5_000).0, 1);
        assert_eq!(stopped_timer(start, start + 89_999).0, 1);
        assert_eq!(stopped_timer(start, start + 90_000).0, 2);
        assert_eq!(stopped_timer(start, start + 3 * 86_400_000).0, 1440);
        assert_eq!(stopped_timer(start - 1, start + 1_000).1, "2026-03-01");
    }

    #[test]
    fn bad_fields_are_all_named() {
        let mut errors = FieldErrors::default();
        minutes(0, &mut errors);
        minutes(1441, &mut errors);
        date("2026-02-30", &mut errors);
        note(&"x".repeat(1001), &mut errors);
        let Err(ApiError::Validation(fields)) = errors.finish() else {
            panic!("expected field errors");
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["date", "minutes", "note"]
        );
        let mut ok = FieldErrors::default();
        assert_eq!(minutes(1440, &mut ok), 1440);
        assert_eq!(note("  fine  ", &mut ok), "fine");
        assert!(ok.finish().is_ok());
    }
}
