//! Every SQL statement of the `jobs` table, portable between SQLite and PostgreSQL.
//!
//! A job's life: [`enqueue`] (in the producer's transaction) → [`claim`] (sets the lease, counts
//! the attempt) → [`finish_done`], [`schedule_retry`], [`mark_dead`] or [`release`]; [`renew`]
//! moves the lease on while a long job runs. The outcome statements match on the id, the
//! attempt the claim counted and the lease owner: a runner whose lease ran out and whose job
//! another node claimed again changes nothing. Claiming, reaping and pruning work across
//! organisations (the queue is one); [`list`] is an organisation's view of it.

use std::collections::HashSet;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::{DEFAULT_MAX_ATTEMPTS, Job, JobState, NewJob, truncate_error};
use crate::db::paging::{Cursor, CursorKey, Page, PageRequest};
use crate::db::{Backend, Db, Tx, new_id, now_ms};

/// Queues a job inside the caller's transaction; returns its id. It exists exactly when the
/// transaction commits; wake the runner after the commit ([`super::Jobs::wake`]).
pub async fn enqueue(tx: &mut Tx, job: &NewJob<'_>) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into jobs (id, org_id, kind, payload, state, run_at, attempts, max_attempts,
                           created_at, updated_at)
         values ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7)",
    )
    .bind(&id)
    .bind(job.org_id)
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(job.run_at.unwrap_or(now))
    .bind(job.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

fn job(row: &AnyRow) -> Result<Job, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    Ok(Job {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        kind: row.try_get("kind")?,
        // A payload that is not JSON reaches the handler as null, which refuses it for good.
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        created_at: row.try_get("created_at")?,
    })
}

/// `$first, $first+1, …` for `count` parameters.
fn params_from(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kinds that have a job [`claim`] could take at `now`. A read, so a runner's pass costs
/// one query when nothing is due instead of a claim (a write transaction: on SQLite the one
/// writer's lock) per kind; there are a dozen kinds and every write wakes the runner.
pub async fn due_kinds(db: &Db, now: i64) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select distinct kind from jobs
         where (state in ('queued', 'failed') and run_at <= $1)
            or (state = 'running' and lease_until < $1 and attempts < max_attempts)",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
}

/// Claims up to `limit` jobs of the given kinds for `owner` until `lease_until`: due queued or
/// failed jobs, and running ones whose lease ran out with attempts left (a node died with them).
/// The claim counts the attempt. On PostgreSQL concurrent claimers skip each other's rows
/// (`for update skip locked`); on SQLite the one writer claims at a time.
pub async fn claim(
    db: &Db,
    owner: &str,
    kinds: &[&str],
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<Job>, sqlx::Error> {
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let lock = match db.backend() {
        Backend::Postgres => " for update skip locked",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "update jobs set state = 'running', attempts = attempts + 1, lease_owner = $1,
                lease_until = $2, updated_at = $3
         where id in (
             select id from jobs
             where ((state in ('queued', 'failed') and run_at <= $3)
                    or (state = 'running' and lease_until < $3 and attempts < max_attempts))
               and kind in ({kinds})
             order by run_at, id limit $4{lock})
         returning id, org_id, kind, payload, attempts, max_attempts, created_at",
        kinds = params_from(5, kinds.len()),
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for kind in kinds {
        query = query.bind(*kind);
    }
    let mut tx = db.begin().await?;
    let rows = query.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let mut jobs = rows.iter().map(job).collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(jobs)
}

/// Running jobs whose lease ran out and which have no attempt left: each was claimed
/// `max_attempts` times and its node died every time. [`mark_dead`] (with no owner) buries them.
pub async fn out_of_attempts(db: &Db, now: i64, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, org_id, kind, payload, attempts, max_attempts, created_at from jobs
         where state = 'running' and lease_until < $1 and attempts >= max_attempts
         order by lease_until, id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(job).collect()
}

/// What becomes of a finished job's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Cleared: it may hold what has no reason to outlive the job (mail bodies, links).
    Clear,
    /// Kept: it only names what the job was about.
    Keep,
}

impl Payload {
    fn set(self) -> &'static str {
        match self {
            Self::Clear => "payload = '{}',",
            Self::Keep => "",
        }
    }
}

