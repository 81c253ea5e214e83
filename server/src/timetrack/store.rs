//! Every SQL statement about time entries and timers.

use std::collections::HashMap;

use atrium_client::wire::{TimeEntry, Timer, TimesheetEntry};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx, bind_list, new_id, now_ms};

/// What time tracking needs to know about a task: where it lives and how it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFacts {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub key: String,
    pub title: String,
}

/// `ENG-42`; a project without a key yet names its tasks by number alone.
fn task_key(project_key: Option<String>, number: i64) -> String {
    match project_key {
        Some(key) => format!("{key}-{number}"),
        None => number.to_string(),
    }
}

/// A task by id, with its org and project (`None` when there is no such task); read through
/// the pool or inside a unit of work's transaction.
pub async fn task<'c>(
    executor: impl sqlx::Executor<'c, Database = sqlx::Any>,
    task_id: &str,
) -> Result<Option<TaskFacts>, sqlx::Error> {
    let row = sqlx::query(
        "select t.id, t.org_id, t.project_id, t.title, t.number, p.key from tasks t
         join projects p on p.id = t.project_id and p.org_id = t.org_id
         where t.id = $1 and p.archived_at is null",
    )
    .bind(task_id)
    .fetch_optional(executor)
    .await?;
    row.map(|row| {
        Ok(TaskFacts {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            project_id: row.try_get("project_id")?,
            title: row.try_get("title")?,
            key: task_key(row.try_get("key")?, row.try_get("number")?),
        })
    })
    .transpose()
}

/// A time entry as stored, with its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub org_id: String,
    pub entry: TimeEntry,
}

const ENTRY_COLUMNS: &str = "e.id, e.org_id, e.project_id, e.task_id, e.user_id, e.date, e.minutes, e.note, e.billable, e.created_at, t.number, p.key";

/// Entries joined with their task (gone tasks leave entries with no task) and project.
const ENTRY_FROM: &str = "time_entries e
     left join tasks t on t.id = e.task_id
     join projects p on p.id = e.project_id";

fn entry_from(row: &AnyRow) -> Result<EntryRow, sqlx::Error> {
    let number: Option<i64> = row.try_get("number")?;
    let task_id: Option<String> = row.try_get("task_id")?;
    let minutes: i64 = row.try_get("minutes")?;
    Ok(EntryRow {
        org_id: row.try_get("org_id")?,
        entry: TimeEntry {
            id: row.try_get("id")?,
            project_id: row.try_get("project_id")?,
            task_key: task_id
                .as_ref()
                .and(number)
                .map(|number| row.try_get("key").map(|key| task_key(key, number)))
                .transpose()?,
            task_id,
            user_id: row.try_get("user_id")?,
            date: row.try_get("date")?,
            minutes: u32::try_from(minutes).unwrap_or(0),
            note: row.try_get("note")?,
            billable: row.try_get::<i64, _>("billable")? != 0,
            created_at: row.try_get("created_at")?,
        },
    })
}

/// A time entry to record.
pub struct NewEntry<'a> {
    pub task: &'a TaskFacts,
    pub user_id: &'a str,
    pub date: &'a str,
    pub minutes: u32,
    pub note: &'a str,
    pub billable: bool,
}

/// Records a time entry on a task.
pub async fn insert_entry(tx: &mut Tx, new: &NewEntry<'_>) -> Result<TimeEntry, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into time_entries (id, org_id, project_id, task_id, user_id, date, minutes, note, billable, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&new.task.org_id)
    .bind(&new.task.project_id)
    .bind(&new.task.id)
    .bind(new.user_id)
    .bind(new.date)
    .bind(i64::from(new.minutes))
    .bind(new.note)
    .bind(i64::from(new.billable))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(TimeEntry {
        id,
        project_id: new.task.project_id.clone(),
        task_id: Some(new.task.id.clone()),
        task_key: Some(new.task.key.clone()),
        user_id: new.user_id.to_owned(),
        date: new.date.to_owned(),
        minutes: new.minutes,
        note: new.note.to_owned(),
        billable: new.billable,
        created_at: now,
    })
}

/// A time entry by id, with its tenant (`None` when there is none).
pub async fn find_entry(db: &Db, entry_id: &str) -> Result<Option<EntryRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from {ENTRY_FROM} where e.id = $1"
    ));
    let row = sqlx::query(sql)
        .bind(entry_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(entry_from).transpose()
}

/// A task's entries, newest day first.
pub async fn entries_of_task(
    db: &Db,
    org_id: &str,
    task_id: &str,
) -> Result<Vec<TimeEntry>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from {ENTRY_FROM}
         where e.org_id = $1 and e.task_id = $2 order by e.date desc, e.created_at desc, e.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(task_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| Ok(entry_from(row)?.entry)).collect()
}

