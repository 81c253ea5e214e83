//! Delivery: each node's dispatcher finds subscriptions whose first pending delivery in line is
//! due and, for each one whose lease it takes, runs a sender that POSTs its pending deliveries
//! in order over one keep-alive HTTP client.
//!
//! The dispatcher does no work for a subscription that has none: one whose head backs off is
//! not due however many rows wait behind it, one whose lease another node holds is not tried
//! again for a third of the lease, and only senders with something due are woken (an idle one
//! ends after a few seconds).
//!
//! A sender reads a batch of pending deliveries (oldest first), sends them one after another
//! and records the successes of a batch in one transaction. The first failure (an answer other
//! than 2xx — redirects included, which are never followed —, a timeout after 5 s, a refused
//! address) is recorded with the time of the next attempt, exponential back-off from the first
//! attempt, and the sender stops there: later deliveries wait behind it, so a subscription
//! receives its events in order. A delivery still failing when the retry horizon (24 h by
//! default) has passed since its first attempt is given up, and the subscription is disabled
//! ([`super::notify`]).
//!
//! A sender holds its subscription's lease while it works and renews it; a retry due soon is
//! waited for with the lease held, a later one lets the lease go and the dispatcher takes it up
//! again when due. A sender that caught up waits a few seconds for more (the dispatcher wakes
//! it) before it ends, so a steady stream costs one read and one write per batch. Nothing is acknowledged before the endpoint answered 2xx, so a node that
//! dies mid-batch only causes repeats (at least once), never losses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::address::{self, GuardedResolver};
use super::lease::{Lease, hook_lease};
use super::model::secret_key;
use super::store::{self, Attempt, DeliveryRow, WebhookRow};
use super::{WebhookOptions, notify, signature};
use crate::db::{Db, now_ms};
use crate::jobs::Backoff;
use crate::write::Writes;

/// Deliveries a sender reads at once.
const BATCH: i64 = 200;
/// Subscriptions the dispatcher looks at per pass.
const DUE_PER_PASS: i64 = 1000;
/// Bytes of a response body read (and dropped) so the connection can be reused.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long a sender uses the subscription it read before reading it again (edits,
/// deactivation and deletion take effect within this).
const HOOK_FRESH: Duration = Duration::from_secs(1);
/// How long a sender that caught up waits for more before it ends and lets its lease go.
const IDLE: Duration = Duration::from_secs(5);
/// A retry due within this is waited for with the lease held.
const WAIT_HELD: Duration = Duration::from_secs(2);
/// How long a subscription whose sender hit a database error (or panicked) waits.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Deliveries that reached their endpoint.
pub const DELIVERED_TOTAL: &str = "atrium_webhook_deliveries_total";
/// Failed attempts.
pub const FAILED_TOTAL: &str = "atrium_webhook_failed_attempts_total";
/// Time from a change's commit to its delivery.
pub const LAG_SECONDS: &str = "atrium_webhook_delivery_lag_seconds";

/// What every sender of a node shares.
struct Shared {
    db: Db,
    writes: Writes,
    client: reqwest::Client,
    options: WebhookOptions,
    node: String,
    public_url: String,
}

/// The HTTP client of deliveries: no proxies, no redirects, names resolved through the
/// guarded resolver, 5 s for a whole attempt, connections kept alive per endpoint.
pub fn client(options: &WebhookOptions) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(GuardedResolver::shared(options.allow_private))
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .user_agent("Atrium-Webhooks/1")
        .build()
        // Only a TLS back-end that cannot initialise fails here: the server cannot work.
        .expect("the webhook HTTP client builds")
}

/// Starts this node's dispatcher; it stops with `stop`, after its senders record what they
/// sent.
pub fn spawn(
    writes: Writes,
    options: WebhookOptions,
    node: String,
    public_url: String,
    wake: Arc<Notify>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    metrics::describe_counter!(DELIVERED_TOTAL, "webhook deliveries answered 2xx");
    metrics::describe_counter!(FAILED_TOTAL, "webhook delivery attempts that failed");
    metrics::describe_histogram!(
        LAG_SECONDS,
        "seconds from a change's commit to its webhook delivery (first attempts)"
    );
    let shared = Arc::new(Shared {
        db: writes.db().clone(),
        client: client(&options),
        writes,
        options,
        node,
        public_url,
    });
    tokio::spawn(dispatch(shared, wake, stop))
}

/// Why a sender ended, which tells the dispatcher when to start one for its subscription again.
enum Ended {
    /// Caught up, or the next attempt is not due soon: again when a row is due first in line.
    Done,
    /// Another node holds the subscription's lease: that node sends.
    HeldElsewhere,
    /// A database error: the subscription is tried again after a pause.
    Failed,
}

