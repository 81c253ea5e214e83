//! `/api/v1/records/{record}/discussion`: a record's discussion, opened on first use. Its
//! messages are then read and posted through chat (`/api/v1/channels/{record}/messages`,
//! threads, reactions, edits), which asks the record's permissions
//! ([`crate::records::discussion`]).

use atrium_client::wire::{Channel, ErrorBody};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::records::record_access;
use crate::auth::CurrentUser;
use crate::chat::access::require_channel;
use crate::error::Result;
use crate::http::extract::{Json, Path};
use crate::records::store::companions;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_discussion))
}

/// Open the record's discussion (idempotent): the chat channel whose id is the record's, for
/// whoever may read the record.
#[utoipa::path(post, path = "/api/v1/records/{record}/discussion", tag = "records", params(("record" = String, Path)), responses(
    (status = 200, description = "The discussion's channel (its id is the record's)", body = Channel),
    (status = 404, description = "No such record (or not visible)", body = ErrorBody)))]
async fn open_discussion(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Json<Channel>> {
    let (record, _, _) = record_access(&state, &user, &record_id).await?;
    let mut work = state.writes.begin().await?;
    companions::open_discussion(
        work.tx(),
        &record.org_id,
        &record.id,
        &record.name,
        user.id(),
    )
    .await?;
    work.commit().await?;
    let access = require_channel(&state.db, user.id(), &record.id).await?;
    let mut channel =
        crate::chat::routes::channels::wire(&state, &access.channel, user.id()).await?;
    channel.can = Some(access.can());
    Ok(Json(channel))
}
