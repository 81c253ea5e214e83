//! The rules of milestones and saved views: names, dates, filters and sorts that are valid.

use atrium_client::wire::TaskFilter;

use crate::calendar;
use crate::timetrack::model::FieldErrors;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most values in one filter list (assignees, labels, priorities, statuses).
pub const MAX_FILTER_VALUES: usize = 50;
pub const MAX_LABEL_CHARS: usize = 50;
pub const MAX_TEXT_CHARS: usize = 200;
/// The task fields a view may sort by (`-` first for descending).
pub const SORT_FIELDS: [&str; 6] = ["key", "title", "priority", "due", "status", "updated"];

/// A trimmed name of 1 to [`MAX_NAME_CHARS`] printable characters.
pub fn name(value: &str, errors: &mut FieldErrors) -> String {
    let name = value.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        errors.add(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} printable characters"),
        );
    }
    name.to_owned()
}

/// A trimmed description of at most [`MAX_DESCRIPTION_CHARS`] characters.
pub fn description(value: &str, errors: &mut FieldErrors) -> String {
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.add(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        );
    }
    value.trim().to_owned()
}

/// A real `YYYY-MM-DD` date in `field`.
pub fn date(field: &str, value: &str, errors: &mut FieldErrors) -> String {
    match calendar::parse(value) {
        Some(date) => calendar::format(date),
        None => {
            errors.add(field, "must be a real date as YYYY-MM-DD");
            value.to_owned()
        }
    }
}

/// A sort: empty (the default order) or a field of [`SORT_FIELDS`], `-` first for descending.
pub fn sort(value: &str, errors: &mut FieldErrors) -> String {
    let value = value.trim();
    let field = value.strip_prefix('-').unwrap_or(value);
    if !value.is_empty() && !SORT_FIELDS.contains(&field) {
        errors.add(
            "sort",
            format!(
                "must be one of {} (with - for descending)",
                SORT_FIELDS.join(", ")
            ),
        );
    }
    value.to_owned()
}

/// The shape of a filter (what needs no database): list sizes, labels, text and the date;
/// values are trimmed and lists deduplicated. Whether its statuses, milestone and assignees
/// exist is for the caller to check against the project.
pub fn filter_shape(filter: &TaskFilter, errors: &mut FieldErrors) -> TaskFilter {
    let mut clean = filter.clone();
    let lists: [(&str, usize); 4] = [
        ("filters.assignees", filter.assignees.len()),
        ("filters.labels", filter.labels.len()),
        ("filters.priorities", filter.priorities.len()),
        ("filters.statuses", filter.statuses.len()),
    ];
    for (field, len) in lists {
        if len > MAX_FILTER_VALUES {
            errors.add(
                field,
                format!("must list at most {MAX_FILTER_VALUES} values"),
            );
        }
    }
    for list in [&mut clean.assignees, &mut clean.labels, &mut clean.statuses] {
        for value in list.iter_mut() {
            *value = value.trim().to_owned();
        }
        list.sort();
        list.dedup();
    }
    clean.priorities.sort();
    clean.priorities.dedup();
    if clean
        .labels
        .iter()
        .any(|label| label.is_empty() || label.chars().count() > MAX_LABEL_CHARS)
    {
        errors.add(
            "filters.labels",
            format!("labels must be 1 to {MAX_LABEL_CHARS} characters"),
        );
    }
    if let Some(text) = &filter.text {
        let text = text.trim();
        if text.chars().count() > MAX_TEXT_CHARS {
            errors.add(
                "filters.text",
                format!("must be at most {MAX_TEXT_CHARS} characters"),
            );
        }
        clean.text = (!text.is_empty()).then(|| text.to_owned());
    }
    if let Some(due) = &filter.due_before {
        clean.due_before = Some(date("filters.due_before", due, errors));
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn sorts_name_a_field_with_an_optional_minus() {
        let mut errors = FieldErrors::default();
        for good in ["", "key", "-due", "updated"] {
            sort(good, &mut errors);
        }
        assert!(errors.finish().is_ok());
        let mut errors = FieldErrors::default();
        sort("--due", &mut errors);
        assert!(errors.finish().is_err());
    }

    #[test]
    fn filter_shapes_are_checked_and_cleaned() {
        let mut errors = FieldErrors::default();
        let filter = TaskFilter {
            labels: vec![" ui ".into(), "ui".into()],
            text: Some("  ".into()),
            ..TaskFilter::default()
        };
        let clean = filter_shape(&filter, &mut errors);
        assert_eq!(clean.labels, ["ui"]);
        assert_eq!(clean.text, None);
        assert!(errors.finish().is_ok());

        let mut errors = FieldErrors::default();
        let bad = TaskFilter {
            labels: vec![String::new()],
            due_before: Some("2026-02-30".into()),
            statuses: vec!["s".into(); 51],
            ..TaskFilter::default()
        };
        filter_shape(&bad, &mut errors);
        let Err(ApiError::Validation(fields)) = errors.finish() else {
            panic!("expected field errors");
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["filters.due_before", "filters.labels", "filters.statuses"]
        );
    }
}
