//! Rate limits: a strict per-address limit on the routes that take credentials (log-in,
//! sign-up, password reset, TOTP), and a general per-caller API limit. Both answer the
//! contract's 429 with `Retry-After`. On one node the buckets live in memory (`governor`);
//! with Redis configured (several nodes) they live in Redis ([`SharedBuckets`]), so the limit
//! holds across nodes. Per-account back-off on failed log-ins
//! lives with log-in itself (`auth::routes`), since it must hold across addresses.
//!
//! The limit runs before the credential is checked, so it must not trust what a request merely
//! presents: a caller minting a fresh bogus token per request would otherwise get a fresh
//! bucket each time. A request is keyed on its client's network ([`network_of`]) unless its
//! credential was already seen to be valid ([`VerifiedCredentials`], filled by `CurrentUser`
//! after verification) — then on the user, so people behind one address (an office, a proxy
//! without `--trust-proxy`) do not share one bucket.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::num::NonZeroU32;

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::extract::presented_credential;
use crate::error::ApiError;
use crate::http::client_info::{client_ip, network_of};
use crate::http::shared_buckets::{SharedBuckets, Verdict};

/// Credentials remembered as verified; past this many the memory starts over (each then costs
/// its user one request from the address bucket before it is known again).
const MAX_VERIFIED: usize = 100_000;

/// Credentials seen to be valid, by a keyed digest, with the user each belongs to. Only a
/// verified credential gets its own bucket: an unknown one is limited with its address.
#[derive(Debug, Default)]
pub struct VerifiedCredentials {
    /// Random per process, so nobody can compute a digest that collides with someone else's.
    keys: std::hash::RandomState,
    users: Mutex<HashMap<u64, Arc<str>>>,
}

impl VerifiedCredentials {
    fn digest(&self, secret: &str) -> u64 {
        self.keys.hash_one(secret)
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<str>>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `secret` authenticated `user_id`.
    pub fn remember(&self, secret: &str, user_id: &str) {
        let digest = self.digest(secret);
        let mut users = self.users();
        if users.get(&digest).is_some_and(|known| &**known == user_id) {
            return;
        }
        if users.len() >= MAX_VERIFIED {
            users.clear();
        }
        users.insert(digest, Arc::from(user_id));
    }

    /// Forgets `secret` (it was refused: revoked, expired).
    pub fn forget(&self, secret: &str) {
        let digest = self.digest(secret);
        self.users().remove(&digest);
    }

    /// The user a verified `secret` belongs to.
    fn user_of(&self, secret: &str) -> Option<Arc<str>> {
        let digest = self.digest(secret);
        self.users().get(&digest).cloned()
    }
}

/// How a limit names the bucket of a request.
pub trait BucketKey: Send + Sync + 'static {
    type Key: Clone + Eq + std::hash::Hash + Send + Sync + 'static;

    /// The request's bucket; `None` when the client address is unknown.
    fn key_of(&self, request: &Request<Body>) -> Option<Self::Key>;

    /// The bucket's name in Redis.
    fn shared_name(key: &Self::Key) -> String;
}

/// Keys requests by client network: the peer, or the proxy-added `X-Forwarded-For` entry when
/// the proxy is trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    pub trust_proxy: bool,
}

impl BucketKey for ClientAddress {
    type Key = IpAddr;

    fn key_of(&self, request: &Request<Body>) -> Option<IpAddr> {
        client_ip(request.headers(), request.extensions(), self.trust_proxy).map(network_of)
    }

    fn shared_name(key: &IpAddr) -> String {
        format!("n:{key}")
    }
}

/// Keys requests by caller: the user of an already verified credential, or else the client
/// network — whatever credential the request presents.
#[derive(Debug, Clone)]
pub struct Caller {
    pub trust_proxy: bool,
    pub verified: Arc<VerifiedCredentials>,
}

/// The rate-limit key of a caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallerKey {
    User(Arc<str>),
    Network(IpAddr),
}

impl BucketKey for Caller {
    type Key = CallerKey;

    fn key_of(&self, request: &Request<Body>) -> Option<CallerKey> {
        let user = presented_credential(request.headers(), request.uri())
            .and_then(|(secret, _)| self.verified.user_of(&secret));
        if let Some(user) = user {
            return Some(CallerKey::User(user));
        }
        client_ip(request.headers(), request.extensions(), self.trust_proxy)
            .map(|ip| CallerKey::Network(network_of(ip)))
    }

