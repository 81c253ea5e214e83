//! Task cards: the rows of a board's columns and the list view, with the counts a card shows.

use std::collections::{HashMap, HashSet};

use atrium_client::wire::{ChecklistItem, TaskCard};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::decode_error;
use super::relations::{Link, values_in_project};
use super::tasks::{TASK_COLUMNS, TASK_FROM, TaskRow, task_from};
use crate::boards::model::{is_closed, parse_category, parse_priority, task_key};
use crate::db::Backend;

/// A card with the row it was made from (the list view sorts by the row's fields).
pub struct CardRow {
    pub task: TaskRow,
    pub card: TaskCard,
}

/// The cards of a project's tasks, in status and order.
pub async fn in_project(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<CardRow>, sqlx::Error> {
    // One pass per question over the project (not a subquery per card: a board of thousands
    // of cards would pay three index searches per card).
    let sql = sqlx::AssertSqlSafe(format!(
        "select {TASK_COLUMNS} from {TASK_FROM}
         where t.org_id = $1 and t.project_id = $2
         order by t.status_id, t.rank"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?;
    let tasks = rows.iter().map(task_from).collect::<Result<Vec<_>, _>>()?;
    let (blocked, subtasks) = blocked_and_subtasks(conn, project_id).await?;
    let assignees = group(values_in_project(conn, Link::Assignees, project_id).await?);
    let labels = group(values_in_project(conn, Link::Labels, project_id).await?);
    Ok(tasks
        .into_iter()
        .map(|task| {
            let card = card(
                &task,
                blocked.contains(&task.id),
                subtasks.get(&task.id).copied().unwrap_or_default(),
                assignees.get(&task.id).cloned().unwrap_or_default(),
                labels.get(&task.id).cloned().unwrap_or_default(),
            );
            CardRow { task, card }
        })
        .collect())
}

/// The project's tasks waiting for an open blocker, and its tasks' subtasks (done, all).
async fn blocked_and_subtasks(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<(HashSet<String>, HashMap<String, (i64, i64)>), sqlx::Error> {
    let blocked: HashSet<String> = sqlx::query(
        "select distinct d.task_id from task_dependencies d
         join tasks t on t.id = d.task_id join tasks b on b.id = d.blocker_id
         where t.project_id = $1 and b.closed_at is null",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("task_id"))
    .collect::<Result<_, _>>()?;
    let mut subtasks: HashMap<String, (i64, i64)> = HashMap::new();
    for row in sqlx::query(
        "select parent_id, count(*) as total,
                sum(case when closed_at is null then 0 else 1 end) as done
         from tasks where project_id = $1 and parent_id is not null
         group by parent_id",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?
    {
        subtasks.insert(
            row.try_get("parent_id")?,
            (row.try_get("done")?, row.try_get("total")?),
        );
    }
    Ok((blocked, subtasks))
}

/// The cards of a project's tasks in status and order, for a board: what [`in_project`] makes
/// of each task, read as three JSON arrays in one statement. Thousands of cards then cross from
/// the database as one row instead of one row each (handing rows over one by one, and
/// converting each, cost several times the query itself).
pub async fn board_cards(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<TaskCard>, sqlx::Error> {
    let Json {
        array,
        array_agg: aggregate,
        to_text,
    } = Json::of(backend_of(conn));
    // `coalesce`: PostgreSQL aggregates no rows to null, SQLite to `[]`.
    let sql = sqlx::AssertSqlSafe(format!(
        "select
             (select coalesce({aggregate}({array}(t.id, p.key, t.number, t.title, t.status_id,
                  s.category, t.rank, t.priority, t.due, t.estimate, t.milestone_id, t.parent_id,
                  t.checklist, t.updated_at, t.closed_at) order by t.status_id, t.rank){to_text},
                  '[]')
              from {TASK_FROM} where t.org_id = $1 and t.project_id = $2) as tasks,
             (select coalesce({aggregate}({array}(r.task_id, r.user_id) order by r.user_id){to_text},
                  '[]')
              from task_assignees r join tasks t on t.id = r.task_id
              where t.project_id = $2) as assignees,
             (select coalesce({aggregate}({array}(r.task_id, r.label) order by r.label){to_text},
                  '[]')
              from task_labels r join tasks t on t.id = r.task_id
              where t.project_id = $2) as labels"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_one(&mut *conn)
        .await?;
    let decode = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
    let tasks: Vec<BoardTask> = serde_json::from_str(&decode("tasks")?).map_err(json_error)?;
    let pairs = |column: &str| -> Result<HashMap<String, Vec<String>>, sqlx::Error> {
        let pairs: Vec<(String, String)> =
            serde_json::from_str(&decode(column)?).map_err(json_error)?;
        Ok(group(pairs))
    };
    let (mut assignees, mut labels) = (pairs("assignees")?, pairs("labels")?);
    let (blocked, subtasks) = blocked_and_subtasks(conn, project_id).await?;
    tasks
        .into_iter()
        .map(|t| {
            let category = parse_category(&t.category)
                .ok_or_else(|| decode_error("status category", &t.category))?;
            let checklist: Vec<ChecklistItem> =
                serde_json::from_str(&t.checklist).unwrap_or_default();
            let (subtasks_done, subtasks_total) = subtasks.get(&t.id).copied().unwrap_or_default();
            Ok(TaskCard {
                key: task_key(t.project_key.as_deref().unwrap_or_default(), t.number),
                priority: parse_priority(&t.priority)
                    .ok_or_else(|| decode_error("priority", &t.priority))?,
                assignees: assignees.remove(&t.id).unwrap_or_default(),
                labels: labels.remove(&t.id).unwrap_or_default(),
                estimate: t.estimate.and_then(|e| u32::try_from(e).ok()),
                blocked: blocked.contains(&t.id),
                subtasks_done: count(subtasks_done),
                subtasks_total: count(subtasks_total),
                checklist_done: u32::try_from(checklist.iter().filter(|i| i.done).count())
                    .unwrap_or(u32::MAX),
                checklist_total: u32::try_from(checklist.len()).unwrap_or(u32::MAX),
                closed: is_closed(category) || t.closed_at.is_some(),
                id: t.id,
                title: t.title,
                status_id: t.status_id,
                rank: t.rank,
                due: t.due,
                milestone: t.milestone_id,
                parent: t.parent_id,
                updated_at: t.updated_at,
            })
        })
        .collect()
}

/// A task as [`board_cards`] reads it: the array built in SQL, in its order.
#[derive(serde::Deserialize)]
struct BoardTask {
    id: String,
    project_key: Option<String>,
    number: i64,
    title: String,
    status_id: String,
    category: String,
    rank: String,
    priority: String,
    due: Option<String>,
    estimate: Option<i64>,
    milestone_id: Option<String>,
    parent_id: Option<String>,
    checklist: String,
    updated_at: i64,
    closed_at: Option<i64>,
}

fn json_error(error: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

/// One task's card, in one round trip (a move answers with it while it holds its status's
/// order lock, so every statement here lengthens every queue of moves).
pub async fn one(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    task_id: &str,
) -> Result<Option<TaskCard>, sqlx::Error> {
    let extras = extras_columns(backend_of(conn));
    let sql = sqlx::AssertSqlSafe(format!(
        "select {TASK_COLUMNS}, {extras}
         from {TASK_FROM}
         where t.org_id = $1 and t.project_id = $2 and t.id = $3"
    ));
    let Some(row) = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .bind(task_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let task = task_from(&row)?;
    Ok(Some(extras_from(&row)?.card(&task)))
}

/// What a card shows besides its task's own row: read with the row ([`extras_columns`]), so
/// that a change which leaves them alone (a move) can answer its card without reading again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardExtras {
    /// Whether an open task blocks it.
    pub blocked: bool,
    /// Its subtasks: (done, all).
    pub subtasks: (i64, i64),
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
}

impl CardExtras {
    /// Its subtasks still open.
    pub fn open_subtasks(&self) -> i64 {
        self.subtasks.1 - self.subtasks.0
    }

    /// The card of `task` (as it is now) with these extras.
    pub fn card(&self, task: &TaskRow) -> TaskCard {
        card(
            task,
            self.blocked,
            self.subtasks,
            self.assignees.clone(),
            self.labels.clone(),
        )
    }
}

/// The columns of [`CardExtras`], for a statement over a task `t`: the same questions as
/// [`in_project`], asked of one task (the blockers may be anywhere; subtasks are in the task's
/// own project, as a parent must be). Each is driven by the task's own key: a blocker's state is
/// read by its primary key (a plan that started from the open tasks would read the project).
pub(super) fn extras_columns(backend: Backend) -> String {
    let Json {
        array,
        array_agg,
        to_text,
    } = Json::of(backend);
    format!(
        "(select count(*) from task_dependencies d
          where d.task_id = t.id
              and (select b.closed_at from tasks b where b.id = d.blocker_id) is null)
             as open_blockers,
         (select {array}(count(c.closed_at), count(*)){to_text} from tasks c
          where c.parent_id = t.id and c.project_id = t.project_id) as subtasks,
         (select coalesce({array_agg}(r.user_id order by r.user_id){to_text}, '[]')
          from task_assignees r where r.task_id = t.id) as assignees,
         (select coalesce({array_agg}(r.label order by r.label){to_text}, '[]')
          from task_labels r where r.task_id = t.id) as labels"
    )
}

/// Decodes the columns of [`extras_columns`].
pub(super) fn extras_from(row: &AnyRow) -> Result<CardExtras, sqlx::Error> {
    let open_blockers: i64 = row.try_get("open_blockers")?;
    let json = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
    let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        serde_json::from_str(&json(column)?).map_err(json_error)
    };
    Ok(CardExtras {
        blocked: open_blockers > 0,
        subtasks: serde_json::from_str(&json("subtasks")?).map_err(json_error)?,
        assignees: list("assignees")?,
        labels: list("labels")?,
    })
}

/// The JSON functions of a dialect.
pub(super) struct Json {
    /// A JSON array of its arguments.
    pub array: &'static str,
    /// The aggregate of values into a JSON array (`order by` inside it).
    pub array_agg: &'static str,
    /// What turns the aggregate into text for the driver.
    pub to_text: &'static str,
}

impl Json {
    pub(super) fn of(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self {
                array: "json_array",
                array_agg: "json_group_array",
                to_text: "",
            },
            Backend::Postgres => Self {
                array: "json_build_array",
                array_agg: "json_agg",
                to_text: "::text",
            },
        }
    }
}

/// The backend a connection talks to.
pub(super) fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

fn group(pairs: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (task, value) in pairs {
        map.entry(task).or_default().push(value);
    }
    map
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn card(
    task: &TaskRow,
    blocked: bool,
    (subtasks_done, subtasks_total): (i64, i64),
    assignees: Vec<String>,
    labels: Vec<String>,
) -> TaskCard {
    let checklist_done = task.checklist.iter().filter(|i| i.done).count();
    TaskCard {
        id: task.id.clone(),
        key: task.key.clone(),
        title: task.title.clone(),
        status_id: task.status_id.clone(),
        rank: task.rank.clone(),
        priority: task.priority,
        assignees,
        labels,
        due: task.due.clone(),
        estimate: task.estimate.and_then(|e| u32::try_from(e).ok()),
        milestone: task.milestone_id.clone(),
        parent: task.parent_id.clone(),
        blocked,
        subtasks_done: count(subtasks_done),
        subtasks_total: count(subtasks_total),
        checklist_done: u32::try_from(checklist_done).unwrap_or(u32::MAX),
        checklist_total: u32::try_from(task.checklist.len()).unwrap_or(u32::MAX),
        closed: is_closed(task.category) || task.closed_at.is_some(),
        updated_at: task.updated_at,
    }
}
