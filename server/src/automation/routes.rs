//! `/api/v1/orgs/{org}/automations` and `/api/v1/automations/{rule}…`: rules, their run log and
//! the dry run.
//!
//! Who manages a rule: an organisation's owners and admins (any of its rules), and a project's
//! managers (their project's). Others of the organisation get 403; outsiders 404. A rule acts
//! as its author, with the author's rights at the time it runs.

use atrium_client::wire::{
    AutomationRule, CreateRuleRequest, DryRunEvent, DryRunReport, DryRunRequest, ErrorBody, Page,
    RuleRun, UpdateRuleRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{describe, template_fields, type_name};
use super::consumer::{actor_roles, author_reads, listens, stop_reason};
use super::event::Event;
use super::matching::evaluate;
use super::model::{self, MAX_RULES_PER_ORG, RuleParts};
use super::schedule::today_in;
use super::store::{self, RuleRow};
use crate::auth::CurrentUser;
use crate::authz::audience::Audience;
use crate::authz::{Action, ResourceKind, require_org, require_project};
use crate::db::paging::{PageQuery, PageRequest};
use crate::db::{change_feed, new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::feed::Change;
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// Events a dry run replays by default, and at most.
const DRY_RUN_DEFAULT: u32 = 50;
const DRY_RUN_MAX: u32 = 500;
/// How many of the organisation's latest changes a project rule's dry run looks through per
/// event asked for, and at most.
const PROJECT_WINDOW_FACTOR: i64 = 10;
const PROJECT_WINDOW_MAX: i64 = 5_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_rule, list_rules))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(list_runs))
        .routes(routes!(dry_run))
}

/// Asks authz whether the caller manages rules of `org_id` (or of its `project`).
async fn authorize(
    state: &AppState,
    user: &CurrentUser,
    org_id: &str,
    project: Option<&str>,
) -> Result<()> {
    match project {
        Some(project) => {
            let access = require_project(&state.db, user.id(), project, Action::Manage)
                .await
                .map_err(|e| match e {
                    ApiError::NotFound(_) => ApiError::invalid_field("project", "no such project"),
                    other => other,
                })?;
            if access.project.org_id != org_id {
                return Err(ApiError::invalid_field(
                    "project",
                    "no such project in this organisation",
                ));
            }
            Ok(())
        }
        None => require_org(&state.db, user.id(), org_id, Action::ManageMembers)
            .await
            .map(|_| ()),
    }
}

/// The rule `id` if the caller manages it; 404 when they cannot see it.
async fn managed(state: &AppState, user: &CurrentUser, id: &str) -> Result<RuleRow> {
    let rule = store::find_rule(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("automation rule"))?;
    let allowed = match &rule.rule.project {
        Some(project) => require_project(&state.db, user.id(), project, Action::Manage)
            .await
            .map(|_| ()),
        None => require_org(
            &state.db,
            user.id(),
            &rule.rule.org_id,
            Action::ManageMembers,
        )
        .await
        .map(|_| ()),
    };
    match allowed {
        Ok(()) => Ok(rule),
        Err(ApiError::NotFound(_)) => Err(ApiError::NotFound("automation rule")),
        Err(other) => Err(other),
    }
}

/// Create a rule. It hears events made from now on; it acts as its author.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/automations", tag = "integrations", params(("org" = String, Path)), request_body = CreateRuleRequest, responses(
    (status = 201, description = "Created", body = AutomationRule),
    (status = 403, description = "Not an admin of the organisation or manager of the project", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "The organisation has as many rules as it may", body = ErrorBody),
    (status = 422, description = "Field errors; nothing written", body = ErrorBody)))]
async fn create_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(body): Json<CreateRuleRequest>,
) -> Result<(StatusCode, Json<AutomationRule>)> {
    authorize(&state, &user, &org_id, body.project.as_deref()).await?;
    model::check(
        &RuleParts {
            name: &body.name,
            trigger: &body.trigger,
            conditions: &body.conditions,
            actions: &body.actions,
        },
        state.config.webhooks_allow_private,
    )?;
    let now = now_ms();
    let rule = AutomationRule {
        id: new_id(),
        org_id: org_id.clone(),
        project: body.project,
        name: body.name.trim().to_owned(),
        trigger: body.trigger,
        conditions: body.conditions,
        actions: body.actions,
        active: body.active.unwrap_or(true),
        created_by: user.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut work = state.writes.begin().await?;
    if store::count_rules(work.tx(), &org_id).await? >= MAX_RULES_PER_ORG {
        return Err(ApiError::conflict(
            "too_many",
            format!("an organisation has at most {MAX_RULES_PER_ORG} rules"),
        ));
    }
    store::insert_rule(work.tx(), &rule, now).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this project's rules (its managers may list them).
    project: Option<String>,
}

/// An organisation's rules (admins), or one project's (its managers), oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/automations", tag = "integrations", params(("org" = String, Path), ListQuery), responses(
    (status = 200, description = "Rules, oldest first", body = Page<AutomationRule>),
    (status = 403, description = "Not an admin of the organisation or manager of the project", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "No such project", body = ErrorBody)))]
