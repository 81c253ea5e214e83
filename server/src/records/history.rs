//! Field-level history: what changed between two versions of a record's data, per field, and
//! per child row by its stable id (`lines[<row id>].quantity`; a row added or removed is one
//! change with `before` or `after` null).

use atrium_client::wire::FieldChange;
use serde_json::{Map, Value};

/// The changes from `before` to `after` (fields in name order; rows in their new order, then
/// removed rows).
pub fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<FieldChange> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changes = Vec::new();
    for key in keys {
        let (old, new) = (before.get(key), after.get(key));
        if old == new {
            continue;
        }
        let rows = |v: Option<&Value>| -> Option<Vec<Map<String, Value>>> {
            match v {
                None => Some(Vec::new()),
                Some(Value::Array(items)) if items.iter().all(|i| i.get("id").is_some()) => {
                    Some(items.iter().filter_map(Value::as_object).cloned().collect())
                }
                _ => None,
            }
        };
        match (rows(old), rows(new)) {
            (Some(old_rows), Some(new_rows))
                if old.is_some_and(Value::is_array) || new.is_some_and(Value::is_array) =>
            {
                diff_rows(key, &old_rows, &new_rows, &mut changes);
            }
            _ => changes.push(FieldChange {
                field: key.clone(),
                before: old.cloned().unwrap_or(Value::Null),
                after: new.cloned().unwrap_or(Value::Null),
            }),
        }
    }
    changes
}

fn diff_rows(
    table: &str,
    old: &[Map<String, Value>],
    new: &[Map<String, Value>],
    changes: &mut Vec<FieldChange>,
) {
    let id = |row: &Map<String, Value>| {
        row.get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for row in new {
        let row_id = id(row);
        match old.iter().find(|o| id(o) == row_id) {
            None => changes.push(FieldChange {
                field: format!("{table}[{row_id}]"),
                before: Value::Null,
                after: Value::Object(row.clone()),
            }),
            Some(previous) => {
                for change in diff(previous, row) {
                    changes.push(FieldChange {
                        field: format!("{table}[{row_id}].{}", change.field),
                        ..change
                    });
                }
            }
        }
    }
    for row in old {
        let row_id = id(row);
        if !new.iter().any(|n| id(n) == row_id) {
            changes.push(FieldChange {
                field: format!("{table}[{row_id}]"),
                before: Value::Object(row.clone()),
                after: Value::Null,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_followed_by_id() {
        let before = json!({"title": "a", "lines": [{"id": "r1", "q": 1}, {"id": "r2", "q": 2}]});
        let after = json!({"title": "b", "lines": [{"id": "r1", "q": 5}, {"id": "r3", "q": 3}]});
        let changes = diff(before.as_object().unwrap(), after.as_object().unwrap());
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["lines[r1].q", "lines[r3]", "lines[r2]", "title"]);
        assert_eq!(changes[0].before, json!(1));
        assert_eq!(changes[0].after, json!(5));
    }
}
