//! Where a webhook may point (SSRF): only http(s) URLs whose host is, or resolves to, a public
//! address — never loopback, private, link-local, shared (CGNAT), multicast, broadcast or
//! unspecified addresses — unless the operator allows them (`ATRIUM_WEBHOOKS_ALLOW_PRIVATE`).
//!
//! The check runs when a hook is saved and again on every delivery. At delivery the HTTP client
//! resolves names through [`GuardedResolver`], which hands the connector only the addresses it
//! checked, so a name that resolves to a public address when checked and to a private one a
//! moment later (DNS rebinding) cannot reach the private one: what was checked is what is
//! connected to. Addresses written in the URL are checked by [`check_url`] before each send.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Longest URL a hook may have.
pub const MAX_URL_BYTES: usize = 2000;
/// How long a name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0} is not a public address")]
    NotPublic(IpAddr),
    #[error("{0} resolves to {1}, which is not a public address")]
    ResolvesPrivate(String, IpAddr),
    #[error("{0} does not resolve: {1}")]
    Unresolved(String, String),
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 0.0.0.0/8 ("this network"), 100.64.0.0/10 (shared, CGNAT), 192.0.0.0/24 (protocol
        // assignments), 198.18.0.0/15 (benchmarking), 240.0.0.0/4 (reserved).
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation,
        // 64:ff9b:1::/48 local NAT64.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1))
}

/// Parses a hook's URL and checks its form: http or https, a host, no credentials, no fragment.
pub fn parse(url: &str) -> Result<Url, AddressError> {
    let invalid = |why: &str| AddressError::Invalid(why.to_owned());
    if url.len() > MAX_URL_BYTES {
        return Err(invalid("the URL is longer than 2000 bytes"));
    }
    let parsed = Url::parse(url).map_err(|e| AddressError::Invalid(format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs are allowed"));
    }
    if parsed.host().is_none() {
        return Err(invalid("the URL needs a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("the URL must not hold credentials"));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("the URL must not have a fragment"));
    }
    Ok(parsed)
}

/// The address written in the URL, if its host is one.
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Checks a URL's form and, unless private addresses are allowed, that an address written as
/// its host is public. Names are left to [`GuardedResolver`], which checks what it resolves on
/// the way to the connection (the check before each delivery).
pub fn check_literal(url: &str, allow_private: bool) -> Result<Url, AddressError> {
    let parsed = parse(url)?;
    match literal(&parsed) {
        Some(ip) if !allow_private && !is_public(ip) => Err(AddressError::NotPublic(ip)),
        _ => Ok(parsed),
    }
}

/// Checks a URL's form and, unless private addresses are allowed, that its host is a public
/// address or a name that resolves to public addresses only.
pub async fn check_url(url: &str, allow_private: bool) -> Result<Url, AddressError> {
    let parsed = parse(url)?;
    if allow_private {
        return Ok(parsed);
    }
    if let Some(ip) = literal(&parsed) {
        return if is_public(ip) {
            Ok(parsed)
        } else {
            Err(AddressError::NotPublic(ip))
        };
    }
    let host = parsed.host_str().unwrap_or_default().to_owned();
    resolve_public(&host).await?;
    Ok(parsed)
}

/// The addresses `host` resolves to, every one of them public.
async fn resolve_public(host: &str) -> Result<Vec<SocketAddr>, AddressError> {
    let lookup = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, 0))).await;
    let addrs: Vec<SocketAddr> = match lookup {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(error)) => {
            return Err(AddressError::Unresolved(host.to_owned(), error.to_string()));
        }
        Err(_) => {
            return Err(AddressError::Unresolved(
                host.to_owned(),
                "timed out".into(),
            ));
        }
    };
    if addrs.is_empty() {
        return Err(AddressError::Unresolved(
            host.to_owned(),
            "no addresses".into(),
        ));
    }
    // One private address among public ones refuses the name: a rebinding name would
    // otherwise be tried on each in turn.
    if let Some(private) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(AddressError::ResolvesPrivate(host.to_owned(), private.ip()));
    }
    Ok(addrs)
}

/// The HTTP client's resolver: resolves names and refuses those with a non-public address,
/// so the connector only ever gets addresses that passed the check.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = if allow_private {
                tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host.as_str(), 0)))
                    .await
                    .map_err(|_| AddressError::Unresolved(host.clone(), "timed out".into()))??
                    .collect::<Vec<_>>()
            } else {
                resolve_public(&host).await?
            };
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl GuardedResolver {
    /// The resolver as the HTTP client takes it.
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "http://user:pw@example.com/",
            "not a url",
            "http://example.com/#frag",
        ] {
            assert!(matches!(parse(bad), Err(AddressError::Invalid(_))), "{bad}");
        }
        for private in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://localhost/",
        ] {
            assert!(check_url(private, false).await.is_err(), "{private}");
            assert!(check_url(private, true).await.is_ok(), "{private}");
        }
        assert!(check_url("https://93.184.216.34/hook", false).await.is_ok());
    }
}
