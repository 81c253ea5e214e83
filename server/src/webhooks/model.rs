//! The rules of a subscription: which event types exist, the patterns that select them, the
//! optional filter on an event's data, and secrets.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of a generated key (the spec asks for 24 to 64).
const GENERATED_KEY_BYTES: usize = 32;
const MIN_KEY_BYTES: usize = 24;
const MAX_KEY_BYTES: usize = 64;

/// Most patterns one subscription holds.
pub const MAX_PATTERNS: usize = 50;
/// Most fields a filter names.
pub const MAX_FILTER_FIELDS: usize = 10;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// The kinds of entity the change feed carries, as event types begin (`task.created`).
pub const KINDS: &[&str] = &["task", "record", "message", "doc", "file"];
/// What happened to the entity, as event types end.
pub const OPERATIONS: &[&str] = &["created", "updated", "deleted"];

/// Whether `pattern` is one a subscription may hold: `*`, or dot-separated lowercase words
/// beginning with a known kind, the last of which may be `*` (`task.*`, `record.invoice.*`,
/// `message.created`).
pub fn valid_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern.len() > 100 {
        return false;
    }
    let words: Vec<&str> = pattern.split('.').collect();
    if !KINDS.contains(&words[0]) {
        return false;
    }
    let last = words.len() - 1;
    words.iter().enumerate().all(|(i, word)| {
        (*word == "*" && i == last && i > 0)
            || (!word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    })
}

/// Whether `event_type` is selected by `pattern`: equal, or `pattern` is `prefix.*` and the
/// type starts with `prefix.` (a `*` covers any number of further words).
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" || pattern == event_type {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => false,
    }
}

/// Whether any of `patterns` selects `event_type`.
pub fn selects(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, event_type))
}

/// Checks a subscription's patterns; the reason when they are refused.
pub fn check_patterns(patterns: &[String]) -> Result<(), String> {
    if patterns.is_empty() {
        return Err("name at least one event pattern".into());
    }
    if patterns.len() > MAX_PATTERNS {
        return Err(format!("at most {MAX_PATTERNS} patterns"));
    }
    match patterns.iter().find(|p| !valid_pattern(p)) {
        Some(bad) => Err(format!(
            "{bad:?} is not an event pattern: use `*`, or an event type or prefix of one of \
             {} followed by `.*` (e.g. `task.*`, `record.invoice.*`, `message.created`)",
            KINDS.join(", ")
        )),
        None => Ok(()),
    }
}

/// A filter: fields of an event's `data` and the values they must hold.
pub type Filter = BTreeMap<String, serde_json::Value>;

/// Checks a filter; the reason when it is refused. Values are strings, numbers, booleans or
/// null (compared exactly).
pub fn check_filter(filter: &Filter) -> Result<(), String> {
    if filter.len() > MAX_FILTER_FIELDS {
        return Err(format!("at most {MAX_FILTER_FIELDS} fields"));
    }
    for (field, value) in filter {
        if field.is_empty() || field.len() > 100 {
            return Err("field names are 1 to 100 characters".into());
        }
        if value.is_array() || value.is_object() {
            return Err(format!(
                "{field}: a filter value is a string, number, boolean or null"
            ));
        }
    }
    Ok(())
}

/// Whether an event's `data` passes `filter`: every named field holds the value (a field
/// that is missing counts as null).
pub fn passes(filter: Option<&Filter>, data: &serde_json::Value) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    filter
        .iter()
        .all(|(field, value)| data.get(field).unwrap_or(&serde_json::Value::Null) == value)
}

/// A new random secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut key = [0u8; GENERATED_KEY_BYTES];
    // Without randomness there is no secret to give: the operating system is broken.
    getrandom::fill(&mut key).expect("the operating system provides randomness");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key of a secret a client gave; the reason when it is not one.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| format!("a secret starts with {SECRET_PREFIX}"))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| format!("a secret is {SECRET_PREFIX} followed by base64"))?;
    if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
        return Err(format!(
            "a secret's key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes"
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_checked() {
        for good in [
            "*",
            "task.*",
            "task.created",
            "record.invoice.*",
            "record.*",
            "message.created",
            "record.work_order.updated",
        ] {
            assert!(valid_pattern(good), "{good}");
        }
        for bad in [
            "",
            "tasks.*",
            "task.",
            ".task",
            "task.*.created",
            "*.created",
            "Task.created",
            "task..created",
            "task*",
            "task.cre*",
        ] {
            assert!(!valid_pattern(bad), "{bad}");
        }
        assert!(check_patterns(&[]).is_err());
    }

    #[test]
    fn patterns_select_types() {
        assert!(pattern_matches("*", "task.created"));
        assert!(pattern_matches("task.*", "task.created"));
        assert!(!pattern_matches("task.*", "taskboard.created"));
        assert!(pattern_matches(
            "record.invoice.*",
            "record.invoice.updated"
        ));
        assert!(!pattern_matches(
            "record.invoice.*",
            "record.invoice_line.updated"
        ));
        assert!(pattern_matches("record.*", "record.invoice.updated"));
        assert!(pattern_matches("message.created", "message.created"));
        assert!(!pattern_matches("message.created", "message.updated"));
    }

    #[test]
    fn filters_compare_exactly() {
        let data = serde_json::json!({"state": "paid", "total": 100});
        let filter: Filter = [("state".to_owned(), serde_json::json!("paid"))].into();
        assert!(passes(Some(&filter), &data));
        let filter: Filter = [("state".to_owned(), serde_json::json!("draft"))].into();
        assert!(!passes(Some(&filter), &data));
        let filter: Filter = [("missing".to_owned(), serde_json::Value::Null)].into();
        assert!(passes(Some(&filter), &data));
        assert!(passes(None, &data));
        let nested: Filter = [("a".to_owned(), serde_json::json!([1]))].into();
        assert!(check_filter(&nested).is_err());
    }

    #[test]
    fn secrets_round_trip_and_are_checked() {
        let secret = generate_secret();
        assert_eq!(secret_key(&secret).unwrap().len(), GENERATED_KEY_BYTES);
        assert!(secret_key("whsec_short").is_err());
        assert!(secret_key(&secret[SECRET_PREFIX.len()..]).is_err());
        assert!(secret_key(&format!("{SECRET_PREFIX}{}", STANDARD.encode([0u8; 65]))).is_err());
    }
}
