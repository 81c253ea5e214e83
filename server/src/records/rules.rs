//! A save's data checked against its type: unknown and read-only fields refused, values read
//! into their stored form, defaults filled, child rows given stable ids, computed fields set,
//! then every rule (required, min/max, length, pattern) checked — each fault a field error at
//! its path (`lines[2].quantity`), all reported at once, nothing written.
//!
//! What needs the database (users are members, links exist in the org, files are the org's,
//! unique values are free) is returned as [`Reference`]s and checked by the caller in the
//! save's transaction.

use atrium_client::wire::{Computed, DaysOperand, FieldDef, FieldType};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use super::registry::RecordKind;
use super::schema::TypeSchema;
use super::schema::check::{Errors, bound_of};
use super::value;

/// Most rows of a child table.
pub const MAX_ROWS: usize = 1_000;

/// An id a value names, to be checked in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub path: String,
    pub target: Target,
    pub id: String,
}

/// What a [`Reference`] must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A member of the org.
    User,
    /// A record of this type in the org.
    Record(String),
    /// A file of the org.
    File,
}

/// A save's checked data.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub data: Map<String, Value>,
    pub references: Vec<Reference>,
}

/// Checks `input` (the fields a create or patch sends) over `previous` (the stored data, for a
/// patch). Fields the schema no longer has stay in the data untouched.
pub fn prepare(
    schema: &TypeSchema,
    kind: Option<&dyn RecordKind>,
    input: &Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<Prepared, Errors> {
    let mut errors = Errors::new();
    let mut data = previous.cloned().unwrap_or_default();
    for (key, given) in input {
        let Some(field) = schema.field(key) else {
            errors.insert(key.clone(), "is not a field of this type".into());
            continue;
        };
        if field.read_only || field.computed.is_some() {
            if previous.and_then(|p| p.get(key)).unwrap_or(&Value::Null) != given
                && !given.is_null()
            {
                errors.insert(key.clone(), "is read-only".into());
            }
            continue;
        }
        match read_field(
            field,
            given,
            previous.and_then(|p| p.get(key)),
            key,
            &mut errors,
        ) {
            Some(stored) => {
                data.insert(key.clone(), stored);
            }
            None => {
                data.remove(key);
            }
        }
    }
    if previous.is_none() {
        for field in &schema.fields {
            if !data.contains_key(&field.name)
                && field.computed.is_none()
                && let Some(default) = &field.default
                && let Ok(Some(stored)) =
                    value::normalize(field.field_type, field.options.as_deref(), default)
            {
                data.insert(field.name.clone(), stored);
            }
        }
    }
    compute(&schema.fields, &mut data);
    if let Some(kind) = kind {
        kind.compute(&mut data);
    }
    let mut references = Vec::new();
    check_rules(&schema.fields, &data, "", &mut errors, &mut references);
    if let Some(kind) = kind {
        kind.validate(&data, &mut errors);
    }
    if errors.is_empty() {
        Ok(Prepared { data, references })
    } else {
        Err(errors)
    }
}

fn read_field(
    field: &FieldDef,
    given: &Value,
    before: Option<&Value>,
    path: &str,
    errors: &mut Errors,
) -> Option<Value> {
    if field.field_type != FieldType::Table {
        return match value::normalize(field.field_type, field.options.as_deref(), given) {
            Ok(stored) => stored,
            Err(why) => {
                errors.insert(path.to_owned(), why);
                None
            }
        };
    }
    let columns = field.fields.as_deref().unwrap_or_default();
    let rows = match given {
        Value::Null => return None,
        Value::Array(rows) if rows.len() <= MAX_ROWS => rows,
        _ => {
            errors.insert(
                path.to_owned(),
                format!("must be a list of at most {MAX_ROWS} rows"),
            );
            return None;
        }
    };
    let old_rows: Vec<&Map<String, Value>> = before
        .and_then(Value::as_array)
        .map(|rows| rows.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let mut stored_rows = Vec::with_capacity(rows.len());
    let mut ids = std::collections::HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Value::Object(row) = row else {
            errors.insert(at, "must be an object".into());
            continue;
        };
        let id = match row.get("id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 64 => id.clone(),
            None | Some(Value::Null) => crate::db::new_id(),
            Some(_) => {
                errors.insert(format!("{at}.id"), "must be a row id".into());
                continue;
            }
        };
        if !ids.insert(id.clone()) {
            errors.insert(format!("{at}.id"), "is used twice".into());
        }
        let old = old_rows
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()));
        let mut stored = Map::new();
        stored.insert("id".into(), Value::String(id));
        for (key, cell) in row {
            if key == "id" {
                continue;
            }
            let Some(column) = columns.iter().find(|c| &c.name == key) else {
                errors.insert(
                    format!("{at}.{key}"),
                    "is not a column of this table".into(),
                );
                continue;
            };
            if column.read_only || column.computed.is_some() {
                continue;
            }
            let cell_path = format!("{at}.{key}");
            if let Some(v) = read_field(column, cell, None, &cell_path, errors) {
                stored.insert(key.clone(), v);
            }
        }
        for column in columns {
            if !stored.contains_key(&column.name)
                && !row.contains_key(&column.name)
                && old.is_none()
                && let Some(default) = &column.default
                && let Ok(Some(v)) =
                    value::normalize(column.field_type, column.options.as_deref(), default)
            {
                stored.insert(column.name.clone(), v);
            }
        }
        stored_rows.push(Value::Object(stored));
    }
    (!stored_rows.is_empty()).then_some(Value::Array(stored_rows))
}

