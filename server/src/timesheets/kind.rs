//! The built-in `timesheet`: a person's week (Monday to Sunday) of time — a row per project,
//! task and day — with its totals.
//!
//! Created for a week, it is prefilled from the person's time entries of that week (each row
//! remembers its entry in `time_entry`: a plain column, as the engine keeps read-only columns
//! for the server's own computations and a save's input never reaches them). Its workflow: `submit` (by its person) sends it to its approvers —
//! the person's manager and the managers of the projects its rows name, derived on every save —
//! who `approve` it or `reject` it with a reason; a rejected timesheet is edited and submitted
//! again; an approved one is read-only and its billable rows may be invoiced
//! ([`crate::invoices::from_time`]).

use std::collections::BTreeSet;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::{notify, store};
use crate::calendar;
use crate::db::Db;
use crate::error::ApiError;
use crate::records::registry::{RecordKind, Save, StepCheck};
use crate::records::schema::TypeSchema;
use crate::records::schema::check::Errors;
use crate::records::store::records::RecordRow;
use crate::write::UnitOfWork;

/// The states.
pub mod states {
    pub const DRAFT: &str = "draft";
    pub const SUBMITTED: &str = "submitted";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
}

/// The actions.
pub mod actions {
    pub const SUBMIT: &str = "submit";
    pub const APPROVE: &str = "approve";
    pub const REJECT: &str = "reject";
}

/// Most rows one timesheet holds (a row per project, task and day is far below).
const MAX_ROWS: u64 = 500;

pub struct TimesheetKind;

impl RecordKind for TimesheetKind {
    fn slug(&self) -> &'static str {
        "timesheet"
    }

    fn name(&self) -> &'static str {
        "Timesheet"
    }

    fn schema(&self) -> TypeSchema {
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "user", "type": "user", "label": "Person", "required": true},
                {"name": "week", "type": "date", "label": "Week (Monday)", "required": true},
                {"name": "entries", "type": "table", "label": "Time", "max": MAX_ROWS, "fields": [
                    {"name": "project", "type": "text", "label": "Project", "required": true, "max": 64},
                    {"name": "task", "type": "text", "label": "Task", "max": 64},
                    {"name": "description", "type": "text", "label": "Description", "max": 300},
                    {"name": "date", "type": "date", "label": "Day", "required": true},
                    {"name": "minutes", "type": "integer", "label": "Minutes", "required": true, "min": 1, "max": 1440},
                    {"name": "billable", "type": "boolean", "label": "Billable", "default": true},
                    {"name": "note", "type": "text", "label": "Note", "max": 500},
                    {"name": "time_entry", "type": "text", "label": "Time entry", "max": 64}
                ]},
                {"name": "total_minutes", "type": "integer", "label": "Total (minutes)", "read_only": true},
                {"name": "billable_minutes", "type": "integer", "label": "Billable (minutes)", "read_only": true},
                {"name": "approvers", "type": "users", "label": "Approvers", "read_only": true},
                {"name": "key", "type": "text", "label": "Person and week", "read_only": true, "unique": true}
            ],
            "naming": {"prefix": "TS-", "year": true, "digits": 5, "at": "create"},
            "workflow": {
                "states": [
                    {"name": states::DRAFT},
                    {"name": states::SUBMITTED, "final_state": true},
                    {"name": states::APPROVED, "final_state": true},
                    {"name": states::REJECTED}
                ],
                "transitions": [
                    {"action": actions::SUBMIT, "from": [states::DRAFT, states::REJECTED], "to": states::SUBMITTED,
                     "allow_self_approval": true, "condition": {"field": "total_minutes", "op": "gt", "value": 0}},
                    {"action": actions::APPROVE, "from": [states::SUBMITTED], "to": states::APPROVED, "allow_self_approval": true},
                    {"action": actions::REJECT, "from": [states::SUBMITTED], "to": states::REJECTED, "allow_self_approval": true}
                ]
            }
        }))
        .unwrap_or_else(|e| unreachable!("the timesheet schema is valid JSON: {e}"));
        schema.permissions = super::timesheet_permissions();
        schema
    }

    fn compute(&self, data: &mut Map<String, Value>) {
        let rows = data
            .get("entries")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let minutes = |row: &Value| row.get("minutes").and_then(Value::as_i64).unwrap_or(0);
        let billable = |row: &Value| row.get("billable").and_then(Value::as_bool) != Some(false);
        let total: i64 = rows.iter().map(minutes).sum();
        let billed: i64 = rows.iter().filter(|r| billable(r)).map(minutes).sum();
        data.insert("total_minutes".into(), json!(total));
        data.insert("billable_minutes".into(), json!(billed));
        if let (Some(user), Some(week)) = (text(data, "user"), text(data, "week")) {
            let key = format!("{user}:{week}");
            data.insert("key".into(), Value::String(key));
        }
    }

    fn validate(&self, data: &Map<String, Value>, errors: &mut Errors) {
        let Some(week) = text(data, "week").and_then(calendar::parse) else {
            return;
        };
        if calendar::monday_of(week) != week {
            errors.insert("week".into(), "must be a Monday".into());
            return;
        }
        let sunday = week + time::Duration::days(6);
        for (i, row) in rows(data).iter().enumerate() {
            if let Some(day) = row
                .get("date")
                .and_then(Value::as_str)
                .and_then(calendar::parse)
                && !(week..=sunday).contains(&day)
            {
                errors.insert(
                    format!("entries[{i}].date"),
                    "must be a day of the timesheet's week".into(),
                );
            }
        }
    }

    fn fill<'a>(
        &'a self,
        save: &'a Save<'a>,
        input: &'a mut Map<String, Value>,
        previous: Option<&'a Map<String, Value>>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(fill(save, input, previous))
    }

    fn owner_fields(&self) -> &'static [&'static str] {
        &["user", "approvers"]
    }

    fn derive<'a>(
        &'a self,
        save: &'a Save<'a>,
        data: &'a mut Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(derive(save, data))
    }

    fn check_step(&self, step: &StepCheck<'_>) -> Result<(), ApiError> {
        check_step(step)
    }

    fn after_step<'a>(
        &'a self,
        db: &'a Db,
        work: &'a mut UnitOfWork,
        before: &'a RecordRow,
        after: &'a RecordRow,
        user_id: Option<&'a str>,
        comment: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            notify::step_taken(db, work, before, after, user_id, comment).await?;
            Ok(())
        })
    }
}

