//! Fan-out: the change-feed consumer `webhooks` turns each committed change into one queued
//! delivery per active subscription that selects it and whose creator may read it.
//!
//! One node at a time fans out (the `fanout` lease). It reads a batch after its cursor up to
//! the feed's safe horizon, matches it against the active subscriptions of the batch's
//! organisations (patterns, the project of a project's subscription, the filter, only changes
//! made after the subscription, and only what its creator may read now: [`super::audience`],
//! loaded once per batch), and queues the deliveries in one transaction. Its cursor is written
//! about once a second ([`PacedConsumer`]) and when it hands the lease back: a crash reads the
//! last second's batches again, and the deliveries they already queued are skipped (unique per
//! subscription and change), so each change is queued once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::WebhookOptions;
use super::event::Event;
use super::lease::{FANOUT, Lease};
use super::model::{passes, selects};
use super::store::{self, NewDelivery, WebhookRow};
use crate::authz::audience::Audience;
use crate::db::{Db, new_id, now_ms};
use crate::feed::{Change, ChangeData, ChangeKind, Consumer, FeedError, PacedConsumer, Start};

/// The consumer's name in the change feed.
pub const CONSUMER: &str = "webhooks";
/// Changes read per batch.
const BATCH: usize = 1000;
/// Wait before trying again after an error.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// How long after the server disabled a subscription its events are still queued for it
/// (delivered, in order, once its managers reactivate it). Bounded, so an endpoint nobody
/// fixes does not collect an organisation's events for ever.
pub const KEPT_WHILE_DISABLED: Duration = Duration::from_secs(7 * 24 * 3600);

/// Starts the fan-out; commits that append changes wake it through `wake`, and it wakes the
/// dispatcher (`deliver`) when it queued deliveries.
pub fn spawn(
    db: Db,
    options: WebhookOptions,
    node: String,
    wake: Arc<Notify>,
    deliver: Arc<Notify>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let lease = Lease::new(db.clone(), FANOUT.to_owned(), node, options.lease);
        let mut consumer = loop {
            match Consumer::register(&db, CONSUMER, Start::Now).await {
                Ok((consumer, _)) => break PacedConsumer::new(consumer),
                Err(error) => {
                    tracing::warn!(%error, "cannot register the webhook fan-out with the change feed");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(ERROR_PAUSE) => {}
                    }
                }
            }
        };
        let mut held = false;
        while !stop.is_cancelled() {
            let more = match lease.hold().await {
                Ok(true) => {
                    held = true;
                    match fan_out_once(&db, &mut consumer).await {
                        Ok((queued, more)) => {
                            if queued > 0 {
                                deliver.notify_one();
                            }
                            more
                        }
                        Err(error) => {
                            tracing::warn!(%error, "webhook fan-out failed; retrying");
                            false
                        }
                    }
                }
                Ok(false) => {
                    if held {
                        // Another node fans out now and moves the stored cursor.
                        consumer.forget();
                    }
                    held = false;
                    false
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot take the webhook fan-out lease");
                    false
                }
            };
            if more {
                continue;
            }
            // Another node's commits do not wake this one: it polls.
            tokio::select! {
                () = stop.cancelled() => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(options.poll_interval) => {}
            }
        }
        if held {
            // The place goes to the database before the lease goes to another node.
            if let Err(error) = consumer.flush().await {
                tracing::warn!(%error, "cannot store the webhook fan-out's place in the change feed");
            } else if let Err(error) = lease.release().await {
                tracing::debug!(%error, "cannot release the webhook fan-out lease");
            }
        }
    })
}

/// Fans one batch out; how many deliveries it queued, and whether more changes wait.
pub async fn fan_out_once(
    db: &Db,
    consumer: &mut PacedConsumer,
) -> Result<(usize, bool), FeedError> {
    let batch = match consumer.read(BATCH).await {
        Ok(batch) => batch,
        Err(FeedError::Behind { cursor, pruned }) => {
            // Rows were pruned while no node fanned out for longer than the feed keeps a
            // silent consumer: those changes are gone. Go on from what is left.
            tracing::error!(
                cursor,
                pruned,
                "webhook fan-out fell behind the change feed's retention; changes in between are not delivered"
            );
            consumer.rewind(pruned).await?;
            return Ok((0, true));
        }
        Err(error) => return Err(error),
    };
    if batch.changes.is_empty() {
        // An idle consumer still says it is alive now and then (see `PacedConsumer::pass`).
        consumer.pass(batch.last_seq).await?;
        return Ok((0, false));
    }
    let orgs: BTreeSet<&str> = batch.changes.iter().map(|c| c.org_id.as_str()).collect();
    let orgs: Vec<&str> = orgs.into_iter().collect();
    let kept = i64::try_from(KEPT_WHILE_DISABLED.as_millis()).unwrap_or(i64::MAX);
    let hooks = store::queueing_in(db, &orgs, now_ms().saturating_sub(kept)).await?;
    let deliveries = if hooks.is_empty() {
        Vec::new()
    } else {
        let events = events(db, &batch.changes).await?;
        // Loaded once per batch: what each subscription's creator may read now.
        let creators = hooks
            .iter()
            .map(|h| (h.org_id.as_str(), h.created_by.as_str()))
            .collect::<Vec<_>>();
        let touched: Vec<_> = events
            .iter()
            .map(|(change, event)| (change.org_id.as_str(), event.project.as_deref()))
            .collect();
        let audience = Audience::load(db, &creators, &touched).await?;
        match_batch(&events, &hooks, |hook, change, event| {
            audience.reads(
                &hook.org_id,
                &hook.created_by,
                change,
                event.project.as_deref(),
            )
        })
    };
    if !deliveries.is_empty() {
        let mut tx = db.begin().await?;
        store::insert_deliveries(&mut tx, &deliveries).await?;
        tx.commit().await?;
    }
    consumer.pass(batch.last_seq).await?;
    Ok((deliveries.len(), batch.changes.len() == BATCH))
}

