//! The middleware stack every request passes through, outermost first: request id, tracing
//! span, panic guard, unread-body close, metrics, body limit.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;
use crate::http::unread_body;
use crate::telemetry;

/// The header carrying the request id, in and out. A client or proxy may set it; otherwise the
/// server makes one.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the router in the shared middleware.
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    max_body_bytes: usize,
) -> Router<S> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                request_id = %request_id,
                method = %request.method(),
                path = %request.uri().path(),
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    router
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(telemetry::metrics::track_http))
        .layer(axum::middleware::from_fn(unread_body::close_if_unread))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
}

/// A panic in a handler is a bug: log it and answer the contract's 500.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("handler panicked: {what}")).into_response()
}
