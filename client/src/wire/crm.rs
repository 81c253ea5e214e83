//! The sales side: the deal forecast.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /orgs/{org}/deals/forecast`: open and won deals weighted by their probability, by
/// month of expected close, per currency (amounts in minor units of that currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DealForecast {
    pub currencies: Vec<CurrencyForecast>,
}

/// The forecast in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CurrencyForecast {
    pub currency: String,
    /// By month of expected close (`YYYY-MM`), in order; deals without a date last, with
    /// `month: null`.
    pub months: Vec<ForecastBucket>,
    /// Every month together.
    pub total: ForecastBucket,
}

/// Weighted amounts of one month (or of all): in all, and per owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForecastBucket {
    pub month: Option<String>,
    /// Sum of amount × probability, each deal rounded half-up to a minor unit.
    pub weighted: i64,
    /// Sum of the amounts themselves.
    pub amount: i64,
    pub deals: u32,
    /// Per owner (the deal's `assignee`, else its creator), by user id.
    pub owners: Vec<OwnerForecast>,
}

/// One owner's share of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OwnerForecast {
    pub user: String,
    pub weighted: i64,
    pub amount: i64,
    pub deals: u32,
}