/// A value as an exact decimal, for formulas and bounds (dates: days since the epoch).
fn as_decimal(field_type: FieldType, v: &Value) -> Option<Decimal> {
    match field_type {
        FieldType::Number | FieldType::Percent => value::decimal(v).ok(),
        FieldType::Date => v.as_str().and_then(value::parse_date).map(Decimal::from),
        _ => v.as_i64().map(Decimal::from),
    }
}

/// A decimal as a value of `field_type` (money and integers rounded half away from zero).
fn from_decimal(field_type: FieldType, d: Decimal) -> Option<Value> {
    match field_type {
        FieldType::Number | FieldType::Percent => {
            let d = d.round_dp(value::MAX_SCALE).normalize();
            value::micros(d).map(|_| Value::String(d.to_string()))
        }
        FieldType::Date => d
            .to_i64()
            .map(|days| Value::String(value::format_date(days))),
        _ => d
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .map(Value::from),
    }
}

/// Sets the computed fields of one level (a record, or a child row), child rows first.
fn compute(fields: &[FieldDef], data: &mut Map<String, Value>) {
    for field in fields {
        if field.field_type == FieldType::Table
            && let Some(columns) = &field.fields
            && let Some(Value::Array(rows)) = data.get_mut(&field.name)
        {
            for row in rows.iter_mut().filter_map(Value::as_object_mut) {
                compute(columns, row);
            }
        }
    }
    let type_of = |name: &str| fields.iter().find(|f| f.name == name).map(|f| f.field_type);
    for field in fields {
        let Some(computed) = &field.computed else {
            continue;
        };
        let result = match computed {
            Computed::Sum(path) => path.split_once('.').and_then(|(table, column)| {
                let column_type = fields
                    .iter()
                    .find(|f| f.name == table)?
                    .fields
                    .as_ref()?
                    .iter()
                    .find(|c| c.name == column)?
                    .field_type;
                let rows = data.get(table).and_then(Value::as_array);
                let mut sum = Decimal::ZERO;
                for row in rows.into_iter().flatten() {
                    if let Some(v) = row.get(column) {
                        sum = sum.checked_add(as_decimal(column_type, v)?)?;
                    }
                }
                Some(sum)
            }),
            Computed::Product([a, b]) => {
                let x = data.get(a).and_then(|v| as_decimal(type_of(a)?, v));
                let y = data.get(b).and_then(|v| as_decimal(type_of(b)?, v));
                x.zip(y).and_then(|(x, y)| x.checked_mul(y))
            }
            Computed::DateAddDays { date, days } => {
                let start = data
                    .get(date)
                    .and_then(Value::as_str)
                    .and_then(value::parse_date);
                let add = match days {
                    DaysOperand::Days(n) => Some(*n),
                    DaysOperand::Field(name) => data.get(name).and_then(Value::as_i64),
                };
                start
                    .zip(add)
                    .and_then(|(s, n)| s.checked_add(n))
                    .map(Decimal::from)
            }
        };
        match result.and_then(|d| from_decimal(field.field_type, d)) {
            Some(v) => data.insert(field.name.clone(), v),
            None => data.remove(&field.name),
        };
    }
}