/// One user's entries in an org between two dates (inclusive), by date, with the names of
/// their tasks and projects.
pub async fn entries_of_user(
    db: &Db,
    org_id: &str,
    user_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<TimesheetEntry>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS}, t.title, p.name as project_name from {ENTRY_FROM}
         where e.org_id = $1 and e.user_id = $2 and e.date >= $3 and e.date <= $4
         order by e.date, p.name, t.number, e.created_at, e.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let entry = entry_from(row)?.entry;
            let task_title: Option<String> = row.try_get("title")?;
            Ok(TimesheetEntry {
                id: entry.id,
                project_id: entry.project_id,
                project_name: row.try_get("project_name")?,
                task_title: entry.task_id.as_ref().and(task_title),
                task_id: entry.task_id,
                task_key: entry.task_key,
                user_id: entry.user_id,
                date: entry.date,
                minutes: entry.minutes,
                note: entry.note,
                billable: entry.billable,
                created_at: entry.created_at,
            })
        })
        .collect()
}

/// Writes an entry's date, minutes, note and billable flag.
pub async fn update_entry(tx: &mut Tx, org_id: &str, entry: &TimeEntry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update time_entries set date = $3, minutes = $4, note = $5, billable = $6, updated_at = $7
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(&entry.id)
    .bind(&entry.date)
    .bind(i64::from(entry.minutes))
    .bind(&entry.note)
    .bind(i64::from(entry.billable))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes an entry; whether it was there.
pub async fn delete_entry(tx: &mut Tx, org_id: &str, entry_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from time_entries where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(entry_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A user's running timer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRow {
    pub task_id: String,
    pub started_at: i64,
}

/// Removes the user's running timer and answers it: the row is locked (PostgreSQL) or the
/// database is (SQLite) until the transaction ends, so two transactions never both take it.
pub async fn take_timer(tx: &mut Tx, user_id: &str) -> Result<Option<TimerRow>, sqlx::Error> {
    let row = sqlx::query("delete from timers where user_id = $1 returning task_id, started_at")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        Ok(TimerRow {
            task_id: row.try_get("task_id")?,
            started_at: row.try_get("started_at")?,
        })
    })
    .transpose()
}

/// Starts the user's timer unless one is running (the primary key decides); whether it did.
pub async fn insert_timer(
    tx: &mut Tx,
    user_id: &str,
    task_id: &str,
    started_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into timers (user_id, task_id, started_at) values ($1, $2, $3)
         on conflict (user_id) do nothing",
    )
    .bind(user_id)
    .bind(task_id)
    .bind(started_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's running timer with its task's key and title.
pub async fn running_timer(db: &Db, user_id: &str) -> Result<Option<Timer>, sqlx::Error> {
    let row = sqlx::query(
        "select r.task_id, r.started_at, t.title, t.number, p.key from timers r
         join tasks t on t.id = r.task_id
         join projects p on p.id = t.project_id
         where r.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        Ok(Timer {
            task_id: row.try_get("task_id")?,
            task_key: task_key(row.try_get("key")?, row.try_get("number")?),
            task_title: row.try_get("title")?,
            started_at: row.try_get("started_at")?,
        })
    })
    .transpose()
}

/// One entry as a report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    pub date: String,
    pub user_id: String,
    pub project_id: String,
    pub minutes: u64,
    pub billable: bool,
}

/// What a report reads: the org's entries between two dates (inclusive), optionally of one
/// user and one project.
pub struct ReportRange<'a> {
    pub org_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub user_id: Option<&'a str>,
    pub project_id: Option<&'a str>,
}

/// The entries a report sums, by date.
pub async fn report_entries(
    db: &Db,
    range: &ReportRange<'_>,
) -> Result<Vec<ReportEntry>, sqlx::Error> {
    let mut sql = String::from(
        "select date, user_id, project_id, minutes, billable from time_entries
         where org_id = $1 and date >= $2 and date <= $3",
    );
    let mut next = 4;
    for (column, value) in [("user_id", range.user_id), ("project_id", range.project_id)] {
        if value.is_some() {
            sql.push_str(&format!(" and {column} = ${next}"));
            next += 1;
        }
    }
    sql.push_str(" order by date, user_id, project_id");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(range.org_id)
        .bind(range.from)
        .bind(range.to);
    for value in [range.user_id, range.project_id].into_iter().flatten() {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(ReportEntry {
                date: row.try_get("date")?,
                user_id: row.try_get("user_id")?,
                project_id: row.try_get("project_id")?,
                minutes: u64::try_from(row.try_get::<i64, _>("minutes")?).unwrap_or(0),
                billable: row.try_get::<i64, _>("billable")? != 0,
            })
        })
        .collect()
}

/// The display names of users (`name (@handle)`) by id, for the CSV export.
pub async fn user_names(
    db: &Db,
    org_id: &str,
    user_ids: &[&str],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut names = HashMap::new();
    for chunk in user_ids.chunks(crate::db::MAX_ROWS_PER_STATEMENT) {
        // Members of the org, and former members whose time is still on its books.
        let sql = sqlx::AssertSqlSafe(format!(
            "select u.id, u.name, u.handle from users u
             where u.id in ({}) and (
                 exists (select 1 from org_members m where m.user_id = u.id and m.org_id = ${n})
                 or exists (select 1 from time_entries e where e.user_id = u.id and e.org_id = ${n}))",
            bind_list(chunk.len()),
            n = chunk.len() + 1,
        ));
        let mut query = sqlx::query(sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.bind(org_id).fetch_all(db.pool()).await? {
            let name: String = row.try_get("name")?;
            let handle: String = row.try_get("handle")?;
            names.insert(row.try_get("id")?, format!("{name} (@{handle})"));
        }
    }
    Ok(names)
}
