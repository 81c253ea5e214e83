//! Which of this node's sockets a delivery goes to.
//!
//! Every event socket has a route: a bounded queue and a copy of the socket's access. The
//! dispatcher (and whoever publishes an ephemeral event) offers each delivery to every route,
//! and only routes whose copy may allow it get it queued — so a post in a channel wakes the
//! sockets that can see the channel, not all of them. The socket still checks each delivery
//! itself ([`ConnectionAccess::allows`]); the copy only spares it the ones it certainly may not
//! see, and so must never be narrower than the socket's own access when the socket reaches a
//! delivery:
//! - a route starts open (everything) until the socket publishes the access it loaded;
//! - a delivery that makes sockets reload (`access.changed`) opens the route again, until the
//!   socket publishes what it reloaded;
//! - a delivery that widens access without a reload ([`ConnectionAccess::observe`]) is applied
//!   to the copy here, in dispatch order, before the next delivery is offered;
//! - a published access is taken only if it reflects every access-affecting delivery queued to
//!   the route so far (its sequence is at least theirs); otherwise the route stays open and the
//!   socket publishes again when it reaches the newer one.
//!
//! A route whose queue is full is removed and marked lagged: its socket closes with 4508 and
//! the client resumes from its last event id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::Delivery;
use super::access::ConnectionAccess;

/// This node's routes.
pub(crate) struct Routes {
    routes: Mutex<HashMap<u64, Route>>,
    next_id: AtomicU64,
    queue: usize,
}

/// The dispatcher's end of a route.
struct Route {
    sender: mpsc::Sender<Arc<Delivery>>,
    shared: Arc<Shared>,
}

/// What a route and its socket share.
struct Shared {
    filter: Mutex<Filter>,
    lagged: AtomicBool,
}

struct Filter {
    /// The socket's access; `None` while the route is open.
    access: Option<ConnectionAccess>,
    /// Sequence of the last access-affecting delivery queued to the route.
    access_seq: i64,
}

/// The socket's end of a route; dropping it removes the route.
pub(crate) struct Subscription {
    id: u64,
    receiver: mpsc::Receiver<Arc<Delivery>>,
    shared: Arc<Shared>,
    routes: Arc<Routes>,
}

/// Why a subscription ended.
pub(crate) enum Ended {
    /// The socket fell a whole queue behind.
    Lagged,
    /// The node's event bus is gone.
    Closed,
}

