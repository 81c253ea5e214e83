//! A record type's schema: its fields (with their rules), workflow, naming series and per-role
//! permission rows, as stored (JSON in `record_types.schema`) and as the API shows them.
//!
//! # Layout
//! - [`check`] — whether a definition is well formed (names, options, rules, formulas,
//!   workflow, naming, permissions), with a field error naming the faulty part.
//! - [`change`] — what a new version must check against the records that exist.

pub mod change;
pub mod check;

use atrium_client::wire::{FieldDef, FieldType, Naming, TypePermission, Workflow};
use serde::{Deserialize, Serialize};

/// Keys a record carries beside its fields; no field may take one of these names. A field
/// called `name` (text) is the record's name itself (a client's name): such a type has no
/// naming series.
pub const RESERVED: &[&str] = &[
    "id",
    "type",
    "version",
    "state",
    "created_by",
    "created_at",
    "updated_at",
    "amended_from",
    "can",
    "currency_symbol",
];

/// Slugs of the built-in types the server ships (now or with their own issues): custom types
/// may not take them.
pub const BUILT_IN_SLUGS: &[&str] = &[
    "client",
    "contact",
    "deal",
    "invoice",
    "payment",
    "timesheet",
    "ticket",
    "training_program",
    "training_assignment",
    "leave_request",
    "it_asset",
    "item",
    "stock_movement",
    "purchase_order",
    "sales_order",
    "bom",
    "work_order",
    "machine",
];

/// The schema of one version of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeSchema {
    pub fields: Vec<FieldDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<Workflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naming: Option<Naming>,
    #[serde(default)]
    pub permissions: Vec<TypePermission>,
}

impl TypeSchema {
    /// A top-level field by name.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether records are named by their `name` field.
    pub fn named_by_field(&self) -> bool {
        self.field("name").is_some()
    }

    /// The state a new record starts in (the workflow's first).
    pub fn initial_state(&self) -> Option<&str> {
        self.workflow
            .as_ref()
            .and_then(|w| w.states.first())
            .map(|s| s.name.as_str())
    }

    /// Whether records in `state` are read-only.
    pub fn is_final(&self, state: Option<&str>) -> bool {
        let (Some(workflow), Some(state)) = (&self.workflow, state) else {
            return false;
        };
        workflow
            .states
            .iter()
            .any(|s| s.name == state && s.final_state)
    }

    /// The top-level fields the list index keeps.
    pub fn indexed_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields
            .iter()
            .filter(|f| super::value::indexable(f.field_type))
    }

    /// The fields whose values are unique per org.
    pub fn unique_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.unique)
    }

    /// The top-level text-like fields search indexes: text, long text, e-mail, phone, URL
    /// and selects (their options are their labels).
    pub fn text_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| {
            matches!(
                f.field_type,
                FieldType::Text
                    | FieldType::LongText
                    | FieldType::Email
                    | FieldType::Phone
                    | FieldType::Url
                    | FieldType::Select
                    | FieldType::MultiSelect
            )
        })
    }
}