    fn shared_name(key: &CallerKey) -> String {
        match key {
            CallerKey::User(user) => format!("u:{user}"),
            CallerKey::Network(ip) => format!("n:{ip}"),
        }
    }
}

/// One limit: its buckets in this process, and in Redis when nodes share one.
pub struct Limit<K: BucketKey> {
    keys: K,
    local: DefaultKeyedRateLimiter<K::Key>,
    shared: Option<SharedBuckets>,
}

impl<K: BucketKey> Limit<K> {
    /// One request per `period` per bucket, `burst` at once; in Redis when `redis` is given.
    fn new(
        name: &'static str,
        keys: K,
        period: Duration,
        burst: u32,
        redis: Option<redis::Client>,
    ) -> Arc<Self> {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .expect("rate-limit periods are positive")
            .allow_burst(burst);
        let limit = Arc::new(Self {
            keys,
            local: RateLimiter::keyed(quota),
            shared: redis.map(|client| SharedBuckets::new(name, client, period, burst.get())),
        });
        // Forget callers that have been quiet, so the limiter's memory stays bounded.
        let weak = Arc::downgrade(&limit);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(limit) = weak.upgrade() else { return };
                limit.local.retain_recent();
            }
        });
        limit
    }

    /// Whether `key` may make a request now; else how long until it may.
    async fn check(&self, key: &K::Key) -> Result<(), Duration> {
        if let Some(shared) = &self.shared {
            match shared.check(&K::shared_name(key)).await {
                Verdict::Allowed => return Ok(()),
                Verdict::Wait(wait) => return Err(wait),
                Verdict::Unknown => {}
            }
        }
        self.local
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The middleware of a limit: the contract's 429 with `Retry-After` over it.
pub async fn enforce<K: BucketKey>(
    State(limit): State<Arc<Limit<K>>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let Some(key) = limit.keys.key_of(&request) else {
        return ApiError::bad_request("no_client_address", "the client address is unknown")
            .into_response();
    };
    match limit.check(&key).await {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::TooManyRequests {
            // Whole seconds, rounded up: a client that waits what it is told gets through.
            retry_after: Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
        }
        .into_response(),
    }
}

/// The limit on credential routes: `per_minute` attempts per address, all usable at once.
pub fn credentials(
    per_minute: u32,
    trust_proxy: bool,
    redis: Option<redis::Client>,
) -> Arc<Limit<ClientAddress>> {
    let per_minute = per_minute.max(1);
    let period = Duration::from_nanos((60_000_000_000 / u64::from(per_minute)).max(1));
    Limit::new(
        "credentials",
        ClientAddress { trust_proxy },
        period,
        per_minute,
        redis,
    )
}

/// The general API limit: `per_second` requests per caller, with bursts of ten times that.
pub fn api(
    per_second: u32,
    trust_proxy: bool,
    verified: Arc<VerifiedCredentials>,
    redis: Option<redis::Client>,
) -> Arc<Limit<Caller>> {
    let per_second = per_second.max(1);
    let period = Duration::from_nanos((1_000_000_000 / u64::from(per_second)).max(1));
    Limit::new(
        "api",
        Caller {
            trust_proxy,
            verified,
        },
        period,
        per_second.saturating_mul(10),
        redis,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    fn request(authorization: Option<&str>, from: [u8; 4]) -> Request<Body> {
        let mut builder = Request::builder().uri("/api/v1/me");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((from, 1234))));
        request
    }

    #[test]
    fn unverified_credentials_share_their_address_bucket() {
        let verified = Arc::new(VerifiedCredentials::default());
        let caller = Caller {
            trust_proxy: false,
            verified: verified.clone(),
        };
        let home = CallerKey::Network([192, 0, 2, 1].into());
        for bogus in ["Bearer atr_s_one", "Bearer atr_s_two", "Bearer atr_s_three"] {
            let key = caller
                .key_of(&request(Some(bogus), [192, 0, 2, 1]))
                .unwrap();
            assert_eq!(key, home);
        }
        verified.remember("atr_s_good", "user-1");
        let key = caller
            .key_of(&request(Some("Bearer atr_s_good"), [192, 0, 2, 1]))
            .unwrap();
        assert_eq!(key, CallerKey::User(Arc::from("user-1")));
        verified.forget("atr_s_good");
        let key = caller
            .key_of(&request(Some("Bearer atr_s_good"), [192, 0, 2, 1]))
            .unwrap();
        assert_eq!(key, home, "a refused credential loses its own bucket");
    }
}
