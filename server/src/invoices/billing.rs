//! `GET/PUT /api/v1/projects/{project}/billing`: the client a project's time is billed to and
//! its hourly rates (a default, and per person), in the minor units of the client's currency.
//! Project managers (and org admins) keep them; invoices from time read them.

use std::collections::HashMap;

use atrium_client::wire::{ErrorBody, ProjectBilling, ProjectRate};
use axum::extract::State;
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::authz::{ProjectAction, require_project};
use crate::db::{Db, Tx};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::records::schema::check::Errors;
use crate::state::AppState;

/// Most rates per project.
const MAX_RATES: usize = 500;
/// Highest rate: a billion minor units an hour.
const MAX_RATE: i64 = 1_000_000_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_billing, put_billing))
}

/// A project's hourly rates: by person, and the default (`None`).
#[derive(Debug, Clone, Default)]
pub struct Rates(HashMap<Option<String>, i64>);

impl Rates {
    /// The rate of `user`'s time: theirs, else the project's default.
    pub fn of(&self, user: &str) -> Option<i64> {
        self.0
            .get(&Some(user.to_owned()))
            .or_else(|| self.0.get(&None))
            .copied()
    }
}

/// The project's client and rates.
pub async fn load(db: &Db, project_id: &str) -> Result<ProjectBilling, sqlx::Error> {
    let client: Option<Option<String>> =
        sqlx::query_scalar("select client_id from projects where id = $1")
            .bind(project_id)
            .fetch_optional(db.pool())
            .await?;
    let rows = sqlx::query(
        "select user_id, rate from project_rates where project_id = $1 order by user_id",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let rates = rows
        .iter()
        .map(|row| {
            let user: String = row.try_get("user_id")?;
            Ok(ProjectRate {
                user_id: (!user.is_empty()).then_some(user),
                rate: row.try_get("rate")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(ProjectBilling {
        client: client.flatten(),
        rates,
    })
}

/// The rates of a project, to price its time.
pub async fn rates(db: &Db, project_id: &str) -> Result<Rates, sqlx::Error> {
    let billing = load(db, project_id).await?;
    Ok(Rates(
        billing
            .rates
            .into_iter()
            .map(|r| (r.user_id, r.rate))
            .collect(),
    ))
}

/// Replaces the project's client and rates.
async fn save(tx: &mut Tx, project_id: &str, billing: &ProjectBilling) -> Result<(), sqlx::Error> {
    sqlx::query("update projects set client_id = $2 where id = $1")
        .bind(project_id)
        .bind(billing.client.as_deref())
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from project_rates where project_id = $1")
        .bind(project_id)
        .execute(&mut **tx)
        .await?;
    for rate in &billing.rates {
        sqlx::query("insert into project_rates (project_id, user_id, rate) values ($1, $2, $3)")
            .bind(project_id)
            .bind(rate.user_id.as_deref().unwrap_or_default())
            .bind(rate.rate)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A project's billing: its client and hourly rates.
#[utoipa::path(get, path = "/api/v1/projects/{project}/billing", tag = "invoices", params(("project" = String, Path)), responses(
    (status = 200, description = "The client and rates", body = ProjectBilling),
    (status = 403, description = "Not a manager of the project", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn get_billing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<ProjectBilling>> {
    require_project(&state.db, user.id(), &project_id, ProjectAction::Manage).await?;
    Ok(Json(load(&state.db, &project_id).await?))
}

/// Replace a project's client and hourly rates (its managers and org admins).
#[utoipa::path(put, path = "/api/v1/projects/{project}/billing", tag = "invoices", params(("project" = String, Path)), request_body = ProjectBilling, responses(
    (status = 200, description = "As saved", body = ProjectBilling),
    (status = 403, description = "Not a manager of the project", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "Field errors; nothing saved", body = ErrorBody)))]
async fn put_billing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    Json(mut body): Json<ProjectBilling>,
) -> Result<Json<ProjectBilling>> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Manage).await?;
    let org_id = access.project.org_id.clone();
    let mut errors = Errors::new();
    body.client = body.client.filter(|c| !c.trim().is_empty());
    if let Some(client) = &body.client
        && super::store::client_data(&state.db, &org_id, client)
            .await?
            .is_none()
    {
        errors.insert(
            "client".into(),
            "is not a client of this organisation".into(),
        );
    }
    if body.rates.len() > MAX_RATES {
        errors.insert("rates".into(), format!("must be at most {MAX_RATES} rates"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, rate) in body.rates.iter().enumerate() {
        if !(0..=MAX_RATE).contains(&rate.rate) {
            errors.insert(
                format!("rates[{i}].rate"),
                format!("must be 0 to {MAX_RATE} minor units an hour"),
            );
        }
        if !seen.insert(rate.user_id.clone()) {
            errors.insert(format!("rates[{i}].user_id"), "has a rate already".into());
        } else if let Some(member) = &rate.user_id
            && crate::orgs::store::member(&state.db, &org_id, member)
                .await?
                .is_none()
        {
            errors.insert(
                format!("rates[{i}].user_id"),
                "is not a member of this organisation".into(),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut work = state.writes.begin().await?;
    save(work.tx(), &project_id, &body).await?;
    work.commit().await?;
    Ok(Json(load(&state.db, &project_id).await?))
}