/// Checks required, bounds and patterns on one level; collects references.
fn check_rules(
    fields: &[FieldDef],
    data: &Map<String, Value>,
    prefix: &str,
    errors: &mut Errors,
    references: &mut Vec<Reference>,
) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        if errors.contains_key(&path) {
            continue;
        }
        let Some(v) = data.get(&field.name) else {
            if field.required {
                errors.insert(path, "is required".into());
            }
            continue;
        };
        let measure = match field.field_type {
            FieldType::Text
            | FieldType::LongText
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url => v.as_str().map(|s| Decimal::from(s.chars().count())),
            FieldType::Table | FieldType::MultiSelect | FieldType::Users => {
                v.as_array().map(|a| Decimal::from(a.len()))
            }
            t => as_decimal(t, v),
        };
        let bound = |b: &Option<Value>| b.as_ref().and_then(|b| bound_of(field.field_type, b));
        if let (Some(m), Some(min)) = (measure, bound(&field.min))
            && m < min
        {
            errors.insert(
                path.clone(),
                format!("must be at least {}", shown(field, &field.min)),
            );
        }
        if let (Some(m), Some(max)) = (measure, bound(&field.max))
            && m > max
        {
            errors.insert(
                path.clone(),
                format!("must be at most {}", shown(field, &field.max)),
            );
        }
        if let (Some(pattern), Some(s)) = (&field.pattern, v.as_str()) {
            let whole = format!("^(?:{pattern})$");
            let matches = regex::RegexBuilder::new(&whole)
                .size_limit(1 << 20)
                .build()
                .is_ok_and(|re| re.is_match(s));
            if !matches {
                errors.insert(path.clone(), "does not match the required pattern".into());
            }
        }
        let target = match field.field_type {
            FieldType::User => Some(Target::User),
            FieldType::File => Some(Target::File),
            FieldType::Link => field.to.clone().map(Target::Record),
            _ => None,
        };
        if let (Some(target), Some(id)) = (target, v.as_str()) {
            references.push(Reference {
                path: path.clone(),
                target,
                id: id.to_owned(),
            });
        }
        if field.field_type == FieldType::Users
            && let Some(users) = v.as_array()
        {
            for (i, user) in users.iter().enumerate() {
                if let Some(id) = user.as_str() {
                    references.push(Reference {
                        path: format!("{path}[{i}]"),
                        target: Target::User,
                        id: id.to_owned(),
                    });
                }
            }
        }
        if field.field_type == FieldType::Table
            && let (Some(columns), Some(rows)) = (&field.fields, v.as_array())
        {
            for (i, row) in rows.iter().enumerate() {
                if let Some(row) = row.as_object() {
                    check_rules(columns, row, &format!("{path}[{i}]."), errors, references);
                }
            }
        }
    }
}

fn shown(field: &FieldDef, bound: &Option<Value>) -> String {
    let text = bound.as_ref().map(|b| match b {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let unit = match field.field_type {
        FieldType::Text
        | FieldType::LongText
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url => " characters",
        FieldType::Table | FieldType::MultiSelect | FieldType::Users => " items",
        _ => "",
    };
    format!("{}{unit}", text.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invoice() -> TypeSchema {
        serde_json::from_value(json!({"fields": [
            {"name": "code", "type": "text", "required": true, "pattern": "[A-Z]{3}"},
            {"name": "lines", "type": "table", "fields": [
                {"name": "quantity", "type": "number", "min": "0"},
                {"name": "unit_price", "type": "money"},
                {"name": "amount", "type": "money", "computed": {"product": ["quantity", "unit_price"]}}
            ]},
            {"name": "total", "type": "money", "computed": {"sum": "lines.amount"}},
            {"name": "issued", "type": "date"},
            {"name": "due", "type": "date", "computed": {"date_add_days": {"date": "issued", "days": 30}}}
        ]}))
        .unwrap()
    }

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn computes_children_then_parent() {
        let prepared = prepare(
            &invoice(),
            None,
            &input(json!({"code": "ABC", "issued": "2026-01-15", "lines": [
                {"quantity": "1.5", "unit_price": 1001},
                {"quantity": 2, "unit_price": 250}
            ]})),
            None,
        )
        .unwrap();
        assert_eq!(prepared.data["total"], json!(1502 + 500));
        assert_eq!(prepared.data["due"], json!("2026-02-14"));
        let rows = prepared.data["lines"].as_array().unwrap();
        assert!(rows.iter().all(|r| r["id"].is_string()));
    }

    #[test]
    fn every_fault_is_named_by_its_path() {
        let errors = prepare(
            &invoice(),
            None,
            &input(json!({"code": "abc", "total": 5, "bogus": 1, "lines": [
                {"quantity": "1"}, {"quantity": "-1"}, {"quantity": "x"}
            ]})),
            None,
        )
        .unwrap_err();
        assert!(errors.contains_key("code"));
        assert!(errors.contains_key("total"));
        assert!(errors.contains_key("bogus"));
        assert!(errors.contains_key("lines[1].quantity"));
        assert!(errors.contains_key("lines[2].quantity"));
        assert!(!errors.contains_key("lines[0].quantity"));
    }
}
