//! Whether a type definition is well formed. Every fault is reported at its path in the
//! request (`fields[2].options`, `workflow.transitions[0].to`), all at once.

use std::collections::{BTreeMap, HashSet};

use atrium_client::wire::{Computed, DaysOperand, FieldDef, FieldType};
use rust_decimal::Decimal;

use super::{BUILT_IN_SLUGS, RESERVED, TypeSchema};
use crate::authz::{Action, ResourceKind, Scope};
use crate::records::value;

/// Most fields of a type (or columns of a child table).
pub const MAX_FIELDS: usize = 200;
/// Most options of a select.
pub const MAX_OPTIONS: usize = 500;

/// Field errors, keyed by path.
pub type Errors = BTreeMap<String, String>;

/// Whether `name` may name a field, a state or an action: lowercase letters, digits and `_`,
/// starting with a letter, at most 64 characters.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a custom type's slug (not a built-in's).
pub fn check_slug(slug: &str, errors: &mut Errors) {
    if !valid_name(slug) || slug.len() > 40 {
        errors.insert(
            "slug".into(),
            "must be 1 to 40 lowercase letters, digits or _, starting with a letter".into(),
        );
    } else if BUILT_IN_SLUGS.contains(&slug) {
        errors.insert("slug".into(), "is the slug of a built-in type".into());
    }
}

/// Checks a type's display name.
pub fn check_name(name: &str, errors: &mut Errors) {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.insert(
            "name".into(),
            "must be 1 to 100 printable characters".into(),
        );
    }
}

/// Checks a whole schema; `types` are the slugs a link may point to.
pub fn check_schema(schema: &TypeSchema, types: &HashSet<String>, errors: &mut Errors) {
    check_fields(&schema.fields, "fields", true, types, errors);
    if let Some(workflow) = &schema.workflow {
        check_workflow(schema, workflow, errors);
    }
    if let Some(name) = schema.field("name") {
        if name.field_type != atrium_client::wire::FieldType::Text {
            errors.insert(
                "fields".into(),
                "a field called name must be text (it is the record's name)".into(),
            );
        }
        if schema.naming.is_some() {
            errors.insert(
                "naming".into(),
                "a type with a name field names its records by it".into(),
            );
        }
    }
    if let Some(naming) = &schema.naming {
        let prefix_ok = naming.prefix.chars().count() <= 20
            && naming
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
        if !prefix_ok {
            errors.insert(
                "naming.prefix".into(),
                "must be at most 20 letters, digits or - _ / .".into(),
            );
        }
        if !(1..=12).contains(&naming.digits) {
            errors.insert("naming.digits".into(), "must be 1 to 12".into());
        }
        if naming.month && !naming.year {
            errors.insert("naming.month".into(), "needs year".into());
        }
        if naming.at == atrium_client::wire::NamingAt::Transition && schema.workflow.is_none() {
            errors.insert(
                "naming.at".into(),
                "naming at a transition needs a workflow".into(),
            );
        }
    }
    for (i, permission) in schema.permissions.iter().enumerate() {
        let at = format!("permissions[{i}]");
        let action_ok = Action::parse(&permission.action)
            .is_some_and(|a| ResourceKind::Record.actions().contains(&a));
        if !action_ok {
            errors.insert(format!("{at}.action"), "is not a record action".into());
        }
        if Scope::parse(&permission.scope).is_none() {
            errors.insert(format!("{at}.scope"), "must be all, own or none".into());
        }
        if permission.role.is_empty() || permission.role.len() > 32 {
            errors.insert(format!("{at}.role"), "must name a role".into());
        }
    }
}

fn check_fields(
    fields: &[FieldDef],
    at: &str,
    top: bool,
    types: &HashSet<String>,
    errors: &mut Errors,
) {
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        errors.insert(at.into(), format!("must have 1 to {MAX_FIELDS} fields"));
        return;
    }
    let mut seen = HashSet::new();
    for (i, field) in fields.iter().enumerate() {
        let path = format!("{at}[{i}]");
        if !valid_name(&field.name) || (top && RESERVED.contains(&field.name.as_str())) {
            errors.insert(
                format!("{path}.name"),
                "must be a lowercase name (letters, digits, _) that is not a reserved key".into(),
            );
        } else if !seen.insert(field.name.as_str()) {
            errors.insert(format!("{path}.name"), "is used twice".into());
        }
        check_field(field, fields, &path, top, types, errors);
    }
}

