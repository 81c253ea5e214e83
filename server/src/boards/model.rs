//! Task and board rules: field validation, names stored in the database, what closing means.

use std::collections::BTreeSet;

use atrium_client::wire::{ChecklistItem, Priority, StatusCategory, Swimlanes};

use crate::error::{ApiError, Result};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 40;
pub const MAX_CHECKLIST_ITEMS: usize = 100;
pub const MAX_CHECKLIST_ITEM_CHARS: usize = 500;
pub const MAX_COLUMNS: usize = 30;
/// Most users (assignees, watchers), blockers or attachments on one task.
pub const MAX_LINKS: usize = 100;
/// Most markdown a new task's description starts with.
pub const MAX_DESCRIPTION_BYTES: usize = 256 * 1024;
/// Most tasks one bulk request changes.
pub const MAX_BULK: usize = 500;

/// The columns of a board created without any.
pub const DEFAULT_COLUMNS: &[(&str, StatusCategory)] = &[
    ("Backlog", StatusCategory::Backlog),
    ("To do", StatusCategory::Todo),
    ("In progress", StatusCategory::InProgress),
    ("Done", StatusCategory::Done),
];

pub fn category_name(category: StatusCategory) -> &'static str {
    match category {
        StatusCategory::Backlog => "backlog",
        StatusCategory::Todo => "todo",
        StatusCategory::InProgress => "in_progress",
        StatusCategory::Done => "done",
        StatusCategory::Cancelled => "cancelled",
    }
}

pub fn parse_category(name: &str) -> Option<StatusCategory> {
    Some(match name {
        "backlog" => StatusCategory::Backlog,
        "todo" => StatusCategory::Todo,
        "in_progress" => StatusCategory::InProgress,
        "done" => StatusCategory::Done,
        "cancelled" => StatusCategory::Cancelled,
        _ => return None,
    })
}

/// Whether tasks of this category are closed (done or cancelled).
pub fn is_closed(category: StatusCategory) -> bool {
    matches!(category, StatusCategory::Done | StatusCategory::Cancelled)
}

pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::None => "none",
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

pub fn parse_priority(name: &str) -> Option<Priority> {
    Some(match name {
        "none" => Priority::None,
        "low" => Priority::Low,
        "medium" => Priority::Medium,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => return None,
    })
}

pub fn swimlanes_name(lanes: Swimlanes) -> &'static str {
    match lanes {
        Swimlanes::Assignee => "assignee",
        Swimlanes::Priority => "priority",
        Swimlanes::Label => "label",
    }
}

pub fn parse_swimlanes(name: &str) -> Option<Swimlanes> {
    Some(match name {
        "assignee" => Swimlanes::Assignee,
        "priority" => Swimlanes::Priority,
        "label" => Swimlanes::Label,
        _ => return None,
    })
}

/// A name (of a board, column or status): trimmed, 1 to 100 printable characters.
pub fn name(field: &str, name: &str) -> Result<String> {
    crate::http::fields::name(field, name)
}

/// A task title: trimmed, 1 to 300 characters, no control characters.
pub fn title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty()
        || title.chars().count() > MAX_TITLE_CHARS
        || title.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "title",
            format!("must be 1 to {MAX_TITLE_CHARS} printable characters"),
        ));
    }
    Ok(title.to_owned())
}

