//! Prometheus metrics: the recorder, the HTTP middleware that feeds it, and the names.
//!
//! Every label value comes from a closed set, never from what a client sends: routes are the
//! matched route templates (`unmatched` for the rest), methods the standard ones (`other` for
//! the rest), statuses what the server answered, kinds and outcomes fixed words. A client can
//! therefore not grow `/metrics` by making up paths, methods or ids.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests served, by method, route template and status.
pub const HTTP_REQUESTS: &str = "atrium_http_requests_total";
/// Request latency in seconds, by method and route template.
pub const HTTP_DURATION: &str = "atrium_http_request_duration_seconds";
/// Requests being handled now.
pub const HTTP_IN_FLIGHT: &str = "atrium_http_requests_in_flight";
/// WebSocket connections open now, by kind (`collab`, `events`).
pub const WEBSOCKETS_OPEN: &str = "atrium_websockets_open";
/// Database pool connections, by state (`in_use`, `idle`), and the configured maximum.
pub const DB_POOL_CONNECTIONS: &str = "atrium_db_pool_connections";
pub const DB_POOL_MAX: &str = "atrium_db_pool_max_connections";
/// Client connections open now (WebSockets included).
pub const HTTP_CONNECTIONS_OPEN: &str = "atrium_http_connections_open";
/// Connections answered 503 and closed because the connection cap was reached.
pub const HTTP_CONNECTIONS_REFUSED: &str = "atrium_http_connections_refused_total";
/// Connections closed for missing a deadline, by phase (`header`, `idle`, `body`).
pub const HTTP_CONNECTIONS_TIMED_OUT: &str = "atrium_http_connections_timed_out_total";

/// Always 1, labelled with the node's id: which node a scrape came from.
pub const NODE_INFO: &str = "atrium_node_info";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Publishes this node's id as [`NODE_INFO`].
pub fn node_info(node: &str) {
    metrics::describe_gauge!(NODE_INFO, "this node (label `node`), always 1");
    metrics::gauge!(NODE_INFO, "node" => node.to_owned()).set(1.0);
}

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_seconds".to_owned()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ],
            )
            .expect("bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // A second server in the same process (unit tests) shares the first one's recorder.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests served, by method, route and status"
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency"
    );
    metrics::describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being handled");
    metrics::describe_gauge!(WEBSOCKETS_OPEN, "WebSocket connections open, by kind");
    metrics::describe_gauge!(DB_POOL_CONNECTIONS, "database pool connections, by state");
    metrics::describe_gauge!(DB_POOL_MAX, "database pool size limit");
    metrics::describe_gauge!(HTTP_CONNECTIONS_OPEN, "client connections open");
    metrics::describe_counter!(
        HTTP_CONNECTIONS_REFUSED,
        "connections refused at the connection cap"
    );
    metrics::describe_counter!(
        HTTP_CONNECTIONS_TIMED_OUT,
        "connections closed for missing a deadline, by phase"
    );
    for kind in ["collab", "events"] {
        metrics::gauge!(WEBSOCKETS_OPEN, "kind" => kind).set(0.0);
    }
}

/// Middleware: counts and times every request under its route template (never the raw path,
/// which would make one series per document id).
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let in_flight = InFlight::enter();
    let response = next.run(request).await;
    drop(in_flight);
    let status = status_label(response.status());
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard methods by name, any other (HTTP allows any token) as
/// `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The status as a label; only the server sets it, but anything outside the standard range is
/// one `other` all the same.
fn status_label(status: StatusCode) -> String {
    if (100..=599).contains(&status.as_u16()) {
        status.as_u16().to_string()
    } else {
        "other".to_owned()
    }
}

/// Counts a request as in flight until dropped, also when the client goes away mid-request.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!(HTTP_IN_FLIGHT).increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(HTTP_IN_FLIGHT).decrement(1.0);
    }
}

/// Tracks one open WebSocket of a kind for as long as the guard lives.
pub struct OpenSocket(&'static str);

impl OpenSocket {
    /// Counts a socket of `kind` as open.
    pub fn new(kind: &'static str) -> Self {
        metrics::gauge!(WEBSOCKETS_OPEN, "kind" => kind).increment(1.0);
        Self(kind)
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!(WEBSOCKETS_OPEN, "kind" => self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for made_up in ["FOO", "BREW", "get", "PROPFIND"] {
            let method = Method::from_bytes(made_up.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{made_up}");
        }
        assert_eq!(status_label(StatusCode::NOT_FOUND), "404");
        assert_eq!(status_label(StatusCode::from_u16(999).unwrap()), "other");
    }
}
