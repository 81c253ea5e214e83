//! Calendar dates on the wire and in the database: `YYYY-MM-DD`, always UTC.
//!
//! Dates are stored as text in that exact form, so they compare and sort as strings in SQL on
//! both backends; this module is the one place that reads and writes them, and so the one place
//! that refuses `2026-02-30` or `2026-2-3`.

use time::{Date, Duration, Month, OffsetDateTime};

/// Reads a strict `YYYY-MM-DD` date (four-digit year, zero-padded month and day, a real day).
pub fn parse(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Writes a date as `YYYY-MM-DD`.
pub fn format(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Today in UTC.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The UTC day of a Unix time in milliseconds.
pub fn day_of_ms(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map_or_else(|_| today(), OffsetDateTime::date)
}

/// The Monday of the ISO week `date` is in (the name of that week in reports).
pub fn monday_of(date: Date) -> Date {
    date - Duration::days(i64::from(date.weekday().number_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_real_zero_padded_dates() {
        assert_eq!(
            parse("2026-02-28").map(format).as_deref(),
            Some("2026-02-28")
        );
        assert_eq!(
            parse("2024-02-29").map(format).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2026-02-29",
            "2026-2-03",
            "2026-13-01",
            "2026-00-10",
            "26-01-01",
            "2026-01-1x",
            "",
            "2026/01/01",
            "+026-01-01",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_are_named_by_their_monday_across_months_and_years() {
        let monday = |s| parse(s).map(monday_of).map(format);
        assert_eq!(monday("2026-04-01").as_deref(), Some("2026-03-30"));
        assert_eq!(monday("2026-03-30").as_deref(), Some("2026-03-30"));
        assert_eq!(monday("2026-04-05").as_deref(), Some("2026-03-30"));
        assert_eq!(monday("2027-01-01").as_deref(), Some("2026-12-28"));
    }

    #[test]
    fn a_time_falls_on_its_utc_day() {
        // 2026-03-01T23:59:59.999Z and a millisecond later.
        assert_eq!(format(day_of_ms(1_772_409_599_999)), "2026-03-01");
        assert_eq!(format(day_of_ms(1_772_409_600_000)), "2026-03-02");
    }
}
