//! CSRF protection for cookie-authenticated requests that change state: the browser's
//! `Origin` (or, failing that, `Referer`) must be this server's own origin or an allowed one.
//! Browsers always send `Origin` on cross-site `POST`s and cannot forge it; `SameSite=Lax`
//! cookies are the second line.

use axum::http::{HeaderMap, header};

use crate::config::Config;
use crate::error::ApiError;

/// Refuses a state-changing request whose origin is not trusted.
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
    if origin_of(&config.public_url()).is_some_and(|own| own == origin) {
        return true;
    }
    if config
        .cors_origins
        .iter()
        .any(|allowed| allowed.trim_end_matches('/') == origin)
    {
        return true;
    }
    // The Host the browser addressed: the same origin whatever name the server is reached by.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|host| {
        origin == format!("http://{host}") || origin == format!("https://{host}")
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
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://a.example:8443/x?y#z").as_deref(),
            Some("https://a.example:8443")
        );
        assert_eq!(origin_of("http://h").as_deref(), Some("http://h"));
        assert_eq!(origin_of("nonsense"), None);
    }
}
