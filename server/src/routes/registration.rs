//! REST handlers for registration (see docs/REGISTRATION.md): challenges, the owner and
//! invite flows, delegated tokens, pending invites, revocation, key rotation.

use crate::extract::{AgentAuth, Auth, Json, Meta, OptionalJson, Path, Query, Registrant, UserOrAgent};
use crate::problem::{ApiResult, JsonBody, OptionalJsonBody, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::inputs::DelegatedTokenSpec;
use agentry_services::model::{
    AgentChallenge, AgentInviteCancelResponse, AgentInviteConfirmationRequest, AgentInviteResendResponse,
    AgentKeyRotationResponse, AgentRegistrationRequest, AgentRegistrationResponse, AgentRevokeResponse,
    DelegatedTokenRequest, DelegatedTokenResponse, PendingAgentInvite, PendingAgentInvitesResponse, PowSolution,
    ReasonRequest, RegisteredAgent,
};
use agentry_services::vocab::{field, Difficulty, InviteToken, Reason};
use agentry_services::{PendingQuery, Registration};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(challenge, register, delegated_token, confirm_invite, pending, resend_invite, cancel_invite, revoke, rotate_key, agent_self),
    components(schemas(
        AgentChallenge, AgentRegistrationRequest, PowSolution, AgentRegistrationResponse, RegisteredAgent,
        DelegatedTokenRequest, DelegatedTokenResponse, AgentInviteConfirmationRequest, PendingAgentInvite,
        PendingAgentInvitesResponse, AgentInviteResendResponse, ReasonRequest, AgentInviteCancelResponse,
        AgentRevokeResponse, AgentKeyRotationResponse
    )),
    tags((name = "agents", description = "Agent registration: proof of work, invites, delegated tokens, seats, keys")),
    modifiers(&OptionalBodies)
)]
pub struct ApiDoc;

/// The bodies read with `OptionalJson` may be left out (utoipa marks `request_body = T`
/// required, and `Option<T>` would document a `null` body, which is refused).
struct OptionalBodies;

impl utoipa::Modify for OptionalBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let paths =
            ["/api/v1/registration/delegated-token", "/api/v1/agents/{id}/invite/cancel", "/api/v1/agents/{id}/revoke"];
        for path in paths {
            let op = doc.paths.paths.get_mut(path).and_then(|p| p.post.as_mut());
            if let Some(body) = op.and_then(|op| op.request_body.as_mut()) {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/registration/challenge", get(challenge))
        .route("/api/v1/registration/agent", post(register))
        .route("/api/v1/registration/delegated-token", post(delegated_token))
        .route("/api/v1/registration/invite/confirm", post(confirm_invite))
        .route("/api/v1/agents/pending", get(pending))
        .route("/api/v1/agents/self", get(agent_self))
        .route("/api/v1/agents/{id}/invite/resend", post(resend_invite))
        .route("/api/v1/agents/{id}/invite/cancel", post(cancel_invite))
        .route("/api/v1/agents/{id}/revoke", post(revoke))
        .route("/api/v1/agents/{id}/keys", post(rotate_key))
}

/// Query of `GET /api/v1/registration/challenge`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    /// Requested difficulty (leading zero bits); clamped by the server.
    #[param(schema_with = agentry_services::schemas::requested_difficulty)]
    pub difficulty: Option<i64>,
    /// `true` for an unauthenticated invite-flow challenge.
    pub invite: Option<bool>,
}

