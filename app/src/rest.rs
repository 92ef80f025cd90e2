//! The registration REST API (docs/REGISTRATION.md) as the browser calls it: one function
//! per endpoint, over [`crate::client`], with the services layer's own wire types.

use crate::client::{self, encode};
use crate::error::AppError;
pub use agentry_services::model::{
    AgentInviteCancelResponse, AgentInviteConfirmationRequest, AgentInviteResendResponse, AgentRegistrationRequest,
    AgentRegistrationResponse, AgentRevokeResponse, DelegatedTokenRequest, DelegatedTokenResponse, PendingAgentInvite,
    PendingAgentInvitesResponse, PowSolution, ReasonRequest,
};
use serde::Deserialize;
use serde_json::Value;

/// One email of the outbox (the services layer's `OutboxItem`, which is server-only).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    /// Outbox id.
    #[serde(default)]
    pub id: i64,
    /// Recipient.
    #[serde(alias = "toAddr", alias = "recipient")]
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// `queued | sent | failed | stored`.
    #[serde(default)]
    pub status: String,
    /// When it was queued.
    #[serde(default)]
    pub created_at: String,
    /// The body, until delivery wipes it.
    #[serde(default)]
    pub body: Option<String>,
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: i64,
    /// The last delivery error.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// `GET /registration/challenge`: the challenge's JSON as received (the solver reads it
/// whole) and its id.
pub async fn challenge(difficulty: Option<u32>, invite: bool) -> Result<(String, String), AppError> {
    let mut query = Vec::new();
    if let Some(d) = difficulty {
        query.push(format!("difficulty={d}"));
    }
    if invite {
        query.push("invite=true".to_string());
    }
    let path = if query.is_empty() {
        "/api/v1/registration/challenge".to_string()
    } else {
        format!("/api/v1/registration/challenge?{}", query.join("&"))
    };
    let value: Value = client::get(&path).await?;
    let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    Ok((value.to_string(), id))
}

/// `POST /registration/agent`.
pub async fn register_agent(req: &AgentRegistrationRequest) -> Result<AgentRegistrationResponse, AppError> {
    client::post("/api/v1/registration/agent", req).await
}

/// `POST /registration/invite/confirm`.
pub async fn confirm_invite(token: &str) -> Result<AgentRegistrationResponse, AppError> {
    let body = AgentInviteConfirmationRequest { token: Some(token.to_string()) };
    client::post("/api/v1/registration/invite/confirm", &body).await
}

/// `GET /agents/pending`.
pub async fn pending_invites(
    email: &str,
    include_expired: bool,
    limit: i64,
    offset: i64,
) -> Result<PendingAgentInvitesResponse, AppError> {
    let path = format!(
        "/api/v1/agents/pending?email={}&include_expired={include_expired}&limit={limit}&offset={offset}",
        encode(email)
    );
    client::get(&path).await
}

/// `POST /agents/{id}/invite/resend`.
pub async fn resend_invite(agent_id: i64) -> Result<AgentInviteResendResponse, AppError> {
    client::post(&format!("/api/v1/agents/{agent_id}/invite/resend"), &serde_json::json!({})).await
}

/// `POST /agents/{id}/invite/cancel`.
pub async fn cancel_invite(agent_id: i64, reason: &str) -> Result<AgentInviteCancelResponse, AppError> {
    let body = ReasonRequest { reason: Some(reason.to_string()) };
    client::post(&format!("/api/v1/agents/{agent_id}/invite/cancel"), &body).await
}

/// `POST /agents/{id}/revoke`.
pub async fn revoke_agent(agent_id: i64, reason: &str) -> Result<AgentRevokeResponse, AppError> {
    let body = ReasonRequest { reason: Some(reason.to_string()).filter(|r| !r.is_empty()) };
    client::post(&format!("/api/v1/agents/{agent_id}/revoke"), &body).await
}

/// `POST /registration/delegated-token`.
pub async fn mint_delegated_token(req: &DelegatedTokenRequest) -> Result<DelegatedTokenResponse, AppError> {
    client::post("/api/v1/registration/delegated-token", req).await
}

/// `GET /outbox`: the first page (`items`, newest first).
pub async fn outbox() -> Result<Vec<Email>, AppError> {
    let value: Value = client::get("/api/v1/outbox").await?;
    let list = match value {
        Value::Array(_) => value,
        Value::Object(mut o) => o.remove("items").unwrap_or(Value::Array(Vec::new())),
        _ => Value::Array(Vec::new()),
    };
    serde_json::from_value(list).map_err(|e| AppError::Transport(format!("unexpected outbox answer: {e}")))
}
