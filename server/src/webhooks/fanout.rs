//! Fan-out: the change-feed consumer `webhooks` turns each committed change into one queued
//! delivery per active subscription that selects it.
//!
//! One node at a time fans out (the `fanout` lease). It reads a batch after its cursor up to
//! the feed's safe horizon, matches it against the active subscriptions of the batch's
//! organisations (patterns, the project of a project's subscription, the filter, and only
//! changes made after the subscription), queues the deliveries in one transaction, and then
//! acknowledges the batch. A crash between the two reads the batch again, and the deliveries it
//! already queued are skipped (unique per subscription and change): each change is queued once.

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
use crate::db::{Db, new_id};
use crate::feed::{Change, Consumer, FeedError, Start};

/// The consumer's name in the change feed.
pub const CONSUMER: &str = "webhooks";
/// Changes read per batch.
const BATCH: usize = 1000;
/// Wait before trying again after an error.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

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
                Ok((consumer, _)) => break consumer,
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
        if held && let Err(error) = lease.release().await {
            tracing::debug!(%error, "cannot release the webhook fan-out lease");
        }
    })
}

/// Fans one batch out; how many deliveries it queued, and whether more changes wait.
pub async fn fan_out_once(db: &Db, consumer: &mut Consumer) -> Result<(usize, bool), FeedError> {
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
            consumer.ack(pruned).await?;
            return Ok((0, true));
        }
        Err(error) => return Err(error),
    };
    if batch.changes.is_empty() {
        return Ok((0, false));
    }
    let orgs: BTreeSet<&str> = batch.changes.iter().map(|c| c.org_id.as_str()).collect();
    let orgs: Vec<&str> = orgs.into_iter().collect();
    let hooks = store::active_in(db, &orgs).await?;
    let deliveries = match_batch(&batch.changes, &hooks);
    if !deliveries.is_empty() {
        let mut tx = db.begin().await?;
        store::insert_deliveries(&mut tx, &deliveries).await?;
        tx.commit().await?;
    }
    consumer.ack(batch.last_seq).await?;
    Ok((deliveries.len(), batch.changes.len() == BATCH))
}

/// The deliveries a batch of changes makes for these subscriptions, in change order.
pub fn match_batch(changes: &[Change], hooks: &[WebhookRow]) -> Vec<NewDelivery> {
    let mut by_org: HashMap<&str, Vec<&WebhookRow>> = HashMap::new();
    for hook in hooks {
        by_org.entry(hook.org_id.as_str()).or_default().push(hook);
    }
    let mut deliveries = Vec::new();
    for change in changes {
        let Some(org_hooks) = by_org.get(change.org_id.as_str()) else {
            continue;
        };
        let Some(event) = Event::of(change) else {
            continue;
        };
        let mut body = None;
        for hook in org_hooks {
            if hook.created_at > change.created_at
                || (hook.project_id.is_some() && hook.project_id != event.project)
                || !selects(&hook.events, &event.event_type)
                || !passes(hook.filter.as_ref(), &event.data)
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
