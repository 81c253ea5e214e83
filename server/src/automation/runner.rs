//! The job `automation.run`: one run of a rule. It loads the run and its rule, does the
//! actions in order as the rule's author inside the run's [`Cause`], and records the outcome
//! and each action's report. An action that fails ends the run as failed (the actions before
//! it stay done); the job is not retried, since doing the earlier actions again would repeat
//! them.

use atrium_client::wire::RunOutcome;
use futures::future::BoxFuture;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::actions::{self, Actor};
use super::schedule::today_in;
use super::store;
use crate::db::now_ms;
use crate::feed::Cause;
use crate::jobs::{Handler, Job, NewJob, Outcome};
use crate::state::AppState;
use crate::write::UnitOfWork;

/// The job's kind.
pub const KIND: &str = "automation.run";

/// Queues the job of run `run_id` with the caller's unit of work.
pub async fn enqueue(
    work: &mut UnitOfWork,
    org_id: &str,
    run_id: &str,
) -> Result<String, sqlx::Error> {
    let mut job = NewJob::new(Some(org_id), KIND, json!({ "run": run_id }));
    job.max_attempts = Some(3);
    work.enqueue(&job).await
}

/// The handler; it acts through the application's handlers, so it gets the state once the
/// server has built it.
#[derive(Clone, Default)]
pub struct RunHandler {
    state: crate::jobs::LateState,
}

impl RunHandler {
    /// Gives the handler the application state (before the job runner starts running jobs).
    pub fn set_state(&self, state: AppState) {
        self.state.set(state);
    }
}

impl Handler for RunHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn keeps_payload(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let state = match self.state.get() {
                Ok(state) => state,
                Err(starting) => return starting,
            };
            let Some(run_id) = job.payload.get("run").and_then(|v| v.as_str()) else {
                return Outcome::Permanent("the job names no run".into());
            };
            match execute(state, run_id).await {
                Ok(()) => Outcome::Done,
                Err(error) => Outcome::Retry(error.to_string()),
            }
        })
    }
}

/// Does run `run_id` unless it already ended.
pub async fn execute(state: &AppState, run_id: &str) -> Result<(), sqlx::Error> {
    let db = &state.db;
    let Some(run) = store::find_run(db, run_id).await? else {
        return Ok(());
    };
    if run.run.outcome != RunOutcome::Pending {
        return Ok(());
    }
    let Some(rule) = store::find_rule(db, &run.run.rule_id).await? else {
        return Ok(());
    };
    if !rule.rule.active {
        let why = "the rule was deactivated before it ran";
        return store::finish_run(db, run_id, RunOutcome::Stopped, &[], Some(why), now_ms()).await;
    }
    let Some(actor) = Actor::of(state, &rule.rule.created_by).await? else {
        let why = "the rule's author no longer exists";
        return store::finish_run(db, run_id, RunOutcome::Failed, &[], Some(why), now_ms()).await;
    };
    let fields = actions::template_fields(&run.event, &today_in(&rule.rule.trigger, now_ms()));
    let cause = Cause {
        rule: rule.rule.id.clone(),
        depth: u32::try_from(run.run.depth).unwrap_or(u32::MAX),
    };
    let reports = cause
        .scope(async {
            let mut reports = Vec::new();
            for action in &rule.rule.actions {
                let report = actions::run(state, &actor, action, &run.event, &fields).await;
                let failed = report.error.is_some();
                reports.push(report);
                if failed {
                    break;
                }
            }
            reports
        })
        .await;
    let error = reports.iter().find_map(|r| r.error.clone());
    let outcome = if error.is_some() {
        RunOutcome::Failed
    } else {
        RunOutcome::Done
    };
    store::finish_run(db, run_id, outcome, &reports, error.as_deref(), now_ms()).await
}
