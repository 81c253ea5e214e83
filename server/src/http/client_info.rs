//! [`ClientInfo`]: who is on the other end of a request (address and user agent), for the audit
//! log and rate limits — and [`client_ip`], the one rule for a request's client address.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};

use crate::state::AppState;

/// Longest user agent kept; the header is client-controlled.
const MAX_USER_AGENT: usize = 256;

/// The client's address and user agent.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Reads the client from request parts: see [`client_ip`].
    pub fn from_parts(parts: &Parts, trust_proxy: bool) -> Self {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        Self {
            ip: client_ip(&parts.headers, &parts.extensions, trust_proxy),
            user_agent,
        }
    }

    /// The address as text, for storage.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// The client's address: the TCP peer, or — when the server is configured to trust its proxy —
/// the right-most `X-Forwarded-For` entry, the one that proxy appended for the peer it saw.
/// Every entry left of it came from the client and can say anything, so it is never used; an
/// entry the proxy wrote that does not parse falls back to the peer (the proxy), not to them.
pub fn client_ip(
    headers: &HeaderMap,
    extensions: &Extensions,
    trust_proxy: bool,
) -> Option<IpAddr> {
    let forwarded = trust_proxy.then(|| proxy_added_entry(headers)).flatten();
    forwarded.or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
    })
}

/// The last entry of the last `X-Forwarded-For` header line (a proxy appends to the list, or
/// adds a line of its own).
fn proxy_added_entry(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = value.to_str().ok()?.rsplit(',').next()?.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The network a client address stands for in rate limits and aggregated audit rows: the
/// address itself for IPv4, its /64 for IPv6 (one subscriber gets a whole /64 and can send from
/// any address in it). IPv4 addresses mapped into IPv6 count as IPv4.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts, state.config.trust_proxy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn peer() -> Extensions {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        extensions
    }

    #[test]
    fn the_proxy_added_entry_is_the_right_most() {
        let ip = |lines: &[&str], trust| client_ip(&headers(lines), &peer(), trust);
        let spoofed = "6.6.6.6, 203.0.113.7";
        assert_eq!(ip(&[spoofed], true), Some([203, 0, 113, 7].into()));
        assert_eq!(
            ip(&[spoofed], false),
            Some([10, 0, 0, 1].into()),
            "untrusted: the peer"
        );
        assert_eq!(
            ip(&["6.6.6.6", "203.0.113.8"], true),
            Some([203, 0, 113, 8].into()),
            "the last header line"
        );
        assert_eq!(
            ip(&["203.0.113.9:5555"], true),
            Some([203, 0, 113, 9].into())
        );
        assert_eq!(
            ip(&["6.6.6.6, garbage"], true),
            Some([10, 0, 0, 1].into()),
            "an unreadable last entry is not replaced by a client-written one"
        );
        assert_eq!(ip(&[], true), Some([10, 0, 0, 1].into()));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(network_of(mapped), IpAddr::from([192, 0, 2, 1]));
        assert_eq!(
            network_of([192, 0, 2, 1].into()),
            IpAddr::from([192, 0, 2, 1])
        );
    }
}
