//! Outgoing webhooks: subscriptions of an organisation or a project to the events of the change
//! feed, delivered by the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`; a JSON body `{type, timestamp, data}`), at least once and in order per
//! subscription.
//!
//! # Design
//!
//! The change feed is the source: nothing on a domain's write path knows about webhooks.
//! 1. **Fan-out** ([`fanout`]): one change-feed consumer (`webhooks`, one cursor for the whole
//!    installation) run by one node at a time under the `fanout` lease. Per batch of up to
//!    1,000 changes it reads the active subscriptions of the batch's organisations once, matches
//!    each change (patterns, project, filter, and what the subscription's creator may read now:
//!    [`crate::authz::audience`]), and inserts one outbox row per (subscription,
//!    change) with multi-row statements in one transaction, then acknowledges the batch. The
//!    row is unique per (subscription, change), so a batch fanned out again after a crash
//!    queues nothing twice: every acknowledged change is queued exactly once.
//! 2. **Outbox** (`webhook_deliveries`): each row is a message (its id is the `webhook-id` of
//!    every attempt), its body made once, its state (`pending`, `delivered`, `failed`), attempts,
//!    next attempt, last status, latency and error. It is also the delivery log, and a
//!    redelivery by hand makes a row pending again.
//! 3. **Delivery** ([`delivery`]): each node's dispatcher finds subscriptions with due rows and
//!    runs a sender for each whose `hook:<id>` lease it takes — one sender per subscription
//!    across all nodes, so its events go out in order. A sender streams the rows over one
//!    keep-alive HTTP client (no proxy, no redirects, 5 s per attempt, names resolved through a
//!    resolver that refuses private addresses and hands the connector only what it checked),
//!    recording a batch's successes in one transaction. A failure blocks the subscription's
//!    later rows until it succeeds: retries back off exponentially from the first attempt for
//!    the retry horizon (24 h), after which the subscription is disabled and its managers are
//!    told in the app and by e-mail ([`notify`]). Its events keep being queued for 7 days
//!    after; reactivating it queues the delivery it gave up on again, so everything goes out
//!    in order. A subscription its managers deactivate gets no events while inactive.
//!
//! No job-queue row per delivery: the hot path is one outbox insert per delivery (batched per
//! feed batch) and one update per delivery (batched per send batch); the job queue's claim and
//! lease are replaced by the per-subscription lease, which gives both ordering and the
//! one-node-at-a-time rule. Commits wake the fan-out on their node, which wakes the dispatcher;
//! other nodes poll every 500 ms.
//!
//! # Layout
//! - [`model`] — event patterns, filters, secrets.
//! - [`event`] — a change as an event: its type, project and body.
//! - [`signature`] — Standard Webhooks signatures.
//! - [`address`] — where a webhook may point (SSRF): URL checks and the guarded resolver.
//! - [`store`] — every SQL statement of subscriptions, deliveries and leases.
//! - [`lease`] — named leases: the fan-out's and each subscription's.
//! - [`fanout`] — the change-feed consumer that queues deliveries.
//! - [`delivery`] — the dispatcher and the per-subscription senders.
//! - [`notify`] — disabling an endpoint that failed for the whole horizon, and telling its
//!   managers.
//! - [`retention`] — deleting delivered rows of the log after 30 days (a recurring job).
//! - [`routes`] — `/api/v1/orgs/{org}/webhooks`, `/api/v1/webhooks/{hook}…`.

pub mod address;
pub mod delivery;
pub mod event;
pub mod fanout;
pub mod lease;
pub mod model;
pub mod notify;
pub mod retention;
pub mod routes;
pub mod signature;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::jobs::Backoff;
use crate::write::Writes;

/// How webhooks are delivered; [`WebhookOptions::from_config`] is what the server runs with.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Whether URLs may point at loopback, private and link-local addresses.
    pub allow_private: bool,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// The wait before each retry of a failed delivery.
    pub backoff: Backoff,
    /// How long a delivery is retried from its first attempt before its endpoint is disabled.
    pub retry_horizon: Duration,
    /// How long a lease lasts without renewal (a dead node's work moves on after this).
    pub lease: Duration,
    /// How often nodes look for work nobody woke them for.
    pub poll_interval: Duration,
}

impl WebhookOptions {
    /// The options from the server's configuration.
    pub fn from_config(config: &crate::Config) -> Self {
        Self {
            allow_private: config.webhooks_allow_private,
            timeout: Duration::from_secs(5),
            backoff: delivery::backoff(Duration::from_millis(config.webhooks_retry_base_ms)),
            retry_horizon: Duration::from_secs(config.webhooks_retry_horizon_secs),
            // Short, because a restarted node waits for its previous life's leases to expire
            // (they are held per process); renewed every third, so an attempt (at most the
            // 5 s timeout) between two renewals stays well inside it.
            lease: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// The handle routes keep: wakes this node's dispatcher after queuing a delivery by hand.
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    deliver: Arc<Notify>,
}

impl Webhooks {
    /// Asks the dispatcher to look for due deliveries now.
    pub fn wake(&self) {
        self.deliver.notify_one();
    }

    /// Starts the fan-out and the dispatcher of this node (`node`: its persistent id); both
    /// stop with `stop`.
    pub fn start(
        &self,
        writes: &Writes,
        wakers: &crate::feed::Wakers,
        options: WebhookOptions,
        node: String,
        public_url: String,
        stop: &CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        // Leases are held per process start, not per node: a lease's owner renews it as its
        // own, so a node restarted while its previous process still held a lease (a restart
        // that overlaps, or a lease not yet expired after a crash) would otherwise take over
        // that process's subscription at once and run a second sender beside it, out of order.
        let node = format!("{node}/{}", crate::db::new_id());
        let feed_wake = Arc::new(Notify::new());
        wakers.register(Arc::clone(&feed_wake));
        let fanout = fanout::spawn(
            writes.db().clone(),
            options.clone(),
            node.clone(),
            feed_wake,
            Arc::clone(&self.deliver),
            stop.clone(),
        );
        let dispatcher = delivery::spawn(
            writes.clone(),
            options,
            node,
            public_url,
            Arc::clone(&self.deliver),
            stop.clone(),
        );
        // The retention job's first run; it queues its next itself (one chain across nodes).
        let first_retention = {
            let writes = writes.clone();
            tokio::spawn(async move {
                if let Err(error) =
                    crate::jobs::recurring::ensure_scheduled(&writes, retention::KIND).await
                {
                    tracing::warn!(%error, "cannot queue the webhook log's retention");
                }
            })
        };
        vec![fanout, dispatcher, first_retention]
    }
}
