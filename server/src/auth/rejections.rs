//! Audit entries for refused credentials (unknown, revoked or expired tokens and cookies),
//! aggregated so that a flood of them cannot grow the audit log a row per request.
//!
//! The first refusal of a kind — client network, reason, source and (for a known token) user —
//! is recorded at once, as before, with `count: 1`. Further ones of the same kind within the
//! window are only counted; when the window closes, one more entry records how many there were
//! (`count`, `first_at`, `last_at`, `repeated: true`). So each kind costs at most two rows per
//! window, and the counts add up to every refusal. The log stays append-only. Open windows
//! are written on shutdown too.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::audit::{self, Event};
use crate::db::now_ms;
use crate::http::client_info::{ClientInfo, network_of};
use crate::write::Writes;

/// Open windows kept at most; past this, refusals of new kinds are counted together under an
/// entry without an address, so memory stays bounded under a spread-out flood.
const MAX_OPEN: usize = 10_000;

/// Counts refused credentials and writes their audit entries. Cheap to clone.
#[derive(Clone)]
pub struct CredentialRejections {
    inner: Arc<Inner>,
}

struct Inner {
    writes: Writes,
    window: Duration,
    open: Mutex<HashMap<Kind, Window>>,
}

/// What refusals are aggregated by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Kind {
    network: Option<IpAddr>,
    reason: &'static str,
    source: &'static str,
    user_id: Option<String>,
}

/// Refusals of one kind since the first one was recorded.
struct Window {
    opened: Instant,
    /// Refusals after the first (the first has its own entry).
    repeats: u64,
    first_repeat_at: i64,
    last_repeat_at: i64,
    /// The client of the first repeat, for the summary entry.
    client: ClientInfo,
}

impl CredentialRejections {
    /// Starts the task that writes closed windows every fraction of `window`; it writes the
    /// open ones and stops with `stop`.
    pub fn start(
        writes: Writes,
        window: Duration,
        stop: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let rejections = Self {
            inner: Arc::new(Inner {
                writes,
                window,
                open: Mutex::new(HashMap::new()),
            }),
        };
        let task = tokio::spawn(rejections.clone().run(stop));
        (rejections, task)
    }

    /// Records one refusal: writes the entry of a new kind now, counts a repeated one.
    pub async fn record(
        &self,
        reason: &'static str,
        source: &'static str,
        user_id: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), sqlx::Error> {
        let mut kind = Kind {
            network: client.ip.map(network_of),
            reason,
            source,
            user_id: user_id.map(str::to_owned),
        };
        let first = {
            let mut open = self.lock();
            if open.len() >= MAX_OPEN && !open.contains_key(&kind) {
                kind.network = None;
                kind.user_id = None;
            }
            match open.entry(kind) {
                Entry::Occupied(mut window) => {
                    let window = window.get_mut();
                    let now = now_ms();
                    if window.repeats == 0 {
                        window.first_repeat_at = now;
                        window.client = client.clone();
                    }
                    window.repeats += 1;
                    window.last_repeat_at = now;
                    false
                }
                Entry::Vacant(vacant) => {
                    vacant.insert(Window {
                        opened: Instant::now(),
                        repeats: 0,
                        first_repeat_at: 0,
                        last_repeat_at: 0,
                        client: ClientInfo::default(),
                    });
                    true
                }
            }
        };
        if !first {
            return Ok(());
        }
        let after = serde_json::json!({ "reason": reason, "source": source, "count": 1 });
        let event =
            Event::new(audit::action::CREDENTIAL_REJECTED, user_id).change(None::<()>, Some(after));
        self.inner.writes.audit(&event, client).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Kind, Window>> {
        self.inner.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(self, stop: CancellationToken) {
        let tick =
            (self.inner.window / 4).clamp(Duration::from_millis(250), Duration::from_secs(15));
        loop {
            tokio::select! {
                () = tokio::time::sleep(tick) => self.write_closed(false).await,
                () = stop.cancelled() => {
                    self.write_closed(true).await;
                    return;
                }
            }
        }
    }

    /// Writes the summary of every window that has closed (or of all, on shutdown).
    async fn write_closed(&self, all: bool) {
        let closed: Vec<(Kind, Window)> = {
            let mut open = self.lock();
            let window = self.inner.window;
            let keys: Vec<Kind> = open
                .iter()
                .filter(|(_, w)| all || w.opened.elapsed() >= window)
                .map(|(kind, _)| kind.clone())
                .collect();
            keys.into_iter()
                .filter_map(|kind| open.remove_entry(&kind))
                .collect()
        };
        for (kind, window) in closed.into_iter().filter(|(_, w)| w.repeats > 0) {
            let after = serde_json::json!({
                "reason": kind.reason,
                "source": kind.source,
                "count": window.repeats,
                "first_at": window.first_repeat_at,
                "last_at": window.last_repeat_at,
                "repeated": true,
            });
            let event = Event::new(audit::action::CREDENTIAL_REJECTED, kind.user_id.as_deref())
                .change(None::<()>, Some(after));
            if let Err(error) = self.inner.writes.audit(&event, &window.client).await {
                tracing::warn!(%error, "cannot record refused credentials");
            }
        }
    }
}
