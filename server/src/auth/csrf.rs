//! Cross-site protection for cookie-authenticated requests that a page on another site could
//! make the browser send: state-changing requests (CSRF) and WebSocket upgrades (cross-site
//! WebSocket hijacking — browsers apply no CORS to WebSockets). The browser's `Origin` (or,
//! failing that, `Referer`) must be this server's own origin or a configured CORS origin.
//! Browsers always send `Origin` on cross-site `POST`s and on every WebSocket handshake, and
//! cannot forge it; `SameSite=Lax` cookies are the second line.
//!
//! The server's own origin is the public URL when one is configured; without one, the origin
//! of the `Host` the browser addressed (the server may be reached by any name then).

use axum::http::{HeaderMap, header};

use crate::config::Config;
use crate::error::ApiError;

/// Refuses a cookie-authenticated request whose origin is not trusted.
pub fn check(headers: &HeaderMap, config: &Config) -> Result<(), ApiError> {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let Some(claimed) = claimed else {
        return Err(ApiError::Forbidden(
            "cross-site request refused: no Origin header".to_owned(),
        ));
    };
    if is_trusted(&claimed, headers, config) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "cross-site request from {claimed} refused"
        )))
    }
}

fn is_trusted(origin: &str, headers: &HeaderMap, config: &Config) -> bool {
    let origin = origin.trim_end_matches('/');
    let own = match &config.public_url {
        Some(url) => origin_of(url).is_some_and(|own| own.eq_ignore_ascii_case(origin)),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            host.is_some_and(|host| {
                origin.eq_ignore_ascii_case(&format!("http://{host}"))
                    || origin.eq_ignore_ascii_case(&format!("https://{host}"))
            })
        }
    };
    own || config.cors_origins.iter().any(|allowed| {
        allowed
            .trim()
            .trim_end_matches('/')
            .eq_ignore_ascii_case(origin)
    })
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://a.example:8443/x?y#z").as_deref(),
            Some("https://a.example:8443")
        );
        assert_eq!(origin_of("http://h").as_deref(), Some("http://h"));
        assert_eq!(origin_of("nonsense"), None);
    }

    fn config(args: &[&str]) -> Config {
        let cli = crate::config::Cli::try_parse_from(["atrium", "serve"].iter().chain(args))
            .expect("valid arguments");
        match cli.command {
            crate::config::Command::Serve(config) => config,
            _ => unreachable!("serve"),
        }
    }

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        headers.insert(header::HOST, host.parse().unwrap());
        headers
    }

    #[test]
    fn the_host_is_the_own_origin_only_without_a_public_url() {
        let open = config(&[]);
        assert!(check(&headers("http://10.0.0.5:8080", "10.0.0.5:8080"), &open).is_ok());
        assert!(check(&headers("https://evil.example", "10.0.0.5:8080"), &open).is_err());
        let public = config(&["--public-url", "https://atrium.example/"]);
        assert!(check(&headers("https://atrium.example", "evil.example"), &public).is_ok());
        assert!(
            check(&headers("http://evil.example", "evil.example"), &public).is_err(),
            "with a public URL, a Host the client chose proves nothing"
        );
        let cors = config(&["--cors-origins", "https://app.example, https://b.example/"]);
        assert!(check(&headers("https://b.example", "10.0.0.5"), &cors).is_ok());
        assert!(check(&HeaderMap::new(), &cors).is_err(), "no Origin at all");
    }
}