async fn dispatch(shared: Arc<Shared>, wake: Arc<Notify>, stop: CancellationToken) {
    let mut senders: JoinSet<Ended> = JoinSet::new();
    // The senders of this node, each with its wake-up: a sender that caught up waits a while
    // for more instead of ending, so a steady stream costs no lease or start-up per batch.
    let mut running: HashMap<String, Arc<Notify>> = HashMap::new();
    // Which subscription each sender task serves: a task that panicked says only its id.
    let mut tasks: HashMap<tokio::task::Id, String> = HashMap::new();
    // Subscriptions not to start before an instant: their lease is held elsewhere or their
    // sender failed. Without this a node that cannot send would try again on every pass.
    let mut not_before: HashMap<String, Instant> = HashMap::new();
    while !stop.is_cancelled() {
        let now = Instant::now();
        not_before.retain(|_, at| *at > now);
        match store::due_hooks(&shared.db, now_ms(), DUE_PER_PASS).await {
            Ok(due) => {
                for hook_id in due {
                    if let Some(more) = running.get(&hook_id) {
                        // Only a sender with something due is woken: an idle one must be
                        // able to run out its wait and end.
                        more.notify_one();
                        continue;
                    }
                    if not_before.contains_key(&hook_id) {
                        continue;
                    }
                    let more = Arc::new(Notify::new());
                    running.insert(hook_id.clone(), Arc::clone(&more));
                    let shared = Arc::clone(&shared);
                    let stop = stop.clone();
                    let id = hook_id.clone();
                    let task = senders.spawn(async move {
                        send_hook(&shared, &id, &more, &stop)
                            .await
                            .unwrap_or_else(|error| {
                                tracing::warn!(webhook_id = %id, %error, "webhook sender stopped");
                                Ended::Failed
                            })
                    });
                    tasks.insert(task.id(), hook_id);
                }
            }
            Err(error) => tracing::warn!(%error, "cannot look for due webhook deliveries"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(shared.options.poll_interval) => {}
            Some(finished) = senders.join_next_with_id(), if !senders.is_empty() => {
                let (task, ended) = match finished {
                    Ok((task, ended)) => (task, ended),
                    Err(error) => {
                        tracing::error!(%error, "webhook sender panicked");
                        (error.id(), Ended::Failed)
                    }
                };
                if let Some(hook_id) = tasks.remove(&task) {
                    running.remove(&hook_id);
                    let pause = match ended {
                        Ended::Done => None,
                        // The holder renews it every third of its length while it works.
                        Ended::HeldElsewhere => Some(shared.options.lease / 3),
                        Ended::Failed => Some(ERROR_PAUSE),
                    };
                    if let Some(pause) = pause {
                        not_before.insert(hook_id, Instant::now() + pause);
                    }
                }
                // Its subscription may have more due already: look again at once (only a
                // subscription whose first row in line is due starts again).
            }
        }
    }
    while senders.join_next().await.is_some() {}
}

/// Delivers one subscription's due deliveries while this node holds its lease.
async fn send_hook(
    shared: &Shared,
    hook_id: &str,
    more: &Notify,
    stop: &CancellationToken,
) -> Result<Ended, sqlx::Error> {
    let lease = Lease::new(
        shared.db.clone(),
        hook_lease(hook_id),
        shared.node.clone(),
        shared.options.lease,
    );
    if !lease.hold().await? {
        return Ok(Ended::HeldElsewhere);
    }
    let outcome = send_while_held(shared, hook_id, &lease, more, stop).await;
    lease.release().await?;
    outcome
}

async fn send_while_held(
    shared: &Shared,
    hook_id: &str,
    lease: &Lease,
    more: &Notify,
    stop: &CancellationToken,
) -> Result<Ended, sqlx::Error> {
    let mut renewed = Instant::now();
    let mut cached: Option<(WebhookRow, Instant)> = None;
    loop {
        if stop.is_cancelled() {
            return Ok(Ended::Done);
        }
        if renewed.elapsed() >= shared.options.lease / 3 {
            if !lease.hold().await? {
                return Ok(Ended::HeldElsewhere);
            }
            renewed = Instant::now();
        }
        // Read again every second: the hook may have been edited, deactivated or deleted.
        if cached
            .as_ref()
            .is_none_or(|(_, read)| read.elapsed() >= HOOK_FRESH)
        {
            match store::find(&shared.db, hook_id).await? {
                Some(row) if row.active => cached = Some((row, Instant::now())),
                _ => return Ok(Ended::Done),
            }
        }
        let Some((hook, _)) = &cached else {
            return Ok(Ended::Done);
        };
        let batch = store::pending(&shared.db, hook_id, BATCH).await?;
        let Some(head) = batch.first() else {
            // Caught up: wait a while for more (the dispatcher wakes it), then end.
            tokio::select! {
                () = stop.cancelled() => return Ok(Ended::Done),
                () = more.notified() => {
                    // Edits made while it waited (a rotated secret) apply from the next batch.
                    cached = None;
                    continue;
                }
                () = tokio::time::sleep(IDLE) => return Ok(Ended::Done),
            }
        };
        let wait = head.next_attempt_at - now_ms();
        if wait > 0 {
            let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(u64::MAX));
            if wait > WAIT_HELD {
                // The dispatcher takes it up again when it is due.
                return Ok(Ended::Done);
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(Ended::Done),
                () = tokio::time::sleep(wait) => continue,
            }
        }
        let keys = signing_keys(hook, now_ms());
        let mut delivered: Vec<(String, Attempt)> = Vec::new();
        let mut failed = None;
        let mut lost = false;
        for delivery in &batch {
            if delivery.next_attempt_at > now_ms() || stop.is_cancelled() {
                break;
            }
            // A slow endpoint can make a batch outlast the lease: renew on the way, and stop
            // if another node took it (two senders would break the order).
            if renewed.elapsed() >= shared.options.lease / 3 {
                if !lease.hold().await? {
                    lost = true;
                    break;
                }
                renewed = Instant::now();
            }
            let attempt = send(shared, hook, &keys, delivery).await;
            if attempt.error.is_none() {
                if delivery.attempts == 0 {
                    let lag = (attempt.at + attempt.latency_ms - delivery.created_at).max(0);
                    metrics::histogram!(LAG_SECONDS).record(lag as f64 / 1000.0);
                }
                delivered.push((delivery.id.clone(), attempt));
            } else {
                failed = Some((delivery, attempt));
                break;
            }
        }
        metrics::counter!(DELIVERED_TOTAL).increment(delivered.len() as u64);
        store::record_delivered(&shared.db, &delivered).await?;
        if lost {
            return Ok(Ended::HeldElsewhere);
        }
        if let Some((delivery, attempt)) = failed {
            metrics::counter!(FAILED_TOTAL).increment(1);
            if !record_failure(shared, hook, delivery, &attempt).await? {
                return Ok(Ended::Done);
            }
        }
    }
}

