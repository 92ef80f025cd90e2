//! REST handlers for ownership transfers: a manager asks, only the recipient accepts
//! (seed 003) or declines, the requester or a manager cancels; the recipient's inbox.
//! Under `/api/agents/{id}` and `/api/v1/agents/{id}`, and `/api/v1/me/ownership-transfers`.

use super::agents::tagged;
use crate::extract::{Auth, Json, Meta, Path};
use crate::problem::{ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{Agent, OwnershipTransfer, TransferList, TransferRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

/// The agent-scoped part of the OpenAPI document (copied under `/api/agents` too).
#[derive(OpenApi)]
#[openapi(
    paths(request, accept, decline, cancel),
    components(schemas(OwnershipTransfer, TransferRequest, TransferList))
)]
pub struct ApiDoc;

/// The inbox's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(inbox))]
pub struct InboxDoc;

/// The routes under `prefix` (`/api/agents` or `/api/v1/agents`).
pub fn router(prefix: &str) -> Router<AppState> {
    let base = format!("{prefix}/{{id}}/ownership-transfer");
    Router::new()
        .route(&base, post(request))
        .route(&format!("{base}/accept"), post(accept))
        .route(&format!("{base}/decline"), post(decline))
        .route(&format!("{base}/cancel"), post(cancel))
}

/// `GET /api/v1/me/ownership-transfers`.
pub fn inbox_router() -> Router<AppState> {
    Router::new().route("/api/v1/me/ownership-transfers", get(inbox))
}

/// Ask a member of the organization to take the agent over. Managers only; one transfer
/// may be pending at a time, and it lapses after 7 days.
#[utoipa::path(post, path = "/api/v1/agents/{id}/ownership-transfer", tag = "agents", operation_id = "request_ownership_transfer",
    params(("id" = i64, Path, description = "Numeric agent id")),
    request_body = TransferRequest,
    responses(JsonBody, Unauthenticated, (status = 201, description = "The pending transfer", body = OwnershipTransfer),
        (status = 400, description = "Malformed JSON or a message too long (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "A transfer is already pending (transfer_pending); synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "An unknown field or a wrong type; a recipient who is not a member or already owns it (invalid_recipient)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn request(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    Json(req): Json<TransferRequest>,
) -> ApiResult<Response> {
    let t = s.services.request_transfer(&p, id, req, &meta).await?;
    Ok((StatusCode::CREATED, axum::Json(t)).into_response())
}

/// Accept the pending transfer: only its recipient. The agent becomes yours.
#[utoipa::path(post, path = "/api/v1/agents/{id}/ownership-transfer/accept", tag = "agents", operation_id = "accept_ownership_transfer",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The updated agent", body = Agent, headers(("ETag" = String, description = "Strong validator"))),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You are not the recipient (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found), or no transfer pending (transfer_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let view = s.services.accept_transfer(&p, id, &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Decline the pending transfer: only its recipient.
#[utoipa::path(post, path = "/api/v1/agents/{id}/ownership-transfer/decline", tag = "agents", operation_id = "decline_ownership_transfer",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The declined transfer", body = OwnershipTransfer),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You are not the recipient (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found), or no transfer pending (transfer_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn decline(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<OwnershipTransfer>> {
    Ok(axum::Json(s.services.decline_transfer(&p, id, &meta).await?))
}

/// Cancel the pending transfer: its requester or a manager of the agent.
#[utoipa::path(post, path = "/api/v1/agents/{id}/ownership-transfer/cancel", tag = "agents", operation_id = "cancel_ownership_transfer",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The cancelled transfer", body = OwnershipTransfer),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Neither the requester nor a manager (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found), or no transfer pending (transfer_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<OwnershipTransfer>> {
    Ok(axum::Json(s.services.cancel_transfer(&p, id, &meta).await?))
}

/// The transfers waiting for you in the current organization, newest first.
#[utoipa::path(get, path = "/api/v1/me/ownership-transfers", tag = "agents", operation_id = "my_ownership_transfers",
    responses(Unauthenticated, (status = 200, description = "Pending transfers to you", body = TransferList)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn inbox(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<TransferList>> {
    Ok(axum::Json(s.services.my_transfers(&p).await?))
}