async fn list_rules(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<AutomationRule>>> {
    authorize(&state, &user, &org_id, query.project.as_deref()).await?;
    let rules = store::list_rules(&state.db, &org_id, query.project.as_deref()).await?;
    Ok(Json(Page {
        items: rules.into_iter().map(|r| r.rule).collect(),
        next: None,
    }))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/automations/{rule}", tag = "integrations", params(("rule" = String, Path)), responses(
    (status = 200, description = "The rule", body = AutomationRule),
    (status = 403, description = "Not a manager of the rule", body = ErrorBody),
    (status = 404, description = "No such rule", body = ErrorBody)))]
async fn get_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AutomationRule>> {
    Ok(Json(managed(&state, &user, &id).await?.rule))
}

/// Change a rule. A new schedule counts from now; reactivating does not replay what happened
/// while the rule was off.
#[utoipa::path(patch, path = "/api/v1/automations/{rule}", tag = "integrations", params(("rule" = String, Path)), request_body = UpdateRuleRequest, responses(
    (status = 200, description = "The rule", body = AutomationRule),
    (status = 403, description = "Not a manager of the rule", body = ErrorBody),
    (status = 404, description = "No such rule", body = ErrorBody),
    (status = 422, description = "Field errors; nothing written", body = ErrorBody)))]
async fn update_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<UpdateRuleRequest>,
) -> Result<Json<AutomationRule>> {
    let mut rule = managed(&state, &user, &id).await?.rule;
    let was_active = rule.active;
    let trigger_changed = body.trigger.as_ref().is_some_and(|t| *t != rule.trigger);
    if let Some(name) = body.name {
        rule.name = name.trim().to_owned();
    }
    if let Some(trigger) = body.trigger {
        rule.trigger = trigger;
    }
    if let Some(conditions) = body.conditions {
        rule.conditions = conditions;
    }
    if let Some(actions) = body.actions {
        rule.actions = actions;
    }
    if let Some(active) = body.active {
        rule.active = active;
    }
    model::check(
        &RuleParts {
            name: &rule.name,
            trigger: &rule.trigger,
            conditions: &rule.conditions,
            actions: &rule.actions,
        },
        state.config.webhooks_allow_private,
    )?;
    let now = now_ms();
    rule.updated_at = now;
    let restart = trigger_changed || (rule.active && !was_active);
    let mut work = state.writes.begin().await?;
    store::update_rule(work.tx(), &rule, restart.then_some(now)).await?;
    work.commit().await?;
    Ok(Json(rule))
}

/// Delete a rule and its run log.
#[utoipa::path(delete, path = "/api/v1/automations/{rule}", tag = "integrations", params(("rule" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Not a manager of the rule", body = ErrorBody),
    (status = 404, description = "No such rule", body = ErrorBody)))]
async fn delete_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let rule = managed(&state, &user, &id).await?;
    let mut work = state.writes.begin().await?;
    store::delete_rule(work.tx(), &rule.rule.id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A rule's run log, newest first.
#[utoipa::path(get, path = "/api/v1/automations/{rule}/runs", tag = "integrations", params(("rule" = String, Path), PageQuery), responses(
    (status = 200, description = "Runs, newest first", body = Page<RuleRun>),
    (status = 400, description = "Bad paging", body = ErrorBody),
    (status = 403, description = "Not a manager of the rule", body = ErrorBody),
    (status = 404, description = "No such rule", body = ErrorBody)))]
