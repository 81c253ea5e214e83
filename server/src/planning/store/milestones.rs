//! Milestones and their progress (counts of their tasks, closed and all).

use atrium_client::wire::Milestone;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx, new_id, now_ms};

/// A milestone with its progress, read with its project's org (milestones have no org column:
/// the project is their tenant, and every query joins it).
const SELECT: &str =
    "select m.id, m.project_id, m.name, m.description, m.due, m.created_at, m.closed_at, p.org_id,
        count(t.id) as tasks_total, count(t.closed_at) as tasks_closed
     from milestones m
     join projects p on p.id = m.project_id
     left join tasks t on t.milestone_id = m.id";
const GROUP: &str = "group by m.id, m.project_id, m.name, m.description, m.due, m.created_at, m.closed_at, p.org_id";

fn count(row: &AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    Ok(u32::try_from(row.try_get::<i64, _>(column)?).unwrap_or(u32::MAX))
}

fn milestone_from(row: &AnyRow) -> Result<(String, Milestone), sqlx::Error> {
    Ok((
        row.try_get("org_id")?,
        Milestone {
            id: row.try_get("id")?,
            project_id: row.try_get("project_id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            due: row.try_get("due")?,
            tasks_total: count(row, "tasks_total")?,
            tasks_closed: count(row, "tasks_closed")?,
            created_at: row.try_get("created_at")?,
            closed_at: row.try_get("closed_at")?,
        },
    ))
}

/// A milestone by id with its org (`None` when there is none).
pub async fn find(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    milestone_id: &str,
) -> Result<Option<(String, Milestone)>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} where m.id = $1 {GROUP}"));
    let row = sqlx::query(sql)
        .bind(milestone_id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(milestone_from).transpose()
}

/// A project's milestones: open ones first, then by due date (undated last), then by age.
pub async fn list(db: &Db, org_id: &str, project_id: &str) -> Result<Vec<Milestone>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} where p.org_id = $1 and m.project_id = $2 {GROUP}
         order by case when m.closed_at is null then 0 else 1 end,
                  case when m.due is null then 1 else 0 end, m.due, m.created_at, m.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| Ok(milestone_from(row)?.1)).collect()
}

/// A milestone to create.
pub struct NewMilestone<'a> {
    pub project_id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub due: Option<&'a str>,
    pub created_by: &'a str,
}

/// Creates a milestone (no tasks yet).
pub async fn insert(tx: &mut Tx, new: &NewMilestone<'_>) -> Result<Milestone, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into milestones (id, project_id, name, description, due, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(new.project_id)
    .bind(new.name)
    .bind(new.description)
    .bind(new.due)
    .bind(new.created_by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Milestone {
        id,
        project_id: new.project_id.to_owned(),
        name: new.name.to_owned(),
        description: new.description.to_owned(),
        due: new.due.map(str::to_owned),
        tasks_total: 0,
        tasks_closed: 0,
        created_at: now,
        closed_at: None,
    })
}

/// Writes a milestone's name, description, due date and closed time.
pub async fn update(tx: &mut Tx, org_id: &str, milestone: &Milestone) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update milestones set name = $3, description = $4, due = $5, closed_at = $6
         where id = $2 and project_id in (select id from projects where org_id = $1)",
    )
    .bind(org_id)
    .bind(&milestone.id)
    .bind(&milestone.name)
    .bind(&milestone.description)
    .bind(milestone.due.as_deref())
    .bind(milestone.closed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tasks in a milestone, with their projects (read before deleting it, which clears them).
pub async fn tasks_of(
    tx: &mut Tx,
    milestone_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query("select id, project_id from tasks where milestone_id = $1 order by id")
        .bind(milestone_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("project_id")?)))
        .collect()
}

/// Deletes a milestone (its tasks keep going without one); whether it was there.
pub async fn delete(tx: &mut Tx, org_id: &str, milestone_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "delete from milestones
         where id = $2 and project_id in (select id from projects where org_id = $1)",
    )
    .bind(org_id)
    .bind(milestone_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
