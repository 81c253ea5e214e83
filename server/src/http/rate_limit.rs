//! Rate limits (`tower_governor`): a strict per-address limit on the routes that take
//! credentials (log-in, sign-up, password reset, TOTP), and a general per-caller API limit.
//! Both answer the contract's 429 with `Retry-After`. Per-account back-off on failed log-ins
//! lives with log-in itself (`auth::routes`), since it must hold across addresses.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::auth::extract::session_cookie;
use crate::error::ApiError;

/// Keys requests by client address: the peer, or the first `X-Forwarded-For` hop when the
/// proxy is trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    pub trust_proxy: bool,
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        client_ip(request, self.trust_proxy).ok_or(GovernorError::UnableToExtractKey)
    }
}

fn client_ip<T>(request: &Request<T>, trust_proxy: bool) -> Option<IpAddr> {
    let forwarded = trust_proxy
        .then(|| {
            let value = request.headers().get("x-forwarded-for")?.to_str().ok()?;
            value.split(',').next()?.trim().parse().ok()
        })
        .flatten();
    forwarded.or_else(|| {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
    })
}

/// Keys requests by caller: a digest of the presented credential (bearer token or session
/// cookie), or the client address for anonymous requests.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub trust_proxy: bool,
}

/// The rate-limit key of a caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallerKey {
    Credential(u64),
    Address(IpAddr),
}

impl KeyExtractor for Caller {
    type Key = CallerKey;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        let credential = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| session_cookie(request.headers()));
        if let Some(credential) = credential {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            credential.hash(&mut hasher);
            return Ok(CallerKey::Credential(hasher.finish()));
        }
        client_ip(request, self.trust_proxy)
            .map(CallerKey::Address)
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
pub fn api(per_second: u32, trust_proxy: bool) -> Layer<Caller> {
    let per_second = per_second.max(1);
    let period = Duration::from_nanos((1_000_000_000 / u64::from(per_second)).max(1));
    layer(
        GovernorConfigBuilder::default()
            .key_extractor(Caller { trust_proxy })
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
