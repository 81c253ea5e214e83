//! `GET /api/v1/orgs/{org}/time`: minutes per day or week, per user and project.
//!
//! What a report covers (the same for its CSV): one's own time in every project of the org one
//! can read, and everyone's time in the projects where one may manage tasks (project managers;
//! org owners and admins manage every project). Asking for another user's time
//! (`user=`) without managing any project in scope is a 403; a project one cannot see is a 404.
//! Dates are inclusive; a week is named by its Monday, and holds only the days of the range
//! (a range starting on a Wednesday names its first week by the Monday before). Sums are exact
//! integer minutes: every row is the sum of its entries, the totals the sum of the rows.

use std::collections::{BTreeMap, HashMap};

use atrium_client::wire::{ErrorBody, TimeReport, TimeReportRow};
use axum::extract::State;
use serde::Deserialize;
use time::Duration;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::sees_everyones_time;
use super::model::FieldErrors;
use super::store::{self, ReportRange};
use crate::auth::CurrentUser;
use crate::authz::{self, OrgAction, ProjectAccess, ProjectFacts, require_org};
use crate::calendar;
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// The longest range one report covers, in days.
pub const MAX_RANGE_DAYS: i64 = 366;
/// The range without `from`: the 30 days up to `to`.
const DEFAULT_RANGE_DAYS: i64 = 29;

/// The report routes (the CSV export is [`super::csv_export`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(time_report))
}

/// Which time a report sums.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only this user's time (default: everyone's the caller may see).
    pub user: Option<String>,
    /// Only this project's time.
    pub project: Option<String>,
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC). At most 366 days after `from`.
    #[param(format = Date)]
    pub to: Option<String>,
    /// `day` (default) or `week`.
    #[param(pattern = r"^(day|week)$")]
    pub group: Option<String>,
}

/// How rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Day,
    Week,
}

impl Group {
    fn name(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
        }
    }
}

/// A project the report may cover.
#[derive(Debug, Clone)]
pub struct ProjectInScope {
    pub name: String,
    /// Everyone's time, not only the caller's.
    pub everyone: bool,
}

/// A finished report with the names the CSV export prints.
pub struct Built {
    pub report: TimeReport,
    pub projects: HashMap<String, ProjectInScope>,
}

/// The projects of the org the caller can read, with whether they see everyone's time there.
pub(super) async fn projects_in_scope(
    state: &AppState,
    user_id: &str,
    org_id: &str,
) -> Result<HashMap<String, ProjectInScope>> {
    let org = require_org(&state.db, user_id, org_id, OrgAction::Read).await?;
    let projects = crate::projects::store::list_in_org(&state.db, org_id, user_id).await?;
    Ok(projects
        .into_iter()
        .filter_map(|(project, explicit)| {
            let facts = ProjectFacts {
                id: project.id.clone(),
                org_id: project.org_id.clone(),
                visibility: project.visibility,
                default_role: project.default_role,
            };
            let subject = org.in_project(&facts, explicit)?;
            let access = ProjectAccess {
                role: subject.project_role?,
                org_role: org.role,
                subject,
                policy: org.policy.clone(),
                project: facts,
            };
            let readable = access.may(
                authz::Action::Read,
                authz::Resource::new(authz::ResourceKind::Task),
            );
            readable.then(|| {
                (
                    project.id,
                    ProjectInScope {
                        name: project.name,
                        everyone: sees_everyones_time(&access),
                    },
                )
            })
        })
        .collect())
}

/// Reads a range's dates (422 naming each bad one) into `errors`: `to` defaults to today,
/// `from` to 29 days before it; at most [`MAX_RANGE_DAYS`] days.
pub(super) fn parse_dates(
    from: Option<&str>,
    to: Option<&str>,
    errors: &mut FieldErrors,
) -> Option<(String, String)> {
    let to = match to {
        None => Some(calendar::today()),
        Some(text) => calendar::parse(text).or_else(|| {
            errors.add("to", "must be a real date as YYYY-MM-DD");
            None
        }),
    };
    let from = match from {
        None => to.map(|to| to - Duration::days(DEFAULT_RANGE_DAYS)),
        Some(text) => calendar::parse(text).or_else(|| {
            errors.add("from", "must be a real date as YYYY-MM-DD");
            None
        }),
    };
    let (from, to) = (from?, to?);
    if from > to {
        errors.add("from", "must not be after to");
    } else if (to - from).whole_days() >= MAX_RANGE_DAYS {
        errors.add(
            "to",
            format!("a report covers at most {MAX_RANGE_DAYS} days"),
        );
    }
    Some((calendar::format(from), calendar::format(to)))
}

