//! The router: every domain's routes, the OpenAPI document, the fallbacks and the middleware.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::routing::{any, get};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::http::{fallback, middleware, rate_limit, security};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{audit, auth, docs, jobs, ops, orgs, projects, web};

/// Builds the whole application for `state`.
pub fn router(state: AppState) -> Router {
    let config = Arc::clone(&state.config);
    let routes = ApiRoutes::new(
        state.collab.config().max_message_size,
        config.files_max_upload_bytes,
    );
    // Routes that take credentials get a strict per-address limit; all API routes a per-caller
    // one. With Redis (several nodes) the buckets are shared by every node.
    let redis = state.dependencies.redis_client();
    let credential_limit = rate_limit::credentials(
        config.auth_rate_per_minute,
        config.trust_proxy,
        redis.clone(),
    );
    let api_limit = rate_limit::api(
        config.api_rate_per_second,
        config.trust_proxy,
        Arc::clone(&state.verified_credentials),
        redis,
    );
    let credential_routes = routes
        .credentials
        .layer(axum::middleware::from_fn_with_state(
            credential_limit,
            rate_limit::enforce::<rate_limit::ClientAddress>,
        ));
    let api_routes = OpenApiRouter::new()
        .merge(credential_routes)
        .merge(routes.rest.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::scope_guard::enforce,
        )))
        .layer(axum::middleware::from_fn_with_state(
            api_limit,
            rate_limit::enforce::<rate_limit::Caller>,
        ));
    // The same merge as `openapi::document`, which `atrium openapi` prints.
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes::router())
        .merge(api_routes)
        .split_for_parts();
    let doc = Arc::new(
        crate::openapi::finish(doc)
            .to_pretty_json()
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

    let mut app = api
        .fallback_service(web::router(&config.web_dir))
        .layer(axum::middleware::from_fn(security::headers));
    if config.public_url().starts_with("https://") {
        app = app.layer(axum::middleware::from_fn(security::hsts));
    }
    if let Some(cors) = security::cors(&config.cors_origins) {
        app = app.layer(cors);
    }
    middleware::apply(app, config.max_body_bytes)
}

/// Every API route with its description, in the two groups that get rate limits of their own.
pub(crate) struct ApiRoutes {
    /// Routes that take credentials: log-in, password reset, e-mail verification, unlock.
    pub credentials: OpenApiRouter<AppState>,
    /// Every other API route, the socket upgrades included: each takes a credential, and
    /// without a limit a flood of them with bogus tokens would each cost a database lookup and
    /// an audit count.
    pub rest: OpenApiRouter<AppState>,
}

impl ApiRoutes {
    /// `max_update_bytes` bounds a binary document update, `max_upload_bytes` an upload.
    pub fn new(max_update_bytes: usize, max_upload_bytes: u64) -> Self {
        let credentials = auth::routes::credential_router()
            .merge(auth::reset::router())
            .merge(auth::verify::credential_router())
            .merge(auth::unlock::router());
        let rest = OpenApiRouter::new()
            .merge(auth::routes::router())
            .merge(auth::verify::router())
            .merge(auth::org_tokens::router())
            .merge(crate::users::routes::router())
            .merge(orgs::routes::router())
            .merge(projects::routes::router())
            .merge(crate::records::routes::router())
            .merge(crate::crm::routes::router())
            .merge(crate::invoices::routes::router())
            .merge(crate::invoices::billing::router())
            .merge(crate::invoices::from_time::router())
            .merge(crate::timesheets::routes::router())
            .merge(audit::routes::router())
            .merge(jobs::routes::router())
            .merge(crate::authz::routes::router())
            .merge(docs::routes::router(max_update_bytes))
            .merge(crate::files::routes::router(max_upload_bytes))
            .merge(crate::search::routes::router())
            .merge(crate::chat::routes::router())
            .merge(crate::boards::routes::router())
            .merge(crate::notifications::routes::router())
            .merge(crate::timetrack::router())
            .merge(crate::planning::router())
            .merge(crate::webhooks::routes::router())
            .merge(crate::automation::routes::router())
            .merge(crate::automation::templates::router())
            .merge(docs::socket::router())
            .merge(crate::events::socket::router());
        Self { credentials, rest }
    }
}
