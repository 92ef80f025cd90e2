//! An agent's completion webhook and its deliveries (issue 11).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most characters of a webhook URL.
pub const WEBHOOK_URL_MAX: usize = 2_000;

/// `PUT /api/v1/agents/{id}/webhook`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: an `http` or `https` URL.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 2000, pattern = "^https?://[^/?#\\s]+"))]
    pub url: String,
    /// Mint a new signing secret (shown once in the answer). A new webhook always gets one.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// An agent's completion webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The agent.
    pub agent_id: i64,
    /// Where deliveries go.
    pub url: String,
    /// The signing secret (`whsec_…`, Standard Webhooks), only in the answer that minted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A delivery's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed: in the dead-letter list until redelivered.
    Dead,
}

impl DeliveryStatus {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    /// The status of its stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Dead].into_iter().find(|v| v.as_str() == s)
    }
}

/// One delivery of a run's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Its id; the `webhook-id` header is `msg_<id>`, the same on every attempt.
    pub id: i64,
    /// The run it reports.
    pub run_id: i64,
    /// `run.completed`, `run.failed`, `run.cancelled` or `run.timed_out`.
    pub event_type: String,
    /// Its state.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status.
    pub last_status: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body sent: `{type, timestamp, data}`.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Value,
}

/// An agent's deliveries, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryList {
    /// The deliveries (at most 100).
    pub value: Vec<WebhookDelivery>,
}