fn text<'d>(data: &'d Map<String, Value>, key: &str) -> Option<&'d str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn rows(data: &Map<String, Value>) -> &[Value] {
    data.get("entries")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The person defaults to the caller, who keeps only their own unless they may write every
/// timesheet; the person and week are fixed once created; a new week's rows come from the
/// person's time entries unless the save gives its own.
async fn fill(
    save: &Save<'_>,
    input: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    if let Some(previous) = previous {
        for fixed in ["user", "week"] {
            if let Some(given) = input.get(fixed)
                && !given.is_null()
                && Some(given) != previous.get(fixed)
            {
                return Err(ApiError::invalid_field(
                    fixed,
                    "cannot change: a timesheet is one person's week",
                ));
            }
        }
        return Ok(());
    }
    let user = match input.get("user").and_then(Value::as_str) {
        Some(user) if !user.trim().is_empty() => user.trim().to_owned(),
        _ => save.user_id.to_owned(),
    };
    if user != save.user_id && !save.writes_all {
        return Err(ApiError::Forbidden(
            "you can only keep your own timesheets".into(),
        ));
    }
    input.insert("user".into(), Value::String(user.clone()));
    let Some(week) = input
        .get("week")
        .and_then(Value::as_str)
        .and_then(calendar::parse)
        .filter(|w| calendar::monday_of(*w) == *w)
    else {
        // The schema's and `validate`'s checks say what is wrong with it.
        return Ok(());
    };
    let week_text = calendar::format(week);
    if store::timesheet_of(save.db, save.org_id, &user, &week_text)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "timesheet_exists",
            "this person already has a timesheet for this week",
        ));
    }
    if !input.contains_key("entries") {
        let sunday = calendar::format(week + time::Duration::days(6));
        let entries = store::time_entries(save.db, save.org_id, &user, &week_text, &sunday).await?;
        let rows: Vec<Value> = entries.iter().map(row_of_entry).collect();
        input.insert("entries".into(), Value::Array(rows));
    }
    Ok(())
}

