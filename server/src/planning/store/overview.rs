//! The counts of a project overview.

use atrium_client::wire::{StatusCategory, StatusCount};
use sqlx::Row;

use crate::db::Db;

/// A status's category as stored.
pub fn parse_category(name: &str) -> Option<StatusCategory> {
    Some(match name {
        "backlog" => StatusCategory::Backlog,
        "todo" => StatusCategory::Todo,
        "in_progress" => StatusCategory::InProgress,
        "done" => StatusCategory::Done,
        "cancelled" => StatusCategory::Cancelled,
        _ => return None,
    })
}

/// The project's statuses with their task counts, in the project's status order: by category
/// (backlog, to do, in progress, done, cancelled — the order work flows), then by creation.
pub async fn status_counts(
    db: &Db,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<StatusCount>, sqlx::Error> {
    let rows = sqlx::query(
        "select s.id, s.name, s.category, s.created_at, count(t.id) as tasks
         from task_statuses s
         join projects p on p.id = s.project_id
         left join tasks t on t.status_id = s.id
         where p.org_id = $1 and s.project_id = $2
         group by s.id, s.name, s.category, s.created_at",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let mut statuses = rows
        .iter()
        .map(|row| {
            let category: String = row.try_get("category")?;
            let status = StatusCount {
                status_id: row.try_get("id")?,
                name: row.try_get("name")?,
                category: parse_category(&category).ok_or_else(|| {
                    sqlx::Error::Decode(format!("unknown status category {category:?}").into())
                })?,
                count: u32::try_from(row.try_get::<i64, _>("tasks")?).unwrap_or(u32::MAX),
            };
            Ok((status, row.try_get::<i64, _>("created_at")?))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    statuses.sort_by(|(a, a_created), (b, b_created)| {
        (a.category as u8, a_created, &a.status_id).cmp(&(
            b.category as u8,
            b_created,
            &b.status_id,
        ))
    });
    Ok(statuses.into_iter().map(|(status, _)| status).collect())
}

/// The headline counts of a project's tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub open: u32,
    pub closed: u32,
    pub overdue: u32,
    pub unassigned: u32,
    pub blocked: u32,
}

/// Open, closed, overdue (open, due before `today`), unassigned (open, nobody assigned) and
/// blocked (open, waiting for an open blocker) tasks of a project.
pub async fn task_counts(
    db: &Db,
    org_id: &str,
    project_id: &str,
    today: &str,
) -> Result<TaskCounts, sqlx::Error> {
    let row = sqlx::query(
        "select
            (select count(*) from tasks t where t.org_id = $1 and t.project_id = $2
                and t.closed_at is null) as open,
            (select count(*) from tasks t where t.org_id = $1 and t.project_id = $2
                and t.closed_at is not null) as closed,
            (select count(*) from tasks t where t.org_id = $1 and t.project_id = $2
                and t.closed_at is null and t.due is not null and t.due < $3) as overdue,
            (select count(*) from tasks t where t.org_id = $1 and t.project_id = $2
                and t.closed_at is null
                and not exists (select 1 from task_assignees a where a.task_id = t.id)) as unassigned,
            (select count(*) from tasks t where t.org_id = $1 and t.project_id = $2
                and t.closed_at is null
                and exists (select 1 from task_dependencies d
                            join tasks b on b.id = d.blocker_id
                            where d.task_id = t.id and b.closed_at is null)) as blocked",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(today)
    .fetch_one(db.pool())
    .await?;
    let count = |column: &str| -> Result<u32, sqlx::Error> {
        Ok(u32::try_from(row.try_get::<i64, _>(column)?).unwrap_or(u32::MAX))
    };
    Ok(TaskCounts {
        open: count("open")?,
        closed: count("closed")?,
        overdue: count("overdue")?,
        unassigned: count("unassigned")?,
        blocked: count("blocked")?,
    })
}
