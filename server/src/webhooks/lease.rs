//! Leases: which node does a piece of webhook work. The fan-out (one feed consumer for every
//! node) and each subscription's deliveries (in order, so one sender at a time) are held under
//! a named lease with an expiry; the holder renews it while working, and a node that dies loses
//! it once it expires, to whichever node asks next.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::store;
use crate::db::{Db, now_ms};

/// The fan-out's lease.
pub const FANOUT: &str = "fanout";

/// The lease of a subscription's deliveries.
pub fn hook_lease(webhook_id: &str) -> String {
    format!("hook:{webhook_id}")
}

/// A lease this node may hold.
#[derive(Debug)]
pub struct Lease {
    db: Db,
    name: String,
    owner: String,
    length: Duration,
    /// When this node last took or renewed the lease, while it holds it.
    taken: Mutex<Option<Instant>>,
}

impl Lease {
    pub fn new(db: Db, name: String, owner: String, length: Duration) -> Self {
        Self {
            db,
            name,
            owner,
            length,
            taken: Mutex::new(None),
        }
    }

    /// Takes or renews the lease; whether this node holds it now. A lease taken less than a
    /// third of its length ago is still this node's (no other node may take it before it
    /// expires) and is not written again: the fan-out asks after every commit, and a renewal
    /// per commit was a write per write.
    pub async fn hold(&self) -> Result<bool, sqlx::Error> {
        let fresh = self
            .taken()
            .is_some_and(|at| at.elapsed() < self.length / 3);
        if fresh {
            return Ok(true);
        }
        let asked = Instant::now();
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(self.length.as_millis()).unwrap_or(i64::MAX));
        let held = store::take_lease(&self.db, &self.name, &self.owner, until, now).await?;
        // Counted from before the write: the lease may have been written a little later.
        self.set_taken(held.then_some(asked));
        Ok(held)
    }

    /// Gives the lease up, so another node need not wait for it to expire.
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        self.set_taken(None);
        store::release_lease(&self.db, &self.name, &self.owner).await
    }

    fn taken(&self) -> Option<Instant> {
        *self
            .taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_taken(&self, at: Option<Instant>) {
        *self
            .taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
}
