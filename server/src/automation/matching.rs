//! Whether a rule's trigger and conditions hold for an event. Pure: the caller loads the
//! actor's roles (for `actor.roles`) beforehand.

use std::cmp::Ordering;
use std::str::FromStr;

use atrium_client::wire::{ConditionOp, RuleCondition, RuleTrigger};
use rust_decimal::Decimal;
use serde_json::Value;

use super::event::Event;
use crate::webhooks::model::pattern_matches;

/// The pseudo-field of the roles of whoever made the change.
pub const ACTOR_ROLES: &str = "actor.roles";

/// Whether `trigger` is an event trigger that selects `event`.
pub fn trigger_matches(trigger: &RuleTrigger, event: &Event) -> bool {
    trigger
        .event
        .as_deref()
        .is_some_and(|pattern| pattern_matches(pattern, &event.event_type))
}

/// `Ok` when every condition holds; otherwise why not (the first that fails, in words).
pub fn evaluate(
    conditions: &[RuleCondition],
    event: &Event,
    actor_roles: &[String],
) -> Result<(), String> {
    for condition in conditions {
        if !holds(condition, event, actor_roles) {
            return Err(format!(
                "{} {} {} does not hold (it is {})",
                condition.field,
                op_name(condition.op),
                condition.value,
                current(condition, event, actor_roles)
            ));
        }
    }
    Ok(())
}

fn current(condition: &RuleCondition, event: &Event, actor_roles: &[String]) -> Value {
    if condition.field == ACTOR_ROLES {
        return Value::from(actor_roles.to_vec());
    }
    event
        .fields
        .get(&condition.field)
        .cloned()
        .unwrap_or(Value::Null)
}

fn holds(condition: &RuleCondition, event: &Event, actor_roles: &[String]) -> bool {
    let value = &condition.value;
    let field = current(condition, event, actor_roles);
    match condition.op {
        ConditionOp::Eq => same(&field, value),
        ConditionOp::Ne => !same(&field, value),
        ConditionOp::Gt => compare(&field, value) == Some(Ordering::Greater),
        ConditionOp::Lt => compare(&field, value) == Some(Ordering::Less),
        ConditionOp::In => match value {
            Value::Array(options) => options.iter().any(|o| same(&field, o)),
            single => same(&field, single),
        },
        ConditionOp::Changed => event.changes.contains_key(&condition.field),
        ConditionOp::ChangedTo => event.changes.get(&condition.field).is_some_and(|change| {
            let after = change.get("after").unwrap_or(&Value::Null);
            let before = change.get("before").unwrap_or(&Value::Null);
            same(after, value) && !same(before, value)
        }),
        ConditionOp::Contains => match (&field, value) {
            (Value::String(text), Value::String(needle)) => {
                text.to_lowercase().contains(&needle.to_lowercase())
            }
            (Value::Array(items), needle) => items.iter().any(|i| same(i, needle)),
            _ => false,
        },
        ConditionOp::IsEmpty => match &field {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        },
    }
}

/// Equal, with numbers and their text alike (`12` and `"12"`, `"12.50"` and `12.5`); a list
/// field equals a value it holds.
fn same(field: &Value, value: &Value) -> bool {
    if field == value {
        return true;
    }
    if let Value::Array(items) = field
        && !value.is_array()
    {
        return items.iter().any(|i| same(i, value));
    }
    match (decimal(field), decimal(value)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Numbers (and numeric text) by value; other text (dates `YYYY-MM-DD`, names) in order.
fn compare(field: &Value, value: &Value) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (decimal(field), decimal(value)) {
        return Some(a.cmp(&b));
    }
    match (field, value) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// The operator as the API spells it.
pub fn op_name(op: ConditionOp) -> &'static str {
    match op {
        ConditionOp::Eq => "eq",
        ConditionOp::Ne => "ne",
        ConditionOp::Gt => "gt",
        ConditionOp::Lt => "lt",
        ConditionOp::In => "in",
        ConditionOp::ChangedTo => "changed_to",
        ConditionOp::Changed => "changed",
        ConditionOp::Contains => "contains",
        ConditionOp::IsEmpty => "is_empty",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(fields: Value, changes: Value) -> Event {
        Event {
            event_type: "task.updated".into(),
            org_id: "o".into(),
            entity_id: Some("t".into()),
            project: None,
            fields: fields.as_object().cloned().unwrap(),
            changes: changes.as_object().cloned().unwrap(),
            actor: None,
            cause: None,
            at: 0,
        }
    }

    fn cond(field: &str, op: ConditionOp, value: Value) -> RuleCondition {
        RuleCondition {
            field: field.into(),
            op,
            value,
        }
    }

    #[test]
    fn changed_to_needs_the_change_to_reach_the_value() {
        let moved = event(
            json!({"status": "Done"}),
            json!({"status": {"before": "Doing", "after": "Done"}}),
        );
        let edited = event(
            json!({"status": "Done"}),
            json!({"title": {"before": "a", "after": "b"}}),
        );
        let done = [cond("status", ConditionOp::ChangedTo, json!("Done"))];
        assert!(evaluate(&done, &moved, &[]).is_ok());
        assert!(
            evaluate(&done, &edited, &[]).is_err(),
            "already Done: not a change to Done"
        );
    }

    #[test]
    fn comparisons_take_numbers_text_dates_and_lists() {
        let e = event(
            json!({"total": 12000, "rate": "12.50", "due": "2026-12-04", "assignees": ["u1", "u2"], "title": "Fix Login"}),
            json!({}),
        );
        let ok = |c: RuleCondition| evaluate(&[c], &e, &["accountant".into()]).is_ok();
        assert!(ok(cond("total", ConditionOp::Gt, json!(10000))));
        assert!(!ok(cond("total", ConditionOp::Lt, json!("100"))));
        assert!(ok(cond("rate", ConditionOp::Eq, json!(12.5))));
        assert!(ok(cond("due", ConditionOp::Lt, json!("2026-12-05"))));
        assert!(ok(cond("assignees", ConditionOp::Contains, json!("u2"))));
        assert!(ok(cond("assignees", ConditionOp::Eq, json!("u1"))));
        assert!(ok(cond("title", ConditionOp::Contains, json!("login"))));
        assert!(ok(cond("missing", ConditionOp::IsEmpty, Value::Null)));
        assert!(ok(cond("total", ConditionOp::In, json!([1, 12000]))));
        assert!(ok(cond(
            ACTOR_ROLES,
            ConditionOp::Contains,
            json!("accountant")
        )));
        assert!(!ok(cond(ACTOR_ROLES, ConditionOp::Contains, json!("hr"))));
        let why = evaluate(&[cond("total", ConditionOp::Lt, json!(5))], &e, &[]).unwrap_err();
        assert!(why.contains("total lt 5"), "{why}");
    }
}
