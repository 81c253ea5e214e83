//! Leases: which node does a piece of webhook work. The fan-out (one feed consumer for every
//! node) and each subscription's deliveries (in order, so one sender at a time) are held under
//! a named lease with an expiry; the holder renews it while working, and a node that dies loses
//! it once it expires, to whichever node asks next.

use std::time::Duration;

use super::store;
use crate::db::{Db, now_ms};

/// The fan-out's lease.
pub const FANOUT: &str = "fanout";

/// The lease of a subscription's deliveries.
pub fn hook_lease(webhook_id: &str) -> String {
    format!("hook:{webhook_id}")
}

/// A lease this node may hold.
#[derive(Debug, Clone)]
pub struct Lease {
    db: Db,
    name: String,
    owner: String,
    length: Duration,
}

impl Lease {
    pub fn new(db: Db, name: String, owner: String, length: Duration) -> Self {
        Self {
            db,
            name,
            owner,
            length,
        }
    }

    /// Takes or renews the lease; whether this node holds it now.
    pub async fn hold(&self) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(self.length.as_millis()).unwrap_or(i64::MAX));
        store::take_lease(&self.db, &self.name, &self.owner, until, now).await
    }

    /// Gives the lease up, so another node need not wait for it to expire.
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        store::release_lease(&self.db, &self.name, &self.owner).await
    }
}
