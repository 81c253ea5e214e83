//! Boards, tasks, milestones, time tracking and saved views (`/api/v1/boards`, `/tasks`,
//! `/projects/{project}/…`, `/me/timer`, `/orgs/{org}/time`).
//!
//! A board is a view over its project's tasks: a filter plus ordered columns, each showing one
//! of the project's statuses. A task has one status (and one place in that status's order)
//! however many boards show it. Dates are `YYYY-MM-DD`; times are Unix milliseconds; estimates
//! and time entries are whole minutes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a status means for progress and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    Backlog,
    Todo,
    InProgress,
    /// Closed: done.
    Done,
    /// Closed: not done.
    Cancelled,
}

/// How urgent a task is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

/// How a board groups its cards into horizontal lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Swimlanes {
    Assignee,
    Priority,
    Label,
}

/// Which of the project's tasks a board (or a saved view) shows; every given part must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskFilter {
    /// Assigned to any of these users (`"none"` for unassigned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignees: Vec<String>,
    /// Carrying any of these labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    /// Status ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// Due on or before this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due_before: Option<String>,
    /// Words in the key or title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A column in `POST /api/v1/projects/{project}/boards` and `POST /api/v1/boards/{board}/columns`.
/// A column shows the project's status of the same name (case-insensitive), created with
/// `category` (default `todo`) if the project has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewColumn {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<StatusCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub wip_limit: Option<u32>,
}

/// `POST /api/v1/projects/{project}/boards`. Without columns: Backlog, To do, In progress, Done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateBoardRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<NewColumn>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<TaskFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swimlanes: Option<Swimlanes>,
}

/// `PATCH /api/v1/boards/{board}`: what is given changes. `columns` reorders, renames and sets
/// WIP limits of existing columns (by id; every column listed once; `wip_limit: null` clears).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateBoardRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<TaskFilter>,
    /// `null` turns swimlanes off.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub swimlanes: Option<Option<Swimlanes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<ColumnUpdate>>,
}

/// One column in [`UpdateBoardRequest::columns`], in the new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColumnUpdate {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    /// Absent: unchanged; `null`: no limit.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub wip_limit: Option<Option<u32>>,
}

