//! Task cards: the rows of a board's columns and the list view, with the counts a card shows.

use std::collections::{HashMap, HashSet};

use atrium_client::wire::TaskCard;
use sqlx::{AnyConnection, Row};

use super::relations::{Link, values_in_project};
use super::tasks::{TASK_COLUMNS, TASK_FROM, TaskRow, task_from};
use crate::boards::model::is_closed;

/// A card with the row it was made from (the list view sorts by the row's fields).
pub struct CardRow {
    pub task: TaskRow,
    pub card: TaskCard,
}

/// The cards of a project's tasks (of one task when `only` is given), in status and order.
pub async fn in_project(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    only: Option<&str>,
) -> Result<Vec<CardRow>, sqlx::Error> {
    // One pass per question over the project (not a subquery per card: a board of thousands
    // of cards would pay three index searches per card).
    let sql = sqlx::AssertSqlSafe(format!(
        "select {TASK_COLUMNS} from {TASK_FROM}
         where t.org_id = $1 and t.project_id = $2 and ($3 is null or t.id = $3)
         order by t.status_id, t.rank"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .bind(only)
        .fetch_all(&mut *conn)
        .await?;
    let tasks = rows.iter().map(task_from).collect::<Result<Vec<_>, _>>()?;
    let blocked: HashSet<String> = sqlx::query(
        "select distinct d.task_id from task_dependencies d
         join tasks t on t.id = d.task_id join tasks b on b.id = d.blocker_id
         where t.project_id = $1 and ($2 is null or t.id = $2) and b.closed_at is null",
    )
    .bind(project_id)
    .bind(only)
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
             and ($2 is null or parent_id = $2)
         group by parent_id",
    )
    .bind(project_id)
    .bind(only)
    .fetch_all(&mut *conn)
    .await?
    {
        subtasks.insert(
            row.try_get("parent_id")?,
            (row.try_get("done")?, row.try_get("total")?),
        );
    }
    let (assignees, labels) = if let Some(task_id) = only {
        let a = super::relations::values(conn, Link::Assignees, task_id).await?;
        let l = super::relations::values(conn, Link::Labels, task_id).await?;
        (
            HashMap::from([(task_id.to_owned(), a)]),
            HashMap::from([(task_id.to_owned(), l)]),
        )
    } else {
        (
            group(values_in_project(conn, Link::Assignees, project_id).await?),
            group(values_in_project(conn, Link::Labels, project_id).await?),
        )
    };
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

/// One task's card.
pub async fn one(
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
    task_id: &str,
) -> Result<Option<TaskCard>, sqlx::Error> {
    Ok(in_project(conn, org_id, project_id, Some(task_id))
        .await?
        .pop()
        .map(|c| c.card))
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
