//! `POST /api/v1/orgs/{org}/invoices/from-time`: a draft invoice built from the approved,
//! billable, not yet invoiced time of a client's projects in a period.
//!
//! The time is the rows of approved timesheets ([`crate::timesheets`]): time is billed once
//! someone approved it. Each row taken is marked with the invoice (`invoiced_time`), in the
//! invoice's own transaction, so no row is ever billed twice — two concurrent requests for the
//! same time cannot both take it — and voiding the invoice (or deleting the draft) frees its
//! rows for the next one.
//!
//! Lines are one per task (or per person) and hourly rate: the quantity is the hours
//! (minutes / 60, rounded half up to 3 decimals, the invoice's precision) and the unit price the
//! project's rate for the person, in the client's currency.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use atrium_client::wire::{ErrorBody, InvoiceFromTime, Record, TimeGrouping};
use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::billing::{self, Rates};
use crate::auth::CurrentUser;
use crate::authz::{Action, ResourceKind, Scope, forbidden};
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, values_rows};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::records::registry::Save;
use crate::records::routes::{insert_new, prepare_new, type_access, wire};
use crate::records::schema::check::Errors;
use crate::records::value;
use crate::state::AppState;

/// Longest period one invoice gathers.
const MAX_DAYS: i64 = 366;
/// Most lines one invoice from time gets (the invoice's own limit is far above).
const MAX_LINES: usize = 1_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(invoice_from_time))
}

/// One approved timesheet row that may be billed.
#[derive(Debug, Clone)]
pub struct BillableRow {
    pub timesheet_id: String,
    pub row_index: i64,
    pub user_id: String,
    pub project_id: String,
    pub task: Option<String>,
    pub description: String,
    pub minutes: i64,
}

