//! Workflows as data: which transition an action is from a record's state, whether the caller
//! may take it (their roles, self-approval), and whether its condition holds.

use atrium_client::wire::{Condition, Transition, Workflow};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::value;
use crate::error::ApiError;

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such action from the current state: 409.
    NotFromHere,
    /// None of the caller's roles may take it: 403.
    Role,
    /// The record's creator may not take it: 403.
    SelfApproval,
    /// The record's fields do not satisfy its condition: 422 on the field.
    Condition(String),
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFromHere => ApiError::conflict(
                "transition_unavailable",
                "that action is not available from the record's state",
            ),
            Refusal::Role => ApiError::Forbidden("your roles cannot take this action".into()),
            Refusal::SelfApproval => ApiError::Refused {
                code: "self_approval",
                message: "the record's creator cannot take this action".into(),
            },
            Refusal::Condition(field) => {
                ApiError::invalid_field(&field, "does not meet the action's condition")
            }
        }
    }
}

/// The transition `action` from `state`.
pub fn find<'w>(
    workflow: &'w Workflow,
    state: Option<&str>,
    action: &str,
) -> Option<&'w Transition> {
    let state = state?;
    workflow
        .transitions
        .iter()
        .find(|t| t.action == action && t.from.iter().any(|s| s == state))
}

/// Whether a caller holding `roles` (base and business), who created the record or not, may
/// take `transition` on a record with `data`.
pub fn check(
    transition: &Transition,
    roles: &[&str],
    is_creator: bool,
    data: &Map<String, Value>,
) -> Result<(), Refusal> {
    if !transition.roles.is_empty()
        && !roles
            .iter()
            .any(|r| transition.roles.iter().any(|t| t == r))
    {
        return Err(Refusal::Role);
    }
    if is_creator && !transition.allow_self_approval {
        return Err(Refusal::SelfApproval);
    }
    if let Some(condition) = &transition.condition
        && !holds(condition, data)
    {
        return Err(Refusal::Condition(condition.field.clone()));
    }
    Ok(())
}

/// Whether a condition holds; numbers (and numeric strings) compare as exact decimals, other
/// values as their JSON.
pub fn holds(condition: &Condition, data: &Map<String, Value>) -> bool {
    let current = data.get(&condition.field);
    let number = |v: &Value| -> Option<Decimal> {
        match v {
            Value::Number(_) => value::decimal(v).ok(),
            Value::String(s) => value::decimal(&Value::String(s.clone())).ok(),
            _ => None,
        }
    };
    let ordered = |want: fn(std::cmp::Ordering) -> bool| match (
        current.and_then(number),
        condition.value.as_ref().and_then(number),
    ) {
        (Some(a), Some(b)) => want(a.cmp(&b)),
        _ => match (
            current.and_then(Value::as_str),
            condition.value.as_ref().and_then(Value::as_str),
        ) {
            (Some(a), Some(b)) => want(a.cmp(b)),
            _ => false,
        },
    };
    match condition.op.as_str() {
        "empty" => current.is_none(),
        "not_empty" => current.is_some(),
        "eq" => current == condition.value.as_ref(),
        "ne" => current != condition.value.as_ref(),
        "gt" => ordered(|o| o.is_gt()),
        "gte" => ordered(|o| o.is_ge()),
        "lt" => ordered(|o| o.is_lt()),
        "lte" => ordered(|o| o.is_le()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workflow() -> Workflow {
        serde_json::from_value(json!({
            "states": [{"name": "draft"}, {"name": "submitted"}, {"name": "approved", "final_state": true}],
            "transitions": [
                {"action": "submit", "from": ["draft"], "to": "submitted"},
                {"action": "approve", "from": ["submitted"], "to": "approved", "roles": ["accountant"],
                 "allow_self_approval": false, "condition": {"field": "total", "op": "gt", "value": 0}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn roles_self_approval_and_conditions() {
        let w = workflow();
        assert!(find(&w, Some("draft"), "approve").is_none());
        let approve = find(&w, Some("submitted"), "approve").unwrap();
        let data = json!({"total": 10}).as_object().unwrap().clone();
        assert_eq!(
            check(approve, &["member"], false, &data),
            Err(Refusal::Role)
        );
        assert_eq!(
            check(approve, &["member", "accountant"], true, &data),
            Err(Refusal::SelfApproval)
        );
        assert_eq!(check(approve, &["accountant"], false, &data), Ok(()));
        let zero = json!({"total": 0}).as_object().unwrap().clone();
        assert_eq!(
            check(approve, &["accountant"], false, &zero),
            Err(Refusal::Condition("total".into()))
        );
    }
}
