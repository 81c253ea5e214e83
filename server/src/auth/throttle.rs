//! Log-in throttling: failed log-ins back off per client address and per address + account,
//! with exponentially growing waits, instead of locking an account for everyone.
//!
//! Two counters hold failed log-ins back (both kept in the database, so every node sees
//! them):
//! - per client address, over all accounts: one place cannot guess many accounts;
//! - per client address and typed e-mail address: one place cannot guess one account.
//!
//! Neither reaches the owner somewhere else: a new place starts with clean counters. An owner
//! held back where an attacker is too (the same network) gets an e-mailed unlock link
//! ([`super::unlock`]). The keys are digests of the *typed* e-mail address, not of an
//! account, so unknown and known addresses are throttled identically and the answers reveal
//! nothing; nothing typed is stored in clear. IPv6 clients are counted per /64 network, since
//! one host usually holds a whole /64.

use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use super::store;
use super::tokens::digest;
use crate::config::Config;
use crate::db::{Db, Tx, now_ms};
use crate::error::ApiError;

/// A failure older than this no longer counts: the next one starts from zero.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The first wait once the free failures are used up; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_secs(30);
/// Stale rows are pruned at most this often per process.
const PRUNE_INTERVAL_MS: i64 = 60_000;

/// How one counter backs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures in a row allowed without any wait.
    pub free_failures: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Policy {
    /// The wait imposed after the `failures`-th failure in a row, or `None` while within the
    /// free failures.
    pub fn delay_after(&self, failures: i64) -> Option<Duration> {
        let over = failures - i64::from(self.free_failures);
        if over <= 0 {
            return None;
        }
        let doublings = u32::try_from(over - 1).unwrap_or(u32::MAX).min(20);
        Some(
            self.first_delay
                .saturating_mul(1 << doublings)
                .min(self.max_delay),
        )
    }
}

/// The two policies in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub address: Policy,
    pub account: Policy,
}

impl Throttle {
    /// The policies of the configuration.
    pub fn from_config(config: &Config) -> Self {
        let max_delay = Duration::from_secs(config.login_backoff_max_secs);
        Self {
            address: Policy {
                free_failures: config.login_address_failures,
                first_delay: FIRST_DELAY,
                max_delay,
            },
            account: Policy {
                free_failures: config.login_account_failures,
                first_delay: FIRST_DELAY,
                max_delay,
            },
        }
    }
}

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One client address, all accounts.
    Address,
    /// One client address, one typed e-mail address.
    Account,
}

impl Scope {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Account => "account",
        }
    }
}

/// The throttle keys of one log-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The client address's counter.
    pub address: String,
    /// The counter of this address and this typed e-mail address.
    pub account: String,
    /// A digest of the typed e-mail address: every address's counter of one account.
    pub account_digest: String,
}

impl Keys {
    /// The keys for a client (its address, if known) typing `email` (already normalised).
    pub fn new(ip: Option<IpAddr>, email: &str) -> Self {
        let place = ip.map_or_else(|| "unknown".to_owned(), network);
        Self {
            address: digest(&format!("address\n{place}")),
            account: digest(&format!("account\n{place}\n{email}")),
            account_digest: account_digest(email),
        }
    }
}

/// The digest naming every throttle row of one (normalised) e-mail address.
pub fn account_digest(email: &str) -> String {
    digest(&format!("email\n{email}"))
}

/// The place a client address stands for: IPv4 addresses as they are (IPv4-mapped IPv6 ones
/// too), IPv6 addresses as their /64 network.
pub fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn window_start(now: i64) -> i64 {
    now - i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX)
}

/// How long the attempt must wait, or `None` when neither counter holds it back.
pub async fn blocked(db: &Db, keys: &Keys) -> Result<Option<Duration>, sqlx::Error> {
    let now = now_ms();
    let until = store::throttle_blocked_until(
        db,
        &[keys.address.as_str(), keys.account.as_str()],
        window_start(now),
    )
    .await?;
    Ok(until
        .filter(|until| *until > now)
        .map(|until| Duration::from_millis(u64::try_from(until - now).unwrap_or(0))))
}

/// A back-off that a failure started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub scope: Scope,
    pub failures: i64,
    pub wait: Duration,
}

