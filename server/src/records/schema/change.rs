//! What a new version of a schema must check against the records that exist, and what the
//! index must redo. A change never drops data: a removed field's values stay in each record's
//! JSON (and in its history); only its index rows go.

use atrium_client::wire::FieldType;

use super::TypeSchema;
use crate::records::value;

/// One question to ask the stored records before a change may land: each names the field and
/// is answered with the number of records in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeCheck {
    /// The field became required: records without a value are in the way.
    NowRequired { field: String },
    /// Options were removed: records holding one of them are in the way.
    OptionsNarrowed { field: String, removed: Vec<String> },
    /// The field's type changed incompatibly: records holding any value are in the way.
    TypeChanged { field: String },
    /// The field became unique: records sharing a value are in the way.
    NowUnique { field: String },
}

impl ChangeCheck {
    /// The field the check is about.
    pub fn field(&self) -> &str {
        match self {
            Self::NowRequired { field }
            | Self::OptionsNarrowed { field, .. }
            | Self::TypeChanged { field }
            | Self::NowUnique { field } => field,
        }
    }

    /// The field error when `count` records are in the way.
    pub fn message(&self, count: i64) -> String {
        match self {
            Self::NowRequired { .. } => {
                format!("cannot become required: {count} records have no value")
            }
            Self::OptionsNarrowed { removed, .. } => format!(
                "cannot drop options {}: {count} records use them",
                removed.join(", ")
            ),
            Self::TypeChanged { .. } => {
                format!("cannot change type: {count} records hold values of the old type")
            }
            Self::NowUnique { .. } => {
                format!("cannot become unique: {count} values are shared by several records")
            }
        }
    }
}

/// Whether values of `from` read as values of `to` without loss.
fn compatible(from: FieldType, to: FieldType) -> bool {
    use FieldType::*;
    from == to
        || matches!(
            (from, to),
            (Text, LongText)
                | (Select, Text)
                | (Integer, Number)
                | (Email | Phone | Url, Text)
                | (Percent, Number)
                | (Number, Percent)
        )
}

/// The checks a change from `old` to `new` needs.
pub fn checks(old: &TypeSchema, new: &TypeSchema) -> Vec<ChangeCheck> {
    let mut checks = Vec::new();
    for field in &new.fields {
        let name = field.name.clone();
        let Some(before) = old.field(&field.name) else {
            if field.required && field.default.is_none() && field.computed.is_none() {
                checks.push(ChangeCheck::NowRequired {
                    field: name.clone(),
                });
            }
            if field.unique {
                checks.push(ChangeCheck::NowUnique { field: name });
            }
            continue;
        };
        if !compatible(before.field_type, field.field_type)
            || (field.field_type == FieldType::Table && before.fields != field.fields)
        {
            checks.push(ChangeCheck::TypeChanged {
                field: name.clone(),
            });
            continue;
        }
        if field.required && !before.required && field.computed.is_none() {
            checks.push(ChangeCheck::NowRequired {
                field: name.clone(),
            });
        }
        if field.unique && !before.unique {
            checks.push(ChangeCheck::NowUnique {
                field: name.clone(),
            });
        }
        if let (Some(old_options), Some(new_options)) = (&before.options, &field.options) {
            let removed: Vec<String> = old_options
                .iter()
                .filter(|o| !new_options.contains(o))
                .cloned()
                .collect();
            if !removed.is_empty() {
                checks.push(ChangeCheck::OptionsNarrowed {
                    field: name,
                    removed,
                });
            }
        }
    }
    checks
}

/// Whether the list index of existing records must be rebuilt: an indexed field was added or
/// changed type (its values, perhaps kept in the records' JSON from an older version, get
/// index rows in the new form).
pub fn needs_reindex(old: &TypeSchema, new: &TypeSchema) -> bool {
    new.indexed_fields().any(|field| {
        old.field(&field.name)
            .is_none_or(|before| before.field_type != field.field_type)
    }) || old.indexed_fields().any(|field| {
        new.field(&field.name)
            .is_none_or(|f| !value::indexable(f.field_type))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(fields: serde_json::Value) -> TypeSchema {
        serde_json::from_value(json!({ "fields": fields })).unwrap()
    }

    #[test]
    fn narrowing_requiring_and_retyping_are_checked() {
        let old = schema(json!([
            {"name": "status", "type": "select", "options": ["a", "b"]},
            {"name": "note", "type": "text"},
            {"name": "count", "type": "integer"}
        ]));
        let new = schema(json!([
            {"name": "status", "type": "select", "options": ["a"]},
            {"name": "note", "type": "text", "required": true},
            {"name": "count", "type": "date"}
        ]));
        let found = checks(&old, &new);
        assert!(found.contains(&ChangeCheck::OptionsNarrowed {
            field: "status".into(),
            removed: vec!["b".into()]
        }));
        assert!(found.contains(&ChangeCheck::NowRequired {
            field: "note".into()
        }));
        assert!(found.contains(&ChangeCheck::TypeChanged {
            field: "count".into()
        }));
        assert!(needs_reindex(&old, &new));
        assert!(!needs_reindex(&old, &old));
    }
}
