//! Rate limits (`tower_governor`): a strict per-address limit on the routes that take
//! credentials (log-in, sign-up, password reset, TOTP), and a general per-caller API limit.
//! Both answer the contract's 429 with `Retry-After`. Per-account back-off on failed log-ins
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

use axum::body::Body;
use axum::http::Request;
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::auth::extract::presented_credential;
use crate::error::ApiError;
use crate::http::client_info::{client_ip, network_of};

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

/// Keys requests by client network: the peer, or the proxy-added `X-Forwarded-For` entry when
/// the proxy is trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    pub trust_proxy: bool,
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        client_ip(request.headers(), request.extensions(), self.trust_proxy)
            .map(network_of)
            .ok_or(GovernorError::UnableToExtractKey)
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

impl KeyExtractor for Caller {
    type Key = CallerKey;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        let user = presented_credential(request.headers(), request.uri())
            .and_then(|(secret, _)| self.verified.user_of(&secret));
        if let Some(user) = user {
            return Ok(CallerKey::User(user));
        }
        client_ip(request.headers(), request.extensions(), self.trust_proxy)
            .map(|ip| CallerKey::Network(network_of(ip)))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

type Layer<K> = GovernorLayer<K, NoOpMiddleware<governor::clock::QuantaInstant>, Body>;

/// The limit on credential routes: `per_minute` attempts per address, all usable at once.
pub fn credentials(per_minute: u32, trust_proxy: bool) -> Layer<ClientAddress> {
    let per_minute = per_minute.max(1);
    let period = Duration::from_nanos((60_000_000_000 / u64::from(per_minute)).max(1));
    layer(
        GovernorConfigBuilder::default()
            .key_extractor(ClientAddress { trust_proxy })
            .period(period)
            .burst_size(per_minute)
            .finish(),
    )
}

/// The general API limit: `per_second` requests per caller, with bursts of ten times that.
pub fn api(
    per_second: u32,
    trust_proxy: bool,
    verified: Arc<VerifiedCredentials>,
) -> Layer<Caller> {
    let per_second = per_second.max(1);
    let period = Duration::from_nanos((1_000_000_000 / u64::from(per_second)).max(1));
    layer(
        GovernorConfigBuilder::default()
            .key_extractor(Caller {
                trust_proxy,
                verified,
            })
            .period(period)
            .burst_size(per_second.saturating_mul(10))
            .finish(),
    )
}

fn layer<K>(
    config: Option<GovernorConfig<K, NoOpMiddleware<governor::clock::QuantaInstant>>>,
) -> Layer<K>
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    let config = Arc::new(config.expect("rate-limit settings are positive"));
    // Forget callers that have been quiet, so the limiter's memory stays bounded.
    let limiter = Arc::clone(config.limiter());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    GovernorLayer::new(config).error_handler(|error| match error {
        GovernorError::TooManyRequests { wait_time, .. } => ApiError::TooManyRequests {
            retry_after: Duration::from_secs(wait_time),
        }
        .into_response(),
        GovernorError::UnableToExtractKey => {
            ApiError::bad_request("no_client_address", "the client address is unknown")
                .into_response()
        }
        GovernorError::Other { msg, .. } => {
            ApiError::internal(msg.unwrap_or_default()).into_response()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    fn request(authorization: Option<&str>, from: [u8; 4]) -> Request<()> {
        let mut builder = Request::builder().uri("/api/v1/me");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        let mut request = builder.body(()).unwrap();
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
                .extract(&request(Some(bogus), [192, 0, 2, 1]))
                .unwrap();
            assert_eq!(key, home);
        }
        verified.remember("atr_s_good", "user-1");
        let key = caller
            .extract(&request(Some("Bearer atr_s_good"), [192, 0, 2, 1]))
            .unwrap();
        assert_eq!(key, CallerKey::User(Arc::from("user-1")));
        verified.forget("atr_s_good");
        let key = caller
            .extract(&request(Some("Bearer atr_s_good"), [192, 0, 2, 1]))
            .unwrap();
        assert_eq!(key, home, "a refused credential loses its own bucket");
    }
}
