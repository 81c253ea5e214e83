//! A move's own statements: the read it starts with (everything it decides on, in one
//! statement inside its transaction), and the write with its history row.

use sqlx::Row;

use super::boards::ColumnRow;
use super::cards::{CardExtras, Json, backend_of, extras_columns, extras_from};
use super::decode_error;
use super::history::FieldChange;
use super::statuses::StatusRow;
use super::tasks::{TASK_COLUMNS, TASK_FROM, TaskRow, task_from};
use crate::authz::joined::{self, JoinedRoles, joined_roles};
use crate::authz::store::MemberPolicy;
use crate::boards::model::parse_category;
use crate::db::{Backend, Tx, now_ms};

/// A task about to move, with what the move needs to know.
#[derive(Debug)]
pub struct Moving {
    pub task: TaskRow,
    /// The caller's roles for the task's project ([`crate::authz::joined`]).
    pub roles: JoinedRoles,
    /// The caller's policy in the task's org, when they are a member of it.
    pub policy: Option<MemberPolicy>,
    /// The column asked for and its status, if it is a column of a board of the task's project.
    pub target: Option<(ColumnRow, StatusRow)>,
    /// What the task's card shows besides the row (a move changes none of it).
    pub extras: CardExtras,
    /// Whether the transaction now holds the target status's order lock (PostgreSQL; SQLite
    /// needs none).
    pub order_locked: bool,
}

/// The task, the caller's roles in its project and policy in its org, the target column with
/// its status, and the rest of the task's card, in one round trip. This is the lookup that establishes the
/// request's tenant: the column is looked for among the boards of the task's own org and
/// project only. Everything besides the task's own row is a subquery by key, so the statement
/// plans as fast as a lookup of the task does.
pub async fn read(
    tx: &mut Tx,
    user_id: &str,
    task_id: &str,
    column_id: &str,
) -> Result<Option<Moving>, sqlx::Error> {
    let backend = backend_of(tx);
    let extras = extras_columns(backend);
    let policy = joined::policy_columns(backend, "t.org_id", "$2");
    let Json { array, to_text, .. } = Json::of(backend);
    // PostgreSQL: the target status's order lock ([`super::statuses::lock_order`]) is taken in
    // the same round trip. The rest of this statement reads as of its start, before any wait
    // for the lock, as separate statements before the lock did; what must be read under the
    // lock (the neighbours, the WIP count) is read by later statements. SQLite needs no lock.
    //
    // And the rest of the transaction runs its prepared statements with their generic plans
    // (`plan_cache_mode`, for this transaction only): they look rows up by key, and PostgreSQL's
    // cost model kept choosing to plan the neighbours' query afresh for every move (~0.45 ms
    // of a ~4 ms move in the benchmark) instead of reusing its generic plan.
    let (lock, generic_plans) = match backend {
        Backend::Postgres => (
            "with locked as (
                 update task_statuses set name = name
                 where id = (select c.status_id from board_columns c
                             join boards b on b.id = c.board_id
                             join tasks m on m.id = $1
                             where c.id = $3 and b.org_id = m.org_id
                                 and b.project_id = m.project_id)
                 returning id)",
            ", set_config('plan_cache_mode', 'force_generic_plan', true) as plan_cache_mode",
        ),
        Backend::Sqlite => ("", ""),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "{lock}
         select {TASK_COLUMNS}, {extras}{generic_plans}, {policy},
             (select role from org_members where org_id = t.org_id and user_id = $2) as org_role,
             case when p.archived_at is null then p.visibility end as project_visibility,
             case when p.archived_at is null then p.default_role end as project_default_role,
             (select role from project_members where project_id = t.project_id and user_id = $2)
                 as explicit_role,
             (select {array}(c.id, c.board_id, c.name, c.position, c.wip_limit, c.status_id,
                      s.project_id, s.name, s.category){to_text}
              from board_columns c join boards b on b.id = c.board_id
              join task_statuses s on s.id = c.status_id
              where c.id = $3 and b.org_id = t.org_id and b.project_id = t.project_id) as target
         from {TASK_FROM}
         where t.id = $1"
    ));
    let Some(row) = sqlx::query(sql)
        .bind(task_id)
        .bind(user_id)
        .bind(column_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let target = match row.try_get::<Option<String>, _>("target")? {
        Some(json) => Some(target_from(&json)?),
        None => None,
    };
    let roles = joined_roles(&row)?;
    let policy = match roles.org_role {
        Some(role) => Some(joined::policy(&row, role)?),
        None => None,
    };
    Ok(Some(Moving {
        task: task_from(&row)?,
        roles,
        policy,
        target,
        extras: extras_from(&row)?,
        order_locked: backend == Backend::Postgres,
    }))
}

/// The column and its status as [`read`] selects them: one JSON array.
#[derive(serde::Deserialize)]
struct Target(
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
);

/// The column and its status from the array [`read`] selects.
fn target_from(json: &str) -> Result<(ColumnRow, StatusRow), sqlx::Error> {
    let Target(id, board_id, name, position, wip, status_id, project_id, status_name, category) =
        serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let category =
        parse_category(&category).ok_or_else(|| decode_error("status category", &category))?;
    let column = ColumnRow {
        id,
        board_id,
        status_id: status_id.clone(),
        name,
        position,
        wip_limit: wip.and_then(|w| u32::try_from(w).ok()),
        category,
    };
    let status = StatusRow {
        id: status_id,
        project_id,
        name: status_name,
        category,
    };
    Ok((column, status))
}

/// Where a task moves to.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub org_id: &'a str,
    pub task_id: &'a str,
    pub status_id: &'a str,
    pub rank: &'a str,
    /// Whether the status is a closed one (`closed_at` is set, or kept, on arriving).
    pub closes: bool,
}

/// Moves the task as [`super::tasks::place`] does and records `change` in its history as
/// `actor`'s ([`super::history::record`]); returns the `updated_at` written. One round trip
/// on PostgreSQL: the history row is inserted for the row the update returns (none if it
/// updated none), in the statement that updates it. Two on SQLite, which has no writes in
/// `with` (and no round trip to save: it runs in the process).
pub async fn place_recorded(
    tx: &mut Tx,
    to: &Placement<'_>,
    actor: &str,
    change: &FieldChange,
) -> Result<i64, sqlx::Error> {
    if backend_of(tx) == Backend::Sqlite {
        let now = super::tasks::place(tx, to.org_id, to.task_id, to.status_id, to.rank, to.closes)
            .await?;
        super::history::record(tx, to.task_id, actor, std::slice::from_ref(change)).await?;
        return Ok(now);
    }
    let now = now_ms();
    sqlx::query(
        "with placed as (
             update tasks set status_id = $3, rank = $4, updated_at = $5,
                 closed_at = case when $6 = 1 then coalesce(closed_at, $5) else null end
             where org_id = $1 and id = $2
             returning id)
         insert into task_history (task_id, actor_id, at, field, before, after)
         select id, $7, $5, $8, $9, $10 from placed",
    )
    .bind(to.org_id)
    .bind(to.task_id)
    .bind(to.status_id)
    .bind(to.rank)
    .bind(now)
    .bind(i64::from(to.closes))
    .bind(actor)
    .bind(change.field)
    .bind(change.before.to_string())
    .bind(change.after.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(now)
}