/// A timesheet row from a time entry.
fn row_of_entry(entry: &atrium_client::wire::TimesheetEntry) -> Value {
    let description = match (&entry.task_key, &entry.task_title) {
        (Some(key), Some(title)) => format!("{key} {title}"),
        _ => entry.project_name.clone(),
    };
    let mut row = json!({
        "project": entry.project_id,
        "description": description.chars().take(300).collect::<String>(),
        "date": entry.date,
        "minutes": entry.minutes,
        "billable": entry.billable,
        "time_entry": entry.id,
    });
    if let Some(task) = &entry.task_id {
        row["task"] = Value::String(task.clone());
    }
    if !entry.note.is_empty() {
        row["note"] = Value::String(entry.note.chars().take(500).collect());
    }
    row
}

/// Checks that the rows name projects (and tasks of them) of the org, then names the
/// approvers: the person's manager and the managers of the rows' projects, never the person.
async fn derive(save: &Save<'_>, data: &mut Map<String, Value>) -> Result<(), ApiError> {
    let projects: BTreeSet<String> = rows(data)
        .iter()
        .filter_map(|r| r.get("project").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let known = store::projects_in_org(save.db, save.org_id, &projects).await?;
    let mut errors = Errors::new();
    let mut tasks = Vec::new();
    for (i, row) in rows(data).iter().enumerate() {
        let project = row
            .get("project")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !known.contains(project) {
            errors.insert(
                format!("entries[{i}].project"),
                "is not a project of this organisation".into(),
            );
        } else if let Some(task) = row.get("task").and_then(Value::as_str) {
            tasks.push((i, project.to_owned(), task.to_owned()));
        }
    }
    for (i, project, task) in tasks {
        if !store::task_in_project(save.db, &project, &task).await? {
            errors.insert(
                format!("entries[{i}].task"),
                "is not a task of the row's project".into(),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let user = text(data, "user").unwrap_or_default().to_owned();
    let mut approvers: Vec<String> = Vec::new();
    if let Some(manager) = store::manager_of(save.db, save.org_id, &user).await? {
        approvers.push(manager);
    }
    for manager in store::project_managers(save.db, &known).await? {
        if !approvers.contains(&manager) {
            approvers.push(manager);
        }
    }
    approvers.retain(|a| *a != user);
    data.insert("approvers".into(), json!(approvers));
    Ok(())
}

/// Who takes which step: the person (or whoever may write every timesheet) submits, and only
/// when someone can approve; an approver — never the person — approves or rejects, and a
/// rejection says why.
fn check_step(step: &StepCheck<'_>) -> Result<(), ApiError> {
    let data = &step.record.data;
    let person = text(data, "user").unwrap_or_default();
    let approvers: Vec<&str> = data
        .get("approvers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match step.action {
        actions::SUBMIT => {
            if step.user_id != person && !step.writes_all {
                return Err(ApiError::Forbidden(
                    "only the timesheet's person submits it".into(),
                ));
            }
            if approvers.is_empty() {
                return Err(ApiError::invalid_field(
                    "approvers",
                    "nobody can approve this timesheet: give its person a manager, or a manager to its projects",
                ));
            }
        }
        actions::APPROVE | actions::REJECT => {
            if step.user_id == person {
                return Err(ApiError::Refused {
                    code: "self_approval",
                    message: "nobody approves their own timesheet".into(),
                });
            }
            if !approvers.contains(&step.user_id) {
                return Err(ApiError::Forbidden(
                    "only the person's manager or a manager of one of its projects approves a timesheet".into(),
                ));
            }
            if step.action == actions::REJECT && !step.asking && step.comment.is_none() {
                return Err(ApiError::invalid_field(
                    "comment",
                    "say why the timesheet is rejected",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}
