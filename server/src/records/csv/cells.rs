//! Values to cells and back; an import's header mapped to fields.

use atrium_client::wire::{FieldDef, FieldType};
use serde_json::Value;

use crate::records::schema::TypeSchema;

/// Columns every export starts with, before the type's fields; import ignores them (and the
/// record's other own keys), except `name` when the type has a `name` field.
pub const OWN_COLUMNS: &[&str] = &["id", "name", "state"];
const IGNORED_ON_IMPORT: &[&str] = &[
    "id",
    "name",
    "state",
    "type",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "amended_from",
];

/// The fields an export writes, in schema order (the `name` field is the `name` column).
pub fn export_fields(schema: &TypeSchema) -> Vec<&FieldDef> {
    schema.fields.iter().filter(|f| f.name != "name").collect()
}

/// A text cell made safe for spreadsheets.
pub fn guard(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// The cell of a stored value.
pub fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    };
    guard(text)
}

/// The value of a cell for a field (`None`: empty); `Err` says why it is not one.
pub fn value(field: &FieldDef, cell: &str) -> Result<Option<Value>, String> {
    let text = match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    };
    if text.is_empty() {
        return Ok(None);
    }
    use FieldType::*;
    Ok(Some(match field.field_type {
        Integer | Money | Datetime | Duration => Value::from(
            text.trim()
                .parse::<i64>()
                .map_err(|_| "must be a whole number".to_owned())?,
        ),
        Boolean => match text.trim() {
            "true" | "TRUE" | "1" | "yes" => Value::Bool(true),
            "false" | "FALSE" | "0" | "no" => Value::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        Table | MultiSelect | Users => {
            serde_json::from_str(text).map_err(|_| "must be a JSON list".to_owned())?
        }
        _ => Value::String(text.to_owned()),
    }))
}

/// Where each column of an import goes: a field (by name, or by label ignoring case), or
/// nowhere (the record's own columns). `Err` lists the columns that name nothing.
pub fn map_header<'s>(
    schema: &'s TypeSchema,
    header: &[String],
) -> Result<Vec<Option<&'s FieldDef>>, Vec<String>> {
    let mut unknown = Vec::new();
    let mut mapping = Vec::with_capacity(header.len());
    for column in header {
        let column = column.trim();
        let field = schema.field(column).or_else(|| {
            schema.fields.iter().find(|f| {
                f.label
                    .as_deref()
                    .is_some_and(|l| l.trim().eq_ignore_ascii_case(column))
            })
        });
        match field {
            Some(f) if f.computed.is_none() && !f.read_only => mapping.push(Some(f)),
            Some(_) => mapping.push(None),
            None if IGNORED_ON_IMPORT.contains(&column) => mapping.push(None),
            None => {
                unknown.push(column.to_owned());
                mapping.push(None);
            }
        }
    }
    if unknown.is_empty() {
        Ok(mapping)
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_defused_and_restored() {
        assert_eq!(cell(Some(&json!("=1+1"))), "'=1+1");
        assert_eq!(cell(Some(&json!(-5))), "'-5");
        assert_eq!(cell(Some(&json!("plain"))), "plain");
        let money: FieldDef =
            serde_json::from_value(json!({"name": "fee", "type": "money"})).unwrap();
        assert_eq!(value(&money, "'-5").unwrap(), Some(json!(-5)));
        let text: FieldDef = serde_json::from_value(json!({"name": "t", "type": "text"})).unwrap();
        assert_eq!(value(&text, "'=SUM(A1)").unwrap(), Some(json!("=SUM(A1)")));
        assert_eq!(value(&text, "'quoted").unwrap(), Some(json!("'quoted")));
    }

    #[test]
    fn headers_map_by_name_or_label() {
        let schema: TypeSchema = serde_json::from_value(json!({"fields": [
            {"name": "code", "type": "text", "label": "Order code"},
            {"name": "total", "type": "money", "computed": {"sum": "lines.amount"}}
        ]}))
        .unwrap();
        let header = ["id".to_owned(), "order CODE".to_owned(), "total".to_owned()];
        let mapping = map_header(&schema, &header).unwrap();
        assert!(mapping[0].is_none() && mapping[2].is_none());
        assert_eq!(mapping[1].unwrap().name, "code");
        assert_eq!(
            map_header(&schema, &["nope".to_owned()]).unwrap_err(),
            ["nope"]
        );
    }
}