/// Records success. `false` when the lease was lost.
pub async fn finish_done(
    db: &Db,
    job: &Job,
    owner: &str,
    now: i64,
    payload: Payload,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "update jobs set state = 'done', {} last_error = null, lease_owner = null,
                lease_until = null, updated_at = $1, finished_at = $1
         where id = $2 and attempts = $3 and lease_owner = $4 and state = 'running'",
        payload.set()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(&job.id)
        .bind(job.attempt)
        .bind(owner)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt and when to try again. `false` when the lease was lost.
pub async fn schedule_retry(
    db: &Db,
    job: &Job,
    owner: &str,
    error: &str,
    run_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set state = 'failed', run_at = $1, last_error = $2, lease_owner = null,
                lease_until = null, updated_at = $3
         where id = $4 and attempts = $5 and lease_owner = $6 and state = 'running'",
    )
    .bind(run_at)
    .bind(truncate_error(error))
    .bind(now)
    .bind(&job.id)
    .bind(job.attempt)
    .bind(owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a job up with its last error, in the caller's transaction (so the handler's own
/// record of the failure commits with it). With `owner`, the caller holds the lease; without,
/// the job's lease must have run out (a dead node's job). `false` when the job was not in that
/// state any more.
pub async fn mark_dead(
    tx: &mut Tx,
    job: &Job,
    owner: Option<&str>,
    error: &str,
    now: i64,
    payload: Payload,
) -> Result<bool, sqlx::Error> {
    let holder = match owner {
        Some(_) => "lease_owner = $5",
        None => "lease_until < $5",
    };
    let sql = format!(
        "update jobs set state = 'dead', {} last_error = $1, lease_owner = null,
                lease_until = null, updated_at = $2, finished_at = $2
         where id = $3 and attempts = $4 and {holder} and state = 'running'",
        payload.set()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(truncate_error(error))
        .bind(now)
        .bind(&job.id)
        .bind(job.attempt);
    let query = match owner {
        Some(owner) => query.bind(owner.to_owned()),
        None => query.bind(now),
    };
    let done = query.execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a job back unfinished, its attempt not counted (the runner is stopping), due at once.
pub async fn release(db: &Db, job: &Job, owner: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set state = case when attempts > 1 then 'failed' else 'queued' end,
                attempts = attempts - 1, run_at = $1, lease_owner = null, lease_until = null,
                updated_at = $1
         where id = $2 and attempts = $3 and lease_owner = $4 and state = 'running'",
    )
    .bind(now)
    .bind(&job.id)
    .bind(job.attempt)
    .bind(owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the lease of a job in hand on to `lease_until`. `false` when it was lost.
pub async fn renew(
    db: &Db,
    job: &Job,
    owner: &str,
    lease_until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set lease_until = $1, updated_at = $2
         where id = $3 and attempts = $4 and lease_owner = $5 and state = 'running'",
    )
    .bind(lease_until)
    .bind(now)
    .bind(&job.id)
    .bind(job.attempt)
    .bind(owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes done jobs finished before `done_before` and dead ones finished before
/// `dead_before`; returns how many.
pub async fn prune(db: &Db, done_before: i64, dead_before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "delete from jobs where (state = 'done' and finished_at < $1)
                             or (state = 'dead' and finished_at < $2)",
    )
    .bind(done_before)
    .bind(dead_before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// How many jobs there are by kind and state, across organisations (for `/metrics`).
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let rows = sqlx::query("select kind, state, count(*) from jobs group by kind, state")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A job as operators and admins see it: everything but the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

const ROW_COLUMNS: &str = "id, org_id, kind, state, attempts, max_attempts, run_at, lease_owner, \
                           lease_until, last_error, created_at, updated_at, finished_at";

fn job_row(row: &AnyRow) -> Result<JobRow, sqlx::Error> {
    Ok(JobRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: row.try_get("run_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get("lease_until")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// One job by id, in any organisation or none (operators' and tests' view).
pub async fn find(db: &Db, id: &str) -> Result<Option<JobRow>, sqlx::Error> {
    let sql = format!("select {ROW_COLUMNS} from jobs where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(job_row).transpose()
}

/// Jobs neither done nor dead, in every organisation and none.
pub async fn unfinished_count(db: &Db) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("select count(*) from jobs where state in ('queued', 'running', 'failed')")
            .fetch_one(db.pool())
            .await?;
    row.try_get(0)
}

/// An organisation's jobs, newest first, optionally in one state.
pub async fn list(
    db: &Db,
    org_id: &str,
    state: Option<JobState>,
    page: &PageRequest,
) -> Result<Page<JobRow>, sqlx::Error> {
    let (before_created, before_id) = match &page.after {
        Some(Cursor {
            key: CursorKey::Int(created_at),
            id,
        }) => (*created_at, id.clone()),
        _ => (i64::MAX, String::new()),
    };
    // Without a cursor every row is "before" (i64::MAX); with one, rows at the cursor's time
    // come after it by id.
    let state_filter = if state.is_some() {
        " and state = $5"
    } else {
        ""
    };
    let sql = format!(
        "select {ROW_COLUMNS} from jobs
         where org_id = $1
           and (created_at < $2 or (created_at = $2 and id < $3 and $3 <> ''))
           {state_filter}
         order by created_at desc, id desc limit $4"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(before_created)
        .bind(before_id)
        .bind(page.fetch_limit());
    if let Some(state) = state {
        query = query.bind(state.as_str());
    }
    let rows = query.fetch_all(db.pool()).await?;
    let rows = rows.iter().map(job_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(CursorKey::Int(row.created_at), row.id.clone())
    }))
}

/// Whether a job of `kind` is waiting or running (a recurring job's next run is queued).
pub async fn has_unfinished(db: &Db, kind: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select 1 from jobs where kind = $1 and state in ('queued', 'running', 'failed') limit 1",
    )
    .bind(kind)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::params_from;

    #[test]
    fn kind_parameters_follow_the_fixed_ones() {
        assert_eq!(params_from(5, 2), "$5, $6");
        assert_eq!(params_from(5, 1), "$5");
    }
}