/// Records a failed attempt and schedules the next one; at the end of the retry horizon gives
/// the endpoint up. Whether the sender may go on (false once the hook is disabled).
async fn record_failure(
    shared: &Shared,
    hook: &WebhookRow,
    delivery: &DeliveryRow,
    attempt: &Attempt,
) -> Result<bool, sqlx::Error> {
    let error = attempt.error.clone().unwrap_or_default();
    let horizon = millis(shared.options.retry_horizon);
    let first = delivery.first_attempt_at.unwrap_or(attempt.at);
    let wait = millis(shared.options.backoff.next_delay(delivery.attempts + 1));
    if attempt.at.saturating_sub(first) >= horizon {
        // Due again later should giving up fail (the next attempt gives up again).
        store::record_failed(
            &shared.db,
            &delivery.id,
            attempt,
            attempt.at.saturating_add(wait),
        )
        .await?;
        if let Err(e) = notify::give_up(
            &shared.writes,
            &shared.public_url,
            hook,
            &delivery.id,
            &error,
        )
        .await
        {
            tracing::warn!(webhook_id = %hook.id, error = %e, "cannot disable a failing webhook");
        }
        return Ok(false);
    }
    // The last attempt falls at the end of the horizon, not after it.
    let next_at = attempt
        .at
        .saturating_add(wait)
        .min(first.saturating_add(horizon));
    store::record_failed(&shared.db, &delivery.id, attempt, next_at).await?;
    tracing::debug!(webhook_id = %hook.id, delivery_id = %delivery.id, %error, retry_in_ms = next_at - attempt.at, "webhook delivery failed");
    Ok(true)
}

/// The keys deliveries are signed with now: the current secret's, and the previous one's
/// during a rotation's overlap.
pub fn signing_keys(hook: &WebhookRow, now: i64) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = secret_key(&hook.secret).into_iter().collect();
    if let (Some(previous), Some(until)) = (&hook.previous_secret, hook.previous_secret_until)
        && until > now
        && let Ok(key) = secret_key(previous)
    {
        keys.push(key);
    }
    keys
}

/// One attempt at one delivery.
async fn send(
    shared: &Shared,
    hook: &WebhookRow,
    keys: &[Vec<u8>],
    delivery: &DeliveryRow,
) -> Attempt {
    let at = now_ms();
    let started = Instant::now();
    let finish = |status: Option<i64>, error: Option<String>| Attempt {
        at,
        status,
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        error,
    };
    // An address written in the URL is checked here; names by the resolver, on the way.
    let url = match address::check_literal(&hook.url, shared.options.allow_private) {
        Ok(url) => url,
        Err(error) => return finish(None, Some(error.to_string())),
    };
    let timestamp = at / 1000;
    let body = delivery.body.as_bytes();
    let signature = signature::header(keys, &delivery.id, timestamp, body);
    let request = shared
        .client
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", delivery.id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.body.clone());
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return finish(None, Some(describe(&error))),
    };
    let status = response.status();
    // Read a little of the body so the connection can carry the next delivery.
    let mut read = 0;
    while read < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
    let code = Some(i64::from(status.as_u16()));
    if status.is_success() {
        finish(code, None)
    } else if status.is_redirection() {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or("");
        finish(
            code,
            Some(format!(
                "answered {status}; redirects are not followed (to {location:?})"
            )),
        )
    } else {
        finish(code, Some(format!("answered {status}")))
    }
}

/// An HTTP error with its causes (the resolver's refusal is a cause of the connect error).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(1000).collect()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The back-off of failed deliveries.
pub fn backoff(base: Duration) -> Backoff {
    Backoff {
        base,
        max: Duration::from_secs(3600),
    }
}
