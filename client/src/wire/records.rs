//! Business records: record types (schemas held as data), records, their history and lists.
//!
//! A record's own fields are dynamic (the type's schema says which), so a record travels as a
//! JSON object whose known keys (`id`, `type`, `name`, `version`, `state`, `can`, …) sit beside
//! the type's fields at the top level. Values: text-like fields, dates (`YYYY-MM-DD`), selects,
//! users, links and files are strings; `integer`, `money` (minor units of the record's
//! `currency`), `datetime` (milliseconds since the epoch) and `duration` (seconds) are integers;
//! `number` and `percent` are exact decimals written as strings (`"12.50"`; a JSON number is
//! accepted on input); `multi_select` is an array of strings; `table` an array of row objects,
//! each with a stable `id`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    RichText,
    Number,
    Integer,
    Money,
    Percent,
    Date,
    Datetime,
    Duration,
    Boolean,
    Select,
    MultiSelect,
    Email,
    Phone,
    Url,
    User,
    /// Several members: an array of user ids.
    Users,
    Link,
    File,
    Table,
}

/// A computed field's formula: the small, safe set custom types may use (no user code runs on
/// the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Computed {
    /// The sum of a child table's column: `"lines.amount"`.
    Sum(String),
    /// The product of two fields of the same row.
    Product([String; 2]),
    /// A date field plus a number of days: a field name or a literal.
    DateAddDays { date: String, days: DaysOperand },
}

/// The days of [`Computed::DateAddDays`]: another field, or a fixed count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DaysOperand {
    Days(i64),
    Field(String),
}

/// One field of a record type (or of a child table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldDef {
    /// Lowercase letters, digits and `_`, starting with a letter; unique within the type.
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Unique per organisation among the type's records (top-level fields only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Set by the server only (computed fields are read-only too).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Inclusive bounds: of the value for numbers, money, dates (`YYYY-MM-DD`) and durations;
    /// of the length for text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Value>,
    /// A regular expression a text value must match (whole value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The choices of a select or multi-select.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// A link's target type (slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A child table's columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub fields: Option<Vec<FieldDef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<Computed>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// How a type's records are named: `prefix` + `YYYY-` (year) + `MM-` (month) + a zero-padded
/// counter per org, type and period, e.g. `INV-2026-00001`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Naming {
    pub prefix: String,
    #[serde(default)]
    pub year: bool,
    #[serde(default)]
    pub month: bool,
    /// Digits of the counter (1–12; default 5).
    #[serde(default = "default_digits")]
    pub digits: u8,
    /// When the name is given: at creation, or at the first transition out of the initial
    /// state (drafts carry a provisional `Draft-…` name, so deleting one leaves no gap).
    #[serde(default)]
    pub at: NamingAt,
}

fn default_digits() -> u8 {
    5
}

/// See [`Naming::at`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NamingAt {
    #[default]
    Create,
    Transition,
}

/// A workflow state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowState {
    pub name: String,
    /// A final state: records in it are read-only (changed only through cancel and amend).
    #[serde(default)]
    pub final_state: bool,
}

/// A condition on a record's fields that a transition needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Condition {
    pub field: String,
    /// `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `empty`, `not_empty`.
    pub op: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// A workflow step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    pub action: String,
    pub from: Vec<String>,
    pub to: String,
    /// Base or business roles that may take it; empty: anyone allowed to `transition`.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Whether the record's creator may take it (false for approvals).
    #[serde(default = "default_true")]
    pub allow_self_approval: bool,
}

fn default_true() -> bool {
    true
}

/// A type's workflow: states (the first is where records start), transitions, and the state
/// from which a record may be amended (a cancelled one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Workflow {
    pub states: Vec<WorkflowState>,
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amend_from: Option<String>,
}

/// A per-type permission row: `role` may do `action` on this type's records with `scope`
/// (`all`, `own`, `none`); it replaces the org's `record` row for that role and action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TypePermission {
    pub role: String,
    pub action: String,
    pub scope: String,
}

/// `POST /orgs/{org}/record-types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreateRecordTypeRequest {
    pub slug: String,
    pub name: String,
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub workflow: Option<Workflow>,
    #[serde(default)]
    pub naming: Option<Naming>,
    #[serde(default)]
    pub permissions: Vec<TypePermission>,
}