/// A board in lists (no tasks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoardSummary {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub filter: TaskFilter,
    pub swimlanes: Option<Swimlanes>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /api/v1/boards/{board}`: the board with its columns and their cards in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    /// The project's key (ENG in ENG-42).
    pub project_key: String,
    pub name: String,
    pub filter: TaskFilter,
    pub swimlanes: Option<Swimlanes>,
    pub columns: Vec<Column>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the caller may do with the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<super::Can>,
    /// What the caller may do with its tasks (move, edit, comment…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_can: Option<super::Can>,
}

/// A column: one status of the project, its cards in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Column {
    pub id: String,
    pub name: String,
    pub status_id: String,
    pub category: StatusCategory,
    pub wip_limit: Option<u32>,
    /// Open cards counted against the WIP limit (all cards of the status, whatever the filter).
    pub count: u32,
    pub tasks: Vec<TaskCard>,
}

/// A task as a board card and a list row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskCard {
    pub id: String,
    /// `ENG-42`.
    pub key: String,
    pub title: String,
    pub status_id: String,
    /// The order key within the status (byte order).
    pub rank: String,
    pub priority: Priority,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub due: Option<String>,
    pub estimate: Option<u32>,
    pub milestone: Option<String>,
    pub parent: Option<String>,
    /// Open tasks this one waits for.
    pub blocked: bool,
    /// Subtasks closed / all.
    pub subtasks_done: u32,
    pub subtasks_total: u32,
    /// Checklist items done / all.
    pub checklist_done: u32,
    pub checklist_total: u32,
    pub closed: bool,
    pub updated_at: i64,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistItem {
    /// Given by the server to new items (send it back to keep an item's identity).
    #[serde(default)]
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub done: bool,
}

/// A task that blocks or is blocked by another, as a short reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskRef {
    pub id: String,
    pub key: String,
    pub title: String,
    pub closed: bool,
}

/// A file attached to a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskAttachment {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

/// `GET /api/v1/tasks/{task}`: everything about a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub key: String,
    pub title: String,
    pub status_id: String,
    pub status: String,
    pub category: StatusCategory,
    pub rank: String,
    pub priority: Priority,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub due: Option<String>,
    pub estimate: Option<u32>,
    pub milestone: Option<String>,
    pub parent: Option<TaskRef>,
    pub subtasks: Vec<TaskRef>,
    /// Tasks this one waits for (open and closed).
    pub blocked_by: Vec<TaskRef>,
    /// Tasks waiting for this one.
    pub blocks: Vec<TaskRef>,
    pub checklist: Vec<ChecklistItem>,
    pub watchers: Vec<String>,
    pub attachments: Vec<TaskAttachment>,
    /// The collaborative document of the description: edit it through `/collab/{doc}`.
    pub description_doc: String,
    /// The discussion: a channel of the chat machinery (`/api/v1/channels/{channel}/messages`).
    pub discussion_channel: String,
    /// Minutes logged on the task.
    pub time_spent: u64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<super::Can>,
}

/// `POST /api/v1/boards/{board}/tasks`. Without a column: the board's first column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateTaskRequest {
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Markdown text that starts the description document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Vec<ChecklistItem>>,
    /// Place it at the top of the column (default: the bottom).
    #[serde(default)]
    pub top: bool,
}

/// `PATCH /api/v1/tasks/{task}`: what is given changes; `null` clears an optional field.
/// Closing a parent with open subtasks (moving it to a closed status) needs `confirm: true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateTaskRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub estimate: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub milestone: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Vec<ChecklistItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchers: Option<Vec<String>>,
    /// File ids (uploaded to the task's project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<String>>,
    #[serde(default)]
    pub confirm: bool,
}

/// `POST /api/v1/tasks/{task}/move`: into `column` (of the board it is in), between `after` and
/// `before` (task ids of that column; neither: the bottom). At a WIP limit: 409 `wip_limit`
/// unless a project manager passes `force`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MoveTaskRequest {
    pub column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default)]
    pub force: bool,
    /// Closing a parent with open subtasks needs it.
    #[serde(default)]
    pub confirm: bool,
}

/// What a bulk request does to every task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOp {
    /// To `status` (at the bottom of it).
    Move,
    /// Sets `assignees`.
    Assign,
    /// Adds `labels` (and removes `remove_labels`).
    Label,
    /// Sets `priority`.
    Priority,
    /// To the project's first status of category done.
    Close,
}

/// `POST /api/v1/projects/{project}/tasks/bulk`: one transaction, all or nothing; a refusal
/// answers 422 with `errors` per task and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkTaskRequest {
    #[schema(min_items = 1, max_items = 100)]
    pub tasks: Vec<String>,
    pub op: BulkOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub confirm: bool,
}

/// The answer to a bulk request that went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkTaskResult {
    pub tasks: Vec<TaskCard>,
}

/// One field change in a task's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskChange {
    pub seq: i64,
    pub actor: Option<String>,
    pub at: i64,
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// `POST /api/v1/projects/{project}/milestones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateMilestoneRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/milestones/{milestone}`: what is given changes; `due: null` clears the date,
/// `closed` closes (true) or reopens (false) the milestone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateMilestoneRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    /// Absent: unchanged; `null`: no due date.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub due: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
}

/// A milestone with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub due: Option<String>,
    pub tasks_total: u32,
    pub tasks_closed: u32,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// `GET /api/v1/projects/{project}/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectOverview {
    pub project_id: String,
    /// Open and closed tasks per status, in the project's status order.
    pub statuses: Vec<StatusCount>,
    pub open: u32,
    pub closed: u32,
    /// Open tasks past their due date (the server's UTC date).
    pub overdue: u32,
    pub unassigned: u32,
    /// Open tasks waiting for an open blocker.
    pub blocked: u32,
    pub milestones: Vec<Milestone>,
}

