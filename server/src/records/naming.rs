//! Naming series: `prefix` + `YYYY-` + `MM-` + a zero-padded counter per org, type and period
//! (`INV-2026-00001`). The counter row is upserted in the record's own transaction
//! ([`super::store::counters::next`]), so concurrent saves get distinct consecutive numbers on
//! both databases, and a rolled-back save gives its number back. Types numbered at a
//! transition keep drafts on a provisional `Draft-…` name, so deleting a draft leaves no gap.

use atrium_client::wire::Naming;

use super::value;

/// The counter's period for a name given at `now_ms`: `""`, `"2026"` or `"2026-03"`.
pub fn period(naming: &Naming, now_ms: i64) -> String {
    let (year, month, _) = value::civil_from_days(now_ms.div_euclid(86_400_000));
    match (naming.year, naming.month) {
        (true, true) => format!("{year:04}-{month:02}"),
        (true, false) => format!("{year:04}"),
        _ => String::new(),
    }
}

/// The name of counter value `number` in `period`.
pub fn name(naming: &Naming, period: &str, number: i64) -> String {
    let digits = usize::from(naming.digits);
    if period.is_empty() {
        format!("{}{number:0digits$}", naming.prefix)
    } else {
        format!("{}{period}-{number:0digits$}", naming.prefix)
    }
}

/// A draft's provisional name, unique by its record id's random tail.
pub fn provisional(record_id: &str) -> String {
    let tail: String = record_id
        .chars()
        .rev()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("Draft-{tail}")
}

/// The name of the `n`th amendment of a record first named `root` (`INV-2026-00001-2`).
pub fn amendment(root: &str, n: i64) -> String {
    format!("{root}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_client::wire::NamingAt;

    #[test]
    fn names_follow_the_series() {
        let naming = Naming {
            prefix: "INV-".into(),
            year: true,
            month: false,
            digits: 5,
            at: NamingAt::Transition,
        };
        // 2026-03-05T00:00:00Z
        let now = value::days_from_civil(2026, 3, 5) * 86_400_000;
        let period = period(&naming, now);
        assert_eq!(name(&naming, &period, 1), "INV-2026-00001");
        let monthly = Naming {
            month: true,
            ..naming.clone()
        };
        assert_eq!(super::period(&monthly, now), "2026-03");
        let plain = Naming {
            year: false,
            ..naming
        };
        assert_eq!(name(&plain, &super::period(&plain, now), 42), "INV-00042");
        assert_eq!(amendment("INV-2026-00001", 2), "INV-2026-00001-2");
        assert!(provisional("0190a0b4-7c1e-7d3a-9f00-0123456789ab").starts_with("Draft-"));
    }
}