/// `PUT /orgs/{org}/record-types/{type}`: the whole new schema, against the `version` read.
/// `archived: true` archives the type (its records stay readable; no new ones); `false`
/// brings it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateRecordTypeRequest {
    pub version: i64,
    pub name: String,
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub workflow: Option<Workflow>,
    #[serde(default)]
    pub naming: Option<Naming>,
    #[serde(default)]
    pub permissions: Vec<TypePermission>,
    #[serde(default)]
    pub archived: bool,
}

/// What the caller may do with a type's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordCan {
    pub read: bool,
    pub create: bool,
    pub write: bool,
    pub delete: bool,
    pub transition: bool,
    pub export: bool,
    pub import: bool,
}

/// A record type as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordType {
    pub slug: String,
    pub name: String,
    pub version: i64,
    /// Shipped with the server (its schema is not edited through the API).
    pub builtin: bool,
    pub archived: bool,
    pub fields: Vec<FieldDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<Workflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naming: Option<Naming>,
    #[serde(default)]
    pub permissions: Vec<TypePermission>,
    /// The caller's rights on this type's records.
    pub can: RecordCan,
}

/// `GET /orgs/{org}/record-types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordTypeList {
    pub items: Vec<RecordType>,
}

/// A record: these keys plus the type's fields at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Record {
    pub id: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub name: String,
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amended_from: Option<String>,
    pub can: RecordCan,
    /// The type's fields.
    #[serde(flatten)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// `POST /orgs/{org}/records/{type}`: the type's fields at the top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewRecord {
    #[serde(flatten)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// `PATCH /records/{record}`: the fields to change, at the top level, and the `version` read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateRecordRequest {
    pub version: i64,
    #[serde(flatten)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// `POST /records/{record}/transition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransitionRequest {
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A page of records, and with `totals=true` the totals of the money and number columns over
/// the whole filtered set (money in minor units, numbers as decimal strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordPage {
    pub items: Vec<Record>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[schema(value_type = Object)]
    pub totals: BTreeMap<String, serde_json::Value>,
}

/// One field's change in a history entry. Child rows: `lines[<row id>].quantity` for a
/// changed cell, `lines[<row id>]` with `before` or `after` null for a removed or added row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One entry of a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordHistoryEntry {
    pub id: String,
    /// `created`, `updated`, `transitioned`, `amended`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub at: i64,
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `GET /records/{record}/history`, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordHistory {
    pub items: Vec<RecordHistoryEntry>,
}

/// A file attached to a record; its bytes are read through the record
/// (`GET /records/{record}/attachments/{file}/content`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordAttachment {
    /// The file's id.
    pub id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub attached_by: String,
    pub attached_at: i64,
}

/// `GET /records/{record}/attachments`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordAttachmentList {
    pub items: Vec<RecordAttachment>,
}

/// `POST /records/{record}/attachments`: a file of the org the caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachFileRequest {
    pub file: String,
}

/// The data of `record.attachments_changed`: the record's attachments now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordAttachmentsChanged {
    pub record: String,
    pub items: Vec<RecordAttachment>,
}

/// The data of `record.deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordRemoved {
    pub id: String,
    #[serde(rename = "type")]
    pub record_type: String,
}

/// `POST /orgs/{org}/records/{type}/import.csv`: every row written (in one transaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    pub created: u64,
}

/// The outcome of the caller's CSV import (`record.import.finished`, not kept): `created`
/// records when it wrote them all, or the number of row `errors` when it wrote nothing (the
/// HTTP answer lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportFinished {
    #[serde(rename = "type")]
    pub record_type: String,
    pub total: u64,
    pub created: u64,
    pub errors: u64,
}

/// The data of `record.imported`: a large CSV import wrote `created` records of `type` this
/// member may read (sent once per import instead of a `record.created` per row; lists reload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordsImported {
    #[serde(rename = "type")]
    pub record_type: String,
    pub created: u64,
}

/// Progress of the caller's CSV import (`record.import.progress`, not kept): `phase` is
/// `validating` or `writing`; `done` of `total` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportProgress {
    #[serde(rename = "type")]
    pub record_type: String,
    pub phase: String,
    pub done: u64,
    pub total: u64,
}