/// A calendar date `YYYY-MM-DD`.
pub fn date(field: &str, value: &str) -> Result<String> {
    if days_from_date(value).is_none() {
        return Err(ApiError::invalid_field(field, "must be a date YYYY-MM-DD"));
    }
    Ok(value.to_owned())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (Howard Hinnant's civil-days algorithm);
/// `None` for anything else, impossible days included.
pub fn days_from_date(value: &str) -> Option<i64> {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &value[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[usize::try_from(month - 1).ok()?] {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date of a day count since 1970-01-01.
pub fn date_from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Today's UTC date plus `offset` days.
pub fn utc_date(offset: i64) -> String {
    date_from_days(crate::db::now_ms().div_euclid(86_400_000) + offset)
}

/// An estimate in minutes: not negative, at most ten years of minutes.
pub fn estimate(value: i64) -> Result<i64> {
    if !(0..=5_256_000).contains(&value) {
        return Err(ApiError::invalid_field(
            "estimate",
            "must be a whole number of minutes, not negative",
        ));
    }
    Ok(value)
}

/// Labels: trimmed, deduplicated, at most 20 of at most 40 characters each.
pub fn labels(field: &str, labels: &[String]) -> Result<Vec<String>> {
    let mut seen = BTreeSet::new();
    for label in labels {
        let label = label.trim();
        if label.is_empty()
            || label.chars().count() > MAX_LABEL_CHARS
            || label.chars().any(char::is_control)
        {
            return Err(ApiError::invalid_field(
                field,
                format!("each label must be 1 to {MAX_LABEL_CHARS} printable characters"),
            ));
        }
        seen.insert(label.to_owned());
    }
    if seen.len() > MAX_LABELS {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {MAX_LABELS} labels"),
        ));
    }
    Ok(seen.into_iter().collect())
}

/// A list of ids (users, tasks, files): deduplicated, bounded.
pub fn ids(field: &str, ids: &[String]) -> Result<Vec<String>> {
    let set: BTreeSet<String> = ids.iter().map(|id| id.trim().to_owned()).collect();
    if set.len() > MAX_LINKS || set.iter().any(String::is_empty) {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {MAX_LINKS} ids"),
        ));
    }
    Ok(set.into_iter().collect())
}

/// A checklist: at most 100 items of 1 to 500 characters; new items get an id.
pub fn checklist(items: &[ChecklistItem]) -> Result<Vec<ChecklistItem>> {
    if items.len() > MAX_CHECKLIST_ITEMS {
        return Err(ApiError::invalid_field(
            "checklist",
            format!("at most {MAX_CHECKLIST_ITEMS} items"),
        ));
    }
    let mut seen = BTreeSet::new();
    items
        .iter()
        .map(|item| {
            let text = item.text.trim();
            if text.is_empty()
                || text.chars().count() > MAX_CHECKLIST_ITEM_CHARS
                || text.chars().any(char::is_control)
            {
                return Err(ApiError::invalid_field(
                    "checklist",
                    format!(
                        "each item must be 1 to {MAX_CHECKLIST_ITEM_CHARS} printable characters"
                    ),
                ));
            }
            let id = if item.id.is_empty() || !seen.insert(item.id.clone()) {
                crate::db::new_id()
            } else {
                item.id.clone()
            };
            Ok(ChecklistItem {
                id,
                text: text.to_owned(),
                done: item.done,
            })
        })
        .collect()
}

/// `ENG-42`.
pub fn task_key(project_key: &str, number: i64) -> String {
    format!("{project_key}-{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert!(title("  ").is_err());
        assert!(title(&"x".repeat(301)).is_err());
        assert_eq!(title(" Fix it ").unwrap(), "Fix it");
        assert!(title(&"é".repeat(300)).is_ok());
    }

    #[test]
    fn dates_and_estimates() {
        assert!(date("due", "2026-02-30").is_err());
        assert!(date("due", "2026-2-3").is_err());
        assert!(date("due", "tomorrow").is_err());
        assert!(date("due", "2026-12-31").is_ok());
        assert!(date("due", "2024-02-29").is_ok());
        assert!(date("due", "2023-02-29").is_err());
        for days in [-1, 0, 1, 19_000, 20_819] {
            assert_eq!(days_from_date(&date_from_days(days)), Some(days));
        }
        assert_eq!(date_from_days(0), "1970-01-01");
        assert!(estimate(-1).is_err());
        assert!(estimate(0).is_ok());
    }

    #[test]
    fn labels_and_checklists() {
        let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
        assert!(labels("labels", &many).is_err());
        assert!(labels("labels", &["x".repeat(41)]).is_err());
        assert_eq!(
            labels("labels", &["b".into(), "a".into(), "b".into()]).unwrap(),
            vec!["a", "b"]
        );
        let items: Vec<ChecklistItem> = (0..101)
            .map(|i| ChecklistItem {
                id: String::new(),
                text: format!("item {i}"),
                done: false,
            })
            .collect();
        assert!(checklist(&items).is_err());
        assert!(
            checklist(&items[..100])
                .unwrap()
                .iter()
                .all(|i| !i.id.is_empty())
        );
    }
}
