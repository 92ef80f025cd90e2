//! The email outbox as its list shows it (`GET /api/v1/outbox`, the outbox page).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One email as the outbox list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// Outbox row id.
    pub id: i64,
    /// What kind of email this is, e.g. `agent_invite`.
    pub kind: String,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// The body, opened; `null` once delivered (bodies are wiped after SMTP delivery).
    pub body: Option<String>,
    /// `queued` (waiting for SMTP), `sent`, `failed` (gave up), or `stored` (no SMTP
    /// configured: the outbox is the only copy).
    pub status: String,
    /// Delivery attempts made so far.
    pub attempts: i64,
    /// The last delivery error, if any (never contains credentials).
    pub last_error: Option<String>,
    /// When the email was queued.
    pub created_at: DateTime<Utc>,
    /// When SMTP delivery succeeded.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A page of the outbox list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxPage {
    /// Newest first.
    pub items: Vec<OutboxItem>,
    /// Rows visible to the caller in all.
    pub total: i64,
    /// The page size used.
    pub limit: i64,
    /// The offset used.
    pub offset: i64,
}
