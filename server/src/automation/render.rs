//! `{{field}}` templates over an event's fields: texts of messages and notifications, task
//! titles, e-mail subjects and bodies. A placeholder names a field (`{{title}}`, `{{total}}`,
//! `{{client.name}}` is not followed: only the event's own fields); an unknown field renders
//! as nothing. Values are inserted as plain text — the output is never parsed again, and the
//! e-mail's HTML part escapes it — so a field cannot inject markup or further placeholders.

use serde_json::{Map, Value};

/// Renders `template` with `fields`.
pub fn render(template: &str, fields: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(&text(fields.get(name)));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A value as text: strings as they are, lists joined by commas, null as nothing.
pub fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| text(Some(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// Renders every string inside `value` (objects and lists included).
pub fn render_value(value: &Value, fields: &Map<String, Value>) -> Value {
    match value {
        Value::String(s) => Value::String(render(s, fields)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| render_value(v, fields)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_value(v, fields)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields() -> Map<String, Value> {
        json!({"title": "Fix {{login}}", "total": 12000, "labels": ["a", "b"], "none": null})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn placeholders_take_the_fields_as_plain_text() {
        assert_eq!(
            render("Done: {{title}}!", &fields()),
            "Done: Fix {{login}}!"
        );
        assert_eq!(
            render("{{ total }} / {{labels}} / {{none}}{{missing}}", &fields()),
            "12000 / a, b / "
        );
        assert_eq!(
            render("open {{ never closed", &fields()),
            "open {{ never closed"
        );
        assert_eq!(render("", &fields()), "");
    }

    #[test]
    fn values_render_inside_objects() {
        let v = render_value(&json!({"a": ["{{title}}", 3]}), &fields());
        assert_eq!(v, json!({"a": ["Fix {{login}}", 3]}));
    }
}