fn check_field(
    field: &FieldDef,
    siblings: &[FieldDef],
    path: &str,
    top: bool,
    types: &HashSet<String>,
    errors: &mut Errors,
) {
    use FieldType::*;
    let kind = field.field_type;
    if let Some(label) = &field.label
        && label.chars().count() > 100
    {
        errors.insert(
            format!("{path}.label"),
            "must be at most 100 characters".into(),
        );
    }
    let selects = matches!(kind, Select | MultiSelect);
    match (&field.options, selects) {
        (Some(options), true) => {
            let distinct: HashSet<&String> = options.iter().collect();
            let bad = options.is_empty()
                || options.len() > MAX_OPTIONS
                || distinct.len() != options.len()
                || options.iter().any(|o| o.trim().is_empty() || o.len() > 100);
            if bad {
                errors.insert(
                    format!("{path}.options"),
                    format!("must be 1 to {MAX_OPTIONS} distinct, non-empty options"),
                );
            }
        }
        (None, true) => {
            errors.insert(format!("{path}.options"), "a select needs options".into());
        }
        (Some(_), false) => {
            errors.insert(
                format!("{path}.options"),
                "only selects have options".into(),
            );
        }
        (None, false) => {}
    }
    match (&field.to, kind) {
        (Some(to), Link) if !types.contains(to) => {
            errors.insert(
                format!("{path}.to"),
                "is not a record type of this org".into(),
            );
        }
        (None, Link) => {
            errors.insert(format!("{path}.to"), "a link needs its target type".into());
        }
        (Some(_), t) if t != Link => {
            errors.insert(format!("{path}.to"), "only links have a target".into());
        }
        _ => {}
    }
    match (&field.fields, kind) {
        (Some(columns), Table) if top => {
            if columns.iter().any(|c| c.field_type == Table || c.unique) {
                errors.insert(
                    format!("{path}.fields"),
                    "a child table's columns cannot be tables or unique".into(),
                );
            } else {
                check_fields(columns, &format!("{path}.fields"), false, types, errors);
            }
        }
        (_, Table) if !top => {
            errors.insert(format!("{path}.type"), "tables do not nest".into());
        }
        (None, Table) => {
            errors.insert(format!("{path}.fields"), "a table needs its columns".into());
        }
        (Some(_), _) => {
            errors.insert(format!("{path}.fields"), "only tables have columns".into());
        }
        _ => {}
    }
    if field.unique && (!top || !value::indexable(kind) || matches!(kind, MultiSelect | Users)) {
        errors.insert(
            format!("{path}.unique"),
            "only single-valued top-level fields can be unique".into(),
        );
    }
    if let Some(pattern) = &field.pattern {
        let ok = matches!(kind, Text | LongText | Email | Phone | Url)
            && pattern.len() <= 500
            && regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .is_ok();
        if !ok {
            errors.insert(
                format!("{path}.pattern"),
                "must be a valid regular expression (at most 500 characters) on a text field"
                    .into(),
            );
        }
    }
    for (bound, value) in [("min", &field.min), ("max", &field.max)] {
        if let Some(value) = value
            && bound_of(kind, value).is_none()
        {
            errors.insert(
                format!("{path}.{bound}"),
                "is not a bound of this field's type".into(),
            );
        }
    }
    if let Some(default) = &field.default {
        let ok = kind != Table
            && value::normalize(kind, field.options.as_deref(), default).is_ok_and(|v| v.is_some());
        if !ok {
            errors.insert(
                format!("{path}.default"),
                "is not a value of this field".into(),
            );
        }
    }
    if let Some(computed) = &field.computed {
        check_computed(field, computed, siblings, path, errors);
    }
}

