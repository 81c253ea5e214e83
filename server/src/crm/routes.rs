//! `GET /api/v1/orgs/{org}/deals/forecast`.

use atrium_client::wire::{DealForecast, ErrorBody};
use axum::extract::State;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::forecast::{DealFigures, forecast};
use super::store;
use crate::auth::CurrentUser;
use crate::authz::{self, Action, ResourceKind, forbidden};
use crate::error::Result;
use crate::http::extract::{Json, Path};
use crate::records::routes::{access_to, resolve};
use crate::records::store::records::RecordRow;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(deal_forecast))
}

/// What the forecast reads of a deal; `None` for one without an amount (cannot be saved so,
/// but a schema may change).
fn figures(deal: &RecordRow) -> Option<DealFigures> {
    let text = |key: &str| deal.data.get(key).and_then(Value::as_str);
    Some(DealFigures {
        stage: deal.state.clone().unwrap_or_default(),
        owner: text("assignee").unwrap_or(&deal.created_by).to_owned(),
        currency: text("currency")?.to_owned(),
        amount: deal.data.get("amount").and_then(Value::as_i64)?,
        probability: text("probability")
            .and_then(|p| p.parse().ok())
            .unwrap_or_default(),
        expected_close: text("expected_close").map(str::to_owned),
    })
}

/// The deal forecast: open and won deals' amount × probability by month of expected close,
/// per owner and in all, per currency. "Only own" readers see the forecast of their own deals.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/deals/forecast", tag = "records", params(("org" = String, Path)), responses(
    (status = 200, description = "The forecast", body = DealForecast),
    (status = 403, description = "The caller's roles cannot read deals", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn deal_forecast(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<DealForecast>> {
    let org = authz::org_access(&state.db, user.id(), &org_id).await?;
    let resolved = resolve(&state.db, &org_id, "deal").await?;
    let access = access_to(org, &resolved);
    if access.scope(Action::Read) == authz::Scope::None {
        return Err(forbidden(Action::Read, ResourceKind::Record));
    }
    let deals: Vec<DealFigures> = store::deals(&state.db, &org_id)
        .await?
        .iter()
        .filter(|d| access.may(Action::Read, d.owner()))
        .filter_map(figures)
        .collect();
    Ok(Json(forecast(&deals)))
}