/// The events of a batch's changes, in change order. A message's removal becomes
/// `message.deleted` only if the message was in a project's public channel (its tombstone
/// says which): the deletion of a direct or private-channel message must not reach anyone its
/// creation could not.
async fn events<'a>(
    db: &Db,
    changes: &'a [Change],
) -> Result<Vec<(&'a Change, Event)>, sqlx::Error> {
    let deleted_messages: Vec<&str> = changes
        .iter()
        .filter(|c| {
            matches!(
                c.data,
                ChangeData::Delete {
                    kind: ChangeKind::Message,
                    ..
                }
            )
        })
        .map(|c| c.entity_id.as_str())
        .collect();
    let public = if deleted_messages.is_empty() {
        HashMap::new()
    } else {
        store::public_messages(db, &deleted_messages).await?
    };
    Ok(changes
        .iter()
        .filter_map(|change| {
            let event = match &change.data {
                ChangeData::Delete {
                    kind: ChangeKind::Message,
                    ..
                } => Event::message_deleted(change, public.get(&change.entity_id)?),
                _ => Event::of(change)?,
            };
            Some((change, event))
        })
        .collect())
}

/// Whether events made at `at` are queued for `hook`: always while it is active; for
/// [`KEPT_WHILE_DISABLED`] after the server disabled it; never while deactivated by hand.
fn queues_at(hook: &WebhookRow, at: i64) -> bool {
    let kept = i64::try_from(KEPT_WHILE_DISABLED.as_millis()).unwrap_or(i64::MAX);
    hook.active
        || hook
            .disabled_at
            .is_some_and(|disabled| at <= disabled.saturating_add(kept))
}

/// The deliveries a batch's events make for these subscriptions, in change order; `reads`
/// says whether a subscription may receive an event (its creator may read its entity).
pub fn match_batch(
    events: &[(&Change, Event)],
    hooks: &[WebhookRow],
    reads: impl Fn(&WebhookRow, &Change, &Event) -> bool,
) -> Vec<NewDelivery> {
    let mut by_org: HashMap<&str, Vec<&WebhookRow>> = HashMap::new();
    for hook in hooks {
        by_org.entry(hook.org_id.as_str()).or_default().push(hook);
    }
    let mut deliveries = Vec::new();
    for (change, event) in events {
        let Some(org_hooks) = by_org.get(change.org_id.as_str()) else {
            continue;
        };
        let mut body = None;
        for hook in org_hooks {
            if hook.created_at > change.created_at
                || !queues_at(hook, change.created_at)
                || (hook.project_id.is_some() && hook.project_id != event.project)
                || !selects(&hook.events, &event.event_type)
                || !passes(hook.filter.as_ref(), &event.data)
                || !reads(hook, change, event)
            {
                continue;
            }
            let body = body.get_or_insert_with(|| event.body()).clone();
            deliveries.push(NewDelivery {
                id: format!("msg_{}", new_id()),
                webhook_id: hook.id.clone(),
                org_id: hook.org_id.clone(),
                order_key: change.seq,
                change_seq: Some(change.seq),
                event_type: event.event_type.clone(),
                body,
                created_at: change.created_at,
            });
        }
    }
    deliveries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::feed::TaskPayload;
    use crate::feed::{ChangeData, Payload};

    fn hook(id: &str, project: Option<&str>, events: &[&str], created_at: i64) -> WebhookRow {
        WebhookRow {
            id: id.into(),
            org_id: "o1".into(),
            project_id: project.map(str::to_owned),
            url: "https://example.com/".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            filter: None,
            description: String::new(),
            secret: String::new(),
            previous_secret: None,
            previous_secret_until: None,
            active: true,
            disabled_reason: None,
            disabled_at: None,
            created_by: "u1".into(),
            created_at,
            updated_at: created_at,
        }
    }

    fn task(seq: i64, org: &str, project: &str, at: i64) -> Change {
        Change {
            seq,
            org_id: org.into(),
            entity_id: format!("t{seq}"),
            created_at: at,
            data: ChangeData::Upsert(Payload::Task(TaskPayload {
                project: project.into(),
                created: at,
                updated: at,
                ..TaskPayload::default()
            })),
            cause: None,
        }
    }

    #[test]
    fn changes_go_to_the_hooks_that_select_them() {
        let hooks = [
            hook("all", None, &["*"], 100),
            hook("p1", Some("p1"), &["task.*"], 100),
            hook("docs", None, &["doc.*"], 100),
            hook("later", None, &["*"], 250),
        ];
        let changes = [
            task(1, "o1", "p1", 200),
            task(2, "o1", "p2", 300),
            task(3, "o2", "p1", 300),
        ];
        let events: Vec<(&Change, Event)> =
            changes.iter().map(|c| (c, Event::of(c).unwrap())).collect();
        let queued: Vec<(String, i64)> = match_batch(&events, &hooks, |_, _, _| true)
            .into_iter()
            .map(|d| (d.webhook_id, d.order_key))
            .collect();
        assert_eq!(
            queued,
            [
                ("all".to_owned(), 1),
                ("p1".to_owned(), 1),
                ("all".to_owned(), 2),
                ("later".to_owned(), 2),
            ]
        );
    }
}
