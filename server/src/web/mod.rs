//! Serving the browser app from its build directory (`client/web/dist` by default).
//!
//! Every path that is not an API, WebSocket or operations route belongs to the app: real files
//! are served as they are, anything else gets `index.html` so client-side routes survive a
//! reload. Until the app has been built, a short page says how to build it.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, Response};
use tower_http::services::{ServeDir, ServeFile};

/// The router serving the app found in `dir`, or the "not built" page.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    if index.is_file() {
        let files = ServeDir::new(dir).fallback(ServeFile::new(index));
        Router::new()
            .fallback_service(files)
            .layer(axum::middleware::from_fn(cache_headers))
    } else {
        tracing::warn!(dir = %dir.display(), "the browser app is not built; serving instructions instead");
        let page = not_built_page(dir);
        Router::new().fallback(move || {
            let page = page.clone();
            async move { ([(header::CACHE_CONTROL, "no-cache")], Html(page)) }
        })
    }
}

/// Vite names assets by content hash, so they can be cached forever; `index.html` must be
/// revalidated so a new release is picked up.
async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

fn not_built_page(dir: &Path) -> String {
    let dir = html_escape(&dir.display().to_string());
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Atrium</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem\">\
         <h1>Atrium is running</h1>\
         <p>The browser app has not been built, so there is nothing to show here yet. \
         The API is up: see <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>\
         <p>To build the app, run <code>scripts/run</code> from the repository (it builds \
         <code>client/web</code> and starts the server), or <code>npm ci &amp;&amp; npm run build</code> \
         in <code>client/web</code>, then restart Atrium. It looks for the app in <code>{dir}</code> \
         (<code>--web-dir</code> / <code>ATRIUM_WEB_DIR</code>).</p></body></html>"
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