async fn list_runs(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<RuleRun>>> {
    let page = PageRequest::from_query(&query)?;
    let rule = managed(&state, &user, &id).await?;
    let runs = store::list_runs(&state.db, &rule.rule.id, &page).await?;
    Ok(Json(runs.into_wire(|r| r)))
}

/// What the rule would have done over the organisation's recent events (a schedule: its next
/// occurrences; a due-date trigger: the tasks due now). Nothing is changed or sent.
#[utoipa::path(post, path = "/api/v1/automations/{rule}/dry-run", tag = "integrations", params(("rule" = String, Path)), request_body = DryRunRequest, responses(
    (status = 200, description = "Each replayed event: matched or why not, and the actions it would take", body = DryRunReport),
    (status = 403, description = "Not a manager of the rule", body = ErrorBody),
    (status = 404, description = "No such rule", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
async fn dry_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<DryRunRequest>,
) -> Result<Json<DryRunReport>> {
    let count = body.events.unwrap_or(DRY_RUN_DEFAULT);
    if !(1..=DRY_RUN_MAX).contains(&count) {
        return Err(ApiError::invalid_field(
            "events",
            format!("must be 1 to {DRY_RUN_MAX}"),
        ));
    }
    let rule = managed(&state, &user, &id).await?;
    let now = now_ms();
    let today = today_in(&rule.rule.trigger, now);
    let events = candidates(&state, &rule, user.id(), i64::from(count), now).await?;
    let mut report = Vec::new();
    for Candidate {
        event,
        author_reads,
    } in events
    {
        let verdict = if rule.rule.trigger.event.is_some() && !listens_any_time(&rule, &event) {
            Err("the trigger does not select this event".to_owned())
        } else if !author_reads {
            Err("the rule's author may not read this event's entity".to_owned())
        } else {
            let roles = actor_roles(&state.writes, &rule, &event).await?;
            evaluate(&rule.rule.conditions, &event, &roles)
                .and_then(|()| stop_reason(&rule, &event).map_or(Ok(()), Err))
        };
        let fields = template_fields(&event, &today);
        let actions = match &verdict {
            Ok(()) => rule
                .rule
                .actions
                .iter()
                .map(|a| atrium_client::wire::ActionReport {
                    action_type: type_name(a).to_owned(),
                    summary: describe(a, &fields),
                    error: None,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        report.push(DryRunEvent {
            event_type: event.event_type.clone(),
            entity_id: event.entity_id.clone().unwrap_or_default(),
            at: event.at,
            matched: verdict.is_ok(),
            reason: verdict.err(),
            actions,
        });
    }
    Ok(Json(DryRunReport { events: report }))
}

/// The trigger and project, without the "made after the rule" condition of live runs.
fn listens_any_time(rule: &RuleRow, event: &Event) -> bool {
    let mut earlier = rule.clone();
    earlier.rule.created_at = i64::MIN;
    listens(&earlier, event)
}

/// An event a dry run replays, and whether the rule's author may read its entity (a live run
/// would not hear it otherwise: consumer.rs).
struct Candidate {
    event: Event,
    author_reads: bool,
}

/// The events a dry run looks at: only those `viewer` may read — a dry run of an org-wide rule
/// by an admin who does not see a private project shows nothing of it, not even its ids.
async fn candidates(
    state: &AppState,
    rule: &RuleRow,
    viewer: &str,
    count: i64,
    now: i64,
) -> Result<Vec<Candidate>> {
    let r = &rule.rule;
    if r.trigger.schedule.is_some() {
        let mut events = Vec::new();
        let mut after = now;
        for _ in 0..count.min(5) {
            let Some(at) = next_occurrence(&r.trigger, after) else {
                break;
            };
            events.push(Candidate {
                event: Event::schedule(&r.org_id, r.project.as_deref(), at),
                author_reads: true,
            });
            after = at;
        }
        return Ok(events);
    }
    let people = [
        (r.org_id.as_str(), viewer),
        (r.org_id.as_str(), r.created_by.as_str()),
    ];
    if r.trigger.due_within_days.is_some() {
        // The tasks a pass now would fire for (and those it already fired for); `pending` keeps
        // only those the author reads.
        let mut probe = rule.clone();
        probe.checked_through = None;
        let due = super::schedule::pending(&state.writes, &probe, now).await?;
        let touched: Vec<_> = due
            .iter()
            .map(|(_, e)| (r.org_id.as_str(), e.project.as_deref()))
            .collect();
        let audience = Audience::load(&state.db, &people, &touched).await?;
        return Ok(due
            .into_iter()
            .filter(|(_, e)| {
                e.project.as_deref().is_some_and(|project| {
                    audience.reads_in_project(&r.org_id, viewer, project, ResourceKind::Task)
                })
            })
            .map(|(_, event)| Candidate {
                event,
                author_reads: true,
            })
            .collect());
    }
    // A project's rule replays only its project's events: a project manager never learns of
    // another project's changes, not even their ids. The project is in each change's payload,
    // so the window is widened (within a bound) to find `count` of them among the org's.
    let window = if r.project.is_some() {
        (count * PROJECT_WINDOW_FACTOR).min(PROJECT_WINDOW_MAX)
    } else {
        count
    };
    let changes = change_feed::recent_of_org(&state.db, &r.org_id, window).await?;
    let events: Vec<(&Change, Event)> = changes
        .iter()
        .filter_map(|c| Event::of(c).map(|e| (c, e)))
        .filter(|(_, e)| r.project.is_none() || e.project == r.project)
        .collect();
    let touched: Vec<_> = events
        .iter()
        .map(|(_, e)| (r.org_id.as_str(), e.project.as_deref()))
        .collect();
    let audience = Audience::load(&state.db, &people, &touched).await?;
    let mut events: Vec<Candidate> = events
        .into_iter()
        .filter(|(c, e)| audience.reads(&r.org_id, viewer, c, e.project.as_deref()))
        .map(|(c, event)| Candidate {
            author_reads: author_reads(&audience, rule, c, &event),
            event,
        })
        .collect();
    let skip = events
        .len()
        .saturating_sub(usize::try_from(count).unwrap_or(usize::MAX));
    events.drain(..skip);
    Ok(events)
}

fn next_occurrence(trigger: &atrium_client::wire::RuleTrigger, after: i64) -> Option<i64> {
    use chrono::TimeZone as _;
    let pattern = model::cron(trigger.schedule.as_deref()?).ok()?;
    let zone = model::time_zone(trigger);
    let at = zone.timestamp_millis_opt(after).single()?;
    pattern
        .find_next_occurrence(&at, false)
        .ok()
        .map(|t| t.timestamp_millis())
}
