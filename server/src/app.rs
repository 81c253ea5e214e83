//! The router: every domain's routes, the OpenAPI document, the fallbacks and the middleware.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::routing::{any, get};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::http::{fallback, middleware};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{auth, ops, web};

/// Builds the whole application for `state`.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes::router())
        .merge(auth::routes::router())
        .split_for_parts();
    let doc = Arc::new(
        doc.to_pretty_json()
            .expect("the OpenAPI document serialises"),
    );

    let api = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { ([(header::CONTENT_TYPE, "application/json")], (*doc).clone()) }
            }),
        )
        .route("/api", any(fallback::api_not_found))
        .route("/api/{*rest}", any(fallback::api_not_found))
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .with_state(state.clone());

    let app = api.fallback_service(web::router(&state.config.web_dir));
    middleware::apply(app, state.config.max_body_bytes)
}
