//! Automation rules (a trigger, conditions, actions; their run log and dry run) and the
//! organisation's e-mail templates that rules and reminders send.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What starts a rule: exactly one of `event`, `schedule` or `due`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleTrigger {
    /// An event pattern, as webhooks name them: `task.created`, `task.updated`,
    /// `record.invoice.transitioned`, `record.*`, `message.created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// A five-field cron schedule (`0 9 * * MON`: minute, hour, day of month, month, weekday),
    /// in `timezone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Tasks whose due date is this many days away or less (0: due today), once per task and
    /// due date, checked every minute in `timezone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 365)]
    pub due_within_days: Option<u32>,
    /// The IANA time zone of the schedule and of due dates (`Europe/Berlin`); UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    Eq,
    Ne,
    Gt,
    Lt,
    In,
    /// The change set the field to `value` (it had another value before). Applies to the
    /// fields a change writes: a task's `status` (by name), `title`, `due`, `priority`,
    /// `assignees`…; a record's `state` and fields. A task's `category` follows its status:
    /// combine `status` `changed` with `category` `eq`.
    ChangedTo,
    /// The change wrote the field (`value` is ignored).
    Changed,
    /// A text contains `value` (case-insensitive), or a list holds it.
    Contains,
    /// Null, absent, `""` or `[]` (`value` is ignored).
    IsEmpty,
}

/// One condition: every condition must hold for the actions to run.
///
/// `field` names a field of the event's entity: a task's `title`, `status`, `category`
/// (`todo`, `in_progress`, `done`), `priority`, `due`, `assignees`, `labels`; a record's `state`,
/// `name` or any field of its type (`total`, `client`); a message's `text`, `channel`.
/// `actor.roles` is the roles of whoever made the change (`owner`, `admin`, `member`, and
/// business roles such as `accountant`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleCondition {
    pub field: String,
    pub op: ConditionOp,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// Something a rule does, as the rule's author (with their rights when it runs). Texts
/// (`text`, `title`, string values) are templates over the entity's fields: `{{title}}`,
/// `{{key}}`, `{{name}}`, `{{state}}`, `{{total}}`, `{{today}}`; values are inserted as plain
/// text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleAction {
    /// Posts a message as the rule's author to a channel (`channel`: its id).
    PostMessage { channel: String, text: String },
    /// Notifies users (ids) and the holders of roles (`admin`, `accountant`, …) in the org.
    Notify {
        #[serde(default)]
        users: Vec<String>,
        #[serde(default)]
        roles: Vec<String>,
        text: String,
    },
    /// E-mails a template to addresses: literal addresses, or `field:<name>` for an address the
    /// entity holds (a record's `email` field, or a linked record's: `field:client.email`).
    Email { to: Vec<String>, template: String },
    /// Sets a field of the event's task or record (`due`, `priority`, a record field);
    /// `{{today}}` is the date in the rule's time zone.
    SetField {
        field: String,
        value: serde_json::Value,
    },
    /// Assigns the event's task (adds the assignee) or sets a record's `assignee`.
    Assign { user: String },
    /// Moves the event's task into a column (`column` id) of its project's board.
    MoveTask { column: String },
    /// Creates a task on a board's project, in its first column.
    CreateTask { board: String, title: String },
    /// Creates a record of a type with fields (templates allowed in string values).
    CreateRecord {
        record_type: String,
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// POSTs the event as JSON (`{type, timestamp, data, rule}`) to a public http(s) URL.
    Webhook { url: String },
}

/// `POST /orgs/{org}/automations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreateRuleRequest {
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// Only events of this project (the author must manage it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub trigger: RuleTrigger,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub conditions: Vec<RuleCondition>,
    #[schema(min_items = 1, max_items = 10)]
    pub actions: Vec<RuleAction>,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `PATCH /automations/{rule}`: the parts to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateRuleRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<RuleTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<RuleCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<RuleAction>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A rule as its managers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AutomationRule {
    pub id: String,
    pub org_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub name: String,
    pub trigger: RuleTrigger,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<RuleAction>,
    pub active: bool,
    /// The author: the rule acts with their rights, as them.
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Queued, not run yet.
    Pending,
    /// Every action was done.
    Done,
    /// An action failed (see `error`); the actions before it were done.
    Failed,
    /// Not run: the chain of rules triggering rules reached the depth limit, or the rule
    /// would have triggered itself.
    Stopped,
}

/// One action of a run (or of a dry run): what it did or would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActionReport {
    /// The action's type (`post_message`, `email`, …).
    #[serde(rename = "type")]
    pub action_type: String,
    /// In words, with the templates rendered: `post "Done: ENG-4 Fix login" to #general`.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One run of a rule: an entry of its run log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleRun {
    pub id: String,
    pub rule_id: String,
    /// The event that triggered it (`task.updated`), or `schedule` / `due`.
    pub trigger: String,
    /// The task, record or message concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    pub outcome: RunOutcome,
    /// Its place in a chain of rules: 1 for a run a person's change (or a schedule) started,
    /// one more for each rule whose change led to it.
    pub depth: i64,
    pub actions: Vec<ActionReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// `POST /automations/{rule}/dry-run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DryRunRequest {
    /// How many of the org's most recent events to replay (1 to 500; default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 500)]
    pub events: Option<u32>,
}

/// One replayed event of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DryRunEvent {
    pub event_type: String,
    pub entity_id: String,
    /// UTC ms of the change.
    pub at: i64,
    /// Whether the trigger and every condition held.
    pub matched: bool,
    /// Why it did not match (the first condition that failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the actions would have done (empty when not matched).
    pub actions: Vec<ActionReport>,
}

/// The answer of a dry run: nothing was changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DryRunReport {
    pub events: Vec<DryRunEvent>,
}

/// `POST /orgs/{org}/email-templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreateEmailTemplateRequest {
    /// Unique in the org; rules name templates by it (`invoice-overdue`).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// A template over the entity's fields (`Invoice {{name}} is overdue`); one line.
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub subject: String,
    /// Plain text with `{{field}}` placeholders; the HTML part is made from it, escaped.
    #[schema(min_length = 1, max_length = 20000, pattern = r"\S")]
    pub body: String,
}

/// `PATCH /email-templates/{template}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateEmailTemplateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 20000, pattern = r"\S")]
    pub body: Option<String>,
}

/// An e-mail template of an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EmailTemplate {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub subject: String,
    pub body: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /email-templates/{template}/preview`: the template rendered over sample fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewEmailTemplateRequest {
    /// The fields to render with (`{"name": "INV-2026-00001", "total": "120.00 EUR"}`).
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A rendered template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RenderedEmail {
    pub subject: String,
    pub body: String,
}
