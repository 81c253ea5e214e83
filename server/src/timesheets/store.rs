//! Every SQL statement of the timesheets domain.

use std::collections::BTreeSet;

use atrium_client::wire::TimesheetEntry;
use sqlx::Row;

use crate::db::{Db, Tx, bind_list};

/// The id of a person's timesheet for the week starting `week`, if there is one.
pub async fn timesheet_of(
    db: &Db,
    org_id: &str,
    user_id: &str,
    week: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select record_id from record_values
         where org_id = $1 and type = 'timesheet' and field = 'key' and slot = 0 and txt = $2",
    )
    .bind(org_id)
    .bind(format!("{user_id}:{week}"))
    .fetch_optional(db.pool())
    .await
}

/// A person's time entries of the days `from`..=`to` (the prefill).
pub async fn time_entries(
    db: &Db,
    org_id: &str,
    user_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<TimesheetEntry>, sqlx::Error> {
    crate::timetrack::store::entries_of_user(db, org_id, user_id, from, to).await
}

/// Those of `projects` that are live projects of the org.
pub async fn projects_in_org(
    db: &Db,
    org_id: &str,
    projects: &BTreeSet<String>,
) -> Result<BTreeSet<String>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(BTreeSet::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select id from projects where org_id = $1 and archived_at is null and id in ({})",
        (2..projects.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut query = sqlx::query_scalar(sql).bind(org_id);
    for project in projects {
        query = query.bind(project);
    }
    Ok(query.fetch_all(db.pool()).await?.into_iter().collect())
}

/// Whether `task` is a task of `project`.
pub async fn task_in_project(db: &Db, project: &str, task: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from tasks where id = $1 and project_id = $2")
            .bind(task)
            .bind(project)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// The member's manager in the org.
pub async fn manager_of(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let manager: Option<Option<String>> =
        sqlx::query_scalar("select manager_id from org_members where org_id = $1 and user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(manager.flatten())
}

/// The managers of `projects`, each once, in a stable order.
pub async fn project_managers(
    db: &Db,
    projects: &BTreeSet<String>,
) -> Result<Vec<String>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select distinct user_id from project_members where role = 'manager' and project_id in ({}) order by user_id",
        bind_list(projects.len())
    ));
    let mut query = sqlx::query_scalar(sql);
    for project in projects {
        query = query.bind(project);
    }
    query.fetch_all(db.pool()).await
}

/// The users with a timesheet for `week` that is submitted or approved.
pub async fn submitted_for_week(
    db: &Db,
    org_id: &str,
    week: &str,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.txt as user_id from records r
         join record_values w on w.record_id = r.id and w.field = 'week' and w.slot = 0
         join record_values u on u.record_id = r.id and u.field = 'user' and u.slot = 0
         where r.org_id = $1 and r.type = 'timesheet' and r.state in ('submitted', 'approved')
           and w.num = $2",
    )
    .bind(org_id)
    .bind(crate::records::value::parse_date(week).unwrap_or_default())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get("user_id")).collect()
}

/// The people expected to hand in a timesheet for the week `from`..=`to`: members who tracked
/// time that week or have kept a timesheet before.
pub async fn expected_people(
    db: &Db,
    org_id: &str,
    from: &str,
    to: &str,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select distinct e.user_id from time_entries e
         join org_members m on m.org_id = e.org_id and m.user_id = e.user_id
         where e.org_id = $1 and e.date >= $2 and e.date <= $3
         union
         select distinct u.txt from records r
         join record_values u on u.record_id = r.id and u.field = 'user' and u.slot = 0
         join org_members m on m.org_id = r.org_id and m.user_id = u.txt
         where r.org_id = $1 and r.type = 'timesheet'",
    )
    .bind(org_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Records that `user` was reminded of `week`; false when they already were.
pub async fn mark_reminded(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    week: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into timesheet_reminders (org_id, user_id, week, sent_at) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(week)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The orgs that keep timesheets or have timesheet settings (the reminder pass's orgs).
pub async fn orgs_keeping_timesheets(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct org_id from records where type = 'timesheet'
         union select org_id from timesheet_settings",
    )
    .fetch_all(db.pool())
    .await
}