/// The rows of approved timesheets of `projects` dated `from..=to` (days since 1970), billable
/// and not yet invoiced, in a stable order.
pub async fn billable_rows(
    db: &Db,
    org_id: &str,
    projects: &BTreeSet<String>,
    from: i64,
    to: i64,
) -> Result<Vec<BillableRow>, sqlx::Error> {
    // A week that starts up to six days before `from` may hold days of the period.
    let weeks = sqlx::query(
        "select r.id, r.data from records r
         join record_values w on w.record_id = r.id and w.field = 'week' and w.slot = 0
         where r.org_id = $1 and r.type = 'timesheet' and r.state = 'approved'
           and w.num >= $2 and w.num <= $3
         order by w.num, r.id",
    )
    .bind(org_id)
    .bind(from - 6)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let taken: BTreeSet<(String, i64)> = sqlx::query(
        "select i.timesheet_id, i.row_index from invoiced_time i
         join record_values w on w.record_id = i.timesheet_id and w.field = 'week' and w.slot = 0
         where i.org_id = $1 and w.num >= $2 and w.num <= $3",
    )
    .bind(org_id)
    .bind(from - 6)
    .bind(to)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| Ok((row.try_get("timesheet_id")?, row.try_get("row_index")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut rows = Vec::new();
    for week in &weeks {
        let id: String = week.try_get("id")?;
        let data: String = week.try_get("data")?;
        let data: Map<String, Value> =
            serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let user = data.get("user").and_then(Value::as_str).unwrap_or_default();
        let entries = data.get("entries").and_then(Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            let text = |key: &str| entry.get(key).and_then(Value::as_str);
            let index = i64::try_from(i).unwrap_or(i64::MAX);
            let day = text("date").and_then(value::parse_date);
            let billable = entry.get("billable").and_then(Value::as_bool) != Some(false);
            let project = text("project").unwrap_or_default();
            if !billable
                || !projects.contains(project)
                || !day.is_some_and(|d| (from..=to).contains(&d))
                || taken.contains(&(id.clone(), index))
            {
                continue;
            }
            rows.push(BillableRow {
                timesheet_id: id.clone(),
                row_index: index,
                user_id: user.to_owned(),
                project_id: project.to_owned(),
                task: text("task").map(str::to_owned),
                description: text("description").unwrap_or_default().to_owned(),
                minutes: entry.get("minutes").and_then(Value::as_i64).unwrap_or(0),
            });
        }
    }
    Ok(rows)
}

/// Hours of `minutes`, rounded half up to 3 decimals.
pub fn hours(minutes: i64) -> Decimal {
    (Decimal::from(minutes) / Decimal::from(60))
        .round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// A line being gathered: its description and minutes at one rate.
struct Gathered {
    description: String,
    rate: i64,
    minutes: i64,
}

/// The invoice lines of `rows`, grouped as asked; `Err` names the people without a rate.
fn lines(
    rows: &[BillableRow],
    grouping: TimeGrouping,
    rates: &HashMap<String, Rates>,
    project_names: &HashMap<String, String>,
    person_names: &HashMap<String, String>,
) -> Result<Vec<Gathered>, Errors> {
    let mut groups: BTreeMap<(String, String, i64), Gathered> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    for row in rows {
        let Some(rate) = rates.get(&row.project_id).and_then(|r| r.of(&row.user_id)) else {
            missing.insert((row.project_id.clone(), row.user_id.clone()));
            continue;
        };
        let project = project_names
            .get(&row.project_id)
            .cloned()
            .unwrap_or_default();
        let person = person_names.get(&row.user_id).cloned().unwrap_or_default();
        let (key, description) = match grouping {
            TimeGrouping::Task => {
                let what = row.task.clone().unwrap_or_else(|| row.description.clone());
                let label = if row.description.is_empty() {
                    project.clone()
                } else {
                    row.description.clone()
                };
                ((row.project_id.clone(), what), label)
            }
            TimeGrouping::Person => (
                (row.project_id.clone(), row.user_id.clone()),
                format!("{person} — {project}"),
            ),
        };
        groups
            .entry((key.0, key.1, rate))
            .or_insert(Gathered {
                description,
                rate,
                minutes: 0,
            })
            .minutes += row.minutes;
    }
    if !missing.is_empty() {
        let who: Vec<String> = missing
            .iter()
            .map(|(project, user)| {
                format!(
                    "{} in {}",
                    person_names.get(user).map_or(user.as_str(), String::as_str),
                    project_names
                        .get(project)
                        .map_or(project.as_str(), String::as_str)
                )
            })
            .collect();
        let mut errors = Errors::new();
        errors.insert(
            "rates".into(),
            format!("no hourly rate for {}", who.join(", ")),
        );
        return Err(errors);
    }
    Ok(groups.into_values().collect())
}

/// Marks `rows` as taken by `invoice`; false when another invoice took one meanwhile.
async fn mark_invoiced(
    tx: &mut Tx,
    org_id: &str,
    invoice_id: &str,
    rows: &[BillableRow],
) -> Result<bool, sqlx::Error> {
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into invoiced_time (timesheet_id, row_index, invoice_id, org_id) values {} on conflict do nothing",
            values_rows(chunk.len(), 4)
        ));
        let mut query = sqlx::query(sql);
        for row in chunk {
            query = query
                .bind(&row.timesheet_id)
                .bind(row.row_index)
                .bind(invoice_id)
                .bind(org_id);
        }
        let done = query.execute(&mut **tx).await?;
        if done.rows_affected() != chunk.len() as u64 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Frees the time `invoice` took (it was voided).
pub async fn release(tx: &mut Tx, invoice_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from invoiced_time where invoice_id = $1")
        .bind(invoice_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The client's projects (or the one asked for, if it is theirs), with their names.
async fn client_projects(
    db: &Db,
    org_id: &str,
    client: &str,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, name from projects where org_id = $1 and client_id = $2 order by id",
    )
    .bind(org_id)
    .bind(client)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .collect()
}

/// Build a draft invoice from approved, not yet invoiced time.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invoices/from-time", tag = "invoices", params(("org" = String, Path)), request_body = InvoiceFromTime, responses(
    (status = 201, description = "The draft invoice", body = Record),
    (status = 403, description = "The caller's roles cannot write every invoice", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "Some of the time was invoiced meanwhile", body = ErrorBody),
    (status = 422, description = "Field errors, missing rates, or no time to invoice", body = ErrorBody)))]
