//! Every SQL statement of automation: rules, runs (the run log, and the once-per-event key),
//! and e-mail templates, portable between SQLite and PostgreSQL.

use atrium_client::wire::{
    ActionReport, AutomationRule, EmailTemplate, RuleAction, RuleCondition, RuleRun, RuleTrigger,
    RunOutcome,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::event::Event;
use crate::db::paging::{Cursor, CursorKey, Page, PageRequest};
use crate::db::{Db, Tx};

/// A rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub rule: AutomationRule,
    /// The last instant a schedule or due-date pass looked at (UTC ms).
    pub checked_through: Option<i64>,
}

const RULE_COLUMNS: &str = "id, org_id, project_id, name, trigger, conditions, actions, active, \
     checked_through, created_by, created_at, updated_at";

fn decode_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(format!("{what}: {e}").into()))
}

fn rule(row: &AnyRow) -> Result<RuleRow, sqlx::Error> {
    let trigger: String = row.try_get("trigger")?;
    let conditions: String = row.try_get("conditions")?;
    let actions: String = row.try_get("actions")?;
    Ok(RuleRow {
        rule: AutomationRule {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            project: row.try_get("project_id")?,
            name: row.try_get("name")?,
            trigger: decode_json::<RuleTrigger>("rule trigger", &trigger)?,
            conditions: decode_json::<Vec<RuleCondition>>("rule conditions", &conditions)?,
            actions: decode_json::<Vec<RuleAction>>("rule actions", &actions)?,
            active: row.try_get::<i64, _>("active")? != 0,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        checked_through: row.try_get("checked_through")?,
    })
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Inserts a rule.
pub async fn insert_rule(
    tx: &mut Tx,
    rule: &AutomationRule,
    checked_through: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into automation_rules (id, org_id, project_id, name, trigger, conditions, actions,
             active, checked_through, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&rule.id)
    .bind(&rule.org_id)
    .bind(&rule.project)
    .bind(&rule.name)
    .bind(json(&rule.trigger))
    .bind(json(&rule.conditions))
    .bind(json(&rule.actions))
    .bind(i64::from(rule.active))
    .bind(checked_through)
    .bind(&rule.created_by)
    .bind(rule.created_at)
    .bind(rule.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a rule's changed parts; a changed trigger starts its schedule from `checked_through`.
pub async fn update_rule(
    tx: &mut Tx,
    rule: &AutomationRule,
    checked_through: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update automation_rules set name = $1, trigger = $2, conditions = $3, actions = $4,
             active = $5, updated_at = $6, checked_through = coalesce($7, checked_through)
         where id = $8",
    )
    .bind(&rule.name)
    .bind(json(&rule.trigger))
    .bind(json(&rule.conditions))
    .bind(json(&rule.actions))
    .bind(i64::from(rule.active))
    .bind(rule.updated_at)
    .bind(checked_through)
    .bind(&rule.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes a rule and its run log.
pub async fn delete_rule(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from automation_runs where rule_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from automation_rules where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One rule.
pub async fn find_rule(db: &Db, id: &str) -> Result<Option<RuleRow>, sqlx::Error> {
    let sql = format!("select {RULE_COLUMNS} from automation_rules where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(rule).transpose()
}

/// An organisation's rules, oldest first; only a project's when `project` is given.
pub async fn list_rules(
    db: &Db,
    org_id: &str,
    project: Option<&str>,
) -> Result<Vec<RuleRow>, sqlx::Error> {
    let sql = format!(
        "select {RULE_COLUMNS} from automation_rules
         where org_id = $1 and ($2 = '' or project_id = $2) order by created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(project.unwrap_or_default())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(rule).collect()
}

/// The active rules of the given organisations.
pub async fn active_rules_of(db: &Db, org_ids: &[&str]) -> Result<Vec<RuleRow>, sqlx::Error> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::db::bind_list(org_ids.len());
    let sql = format!(
        "select {RULE_COLUMNS} from automation_rules where active = 1 and org_id in ({list})"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for org in org_ids {
        query = query.bind(*org);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(rule).collect()
}

/// The active rules of every organisation whose trigger is a schedule or a due date.
pub async fn timed_rules(db: &Db) -> Result<Vec<RuleRow>, sqlx::Error> {
    let sql = format!(
        "select {RULE_COLUMNS} from automation_rules
         where active = 1 and trigger not like '%\"event\"%'"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(rule).collect()
}

/// Moves a timed rule's mark forward (never back: two passes at once keep the later).
pub async fn set_checked_through(tx: &mut Tx, id: &str, through: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update automation_rules set checked_through = $1
         where id = $2 and (checked_through is null or checked_through < $1)",
    )
    .bind(through)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many rules an organisation has.
pub async fn count_rules(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select count(*) from automation_rules where org_id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}

/// A run about to be queued.
pub struct NewRun<'a> {
    pub id: &'a str,
    pub rule_id: &'a str,
    pub org_id: &'a str,
    pub trigger: &'a str,
    pub once_key: &'a str,
    pub outcome: RunOutcome,
    pub depth: u32,
    pub event: &'a Event,
    pub error: Option<&'a str>,
    pub now: i64,
}

/// Inserts a run unless the rule already has one with its once key; whether it was inserted.
pub async fn insert_run(tx: &mut Tx, run: &NewRun<'_>) -> Result<bool, sqlx::Error> {
    let finished = (run.outcome != RunOutcome::Pending).then_some(run.now);
    let done = sqlx::query(
        "insert into automation_runs (id, rule_id, org_id, trigger, entity_id, once_key, outcome,
             depth, event, actions, error, created_at, finished_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', $10, $11, $12)
         on conflict (rule_id, once_key) do nothing",
    )
    .bind(run.id)
    .bind(run.rule_id)
    .bind(run.org_id)
    .bind(run.trigger)
    .bind(&run.event.entity_id)
    .bind(run.once_key)
    .bind(outcome_name(run.outcome))
    .bind(i64::from(run.depth))
    .bind(json(run.event))
    .bind(run.error)
    .bind(run.now)
    .bind(finished)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A run with what it acts on.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub run: RuleRun,
    pub org_id: String,
    pub event: Event,
}

const RUN_COLUMNS: &str = "id, rule_id, org_id, trigger, entity_id, outcome, depth, event, actions, \
     error, created_at, finished_at";

fn run(row: &AnyRow) -> Result<RunRow, sqlx::Error> {
    let outcome: String = row.try_get("outcome")?;
    let event: String = row.try_get("event")?;
    let actions: String = row.try_get("actions")?;
    Ok(RunRow {
        run: RuleRun {
            id: row.try_get("id")?,
            rule_id: row.try_get("rule_id")?,
            trigger: row.try_get("trigger")?,
            entity_id: row.try_get("entity_id")?,
            outcome: match outcome.as_str() {
                "done" => RunOutcome::Done,
                "failed" => RunOutcome::Failed,
                "stopped" => RunOutcome::Stopped,
                _ => RunOutcome::Pending,
            },
            depth: row.try_get("depth")?,
            actions: decode_json::<Vec<ActionReport>>("run actions", &actions)?,
            error: row.try_get("error")?,
            created_at: row.try_get("created_at")?,
            finished_at: row.try_get("finished_at")?,
        },
        org_id: row.try_get("org_id")?,
        event: decode_json("run event", &event)?,
    })
}

/// One run.
pub async fn find_run(db: &Db, id: &str) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!("select {RUN_COLUMNS} from automation_runs where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(run).transpose()
}

/// A rule's runs, newest first.
pub async fn list_runs(
    db: &Db,
    rule_id: &str,
    page: &PageRequest,
) -> Result<Page<RuleRun>, sqlx::Error> {
    let before = page
        .after
        .as_ref()
        .map_or_else(|| "~".to_owned(), |c| c.id.clone());
    let sql = format!(
        "select {RUN_COLUMNS} from automation_runs where rule_id = $1 and id < $2
         order by id desc limit $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rule_id)
        .bind(before)
        .bind(page.fetch_limit())
        .fetch_all(db.pool())
        .await?;
    let runs = rows
        .iter()
        .map(|row| run(row).map(|r| r.run))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(runs, page, |r| {
        Cursor::new(CursorKey::Int(r.created_at), r.id.clone())
    }))
}

/// Records how a run ended.
pub async fn finish_run(
    db: &Db,
    id: &str,
    outcome: RunOutcome,
    actions: &[ActionReport],
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update automation_runs set outcome = $1, actions = $2, error = $3, finished_at = $4
         where id = $5",
    )
    .bind(outcome_name(outcome))
    .bind(json(&actions))
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

fn outcome_name(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Pending => "pending",
        RunOutcome::Done => "done",
        RunOutcome::Failed => "failed",
        RunOutcome::Stopped => "stopped",
    }
}

const TEMPLATE_COLUMNS: &str =
    "id, org_id, name, subject, body, created_by, created_at, updated_at";

fn template(row: &AnyRow) -> Result<EmailTemplate, sqlx::Error> {
    Ok(EmailTemplate {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a template; false when the org already has one of that name.
pub async fn insert_template(tx: &mut Tx, t: &EmailTemplate) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into email_templates (id, org_id, name, subject, body, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (org_id, name) do nothing",
    )
    .bind(&t.id)
    .bind(&t.org_id)
    .bind(&t.name)
    .bind(&t.subject)
    .bind(&t.body)
    .bind(&t.created_by)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes a template's fields; false when its new name is another template's.
pub async fn update_template(tx: &mut Tx, t: &EmailTemplate) -> Result<bool, sqlx::Error> {
    let taken =
        sqlx::query("select 1 from email_templates where org_id = $1 and name = $2 and id <> $3")
            .bind(&t.org_id)
            .bind(&t.name)
            .bind(&t.id)
            .fetch_optional(&mut **tx)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    sqlx::query("update email_templates set name = $1, subject = $2, body = $3, updated_at = $4 where id = $5")
        .bind(&t.name)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(t.updated_at)
        .bind(&t.id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Deletes a template.
pub async fn delete_template(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from email_templates where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One template by id.
pub async fn find_template(db: &Db, id: &str) -> Result<Option<EmailTemplate>, sqlx::Error> {
    let sql = format!("select {TEMPLATE_COLUMNS} from email_templates where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(template).transpose()
}

/// One template of an org by name (or id).
pub async fn template_named(
    db: &Db,
    org_id: &str,
    name: &str,
) -> Result<Option<EmailTemplate>, sqlx::Error> {
    let sql = format!(
        "select {TEMPLATE_COLUMNS} from email_templates where org_id = $1 and (name = $2 or id = $2)"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(template).transpose()
}

/// An org's templates by name.
pub async fn list_templates(db: &Db, org_id: &str) -> Result<Vec<EmailTemplate>, sqlx::Error> {
    let sql =
        format!("select {TEMPLATE_COLUMNS} from email_templates where org_id = $1 order by name");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(template).collect()
}

/// How many templates an org has.
pub async fn count_templates(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select count(*) from email_templates where org_id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}

/// The members of an org holding any of `roles` (base roles `owner`, `admin`, `member`… or
/// business roles), each once.
pub async fn role_holders(
    db: &Db,
    org_id: &str,
    roles: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut users = Vec::new();
    for role in roles {
        let rows = sqlx::query(
            "select user_id from org_members where org_id = $1 and role = $2
             union select user_id from org_member_roles where org_id = $1 and role = $2",
        )
        .bind(org_id)
        .bind(role)
        .fetch_all(db.pool())
        .await?;
        for row in rows {
            let user: String = row.try_get(0)?;
            if !users.contains(&user) {
                users.push(user);
            }
        }
    }
    Ok(users)
}

/// A member's roles in an org: the base role, then business roles; empty for a non-member.
pub async fn member_roles(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select role from org_members where org_id = $1 and user_id = $2
         union all select role from org_member_roles where org_id = $1 and user_id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
}

/// An open task with a due date, as a due-date rule sees it.
#[derive(Debug, Clone)]
pub struct DueTask {
    pub id: String,
    pub project_id: String,
    pub key: String,
    pub title: String,
    pub due: String,
    pub status: String,
}

/// The org's open tasks (of a project, when given) due on or before `through` (`YYYY-MM-DD`).
pub async fn open_tasks_due_by(
    db: &Db,
    org_id: &str,
    project: Option<&str>,
    through: &str,
) -> Result<Vec<DueTask>, sqlx::Error> {
    let rows = sqlx::query(
        "select t.id, t.project_id, p.key, t.number, t.title, t.due, s.name
         from tasks t join projects p on p.id = t.project_id
         join task_statuses s on s.id = t.status_id
         where t.org_id = $1 and ($2 = '' or t.project_id = $2) and t.closed_at is null
           and t.due is not null and t.due <= $3
         order by t.due, t.id limit 1000",
    )
    .bind(org_id)
    .bind(project.unwrap_or_default())
    .bind(through)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let key: Option<String> = row.try_get("key")?;
            let number: i64 = row.try_get("number")?;
            Ok(DueTask {
                id: row.try_get("id")?,
                project_id: row.try_get("project_id")?,
                key: format!("{}-{number}", key.unwrap_or_default()),
                title: row.try_get("title")?,
                due: row.try_get("due")?,
                status: row.try_get("name")?,
            })
        })
        .collect()
}
