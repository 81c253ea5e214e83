//! Outgoing webhooks: subscriptions, their secrets and their delivery log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /orgs/{org}/webhooks`: a new subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed: an http(s) URL on a public address.
    pub url: String,
    /// Event patterns: an event type (`message.created`), a prefix and `*` (`task.*`,
    /// `record.invoice.*`), or `*` alone for every event.
    #[schema(min_items = 1)]
    pub events: Vec<String>,
    /// `whsec_` + base64 of 24 to 64 random bytes; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Only this project's events (the caller must manage the project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Fields the event's `data` must hold with exactly these values (e.g. `{"state": "paid"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `PATCH /webhooks/{hook}`: the fields to change. `filter: null` removes the filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateWebhookRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub events: Option<Vec<String>>,
    /// Present and null: no filter any more.
    #[serde(
        default,
        deserialize_with = "super::boards::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub filter: Option<Option<BTreeMap<String, serde_json::Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Reactivating a hook the server disabled delivers what waited meanwhile (events of up to 7
    /// days after it was disabled, first the one it gave up on); a hook deactivated by hand gets
    /// nothing while inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A subscription as its managers see it (the secret is shown only at creation and rotation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub org_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<BTreeMap<String, serde_json::Value>>,
    pub description: String,
    pub active: bool,
    /// Why the server deactivated it (deliveries failed for the whole retry horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Until when (UTC ms) the secret before the last rotation still signs deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The answer to a creation or a rotation: the signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSecret {
    pub id: String,
    /// `whsec_` + base64 of the key.
    pub secret: String,
}

/// `POST /webhooks/{hook}/rotate-secret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RotateSecretRequest {
    /// The new secret; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How long the old secret keeps signing too, in seconds (0 to 604800; default 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_secs: Option<u64>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: it failed for the whole retry horizon (the hook was disabled).
    Failed,
}

/// One event sent (or to send) to a subscription: an entry of its delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    /// The message id (`webhook-id`), the same on every attempt.
    pub id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i64,
    /// The last attempt's HTTP status, if the endpoint answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<i64>,
    /// The last attempt's time to the response, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<i64>,
    /// When the next attempt is due (pending deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    /// The JSON body sent: `{type, timestamp, data}`.
    pub body: serde_json::Value,
}