async fn invoice_from_time(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(body): Json<InvoiceFromTime>,
) -> Result<(StatusCode, Json<Record>)> {
    let (resolved, access) = type_access(&state, &user, &org_id, "invoice").await?;
    if access.scope(Action::Write) != Scope::All {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    let mut errors = Errors::new();
    let from = value::parse_date(&body.from);
    let to = value::parse_date(&body.to);
    if from.is_none() {
        errors.insert("from".into(), "must be a date YYYY-MM-DD".into());
    }
    if to.is_none() {
        errors.insert("to".into(), "must be a date YYYY-MM-DD".into());
    }
    if let (Some(from), Some(to)) = (from, to)
        && (to < from || to - from >= MAX_DAYS)
    {
        errors.insert(
            "to".into(),
            format!("must be on or after from, at most {MAX_DAYS} days later"),
        );
    }
    if super::store::client_data(&state.db, &org_id, &body.client)
        .await?
        .is_none()
    {
        errors.insert(
            "client".into(),
            "is not a client of this organisation".into(),
        );
    }
    let mut projects = client_projects(&state.db, &org_id, &body.client).await?;
    if let Some(project) = &body.project {
        if !projects.contains_key(project) {
            errors.insert(
                "project".into(),
                "is not a project billed to this client".into(),
            );
        }
        projects.retain(|id, _| id == project);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    let ids: BTreeSet<String> = projects.keys().cloned().collect();
    let rows = billable_rows(&state.db, &org_id, &ids, from, to).await?;
    if rows.is_empty() {
        return Err(ApiError::invalid_field(
            "to",
            "there is no approved, billable time of the client's projects left to invoice in the period",
        ));
    }
    let mut rates = HashMap::new();
    for project in &ids {
        rates.insert(project.clone(), billing::rates(&state.db, project).await?);
    }
    let people: Vec<String> = rows
        .iter()
        .map(|r| r.user_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let person_names: HashMap<String, String> = crate::users::store::find_many(&state.db, &people)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let gathered =
        lines(&rows, body.group, &rates, &projects, &person_names).map_err(ApiError::Validation)?;
    if gathered.len() > MAX_LINES {
        return Err(ApiError::invalid_field(
            "to",
            format!("the period's time makes more than {MAX_LINES} lines: invoice a shorter one"),
        ));
    }
    let invoice_lines: Vec<Value> = gathered
        .iter()
        .map(|line| {
            json!({
                "description": line.description.chars().take(2000).collect::<String>(),
                "quantity": hours(line.minutes).normalize().to_string(),
                "unit_price": line.rate,
            })
        })
        .collect();
    let mut input = Map::new();
    input.insert("client".into(), json!(body.client));
    input.insert("lines".into(), Value::Array(invoice_lines));
    let save = Save {
        db: &state.db,
        org_id: &org_id,
        user_id: user.id(),
        writes_all: true,
    };
    let mut prepared = prepare_new(&save, &resolved, &mut input).await?;
    prepared
        .data
        .insert("time_from".into(), json!(value::format_date(from)));
    prepared
        .data
        .insert("time_to".into(), json!(value::format_date(to)));
    let mut work = state.writes.begin().await?;
    let record = insert_new(
        &state.db,
        &mut work,
        &resolved,
        &access,
        &org_id,
        user.id(),
        prepared,
    )
    .await?;
    if !mark_invoiced(work.tx(), &org_id, &record.id, &rows).await? {
        return Err(ApiError::conflict(
            "time_invoiced",
            "some of this time was invoiced meanwhile; try again",
        ));
    }
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(wire(&record, &access))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_half_up_to_three_decimals() {
        assert_eq!(hours(60).normalize().to_string(), "1");
        assert_eq!(hours(20).normalize().to_string(), "0.333");
        assert_eq!(hours(40).normalize().to_string(), "0.667");
        assert_eq!(hours(90).normalize().to_string(), "1.5");
        assert_eq!(hours(1).normalize().to_string(), "0.017");
    }
}