/// Tasks in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusCount {
    pub status_id: String,
    pub name: String,
    pub category: StatusCategory,
    pub count: u32,
}

/// `POST /api/v1/tasks/{task}/time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateTimeEntryRequest {
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
}

/// A time entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeEntry {
    pub id: String,
    pub project_id: String,
    pub task_id: Option<String>,
    pub task_key: Option<String>,
    pub user_id: String,
    pub date: String,
    pub minutes: u32,
    pub note: String,
    pub billable: bool,
    pub created_at: i64,
}

/// `PATCH /api/v1/time/{entry}`: what is given changes (the same rules as creating one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateTimeEntryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
}

/// `POST /api/v1/me/timer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StartTimerRequest {
    pub task: String,
}

/// The caller's running timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Timer {
    pub task_id: String,
    pub task_key: String,
    pub task_title: String,
    pub started_at: i64,
}

/// `POST /api/v1/me/timer` answers with the new timer and the entry of the one it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimerStarted {
    pub timer: Timer,
    pub stopped: Option<TimeEntry>,
}

/// `timer.updated` (to the user's own sockets only): the running timer now (`null` when none)
/// and the entry a stop just recorded, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimerChanged {
    pub timer: Option<Timer>,
    pub stopped: Option<TimeEntry>,
}

/// One entry of a person's timesheet: the entry with the names its row shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimesheetEntry {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    /// `None` once the task was deleted (its time stays).
    pub task_id: Option<String>,
    pub task_key: Option<String>,
    pub task_title: Option<String>,
    pub user_id: String,
    pub date: String,
    pub minutes: u32,
    pub note: String,
    pub billable: bool,
    pub created_at: i64,
}

/// `GET /api/v1/orgs/{org}/time/entries`: one person's entries across tasks, by date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Timesheet {
    pub user_id: String,
    pub from: String,
    pub to: String,
    pub entries: Vec<TimesheetEntry>,
    pub total_minutes: u64,
}

/// `GET /api/v1/orgs/{org}/time?group=day|week`: minutes per period (a week is named by its
/// Monday), per user and project, with totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeReport {
    pub from: String,
    pub to: String,
    pub group: String,
    pub rows: Vec<TimeReportRow>,
    pub total_minutes: u64,
    pub billable_minutes: u64,
}

/// One period × user × project of a [`TimeReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeReportRow {
    pub period: String,
    pub user_id: String,
    pub project_id: String,
    pub minutes: u64,
    pub billable_minutes: u64,
}

/// Where a saved view shows its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewLayout {
    Board,
    List,
}

/// `POST /api/v1/projects/{project}/views` and `PATCH /api/v1/views/{view}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaveViewRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    pub layout: ViewLayout,
    #[serde(default)]
    pub filters: TaskFilter,
    /// A task field, `-` first for descending: key, title, priority, due, status, updated.
    #[serde(default)]
    pub sort: String,
}

/// A user's saved view of a project's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SavedView {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub layout: ViewLayout,
    pub filters: TaskFilter,
    pub sort: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `task.created`, `task.updated` and `task.moved`: the card as it is now (boards showing its
/// status place it by `rank`; a move names the status it left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskEvent {
    pub project_id: String,
    pub task: TaskCard,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<String>,
    /// Who did it.
    pub by: String,
}

/// `task.deleted` and `board.deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Removed {
    pub id: String,
    pub project_id: String,
}

/// Reads a field that may be absent (`None`, through `default`), `null` (`Some(None)`) or a
/// value (`Some(Some(_))`): plain `Option<Option<T>>` reads `null` as absent, so a client could
/// never clear the field.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::UpdateMilestoneRequest;

    #[test]
    fn null_clears_and_absence_keeps() {
        let read = |json| {
            serde_json::from_str::<UpdateMilestoneRequest>(json)
                .unwrap()
                .due
        };
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"due":null}"#), Some(None));
        assert_eq!(
            read(r#"{"due":"2026-01-02"}"#),
            Some(Some("2026-01-02".to_owned()))
        );
    }
}