/// A rule's bound as a comparable decimal: the value (numbers, money, dates as days,
/// durations) or the length (text).
pub fn bound_of(kind: FieldType, bound: &serde_json::Value) -> Option<Decimal> {
    use FieldType::*;
    match kind {
        Number | Percent => value::decimal(bound).ok(),
        Integer | Money | Duration | Datetime => value::integer(bound).ok().map(Decimal::from),
        Date => bound
            .as_str()
            .and_then(value::parse_date)
            .map(Decimal::from),
        Text | LongText | Email | Phone | Url => {
            bound.as_u64().filter(|&n| n <= 100_000).map(Decimal::from)
        }
        Table | MultiSelect | Users => bound.as_u64().filter(|&n| n <= 10_000).map(Decimal::from),
        _ => None,
    }
}

fn numeric(kind: FieldType) -> bool {
    matches!(
        kind,
        FieldType::Number
            | FieldType::Integer
            | FieldType::Money
            | FieldType::Percent
            | FieldType::Duration
    )
}

fn check_computed(
    field: &FieldDef,
    computed: &Computed,
    siblings: &[FieldDef],
    path: &str,
    errors: &mut Errors,
) {
    let sibling = |name: &str| {
        siblings
            .iter()
            .find(|f| f.name == name && f.name != field.name)
    };
    let ok = match computed {
        Computed::Sum(column) => column.split_once('.').is_some_and(|(table, col)| {
            sibling(table)
                .and_then(|t| t.fields.as_ref())
                .and_then(|cols| cols.iter().find(|c| c.name == col))
                .is_some_and(|c| numeric(c.field_type))
                && numeric(field.field_type)
        }),
        Computed::Product([a, b]) => {
            numeric(field.field_type)
                && [a, b].iter().all(|n| {
                    sibling(n).is_some_and(|f| numeric(f.field_type) && f.computed.is_none())
                })
        }
        Computed::DateAddDays { date, days } => {
            field.field_type == FieldType::Date
                && sibling(date).is_some_and(|f| f.field_type == FieldType::Date)
                && match days {
                    DaysOperand::Days(n) => n.abs() <= 100_000,
                    DaysOperand::Field(name) => sibling(name).is_some_and(|f| {
                        f.field_type == FieldType::Integer && f.computed.is_none()
                    }),
                }
        }
    };
    if !ok {
        errors.insert(
            format!("{path}.computed"),
            "must be sum of a numeric child column, product of two numeric fields, or a date plus days, into a field of a fitting type".into(),
        );
    }
}

fn check_workflow(
    schema: &TypeSchema,
    workflow: &atrium_client::wire::Workflow,
    errors: &mut Errors,
) {
    let states: HashSet<&str> = workflow.states.iter().map(|s| s.name.as_str()).collect();
    if workflow.states.is_empty()
        || states.len() != workflow.states.len()
        || workflow.states.iter().any(|s| !valid_name(&s.name))
    {
        errors.insert(
            "workflow.states".into(),
            "must be distinct lowercase names, the first one where records start".into(),
        );
    }
    let mut actions = HashSet::new();
    for (i, t) in workflow.transitions.iter().enumerate() {
        let at = format!("workflow.transitions[{i}]");
        if !valid_name(&t.action) {
            errors.insert(format!("{at}.action"), "must be a lowercase name".into());
        }
        if t.from.is_empty() || t.from.iter().any(|s| !states.contains(s.as_str())) {
            errors.insert(
                format!("{at}.from"),
                "must name states of the workflow".into(),
            );
        }
        for from in &t.from {
            if !actions.insert((t.action.clone(), from.clone())) {
                errors.insert(
                    format!("{at}.action"),
                    "is already an action from the same state".into(),
                );
            }
        }
        if !states.contains(t.to.as_str()) {
            errors.insert(
                format!("{at}.to"),
                "must name a state of the workflow".into(),
            );
        }
        if let Some(condition) = &t.condition {
            let known = schema.field(&condition.field).is_some();
            let op = matches!(
                condition.op.as_str(),
                "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "empty" | "not_empty"
            );
            if !known || !op {
                errors.insert(
                    format!("{at}.condition"),
                    "must name a field and an operator (eq, ne, gt, gte, lt, lte, empty, not_empty)"
                        .into(),
                );
            }
        }
    }
    if let Some(from) = &workflow.amend_from
        && !states.contains(from.as_str())
    {
        errors.insert("workflow.amend_from".into(), "must name a state".into());
    }
}
