//! `/healthz`, `/readyz`, `/metrics`.
//!
//! `/metrics` can be protected two ways: `--metrics-token` makes it require that bearer token
//! (401 otherwise), and `--metrics-listen` moves it to its own address (the main one then
//! answers 404 for it), e.g. one only the monitoring network reaches.

use atrium_client::wire::{Health, Readiness};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest as _, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;
use crate::telemetry::metrics::{DB_POOL_CONNECTIONS, DB_POOL_MAX, handle};

/// The operations routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// Liveness: the process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: the database (and Redis and S3 where configured) answer.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve", body = Readiness),
    (status = 503, description = "A dependency is down; `error.message` says which and why", body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let readiness = state.dependencies.check().await;
    let status = if readiness.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text", content_type = "text/plain"),
    (status = 401, description = "A metrics token is configured and the request does not carry it"),
    (status = 404, description = "Metrics are served on the separate metrics address")))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.config.metrics_listen.is_some() {
        return ApiError::NotFound("route").into_response();
    }
    render(&state, &headers)
}

/// The router of the separate metrics address: `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(
                |State(state): State<AppState>, headers: HeaderMap| async move {
                    render(&state, &headers)
                },
            ),
        )
        .fallback(|| async { ApiError::NotFound("route") })
        .with_state(state)
}

/// The metrics, if the request may read them.
fn render(state: &AppState, headers: &HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token
        && !presents_token(headers, token)
    {
        return ApiError::Unauthorized.into_response();
    }
    // Pool figures are sampled at scrape time rather than on every acquire.
    let (open, idle) = state.db.pool_usage();
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use")
        .set(f64::from(open.saturating_sub(idle)));
    metrics::gauge!(DB_POOL_MAX).set(f64::from(state.config.db_max_connections));
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// Whether the request carries `Authorization: Bearer <token>`. Compared as digests, so the
/// time taken says nothing about how much of a guess was right.
fn presents_token(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    presented.is_some_and(|presented| {
        Sha256::digest(presented.as_bytes()) == Sha256::digest(token.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_token_is_a_bearer_token() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert!(presents_token(&with("Bearer s3cret"), "s3cret"));
        assert!(!presents_token(&with("Bearer s3cre"), "s3cret"));
        assert!(!presents_token(&with("s3cret"), "s3cret"));
        assert!(!presents_token(&HeaderMap::new(), "s3cret"));
    }
}