/// Counts a failed log-in against both counters; returns the back-offs it started (for the
/// audit log).
pub async fn record_failure(
    db: &Db,
    throttle: &Throttle,
    keys: &Keys,
) -> Result<Vec<Block>, sqlx::Error> {
    prune_now_and_then(db).await;
    let now = now_ms();
    let start = window_start(now);
    let mut blocks = Vec::new();
    let mut tx = db.begin().await?;
    for (scope, key, policy, account) in [
        (Scope::Address, &keys.address, &throttle.address, None),
        (
            Scope::Account,
            &keys.account,
            &throttle.account,
            Some(keys.account_digest.as_str()),
        ),
    ] {
        let failures = store::throttle_failure(&mut tx, key, scope.name(), account, start).await?;
        if let Some(wait) = policy.delay_after(failures) {
            let until = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            store::throttle_block(&mut tx, key, until).await?;
            blocks.push(Block {
                scope,
                failures,
                wait,
            });
        }
    }
    tx.commit().await?;
    Ok(blocks)
}

/// A successful log-in: this address's counter for this account starts from zero. The
/// address's own counter stays: logging in to one's own account must not wipe the record of
/// guessing others.
pub async fn succeeded(tx: &mut Tx, keys: &Keys) -> Result<(), sqlx::Error> {
    store::throttle_clear(tx, &keys.account).await
}

/// The owner proved they hold the mailbox or the password: every address's counter for this
/// account starts from zero.
pub async fn lift_account(tx: &mut Tx, email: &str) -> Result<(), sqlx::Error> {
    store::throttle_clear_account(tx, &account_digest(email)).await
}

/// The 429 of a held-back attempt: the same for every e-mail address, known or not.
pub fn refusal(wait: Duration) -> ApiError {
    // Whole seconds, rounded up, so a client that waits exactly Retry-After gets in.
    let secs = wait.as_millis().div_ceil(1000).max(1);
    let retry_after = Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX));
    ApiError::Throttled {
        code: "login_throttled",
        message: format!(
            "Too many failed log-ins: try again in {}. If the account exists, its owner has been \
             e-mailed a link to log in right away.",
            human_wait(retry_after)
        ),
        retry_after,
    }
}

/// "1 second", "45 seconds", "2 minutes" (rounded up).
fn human_wait(wait: Duration) -> String {
    let secs = wait.as_secs().max(1);
    let (n, unit) = if secs < 90 {
        (secs, "second")
    } else {
        (secs.div_ceil(60), "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Deletes rows that no longer count, at most once a minute per process; a failure to prune
/// is only logged (the rows are ignored anyway).
async fn prune_now_and_then(db: &Db) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let last = LAST.load(Ordering::Relaxed);
    if now - last < PRUNE_INTERVAL_MS
        || LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    if let Err(error) = store::prune_throttles(db, window_start(now)).await {
        tracing::warn!(%error, "pruning log-in throttles failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(free: u32) -> Policy {
        Policy {
            free_failures: free,
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(900),
        }
    }

    #[test]
    fn back_off_doubles_after_the_free_failures_up_to_the_cap() {
        let p = policy(5);
        assert_eq!(p.delay_after(0), None);
        assert_eq!(p.delay_after(5), None);
        assert_eq!(p.delay_after(6), Some(Duration::from_secs(30)));
        assert_eq!(p.delay_after(7), Some(Duration::from_secs(60)));
        assert_eq!(p.delay_after(10), Some(Duration::from_secs(480)));
        assert_eq!(p.delay_after(11), Some(Duration::from_secs(900)));
        assert_eq!(p.delay_after(i64::MAX), Some(Duration::from_secs(900)));
    }

    #[test]
    fn ipv6_counts_per_network_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network(mapped), "192.0.2.7");
        assert_eq!(
            Keys::new(Some(mapped), "a@b.c"),
            Keys::new(Some("192.0.2.7".parse().unwrap()), "a@b.c")
        );
    }

    #[test]
    fn keys_separate_places_and_addresses_but_share_the_account() {
        let here = Keys::new(Some("192.0.2.1".parse().unwrap()), "ann@example.com");
        let there = Keys::new(Some("192.0.2.2".parse().unwrap()), "ann@example.com");
        let other = Keys::new(Some("192.0.2.1".parse().unwrap()), "bob@example.com");
        assert_ne!(here.account, there.account);
        assert_eq!(here.account_digest, there.account_digest);
        assert_eq!(here.address, other.address);
        assert_ne!(here.account, other.account);
    }

    #[test]
    fn the_refusal_names_the_wait() {
        let error = refusal(Duration::from_millis(29_001));
        assert_eq!(error.code(), "login_throttled");
        assert!(error.to_string().contains("try again in 30 seconds"));
        assert!(
            refusal(Duration::from_secs(900))
                .to_string()
                .contains("15 minutes")
        );
    }
}