/// Reads the query's dates and grouping (422 naming each bad one).
fn parse_range(query: &ReportQuery) -> Result<(String, String, Group)> {
    let mut errors = FieldErrors::default();
    let dates = parse_dates(query.from.as_deref(), query.to.as_deref(), &mut errors);
    let group = match query.group.as_deref() {
        None | Some("day") => Group::Day,
        Some("week") => Group::Week,
        Some(_) => {
            errors.add("group", "must be day or week");
            Group::Day
        }
    };
    errors.finish()?;
    let (from, to) = dates.ok_or_else(|| ApiError::invalid_field("from", "must be a real date"))?;
    Ok((from, to, group))
}

/// 403 unless the caller may see `user`'s time somewhere in `projects` (their own always).
pub(super) fn check_user(
    projects: &HashMap<String, ProjectInScope>,
    caller: &str,
    user: Option<&str>,
) -> Result<()> {
    let someone_else = user.is_some_and(|user| user != caller);
    if someone_else && !projects.values().any(|p| p.everyone) {
        return Err(ApiError::Forbidden(
            "only project managers see other people's time".to_owned(),
        ));
    }
    Ok(())
}

/// Whether an entry of `entry_user` in `project` is in what the caller may see.
pub(super) fn visible(
    projects: &HashMap<String, ProjectInScope>,
    caller: &str,
    project: &str,
    entry_user: &str,
) -> bool {
    projects
        .get(project)
        .is_some_and(|p| p.everyone || entry_user == caller)
}

/// Builds the report the caller asked for and may see.
pub async fn build(
    state: &AppState,
    user_id: &str,
    org_id: &str,
    query: &ReportQuery,
) -> Result<Built> {
    let mut projects = projects_in_scope(state, user_id, org_id).await?;
    let (from, to, group) = parse_range(query)?;
    if let Some(project) = &query.project {
        if !projects.contains_key(project) {
            return Err(ApiError::NotFound("project"));
        }
        projects.retain(|id, _| id == project);
    }
    check_user(&projects, user_id, query.user.as_deref())?;
    let entries = store::report_entries(
        &state.db,
        &ReportRange {
            org_id,
            from: &from,
            to: &to,
            user_id: query.user.as_deref(),
            project_id: query.project.as_deref(),
        },
    )
    .await?;
    let mut sums: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    for entry in entries {
        if !visible(&projects, user_id, &entry.project_id, &entry.user_id) {
            continue;
        }
        let period = match group {
            Group::Day => entry.date,
            Group::Week => calendar::parse(&entry.date)
                .map(|date| calendar::format(calendar::monday_of(date)))
                .ok_or_else(|| ApiError::internal(format!("stored date {:?}", entry.date)))?,
        };
        let sum = sums
            .entry((period, entry.user_id, entry.project_id))
            .or_default();
        sum.0 += entry.minutes;
        if entry.billable {
            sum.1 += entry.minutes;
        }
    }
    let rows: Vec<TimeReportRow> = sums
        .into_iter()
        .map(
            |((period, user_id, project_id), (minutes, billable_minutes))| TimeReportRow {
                period,
                user_id,
                project_id,
                minutes,
                billable_minutes,
            },
        )
        .collect();
    let report = TimeReport {
        total_minutes: rows.iter().map(|row| row.minutes).sum(),
        billable_minutes: rows.iter().map(|row| row.billable_minutes).sum(),
        from,
        to,
        group: group.name().to_owned(),
        rows,
    };
    Ok(Built { report, projects })
}

/// Minutes per day or week, per user and project, with totals.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/time", tag = "time", params(("org" = String, Path), ReportQuery), responses(
    (status = 200, description = "The report", body = TimeReport),
    (status = 403, description = "Another user's time without managing a project", body = ErrorBody),
    (status = 404, description = "No such organisation or project", body = ErrorBody),
    (status = 422, description = "Invalid dates or grouping", body = ErrorBody)))]
async fn time_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Json<TimeReport>> {
    Ok(Json(
        build(&state, user.id(), &org_id, &query).await?.report,
    ))
}
