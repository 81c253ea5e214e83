//! [`RememberedCredentials`]: credentials that authenticated within the last second, answered
//! from memory.
//!
//! Every authenticated request looked its credential up (the token joined with its user)
//! before doing its own work: on PostgreSQL a round trip, on SQLite a hand-off to the
//! database's thread — about a tenth of a board move's time inside the server. Browsers and
//! scripts make their requests in bursts, and within a second the answer almost never changes.
//!
//! What keeps a remembered credential from outliving what it stands for:
//! - On this node, a commit that revokes a user's credentials or changes what a request carries
//!   of the user (name, handle) forgets every remembered credential of that user, right after
//!   the commit ([`crate::write::UnitOfWork::commit`]). A lookup that started before such a
//!   commit is not remembered ([`RememberedCredentials::generation`]), so it cannot bring the
//!   old answer back.
//! - On other nodes, nothing is remembered for longer than [`REMEMBERED_FOR`]: a revocation
//!   holds everywhere within the same second in which every node closes the sockets opened
//!   with the credential. A hit does not extend it.
//! - The expiry is checked at every use, and only credentials that authenticated are kept: an
//!   unknown, revoked or expired one is looked up (and its refusal counted) every time.
//!
//! Keyed by the credential's digest, as stored, never by the secret.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::store::Authenticated;
use super::tokens::digest;
use crate::db::now_ms;

/// How long a credential's lookup is reused.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(1);
/// At most this many credentials are remembered; past it, the stale ones go, and if none is,
/// all of them (a second's worth of lookups is all that is lost).
const MOST_REMEMBERED: usize = 10_000;

/// This node's recently authenticated credentials. Cheap to clone: the clones share them.
#[derive(Debug, Clone, Default)]
pub struct RememberedCredentials {
    inner: std::sync::Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Mutex<HashMap<String, Remembered>>,
    /// Bumped by every forgetting.
    generation: AtomicU64,
}

#[derive(Debug, Clone)]
struct Remembered {
    authenticated: Authenticated,
    at: Instant,
}

impl RememberedCredentials {
    /// The credential `secret` stands for, if it authenticated less than [`REMEMBERED_FOR`]
    /// ago, nothing of its user changed on this node since, and it has not expired.
    pub fn get(&self, secret: &str) -> Option<Authenticated> {
        let key = digest(secret);
        let mut entries = self.entries();
        let fresh = entries.get(&key).filter(|r| {
            r.at.elapsed() < REMEMBERED_FOR
                && r.authenticated.expires_at.is_none_or(|at| at > now_ms())
        });
        match fresh {
            Some(remembered) => Some(remembered.authenticated.clone()),
            None => {
                entries.remove(&key);
                None
            }
        }
    }

    /// Where forgetting stands; take it before looking a credential up, and pass it to
    /// [`RememberedCredentials::remember`].
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Remembers what `secret` authenticated as, unless a user was forgotten since
    /// `generation` was taken (the lookup may predate the change that made them forgotten).
    pub fn remember(&self, secret: &str, authenticated: &Authenticated, generation: u64) {
        let key = digest(secret);
        let mut entries = self.entries();
        if self.generation() != generation {
            return;
        }
        if entries.len() >= MOST_REMEMBERED && !entries.contains_key(&key) {
            entries.retain(|_, r| r.at.elapsed() < REMEMBERED_FOR);
            if entries.len() >= MOST_REMEMBERED {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Remembered {
                authenticated: authenticated.clone(),
                at: Instant::now(),
            },
        );
    }

    /// Notes that a remembered credential was just used and its last use written (its expiry
    /// slides with it), without remembering it any longer than it was.
    pub fn touched(&self, secret: &str, last_seen_at: i64, expires_at: Option<i64>) {
        if let Some(remembered) = self.entries().get_mut(&digest(secret)) {
            remembered.authenticated.last_seen_at = last_seen_at;
            remembered.authenticated.expires_at = expires_at;
        }
    }

    /// Forgets every remembered credential of `user_id` (after a commit that revoked one or
    /// changed the user).
    pub fn forget_user(&self, user_id: &str) {
        self.forget(|a| a.user.id == user_id);
    }

    /// Forgets every remembered token scoped to `org_id` (after a commit that deleted them
    /// with the organisation).
    pub fn forget_org(&self, org_id: &str) {
        self.forget(|a| a.grant.org_id.as_deref() == Some(org_id));
    }

    fn forget(&self, doomed: impl Fn(&Authenticated) -> bool) {
        let mut entries = self.entries();
        // Under the lock, so a `remember` either sees the new generation or is removed here.
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, r| !doomed(&r.authenticated));
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Remembered>> {
        self.inner
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use atrium_client::wire::User;

    use super::*;
    use crate::auth::scopes::TokenGrant;

    fn authenticated(user: &str, expires_at: Option<i64>) -> Authenticated {
        Authenticated {
            user: User {
                id: user.to_owned(),
                email: format!("{user}@example.com"),
                handle: user.to_owned(),
                name: user.to_owned(),
                created_at: 0,
            },
            grant: TokenGrant::default(),
            token_id: format!("tok-{user}"),
            kind: "session".to_owned(),
            last_seen_at: 0,
            expires_at,
        }
    }

    #[test]
    fn remembers_until_forgotten_or_expired() {
        let remembered = RememberedCredentials::default();
        let generation = remembered.generation();
        remembered.remember("secret-a", &authenticated("a", None), generation);
        remembered.remember("secret-b", &authenticated("b", None), generation);
        assert_eq!(remembered.get("secret-a").unwrap().user.id, "a");
        assert!(remembered.get("secret-c").is_none());
        remembered.forget_user("a");
        assert!(
            remembered.get("secret-a").is_none(),
            "forgotten with its user"
        );
        assert_eq!(remembered.get("secret-b").unwrap().user.id, "b");
        remembered.touched("secret-b", 42, Some(i64::MAX));
        remembered.touched("secret-unknown", 42, None);
        let touched = remembered.get("secret-b").unwrap();
        assert_eq!(
            (touched.last_seen_at, touched.expires_at),
            (42, Some(i64::MAX))
        );
        assert!(
            remembered.get("secret-unknown").is_none(),
            "a touch remembers nothing new"
        );

        let generation = remembered.generation();
        remembered.remember(
            "secret-x",
            &authenticated("x", Some(now_ms() - 1)),
            generation,
        );
        assert!(remembered.get("secret-x").is_none(), "expired");
    }

    #[test]
    fn a_lookup_from_before_a_forget_is_not_remembered() {
        let remembered = RememberedCredentials::default();
        let before = remembered.generation();
        // The user changes (a revocation commits) while the lookup is on its way.
        remembered.forget_user("a");
        remembered.remember("secret-a", &authenticated("a", None), before);
        assert!(remembered.get("secret-a").is_none());
    }

    #[test]
    fn stays_bounded() {
        let remembered = RememberedCredentials::default();
        let generation = remembered.generation();
        for i in 0..MOST_REMEMBERED + 10 {
            remembered.remember(&format!("s{i}"), &authenticated("u", None), generation);
        }
        assert!(remembered.entries().len() <= MOST_REMEMBERED);
        assert!(
            remembered
                .get(&format!("s{}", MOST_REMEMBERED + 9))
                .is_some()
        );
    }
}
