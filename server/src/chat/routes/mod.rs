//! Chat's HTTP handlers, by resource.

pub mod channels;
pub mod messages;
pub mod reads;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every chat route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(channels::router())
        .merge(messages::router())
        .merge(reads::router())
}
