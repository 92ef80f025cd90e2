//! Server functions of the agent pages: registration from the browser, invites, delegated
//! tokens and revocation. Each parses its input with the vocabulary's parsers, calls one
//! services method, and maps the error in one place (`ctx::fail`), exactly like the REST
//! handlers in `server/src/routes/registration.rs` do for the same operations.
//!
//! Bodies with structure travel as JSON (`input = Json`); the rest as form fields.

use crate::error::AppError;
use agentry_services::model::{
    AgentChallenge, AgentInviteCancelResponse, AgentInviteResendResponse, AgentRegistrationRequest,
    AgentRegistrationResponse, AgentRevokeResponse, DelegatedTokenRequest, DelegatedTokenResponse,
    PendingAgentInvitesResponse,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::ctx;

/// A proof-of-work challenge: tied to the signed-in user, or with `invite` to nobody (the
/// invite flow). `difficulty` is a request the server clamps.
#[server(prefix = "/fn", endpoint = "registration-challenge")]
pub async fn registration_challenge(difficulty: Option<i64>, invite: bool) -> Result<AgentChallenge, AppError> {
    use agentry_services::vocab::{field, Difficulty};
    let difficulty =
        difficulty.map(|d| field("difficulty", Difficulty::requested(d))).transpose().map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.issue_challenge(principal.as_ref(), difficulty, invite, &meta).await.map_err(ctx::fail)
}

/// Registers an agent with a solved challenge (owner flow when signed in, else an invite).
#[server(prefix = "/fn", endpoint = "register-agent", input = Json)]
pub async fn register_agent(request: AgentRegistrationRequest) -> Result<AgentRegistrationResponse, AppError> {
    let registration = agentry_services::Registration::parse(&request).map_err(ctx::fail)?;
    let services = ctx::services()?;
    let principal = ctx::principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.register_agent(principal.as_ref(), registration, &meta).await.map_err(ctx::fail)
}

/// Confirms an emailed invite: the agent becomes the signed-in user's.
#[server(prefix = "/fn", endpoint = "confirm-invite")]
pub async fn confirm_invite(token: String) -> Result<AgentRegistrationResponse, AppError> {
    use agentry_services::vocab::{field, InviteToken};
    let token = field("token", InviteToken::parse(&token)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.confirm_invite(&principal, &token, &meta).await.map_err(ctx::fail)
}

/// A page of the organization's pending invites.
#[server(prefix = "/fn", endpoint = "pending-invites")]
pub async fn pending_invites(
    email: String,
    include_expired: bool,
    limit: i64,
    offset: i64,
) -> Result<Option<PendingAgentInvitesResponse>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let query = agentry_services::PendingQuery {
        include_expired: Some(include_expired),
        email: Some(email).filter(|e| !e.is_empty()),
        limit: Some(limit),
        offset: Some(offset),
    };
    services.pending_invites(&principal, &query).await.map(Some).map_err(ctx::fail)
}

/// Sends a pending invite again, with a new token and expiry.
#[server(prefix = "/fn", endpoint = "resend-invite")]
pub async fn resend_invite(agent_id: i64) -> Result<AgentInviteResendResponse, AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.resend_invite(&principal, agent_id, &meta).await.map_err(ctx::fail)
}

/// Cancels a pending invite; `reason` may be empty.
#[server(prefix = "/fn", endpoint = "cancel-invite")]
pub async fn cancel_invite(agent_id: i64, reason: String) -> Result<AgentInviteCancelResponse, AppError> {
    let reason = ctx::reason(&reason)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.cancel_invite(&principal, agent_id, reason, &meta).await.map_err(ctx::fail)
}

/// Revokes a registered agent; `reason` may be empty.
#[server(prefix = "/fn", endpoint = "revoke-agent")]
pub async fn revoke_agent(agent_id: i64, reason: String) -> Result<AgentRevokeResponse, AppError> {
    let reason = ctx::reason(&reason)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.revoke_agent(&principal, agent_id, reason, &meta).await.map_err(ctx::fail)
}

/// Mints a single-use delegated registration token (a session only, as in REST).
#[server(prefix = "/fn", endpoint = "delegated-token", input = Json)]
pub async fn mint_delegated_token(request: DelegatedTokenRequest) -> Result<DelegatedTokenResponse, AppError> {
    let spec = agentry_services::inputs::DelegatedTokenSpec::parse(&request).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.issue_delegated_token(&principal, spec, &meta).await.map_err(ctx::fail)
}
