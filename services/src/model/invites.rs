//! Agent invites and revocation, as `/api/v1/agents/…` and invite confirmation show them.

use super::{InviteStatus, RegistrationState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/registration/invite/confirm`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentInviteConfirmationRequest {
    /// The `inv_…` token from the invite email.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::invite_token, required = true))]
    pub token: Option<String>,
}

/// One invite in `GET /api/v1/agents/pending`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PendingAgentInvite {
    /// The pending agent.
    pub agent_id: i64,
    /// Its name.
    pub agent_name: String,
    /// The recipient.
    pub email: String,
    /// The organization it will join, when known.
    pub org_id: Option<i64>,
    /// Always `pending` in this list.
    pub status: InviteStatus,
    /// When the invite was created.
    pub created_at: DateTime<Utc>,
    /// When it expires (or expired).
    pub expires_at: DateTime<Utc>,
    /// Whether it has expired.
    pub expired: bool,
    /// How many times it was resent.
    pub resend_count: i64,
}

/// A page of pending invites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PendingAgentInvitesResponse {
    /// This page.
    pub invites: Vec<PendingAgentInvite>,
    /// All matching invites.
    pub total: i64,
    /// Page size used (capped at 200).
    pub limit: i64,
    /// Offset used.
    pub offset: i64,
}

/// Answer of `POST /api/v1/agents/{id}/invite/resend`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentInviteResendResponse {
    /// The pending agent.
    pub agent_id: i64,
    /// The recipient.
    pub email: String,
    /// The new expiry.
    pub expires_at: DateTime<Utc>,
    /// Resends so far.
    pub resend_count: i64,
}

/// Body of invite cancel and agent revoke; the reason is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReasonRequest {
    /// Why, for the audit log (up to 500 characters).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::reason))]
    pub reason: Option<String>,
}

/// Answer of `POST /api/v1/agents/{id}/invite/cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentInviteCancelResponse {
    /// The agent whose invite was cancelled.
    pub agent_id: i64,
    /// `cancelled`.
    pub status: InviteStatus,
    /// The reason given, if any.
    pub reason: Option<String>,
}

/// Answer of `POST /api/v1/agents/{id}/revoke`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentRevokeResponse {
    /// The agent.
    pub agent_id: i64,
    /// `revoked`.
    pub registration: RegistrationState,
    /// Keys revoked by this call.
    pub revoked_keys: i64,
}
