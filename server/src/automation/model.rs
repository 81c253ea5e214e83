//! Limits and the validation of rules: a refused rule answers 422 with the field at fault and
//! nothing is written.

use std::str::FromStr;

use atrium_client::wire::{RuleAction, RuleCondition, RuleTrigger};
use chrono_tz::Tz;

use crate::error::{ApiError, Result};
use crate::webhooks::model::valid_pattern;

/// Most rules one organisation has.
pub const MAX_RULES_PER_ORG: i64 = 200;
/// Longest name.
pub const MAX_NAME_CHARS: usize = 120;
/// Most conditions and actions of one rule.
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_ACTIONS: usize = 10;
/// Longest text (message, notification, title, field name) in a rule.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most recipients of one e-mail action.
pub const MAX_RECIPIENTS: usize = 20;
/// Longest chain of rules triggering rules: a change made by a run at this depth triggers
/// nothing (its runs are logged as stopped).
pub const MAX_DEPTH: u32 = 5;
/// Longest look-ahead of a due-date trigger, in days.
pub const MAX_DUE_DAYS: u32 = 365;

/// The parts of a rule that requests give, checked together.
pub struct RuleParts<'a> {
    pub name: &'a str,
    pub trigger: &'a RuleTrigger,
    pub conditions: &'a [RuleCondition],
    pub actions: &'a [RuleAction],
}

/// Checks a rule; `allow_private` lets webhook actions reach private addresses.
pub fn check(rule: &RuleParts<'_>, allow_private: bool) -> Result<()> {
    let name = rule.name.trim();
    if name.is_empty()
        || rule.name.chars().count() > MAX_NAME_CHARS
        || rule.name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "must be 1 to {MAX_NAME_CHARS} characters, not blank, without control characters"
            ),
        ));
    }
    check_trigger(rule.trigger)?;
    if rule.conditions.len() > MAX_CONDITIONS {
        return Err(ApiError::invalid_field(
            "conditions",
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
    }
    for (i, condition) in rule.conditions.iter().enumerate() {
        let field = condition.field.trim();
        if field.is_empty() || field.len() > 100 {
            return Err(ApiError::invalid_field(
                &format!("conditions[{i}].field"),
                "name a field (at most 100 characters)",
            ));
        }
        if condition.value.to_string().len() > MAX_TEXT_CHARS {
            return Err(ApiError::invalid_field(
                &format!("conditions[{i}].value"),
                "is too long",
            ));
        }
    }
    if rule.actions.is_empty() || rule.actions.len() > MAX_ACTIONS {
        return Err(ApiError::invalid_field(
            "actions",
            format!("give 1 to {MAX_ACTIONS} actions"),
        ));
    }
    for (i, action) in rule.actions.iter().enumerate() {
        check_action(action, allow_private).map_err(|(field, why)| {
            ApiError::invalid_field(&format!("actions[{i}].{field}"), why)
        })?;
    }
    Ok(())
}

/// The time zone of a trigger (UTC when absent).
pub fn time_zone(trigger: &RuleTrigger) -> Tz {
    trigger
        .timezone
        .as_deref()
        .and_then(|name| Tz::from_str(name).ok())
        .unwrap_or(Tz::UTC)
}

/// A schedule's parsed cron pattern.
pub fn cron(schedule: &str) -> std::result::Result<croner::Cron, String> {
    if schedule.split_whitespace().count() != 5 {
        return Err(
            "use five fields: minute hour day-of-month month weekday (`0 9 * * MON`)".into(),
        );
    }
    croner::Cron::from_str(schedule).map_err(|e| format!("is not a cron schedule: {e}"))
}

fn check_trigger(trigger: &RuleTrigger) -> Result<()> {
    let given = [
        trigger.event.is_some(),
        trigger.schedule.is_some(),
        trigger.due_within_days.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::invalid_field(
            "trigger",
            "give exactly one of event, schedule or due_within_days",
        ));
    }
    if let Some(event) = &trigger.event
        && (!valid_pattern(event) || event == "*")
    {
        return Err(ApiError::invalid_field(
            "trigger.event",
            "name an event type or a prefix with `.*` (`task.updated`, `record.invoice.transitioned`, `message.*`)",
        ));
    }
    if let Some(schedule) = &trigger.schedule {
        cron(schedule).map_err(|why| ApiError::invalid_field("trigger.schedule", why))?;
    }
    if let Some(days) = trigger.due_within_days
        && days > MAX_DUE_DAYS
    {
        return Err(ApiError::invalid_field(
            "trigger.due_within_days",
            format!("at most {MAX_DUE_DAYS}"),
        ));
    }
    if let Some(zone) = &trigger.timezone
        && Tz::from_str(zone).is_err()
    {
        return Err(ApiError::invalid_field(
            "trigger.timezone",
            "is not an IANA time zone (`Europe/Berlin`)",
        ));
    }
    Ok(())
}

type Refusal = (&'static str, String);

fn text(field: &'static str, value: &str) -> std::result::Result<(), Refusal> {
    if value.trim().is_empty() || value.chars().count() > MAX_TEXT_CHARS {
        return Err((field, format!("must be 1 to {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

fn check_action(action: &RuleAction, allow_private: bool) -> std::result::Result<(), Refusal> {
    match action {
        RuleAction::PostMessage { channel, text: t } => {
            text("channel", channel)?;
            text("text", t)
        }
        RuleAction::Notify {
            users,
            roles,
            text: t,
        } => {
            if users.is_empty() && roles.is_empty() {
                return Err(("users", "name users or roles to notify".into()));
            }
            if users.len() + roles.len() > 100 {
                return Err(("users", "at most 100 users and roles".into()));
            }
            text("text", t)
        }
        RuleAction::Email { to, template } => {
            if to.is_empty() || to.len() > MAX_RECIPIENTS {
                return Err(("to", format!("give 1 to {MAX_RECIPIENTS} recipients")));
            }
            for recipient in to {
                let ok = match recipient.strip_prefix("field:") {
                    Some(field) => !field.is_empty() && field.len() <= 100,
                    None => email_address::EmailAddress::is_valid(recipient),
                };
                if !ok {
                    return Err((
                        "to",
                        format!("{recipient:?} is neither an e-mail address nor `field:<name>`"),
                    ));
                }
            }
            text("template", template)
        }
        RuleAction::SetField { field, .. } => text("field", field),
        RuleAction::Assign { user } => text("user", user),
        RuleAction::MoveTask { column } => text("column", column),
        RuleAction::CreateTask { board, title } => {
            text("board", board)?;
            text("title", title)
        }
        RuleAction::CreateRecord {
            record_type,
            fields,
        } => {
            text("record_type", record_type)?;
            if serde_json::to_string(fields).unwrap_or_default().len() > 64 * 1024 {
                return Err(("fields", "are too large".into()));
            }
            Ok(())
        }
        RuleAction::Webhook { url } => crate::webhooks::address::check_literal(url, allow_private)
            .map(|_| ())
            .map_err(|e| ("url", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_and_zones_are_checked() {
        assert!(cron("0 9 * * MON").is_ok());
        assert!(cron("0 9 * *").is_err());
        assert!(cron("61 9 * * MON").is_err());
        assert_eq!(
            time_zone(&RuleTrigger {
                timezone: Some("Europe/Berlin".into()),
                ..RuleTrigger::default()
            }),
            Tz::Europe__Berlin
        );
    }
}
