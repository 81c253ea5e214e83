//! `GET /api/v1/orgs/{org}/time.csv`: the report's rows as CSV, one line each after a header,
//! with the user's and project's names beside their ids.
//!
//! Names are user input and spreadsheets run cells that start with a formula character, so
//! every cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
//! (the OWASP advice for CSV injection). Periods, ids and numbers never start with one.

use atrium_client::wire::ErrorBody;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::report::{self, ReportQuery};
use super::store;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::http::extract::{Path, Query};
use crate::state::AppState;

/// The columns, in order.
pub const HEADER: [&str; 7] = [
    "period",
    "user_id",
    "user",
    "project_id",
    "project",
    "minutes",
    "billable_minutes",
];

/// The CSV export route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(time_report_csv))
}

/// A cell a spreadsheet shows as text, never runs as a formula.
pub fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// Writes records row by row through an injection-safe writer.
struct SafeWriter {
    inner: csv::Writer<Vec<u8>>,
}

impl SafeWriter {
    fn new() -> Self {
        Self {
            inner: csv::Writer::from_writer(Vec::new()),
        }
    }

    fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<()> {
        self.inner
            .write_record(cells.into_iter().map(safe_cell).map(|c| c.into_owned()))
            .map_err(ApiError::internal)
    }

    fn finish(self) -> Result<Vec<u8>> {
        self.inner
            .into_inner()
            .map_err(|e| ApiError::internal(e.to_string()))
    }
}

/// The time report as CSV (the same rows and rules as the JSON report).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/time.csv", tag = "time", params(("org" = String, Path), ReportQuery), responses(
    (status = 200, description = "period,user_id,user,project_id,project,minutes,billable_minutes", content_type = "text/csv", body = String),
    (status = 403, description = "Another user's time without managing a project", body = ErrorBody),
    (status = 404, description = "No such organisation or project", body = ErrorBody),
    (status = 422, description = "Invalid dates or grouping", body = ErrorBody)))]
async fn time_report_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<impl IntoResponse> {
    let built = report::build(&state, user.id(), &org_id, &query).await?;
    let mut user_ids: Vec<&str> = built
        .report
        .rows
        .iter()
        .map(|row| row.user_id.as_str())
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let users = store::user_names(&state.db, &org_id, &user_ids).await?;
    let mut writer = SafeWriter::new();
    writer.row(HEADER)?;
    for row in &built.report.rows {
        let minutes = row.minutes.to_string();
        let billable = row.billable_minutes.to_string();
        let project = built
            .projects
            .get(&row.project_id)
            .map_or("", |p| p.name.as_str());
        let user = users.get(&row.user_id).map_or("", String::as_str);
        writer.row([
            row.period.as_str(),
            &row.user_id,
            user,
            &row.project_id,
            project,
            &minutes,
            &billable,
        ])?;
    }
    let filename = format!(
        "attachment; filename=\"time-{}-{}.csv\"",
        built.report.from, built.report.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        writer.finish()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formula_cells_become_text() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(risky), format!("'{risky}"));
        }
        for plain in ["Design", "2026-03-30", "120", "a=b", ""] {
            assert_eq!(safe_cell(plain), plain);
        }
    }
}