impl Routes {
    pub(crate) fn new(queue: usize) -> Self {
        Self {
            routes: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue: queue.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Route>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new open route, and the last sequence dispatched before it: every logged delivery
    /// after that one is offered to it (under the same lock as [`Routes::dispatch`]).
    pub(crate) fn subscribe(self: &Arc<Self>, dispatched: &AtomicI64) -> (Subscription, i64) {
        let (sender, receiver) = mpsc::channel(self.queue);
        let shared = Arc::new(Shared {
            filter: Mutex::new(Filter {
                access: None,
                access_seq: 0,
            }),
            lagged: AtomicBool::new(false),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut routes = self.lock();
        routes.insert(
            id,
            Route {
                sender,
                shared: shared.clone(),
            },
        );
        let subscription = Subscription {
            id,
            receiver,
            shared,
            routes: self.clone(),
        };
        (subscription, dispatched.load(Ordering::Acquire))
    }

    /// Offers a logged delivery to every route, recording its sequence as dispatched first.
    pub(crate) fn dispatch(&self, delivery: Delivery, dispatched: &AtomicI64) {
        let mut routes = self.lock();
        if let Some(seq) = delivery.seq {
            dispatched.store(seq, Ordering::Release);
        }
        offer_all(&mut routes, &Arc::new(delivery));
    }

    /// Offers an ephemeral delivery to every route.
    pub(crate) fn publish(&self, delivery: Delivery) {
        offer_all(&mut self.lock(), &Arc::new(delivery));
    }
}

fn offer_all(routes: &mut HashMap<u64, Route>, delivery: &Arc<Delivery>) {
    routes.retain(|_, route| route.offer(delivery));
}

impl Route {
    /// Queues the delivery if the socket may want it; false when the route must go.
    fn offer(&self, delivery: &Arc<Delivery>) -> bool {
        {
            let mut filter = self.shared.filter.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(access) = &mut filter.access {
                if !access.allows(delivery) {
                    return true;
                }
                if ConnectionAccess::must_reload(delivery) {
                    filter.access = None;
                } else {
                    access.observe(delivery);
                }
            }
            if ConnectionAccess::affects(delivery)
                && let Some(seq) = delivery.seq
            {
                filter.access_seq = filter.access_seq.max(seq);
            }
        }
        match self.sender.try_send(delivery.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.lagged.store(true, Ordering::Release);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

impl Subscription {
    /// The next delivery routed to this socket.
    pub(crate) async fn recv(&mut self) -> Result<Arc<Delivery>, Ended> {
        if self.shared.lagged.load(Ordering::Acquire) {
            return Err(Ended::Lagged);
        }
        match self.receiver.recv().await {
            Some(delivery) => Ok(delivery),
            None if self.shared.lagged.load(Ordering::Acquire) => Err(Ended::Lagged),
            None => Err(Ended::Closed),
        }
    }

    /// Narrows the route to `access`, the socket's access as of the logged delivery `seq`
    /// (or as loaded after subscribing, with the sequence [`Routes::subscribe`] returned).
    /// Ignored if a newer access-affecting delivery is already queued: the socket publishes
    /// again when it reaches that one.
    pub(crate) fn publish_access(&self, access: &ConnectionAccess, seq: i64) {
        let mut filter = self.shared.filter.lock().unwrap_or_else(|e| e.into_inner());
        if seq >= filter.access_seq {
            filter.access = Some(access.clone());
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.routes.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::events::{Audience, StoredEvent};

    fn logged(seq: i64, audience: Audience, kind: &str, data: &str) -> Delivery {
        Delivery::from_stored(StoredEvent {
            seq,
            org_id: "o1".into(),
            audience,
            kind: kind.into(),
            data: data.into(),
        })
    }

    fn message(seq: i64, channel: &str) -> Delivery {
        logged(
            seq,
            Audience::Channel(channel.into()),
            "message.created",
            "{}",
        )
    }

    fn channel_created(seq: i64, project: &str, channel: &str) -> Delivery {
        let data = serde_json::json!({ "id": channel }).to_string();
        logged(
            seq,
            Audience::Project(project.into()),
            "channel.created",
            &data,
        )
    }

    fn access(channels: &[&str]) -> ConnectionAccess {
        ConnectionAccess {
            user_id: "u1".into(),
            token_id: "t1".into(),
            orgs: HashSet::from(["o1".to_owned()]),
            projects: HashSet::from(["p1".to_owned()]),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    /// Sequences queued to the subscription so far.
    fn queued(subscription: &mut Subscription) -> Vec<i64> {
        let mut seqs = Vec::new();
        while let Ok(delivery) = subscription.receiver.try_recv() {
            seqs.push(delivery.seq.unwrap_or(-1));
        }
        seqs
    }

    #[test]
    fn an_open_route_gets_everything_and_a_published_one_only_what_it_may_see() {
        let routes = Arc::new(Routes::new(16));
        let dispatched = AtomicI64::new(0);
        let (mut subscription, from) = routes.subscribe(&dispatched);
        routes.dispatch(message(1, "secret"), &dispatched);
        assert_eq!(queued(&mut subscription), [1]);
        subscription.publish_access(&access(&["general"]), from);
        routes.dispatch(message(2, "secret"), &dispatched);
        routes.dispatch(message(3, "general"), &dispatched);
        routes.publish(Delivery::ephemeral(
            "o1",
            Audience::Channel("secret".into()),
            "typing",
            serde_json::Value::Null,
            None,
        ));
        assert_eq!(queued(&mut subscription), [3]);
        assert_eq!(dispatched.load(Ordering::Acquire), 3);
    }

    #[test]
    fn an_access_change_reopens_the_route_until_the_socket_publishes_past_it() {
        let routes = Arc::new(Routes::new(16));
        let dispatched = AtomicI64::new(0);
        let (mut subscription, from) = routes.subscribe(&dispatched);
        subscription.publish_access(&access(&["general"]), from);
        routes.dispatch(
            logged(1, Audience::User("u1".into()), "access.changed", "{}"),
            &dispatched,
        );
        routes.dispatch(message(2, "new"), &dispatched);
        // A second change queued before the socket published what it reloaded after the first.
        routes.dispatch(
            logged(3, Audience::Org("o1".into()), "access.changed", "{}"),
            &dispatched,
        );
        subscription.publish_access(&access(&["general", "new"]), 1);
        routes.dispatch(message(4, "newer"), &dispatched);
        assert_eq!(queued(&mut subscription), [1, 2, 3, 4], "still open");
        subscription.publish_access(&access(&["general", "new", "newer"]), 3);
        routes.dispatch(message(5, "newer"), &dispatched);
        routes.dispatch(message(6, "other"), &dispatched);
        assert_eq!(queued(&mut subscription), [5]);
    }

    #[test]
    fn a_channel_created_in_a_readable_project_widens_the_route_in_order() {
        let routes = Arc::new(Routes::new(16));
        let dispatched = AtomicI64::new(0);
        let (mut subscription, from) = routes.subscribe(&dispatched);
        subscription.publish_access(&access(&[]), from);
        routes.dispatch(channel_created(1, "p1", "c9"), &dispatched);
        routes.dispatch(message(2, "c9"), &dispatched);
        routes.dispatch(channel_created(3, "p2", "c8"), &dispatched);
        routes.dispatch(message(4, "c8"), &dispatched);
        assert_eq!(queued(&mut subscription), [1, 2]);
    }

    #[test]
    fn a_full_queue_removes_the_route_as_lagged() {
        let routes = Arc::new(Routes::new(2));
        let dispatched = AtomicI64::new(0);
        let (mut subscription, _) = routes.subscribe(&dispatched);
        for seq in 1..=3 {
            routes.dispatch(message(seq, "general"), &dispatched);
        }
        assert!(routes.lock().is_empty());
        let ended = futures::executor::block_on(subscription.recv());
        assert!(matches!(ended, Err(Ended::Lagged)));
        drop(subscription);
        let (subscription, _) = routes.subscribe(&dispatched);
        assert_eq!(routes.lock().len(), 1);
        drop(subscription);
        assert!(
            routes.lock().is_empty(),
            "a dropped subscription removes its route"
        );
    }
}