/// Issue a proof-of-work challenge for agent registration.
///
/// Owners (session, user API key, or delegated token) get a challenge tied to them;
/// unauthenticated callers must pass `invite=true`.
#[utoipa::path(get, path = "/api/v1/registration/challenge", tag = "agents", params(ChallengeQuery),
    responses(RateLimited, (status = 201, description = "Challenge issued", body = AgentChallenge),
        (status = 400, description = "Invalid query: difficulty or invite of the wrong type, or a negative difficulty", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "No credential and no invite=true, or a credential that is not valid", body = Problem, content_type = PROBLEM_JSON)),
    security((), ("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn challenge(
    State(s): State<AppState>,
    Registrant(p): Registrant,
    Meta(meta): Meta,
    Query(q): Query<ChallengeQuery>,
) -> ApiResult<(StatusCode, Json<AgentChallenge>)> {
    let difficulty = q.difficulty.map(|d| field("difficulty", Difficulty::requested(d))).transpose()?;
    let c = s.services.issue_challenge(p.as_ref(), difficulty, q.invite.unwrap_or(false), &meta).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Validate a proof-of-work solution and register a new agent.
///
/// Owners get the agent key at once when a seat is free; with an invite challenge the
/// agent waits for its owner to confirm an emailed link. With `agentId`, the identity goes
/// to an existing agent without one (created with `POST /api/agents`) that you may manage.
#[utoipa::path(post, path = "/api/v1/registration/agent", tag = "agents", request_body = AgentRegistrationRequest,
    responses(JsonBody, RateLimited, (status = 201, description = "Agent registered (or invite pending)", body = AgentRegistrationResponse),
        (status = 400, description = "Malformed JSON, invalid fields, or an invalid, expired or foreign PoW solution", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "A credential that is not valid (or an owner challenge without one)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Seat capacity or delegated-token constraints prevented registration, you may not manage the agent agentId names (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Challenge not found, or no agent agentId in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Conflict: challenge already solved or public key registered; the agent agentId names already has an identity (agent_has_identity), is deleted (agent_deleted) or synced (agent_read_only)", body = Problem, content_type = PROBLEM_JSON)),
    security((), ("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn register(
    State(s): State<AppState>,
    Registrant(p): Registrant,
    Meta(meta): Meta,
    Json(req): Json<AgentRegistrationRequest>,
) -> ApiResult<(StatusCode, Json<AgentRegistrationResponse>)> {
    let r = s.services.register_agent(p.as_ref(), Registration::parse(&req)?, &meta).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Issue a single-use delegated registration token (session only).
#[utoipa::path(post, path = "/api/v1/registration/delegated-token", tag = "agents", request_body(content = DelegatedTokenRequest, description = "All fields optional; the body may be empty"),
    responses(OptionalJsonBody, RateLimited, (status = 201, description = "Delegated token issued", body = DelegatedTokenResponse),
        (status = 400, description = "Malformed JSON, or an invalid TTL, prefix or difficulty", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "Authentication required (a session; API keys are refused)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "No free seat, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = [])))]
pub async fn delegated_token(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    OptionalJson(req): OptionalJson<DelegatedTokenRequest>,
) -> ApiResult<(StatusCode, Json<DelegatedTokenResponse>)> {
    let r = s.services.issue_delegated_token(&p, DelegatedTokenSpec::parse(&req)?, &meta).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Confirm an agent invite and activate ownership.
#[utoipa::path(post, path = "/api/v1/registration/invite/confirm", tag = "agents", request_body = AgentInviteConfirmationRequest,
    responses(OptionalJsonBody, Unauthenticated, (status = 200, description = "Invite confirmed and agent activated", body = AgentRegistrationResponse),
        (status = 400, description = "Malformed JSON, or a missing or malformed invite token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "No free seat, not the recipient, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Invite token not found", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Invite already claimed or agent inactive", body = Problem, content_type = PROBLEM_JSON),
        (status = 410, description = "Invite token expired", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn confirm_invite(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    OptionalJson(req): OptionalJson<AgentInviteConfirmationRequest>,
) -> ApiResult<Json<AgentRegistrationResponse>> {
    let token = field("token", InviteToken::parse(req.token.as_deref().unwrap_or("")))?;
    Ok(Json(s.services.confirm_invite(&p, &token, &meta).await?))
}

/// Query of `GET /api/v1/agents/pending`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingParams {
    /// Include invites that have already expired (default true).
    pub include_expired: Option<bool>,
    /// Restrict results to this invite email.
    pub email: Option<String>,
    /// Page size (default 50, capped at 200).
    pub limit: Option<i64>,
    /// Offset into the list.
    pub offset: Option<i64>,
}

/// List pending agent invites.
#[utoipa::path(get, path = "/api/v1/agents/pending", tag = "agents", params(PendingParams),
    responses(Unauthenticated, (status = 200, description = "Pending invites returned", body = PendingAgentInvitesResponse),
        (status = 400, description = "Invalid query", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Forbidden for principals without invite visibility", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn pending(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<PendingParams>,
) -> ApiResult<Json<PendingAgentInvitesResponse>> {
    let q = PendingQuery { include_expired: q.include_expired, email: q.email, limit: q.limit, offset: q.offset };
    Ok(Json(s.services.pending_invites(&p, &q).await?))
}

/// Resend a pending agent invite: new token, extended expiry, email queued again.
#[utoipa::path(post, path = "/api/v1/agents/{id}/invite/resend", tag = "agents",
    params(("id" = i64, Path, description = "Agent id")),
    responses(Unauthenticated, RateLimited, (status = 200, description = "Invite resent", body = AgentInviteResendResponse),
        (status = 400, description = "Invalid agent id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Forbidden, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Pending invite not found", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn resend_invite(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<Json<AgentInviteResendResponse>> {
    Ok(Json(s.services.resend_invite(&p, id, &meta).await?))
}

/// Cancel a pending agent invite, freeing the seat and recording the reason.
#[utoipa::path(post, path = "/api/v1/agents/{id}/invite/cancel", tag = "agents",
    params(("id" = i64, Path, description = "Agent id")),
    request_body(content = ReasonRequest, description = "Optional; the body may be empty"),
    responses(OptionalJsonBody, Unauthenticated, (status = 200, description = "Invite cancelled", body = AgentInviteCancelResponse),
        (status = 400, description = "Malformed JSON, an invalid agent id, or a reason too long", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Forbidden, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Pending invite not found", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn cancel_invite(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    OptionalJson(req): OptionalJson<ReasonRequest>,
) -> ApiResult<Json<AgentInviteCancelResponse>> {
    let reason = field("reason", Reason::parse_optional(req.reason.as_deref()))?;
    Ok(Json(s.services.cancel_invite(&p, id, reason, &meta).await?))
}

/// Revoke a registered agent: every key, and its seat.
#[utoipa::path(post, path = "/api/v1/agents/{id}/revoke", tag = "agents", operation_id = "revoke_agent",
    params(("id" = i64, Path, description = "Agent id")),
    request_body(content = ReasonRequest, description = "Optional; the body may be empty"),
    responses(OptionalJsonBody, Unauthenticated, (status = 200, description = "Agent revoked", body = AgentRevokeResponse),
        (status = 400, description = "Malformed JSON, an invalid agent id, or a reason too long", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Forbidden, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Agent not found", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "A definition without an identity has nothing to revoke (agent_not_registered)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    OptionalJson(req): OptionalJson<ReasonRequest>,
) -> ApiResult<Json<AgentRevokeResponse>> {
    let reason = field("reason", Reason::parse_optional(req.reason.as_deref()))?;
    Ok(Json(s.services.revoke_agent(&p, id, reason, &meta).await?))
}

/// Rotate an agent's key: a new `agk_` key; older keys work until the grace period ends.
///
/// Called by the agent's owner or a privileged member (session or user API key), or by
/// the agent itself with a current `agk_` key.
#[utoipa::path(post, path = "/api/v1/agents/{id}/keys", tag = "agents",
    params(("id" = i64, Path, description = "Agent id")),
    responses(Unauthenticated, (status = 201, description = "Key minted", body = AgentKeyRotationResponse),
        (status = 400, description = "Invalid agent id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Forbidden, or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Agent not found", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Agent not registered", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn rotate_key(
    State(s): State<AppState>,
    who: UserOrAgent,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<AgentKeyRotationResponse>)> {
    let r = match who {
        UserOrAgent::User(p) => s.services.rotate_agent_key(&p, id, &meta).await?,
        UserOrAgent::Agent(a) => s.services.rotate_own_agent_key(&a, id, &meta).await?,
    };
    Ok((StatusCode::CREATED, Json(r)))
}

/// The calling agent, authenticated by its `agk_` key.
#[utoipa::path(get, path = "/api/v1/agents/self", tag = "agents",
    responses((status = 200, description = "The agent", body = RegisteredAgent),
        (status = 401, description = "Missing, revoked or expired agent key", body = Problem, content_type = PROBLEM_JSON)),
    security(("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn agent_self(AgentAuth(agent): AgentAuth) -> Json<RegisteredAgent> {
    Json(agent)
}
