//! The change-feed consumer `automation`: each committed change becomes an event, matched
//! against its organisation's active event rules; each match is a pending run and a job, written
//! in one transaction before the batch is acknowledged. A run is unique per rule and change, so
//! a batch read again (after a crash, or by a second node reading at the same time) queues
//! nothing twice.

use std::sync::Arc;
use std::time::Duration;

use atrium_client::wire::RunOutcome;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::event::Event;
use super::matching::{ACTOR_ROLES, evaluate, trigger_matches};
use super::model::MAX_DEPTH;
use super::runner;
use super::store::{self, NewRun, RuleRow};
use crate::authz::audience::Audience;
use crate::db::{new_id, now_ms};
use crate::feed::{Change, Consumer, FeedError, PacedConsumer, Start};
use crate::write::Writes;

/// The consumer's name in the change feed.
pub const CONSUMER: &str = "automation";
/// Changes read per batch.
const BATCH: usize = 500;
/// How often an idle consumer looks anyway (other nodes' commits do not wake it).
const POLL: Duration = Duration::from_secs(1);
/// Wait before trying again after an error.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Starts the consumer; commits that append changes wake it through `wake`.
pub fn spawn(
    writes: Writes,
    wake: Arc<Notify>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let db = writes.db().clone();
        let mut consumer = loop {
            match Consumer::register(&db, CONSUMER, Start::Now).await {
                Ok((consumer, _)) => break PacedConsumer::new(consumer),
                Err(error) => {
                    tracing::warn!(%error, "cannot register automation with the change feed");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(ERROR_PAUSE) => {}
                    }
                }
            }
        };
        while !stop.is_cancelled() {
            let more = match once(&writes, &mut consumer).await {
                Ok(more) => more,
                Err(error) => {
                    tracing::warn!(%error, "automation could not read the change feed; retrying");
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(ERROR_PAUSE) => {}
                    }
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
        if let Err(error) = consumer.flush().await {
            tracing::warn!(%error, "cannot store automation's place in the change feed");
        }
    })
}

/// Matches one batch; whether more changes wait.
async fn once(writes: &Writes, consumer: &mut PacedConsumer) -> Result<bool, FeedError> {
    let batch = match consumer.read(BATCH).await {
        Ok(batch) => batch,
        Err(FeedError::Behind { cursor, pruned }) => {
            tracing::error!(
                cursor,
                pruned,
                "automation fell behind the change feed's retention; going on from what is left"
            );
            consumer.rewind(pruned).await?;
            return Ok(true);
        }
        Err(error) => return Err(error),
    };
    if batch.changes.is_empty() {
        consumer.pass(batch.last_seq).await?;
        return Ok(false);
    }
    let events: Vec<(&Change, Event)> = batch
        .changes
        .iter()
        .filter_map(|c| Event::of(c).map(|e| (c, e)))
        .collect();
    let mut orgs: Vec<&str> = events.iter().map(|(_, e)| e.org_id.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let rules = store::active_rules_of(writes.db(), &orgs).await?;
    if !rules.is_empty() {
        // Loaded once per batch: what each rule's author may read now.
        let authors = rules
            .iter()
            .map(|r| (r.rule.org_id.as_str(), r.rule.created_by.as_str()))
            .collect::<Vec<_>>();
        let touched: Vec<_> = events
            .iter()
            .map(|(_, e)| (e.org_id.as_str(), e.project.as_deref()))
            .collect();
        let audience = Audience::load(writes.db(), &authors, &touched).await?;
        queue_runs(writes, &rules, &events, &audience).await?;
    }
    // Runs are unique per rule and change (`once_key`), so a crash that reads this batch
    // again queues nothing twice: the cursor is written about once a second.
    consumer.pass(batch.last_seq).await?;
    Ok(batch.changes.len() >= BATCH)
}

/// Whether `rule` listens to `event` at all: its trigger, its project, and only changes made
/// after the rule was. (And only to what its author may read: [`author_reads`].)
pub fn listens(rule: &RuleRow, event: &Event) -> bool {
    let r = &rule.rule;
    r.org_id == event.org_id
        && trigger_matches(&r.trigger, event)
        && r.project
            .as_ref()
            .is_none_or(|p| event.project.as_ref() == Some(p))
        && event.at >= r.created_at
}

/// Whether the author of `rule` may read the entity of `event` (made of `change`): a rule
/// speaks for the person who made it, as a webhook subscription does, so an org-wide rule by
/// an admin who does not see a private project is not triggered by its changes.
pub fn author_reads(audience: &Audience, rule: &RuleRow, change: &Change, event: &Event) -> bool {
    let r = &rule.rule;
    audience.reads(&r.org_id, &r.created_by, change, event.project.as_deref())
}

/// The roles of the event's actor, loaded only when a condition asks for them.
pub async fn actor_roles(
    writes: &Writes,
    rule: &RuleRow,
    event: &Event,
) -> Result<Vec<String>, sqlx::Error> {
    let asks = rule.rule.conditions.iter().any(|c| c.field == ACTOR_ROLES);
    match (&event.actor, asks) {
        (Some(actor), true) => store::member_roles(writes.db(), &event.org_id, actor).await,
        _ => Ok(Vec::new()),
    }
}

/// Why a run of `rule` for `event` must not act: the rule made the change itself, or the chain
/// of rules is at its depth limit.
pub fn stop_reason(rule: &RuleRow, event: &Event) -> Option<String> {
    let cause = event.cause.as_ref()?;
    if cause.rule == rule.rule.id {
        return Some("the rule's own change: a rule never triggers itself".into());
    }
    (event.next_depth() > MAX_DEPTH)
        .then(|| format!("a chain of rules triggering rules stops at depth {MAX_DEPTH}"))
}

async fn queue_runs(
    writes: &Writes,
    rules: &[RuleRow],
    events: &[(&Change, Event)],
    audience: &Audience,
) -> Result<(), FeedError> {
    let mut work = writes.begin().await?;
    let now = now_ms();
    for (change, event) in events {
        let seq = change.seq;
        for rule in rules
            .iter()
            .filter(|r| listens(r, event) && author_reads(audience, r, change, event))
        {
            let roles = actor_roles(writes, rule, event).await?;
            if evaluate(&rule.rule.conditions, event, &roles).is_err() {
                continue;
            }
            let stop = stop_reason(rule, event);
            let id = format!("run_{}", new_id());
            let once_key = format!("seq:{seq}");
            let inserted = store::insert_run(
                work.tx(),
                &NewRun {
                    id: &id,
                    rule_id: &rule.rule.id,
                    org_id: &event.org_id,
                    trigger: &event.event_type,
                    once_key: &once_key,
                    outcome: if stop.is_some() {
                        RunOutcome::Stopped
                    } else {
                        RunOutcome::Pending
                    },
                    depth: event.next_depth(),
                    event,
                    error: stop.as_deref(),
                    now,
                },
            )
            .await?;
            if inserted && stop.is_none() {
                runner::enqueue(&mut work, &event.org_id, &id).await?;
            }
        }
    }
    work.commit().await?;
    Ok(())
}
